/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/porteur-ca-client.h"
#include "ca/porteur-ca-config.h"
#include "ca/porteur-ca-revoke.h"
#include "ca/porteur-cmp.h"
#include "ca/porteur-ocsp.h"
#include "token/porteur-token.h"
#include "token/porteur-token-provider.h"
#include "ca-sim-harness.h"
#include "token-test-transport.h"

/*
 * §3.7 signature proof with a token key: the virtual token's EC key is
 * certified by the simulator (CMP P10CR with the order's enrollment secret, the
 * request signed on the token), then the revocation request is signed by that
 * key through Porteur's OpenSSL provider (porteur_ca_revocation_sign () in the
 * provider's library context) and accepted; OCSP says revoked. A wrong PIN
 * makes no signature and revokes nothing.
 */

static const char good_dossier[] =
  "{\"support\":\"token\",\"has_compatible_token\":true,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

#define EC_KEY_REFERENCE 3

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

#define CALL(finish_fn, client, error, start_expr) \
  ({ GAsyncResult *_r = NULL; GAsyncResult **_slot = &_r; (void) _slot; \
     start_expr; await (&_r); \
     gpointer _v = GSIZE_TO_POINTER (finish_fn (client, _r, error)); g_object_unref (_r); _v; })

#define ASYNC_ARGS NULL, on_done, _slot

static PorteurSecret *
secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

/* A validated order's CMP enrollment (reference and one-time secret). */
static PorteurCaEnrollment *
validated_enrollment (CaSimHarness *sim, PorteurCaClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (good_dossier, NULL);
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autoptr(PorteurCaOrder) submitted = NULL;
  g_autofree char *out = NULL;
  PorteurCaEnrollment *enrollment;

  order = CALL (porteur_ca_client_create_order_finish, client, &error,
                porteur_ca_client_create_order_async (client, json_node_get_object (node), NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  submitted = CALL (porteur_ca_client_submit_order_finish, client, &error,
                    porteur_ca_client_submit_order_async (client, porteur_ca_order_get_number (order),
                                                          porteur_ca_order_get_access_token (order), NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  out = ca_sim_harness_admin (sim, FALSE, "documents-received", porteur_ca_order_get_number (order), NULL);
  enrollment = CALL (porteur_ca_client_get_enrollment_finish, client, &error,
                     porteur_ca_client_get_enrollment_async (client, porteur_ca_order_get_number (order),
                                                             porteur_ca_order_get_access_token (order), ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_nonnull (porteur_ca_enrollment_get_secret (enrollment));
  return enrollment;
}

/* The simulator's certificate for the token key, requested with a P10CR signed on the token. */
static X509 *
certify_token_key (CaSimHarness *sim, PorteurCaClient *client, EVP_PKEY *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment = validated_enrollment (sim, client);
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (sim->root_pem, &error);
  g_autofree char *cmp_url = g_strconcat (sim->url, "/pkix/", NULL);
  g_autoptr(PorteurCmpClient) cmp = porteur_cmp_client_new (cmp_url, FALSE, &error);
  g_autoptr(PorteurCmpRequest) p10cr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_P10CR);
  g_autoptr(PorteurCmpResult) result = NULL;
  X509_REQ *req = X509_REQ_new ();
  X509_NAME *name = X509_NAME_new ();
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  const char *pbm_secret = porteur_ca_enrollment_get_secret (enrollment);

  g_assert_no_error (error);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) "Anne Le Goff", -1, -1, 0);
  X509_REQ_set_subject_name (req, name);
  g_assert_cmpint (X509_REQ_set_pubkey (req, key), ==, 1);
  g_assert_cmpint (EVP_DigestSignInit_ex (md, NULL, "SHA256", porteur_token_provider_get_libctx (), NULL, key, NULL), ==, 1);
  g_assert_cmpint (X509_REQ_sign_ctx (req, md), >, 0);
  porteur_cmp_client_set_tls_database (cmp, database);
  g_assert_true (porteur_cmp_client_set_trust_file (cmp, sim->root_pem, &error));
  porteur_cmp_request_set_pbm (p10cr, porteur_ca_enrollment_get_reference (enrollment), pbm_secret, strlen (pbm_secret));
  /* The request as bytes: X509_REQ_dup () (in set_csr) would duplicate the
   * token key object, which the provider's key management cannot do. */
  {
    unsigned char *der = NULL;
    int len = i2d_X509_REQ (req, &der);
    const unsigned char *p = der;
    X509_REQ *parsed = d2i_X509_REQ (NULL, &p, len);

    g_assert_nonnull (parsed);
    porteur_cmp_request_set_csr (p10cr, parsed);
    X509_REQ_free (parsed);
    OPENSSL_free (der);
  }
  result = porteur_cmp_client_execute_sync (cmp, p10cr, NULL, &error);
  g_assert_no_error (error);
  EVP_MD_CTX_free (md);
  X509_NAME_free (name);
  X509_REQ_free (req);
  return X509_dup (porteur_cmp_result_get_certificate (result));
}

static PorteurCertStatus
ocsp_status (CaSimHarness *sim, X509 *cert, int *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (sim->root_pem, &error);
  g_autoptr(PorteurOcspClient) ocsp = porteur_ocsp_client_new ();
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autofree char *issuing_pem = g_build_filename (sim->state_dir, "pki", "issuing.pem", NULL);
  BIO *bio = BIO_new_file (issuing_pem, "r");
  X509 *issuing = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  PorteurCertStatus status;

  BIO_free (bio);
  g_assert_nonnull (issuing);
  porteur_ocsp_client_set_tls_database (ocsp, database);
  g_assert_true (porteur_ocsp_client_add_trust_file (ocsp, sim->root_pem, &error));
  result = porteur_ocsp_client_check_sync (ocsp, cert, issuing, NULL, NULL, &error);
  g_assert_no_error (error);
  X509_free (issuing);
  status = porteur_ocsp_result_get_status (result);
  if (status == PORTEUR_CERT_STATUS_REVOKED)
    *reason = porteur_ocsp_result_get_revocation_reason (result);
  return status;
}

static char *
serial_of (X509 *cert)
{
  BIGNUM *bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  char *hex = BN_bn2hex (bn);
  char *out = g_strdup (hex);

  OPENSSL_free (hex);
  BN_free (bn);
  return out;
}

static char *
new_nonce (PorteurCaClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationNonce) nonce =
    CALL (porteur_ca_client_get_revocation_nonce_finish, client, &error,
          porteur_ca_client_get_revocation_nonce_async (client, NULL, ASYNC_ARGS));

  g_assert_no_error (error);
  return g_strdup (porteur_ca_revocation_nonce_get_nonce (nonce));
}

static void
test_token_signature (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (0);
  g_autoptr(PorteurCaClient) client = porteur_ca_client_new (sim->url, sim->root_pem, FALSE, &error);
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurToken) token = porteur_token_open (test_transport_new (card), NULL, &error);
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(PorteurSecret) wrong = secret ("9999");
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(GBytes) canonical = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *nonce = NULL;
  EVP_PKEY *key, *bad_key;
  X509 *cert;
  int reason = -1;

  g_assert_no_error (error);
  key = porteur_token_get_evp_pkey (token, EC_KEY_REFERENCE, pin, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (EVP_PKEY_get_base_id (key), ==, EVP_PKEY_EC);
  cert = certify_token_key (sim, client, key);
  serial = serial_of (cert);
  g_assert_cmpint (ocsp_status (sim, cert, &reason), ==, PORTEUR_CERT_STATUS_GOOD);

  /* a wrong PIN: no signature, nothing asked */
  nonce = new_nonce (client);
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
  g_assert_cmpint (ocsp_status (sim, cert, &reason), ==, PORTEUR_CERT_STATUS_GOOD);

  /* the holder's PIN: the token signs the canonical request, the CA revokes */
  signature = porteur_ca_revocation_sign (canonical, key, cert, porteur_token_provider_get_libctx (), NULL, &error);
  g_assert_no_error (error);
  {
    PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_SIGNATURE, .nonce = nonce, .signature = signature };

    rv = CALL (porteur_ca_client_request_revocation_finish, client, &error,
               porteur_ca_client_request_revocation_async (client, serial, "keyCompromise", &proof, NULL, ASYNC_ARGS));
  }
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  g_assert_cmpint (ocsp_status (sim, cert, &reason), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (reason, ==, 1);
  EVP_PKEY_free (key);
  X509_free (cert);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autofree char *cache_dir = NULL;
  int status;

  /* The token core caches card descriptions under the user cache directory: not the real one. */
  cache_dir = g_dir_make_tmp ("porteur-revoke-cache-XXXXXX", NULL);
  g_assert_nonnull (cache_dir);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/revoke/token-signature", test_token_signature);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  remove_tree (cache_dir);
  return status;
}
