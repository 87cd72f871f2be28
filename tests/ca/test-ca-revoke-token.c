/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-test-token.h"
#include "token/porteur-token-provider.h"

/*
 * §3.7 signature proof with a token key: the virtual token's EC key is
 * certified by the simulator (CMP P10CR with the order's enrollment secret, the
 * request signed on the token), then the revocation request is signed by that
 * key through Porteur's OpenSSL provider (porteur_ca_revocation_sign () in the
 * provider's library context) and accepted; OCSP (and the CRL) say revoked. A
 * wrong PIN makes no signature and revokes nothing.
 */

#define EC_KEY_REFERENCE 3

static void
test_token_signature (CaTest *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = NULL;
  g_autoptr(PorteurToken) token = ca_test_token_open ("oberthur-iasecc", &card);
  g_autoptr(PorteurSecret) pin = ca_test_secret ("1234");
  g_autoptr(PorteurSecret) wrong = ca_test_secret ("9999");
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(GBytes) canonical = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *nonce = NULL;
  EVP_PKEY *key, *bad_key;
  X509 *cert;

  /* the holder has a compatible token: no token to buy */
  json_object_set_boolean_member (t->dossier, "has_compatible_token", TRUE);
  key = porteur_token_get_evp_pkey (token, EC_KEY_REFERENCE, pin, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (EVP_PKEY_get_base_id (key), ==, EVP_PKEY_EC);
  cert = ca_test_certify_token_key (t, key);
  serial = ca_test_serial_of (cert);
  ca_test_assert_good (t, cert);

  /* a wrong PIN: no signature, nothing asked */
  nonce = ca_test_revocation_nonce (t);
  canonical = porteur_ca_revocation_canonical_request (serial, "keyCompromise", "holder", nonce);
  bad_key = porteur_token_get_evp_pkey (token, EC_KEY_REFERENCE, wrong, 0, &error);
  if (bad_key)
    {
      none = porteur_ca_revocation_sign (canonical, bad_key, cert, porteur_token_provider_get_libctx (), NULL, &error);
      g_assert_null (none);
      g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SIGNATURE);
      /* the key is the certificate's: the token refused to sign */
      g_assert_null (strstr (error->message, "does not belong"));
      g_test_message ("%s", error->message);
      EVP_PKEY_free (bad_key);
    }
  else
    g_assert_nonnull (error);   /* refused when the key was made */
  g_clear_error (&error);
  {
    g_autoptr(GError) token_error = NULL;
    porteur_token_provider_take_error (&token_error);
  }
  ca_test_assert_good (t, cert);

  /* the holder's PIN: the token signs the canonical request, the CA revokes */
  signature = porteur_ca_revocation_sign (canonical, key, cert, porteur_token_provider_get_libctx (), NULL, &error);
  g_assert_no_error (error);
  {
    PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_SIGNATURE, .nonce = nonce, .signature = signature };

    rv = ca_test_request_revocation (t, serial, "keyCompromise", &proof, NULL, &error);
  }
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  ca_test_assert_revoked (t, cert, 1);
  EVP_PKEY_free (key);
  X509_free (cert);
}

int
main (int argc, char **argv)
{
  ca_test_token_init (&argc, &argv);
  CA_TEST_ADD ("/ca/revoke/token-signature", 0, test_token_signature);
  return ca_test_token_run ();
}
