/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca-test-token.h"

#include <string.h>

#include "token/porteur-token-provider.h"

static char *cache_dir;

void
ca_test_token_init (int    *argc,
                    char ***argv)
{
  cache_dir = g_dir_make_tmp ("porteur-ca-token-cache-XXXXXX", NULL);
  g_assert_nonnull (cache_dir);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_test_init (argc, argv, NULL);
}

int
ca_test_token_run (void)
{
  int status = ca_test_run ();

  pki_remove_tree (cache_dir);
  g_clear_pointer (&cache_dir, g_free);
  return status;
}

PorteurToken *
ca_test_token_open (const char  *profile,
                    VtokenCard **card)
{
  g_autoptr(GError) error = NULL;
  PorteurToken *token;

  *card = test_card_new (profile);
  token = porteur_token_open (test_transport_new (*card), NULL, &error);
  g_assert_no_error (error);
  return token;
}

PorteurSecret *
ca_test_secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

X509 *
ca_test_certify_token_key (CaTest   *t,
                           EVP_PKEY *key)
{
  X509_REQ *req = X509_REQ_new ();
  X509_NAME *name = X509_NAME_new ();
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  X509 *cert;

  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) "Anne Le Goff", -1, -1, 0);
  X509_REQ_set_subject_name (req, name);
  g_assert_cmpint (X509_REQ_set_pubkey (req, key), ==, 1);
  g_assert_cmpint (EVP_DigestSignInit_ex (md, NULL, "SHA256", porteur_token_provider_get_libctx (), NULL, key, NULL), ==, 1);
  g_assert_cmpint (X509_REQ_sign_ctx (req, md), >, 0);
  cert = ca_test_certify_request (t, req);
  EVP_MD_CTX_free (md);
  X509_NAME_free (name);
  X509_REQ_free (req);
  return cert;
}
