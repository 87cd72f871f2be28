/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "ca/porteur-cmp.h"
#include "token/porteur-token-provider.h"
#include "token-test-transport.h"

/*
 * Token keys as OpenSSL keys: a CSR signed on the token with X509_REQ_sign_ctx, checked by plain
 * OpenSSL after a round trip through DER; EVP_DigestSign checked with the certificate; a CMS
 * signature; a wrong PIN refused once and reported, never retried.
 */

static PorteurSecret *
secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

static EVP_PKEY *
cert_key (PorteurToken *token,
          guint         index)
{
  PorteurTokenCert *cert = g_ptr_array_index (porteur_token_get_certificates (token), index);
  gsize n;
  const guint8 *p = g_bytes_get_data (cert->der, &n);
  X509 *x = d2i_X509 (NULL, &p, (long) n);
  EVP_PKEY *key = X509_get_pubkey (x);

  X509_free (x);
  return key;
}

static X509 *
cert_of (PorteurToken *token,
         guint         index)
{
  PorteurTokenCert *cert = g_ptr_array_index (porteur_token_get_certificates (token), index);
  gsize n;
  const guint8 *p = g_bytes_get_data (cert->der, &n);

  return d2i_X509 (NULL, &p, (long) n);
}

static void
test_csr (gconstpointer data)
{
  guint key_ref = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurToken) token = porteur_token_open (test_transport_new (card), NULL, &error);
  g_autoptr(PorteurSecret) pin = secret ("1234");
  EVP_PKEY *pkey, *expected, *parsed_key;
  X509_REQ *req = X509_REQ_new (), *parsed;
  X509_NAME *name = X509_NAME_new ();
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  guint8 *der = NULL;
  const guint8 *p;
  int n;

  g_assert_no_error (error);
  pkey = porteur_token_get_evp_pkey (token, key_ref, pin, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pkey);
  expected = cert_key (token, key_ref - 1);
  g_assert_cmpint (EVP_PKEY_get_bits (pkey), ==, EVP_PKEY_get_bits (expected));

  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) "Anne Le Goff", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) "COMMUNE DE RENNES", -1, -1, 0);
  X509_REQ_set_subject_name (req, name);
  g_assert_cmpint (X509_REQ_set_pubkey (req, pkey), ==, 1);
  g_assert_cmpint (EVP_DigestSignInit_ex (md, NULL, "SHA256", porteur_token_provider_get_libctx (), NULL, pkey, NULL), ==, 1);
  if (X509_REQ_sign_ctx (req, md) <= 0)
    {
      ERR_print_errors_fp (stderr);
      g_assert_not_reached ();
    }

  /* Plain OpenSSL, from the bytes: the CSR's key is the certificate's, and its signature holds. */
  n = i2d_X509_REQ (req, &der);
  g_assert_cmpint (n, >, 0);
  p = der;
  parsed = d2i_X509_REQ (NULL, &p, n);
  g_assert_nonnull (parsed);
  parsed_key = X509_REQ_get0_pubkey (parsed);
  g_assert_cmpint (EVP_PKEY_eq (parsed_key, expected), ==, 1);
  g_assert_cmpint (X509_REQ_verify (parsed, parsed_key), ==, 1);
  {
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *oid = NULL;
    X509_REQ_get0_signature (parsed, NULL, &alg);
    X509_ALGOR_get0 (&oid, NULL, NULL, alg);
    g_assert_cmpint (OBJ_obj2nid (oid), ==,
                     EVP_PKEY_get_base_id (expected) == EVP_PKEY_EC ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption);
  }

  /* The CSR as signed goes into a CMP P10CR request as it is (renewal with a new token key),
   * byte for byte. */
  {
    g_autoptr(PorteurCmpRequest) p10cr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_P10CR);
    guint8 *held_der = NULL;
    int held_n;

    porteur_cmp_request_set_csr (p10cr, req);
    g_assert_nonnull (porteur_cmp_request_get_csr (p10cr));
    held_n = i2d_X509_REQ (porteur_cmp_request_get_csr (p10cr), &held_der);
    g_assert_cmpmem (held_der, held_n, der, n);
    OPENSSL_free (held_der);
  }

  OPENSSL_free (der);
  X509_REQ_free (parsed);
  X509_NAME_free (name);
  X509_REQ_free (req);
  EVP_MD_CTX_free (md);
  EVP_PKEY_free (expected);
  EVP_PKEY_free (pkey);
}

static void
test_digest_sign_and_cms (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurToken) token = porteur_token_open (test_transport_new (card), NULL, &error);
  g_autoptr(PorteurSecret) pin = secret ("1234");
  static const char message[] = "Délibération n° 2026-114";
  EVP_PKEY *pkey = porteur_token_get_evp_pkey (token, 2, pin, 0, &error);
  EVP_PKEY *pub = cert_key (token, 1);
  X509 *cert = cert_of (token, 1);
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  guint8 sig[512];
  size_t sig_length = sizeof sig;
  BIO *in, *out;
  CMS_ContentInfo *cms;

  g_assert_no_error (error);
  g_assert_cmpint (EVP_DigestSignInit_ex (md, NULL, "SHA384", porteur_token_provider_get_libctx (), NULL, pkey, NULL), ==, 1);
  if (EVP_DigestSign (md, sig, &sig_length, (const guint8 *) message, strlen (message)) != 1)
    {
      ERR_print_errors_fp (stderr);
      porteur_token_provider_take_error (&error);
      g_assert_no_error (error);
      g_assert_not_reached ();
    }
  EVP_MD_CTX_free (md);
  md = EVP_MD_CTX_new ();
  g_assert_cmpint (EVP_DigestVerifyInit (md, NULL, EVP_sha384 (), NULL, pub), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (md, sig, sig_length, (const guint8 *) message, strlen (message)), ==, 1);
  EVP_MD_CTX_free (md);
  /* Verifying with an ordinary public key inside our library context still works (CMP does it). */
  md = EVP_MD_CTX_new ();
  g_assert_cmpint (EVP_DigestVerifyInit_ex (md, NULL, "SHA384", porteur_token_provider_get_libctx (), NULL, pub, NULL), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (md, sig, sig_length, (const guint8 *) message, strlen (message)), ==, 1);
  EVP_MD_CTX_free (md);

  /* A detached CMS signature made on the token, verified by OpenSSL against the certificate. */
  in = BIO_new_mem_buf (message, -1);
  cms = CMS_sign_ex (cert, pkey, NULL, in, CMS_DETACHED | CMS_BINARY, porteur_token_provider_get_libctx (), NULL);
  if (cms == NULL)
    ERR_print_errors_fp (stderr);
  g_assert_nonnull (cms);
  BIO_free (in);
  {
    guint8 *der = NULL;
    int n = i2d_CMS_ContentInfo (cms, &der);
    const guint8 *p = der;
    CMS_ContentInfo *parsed = d2i_CMS_ContentInfo (NULL, &p, n);
    in = BIO_new_mem_buf (message, -1);
    out = BIO_new (BIO_s_mem ());
    g_assert_cmpint (CMS_verify (parsed, NULL, NULL, in, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY), ==, 1);
    BIO_free (in);
    BIO_free (out);
    CMS_ContentInfo_free (parsed);
    OPENSSL_free (der);
  }
  CMS_ContentInfo_free (cms);
  X509_free (cert);
  EVP_PKEY_free (pub);
  EVP_PKEY_free (pkey);
}

static void
test_wrong_pin (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurToken) token = porteur_token_open (test_transport_new (card), NULL, &error);
  g_autoptr(PorteurSecret) wrong = secret ("9999");
  EVP_PKEY *pkey = porteur_token_get_evp_pkey (token, 1, wrong, 0, &error);
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  guint8 sig[512];
  size_t sig_length = sizeof sig;
  g_autofree char *dump = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (EVP_DigestSignInit_ex (md, NULL, "SHA256", porteur_token_provider_get_libctx (), NULL, pkey, NULL), ==, 1);
  g_assert_cmpint (EVP_DigestSign (md, sig, &sig_length, (const guint8 *) "x", 1), !=, 1);
  ERR_clear_error ();
  g_assert_true (porteur_token_provider_take_error (&error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  /* One try spent, no more: OpenSSL's one call is one VERIFY. */
  dump = vtoken_card_dump (card);
  g_assert_nonnull (strstr (dump, "pin1=2/3"));
  EVP_MD_CTX_free (md);
  EVP_PKEY_free (pkey);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_data_func ("/token-provider/csr/rsa-qualified", GUINT_TO_POINTER (2), test_csr);
  g_test_add_data_func ("/token-provider/csr/rsa-authentication", GUINT_TO_POINTER (1), test_csr);
  g_test_add_data_func ("/token-provider/csr/ecdsa", GUINT_TO_POINTER (3), test_csr);
  g_test_add_func ("/token-provider/digest-sign-and-cms", test_digest_sign_and_cms);
  g_test_add_func ("/token-provider/wrong-pin", test_wrong_pin);
  return g_test_run ();
}
