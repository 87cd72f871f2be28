/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/pem.h>

#include "ca-test-util.h"

/*
 * porteur-tool ca revoke --token-key behind a real pcscd (run inside
 * tests/pcsc-harness), porteur-tool doing all the token work: the virtual
 * token's EC key 3 makes a request (`key csr`), the simulator certifies it
 * (CMP P10CR with the order's enrollment secret), the certificate is written
 * to the token (`key write-cert`); `ca revoke --token-key 3` then signs the
 * revocation request on the token with the PIN from a file descriptor. A
 * wrong PIN: exit 1, nothing revoked; the right one: accepted, OCSP (and the
 * CRL) say revoked.
 */

/* The simulator's certificate for the token's key @reference, written to the
 * token: the request and the writing by porteur-tool, the PIN on its stdin. */
static X509 *
certify_token_key (CaTest *t, const char *reference)
{
  g_autofree char *csr_out = NULL, *write_out = NULL;
  g_autofree char *cert_pem = g_build_filename (t->dir, "token-cert.pem", NULL);
  g_autoptr(JsonNode) csr = NULL;
  BIO *bio;
  X509_REQ *req;
  X509 *cert;
  int status;

  csr_out = ca_test_tool (t, "1234\n", &status, NULL, "--json", "key", "csr", "--key", reference, "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  csr = ca_test_json (csr_out);
  bio = BIO_new_mem_buf (json_object_get_string_member (json_node_get_object (csr), "request"), -1);
  req = PEM_read_bio_X509_REQ (bio, NULL, NULL, NULL);
  BIO_free (bio);
  g_assert_nonnull (req);
  cert = ca_test_certify_request (t, req);
  X509_REQ_free (req);
  /* the CA's certificate on the token, where `ca revoke --token-key` finds it */
  ca_test_write_cert (cert, cert_pem);
  write_out = ca_test_tool (t, "1234\n", &status, NULL, "key", "write-cert", "--key", reference, "--in", cert_pem,
                            "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  return cert;
}

static void
test_tool_token_key (CaTest *t, gconstpointer data)
{
  g_autofree char *serial = NULL;
  g_autofree char *o1 = NULL, *o2 = NULL;
  g_autoptr(JsonNode) node = NULL;
  X509 *cert;
  int status;

  /* the holder has a compatible token: no token to buy */
  json_object_set_boolean_member (t->dossier, "has_compatible_token", TRUE);
  cert = certify_token_key (t, "3");
  serial = ca_test_serial_of (cert);

  o1 = ca_test_tool (t, "9999\n", &status, NULL, "--json", "ca", "revoke", serial, "--reason", "keyCompromise",
                     "--token-key", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);   /* the PIN refused: a negative answer */
  ca_test_assert_good (t, cert);

  o2 = ca_test_tool (t, "1234\n", &status, NULL, "--json", "ca", "revoke", serial, "--reason", "keyCompromise",
                     "--token-key", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  node = ca_test_json (o2);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "status"), ==, "accepted");
  ca_test_assert_revoked (t, cert, 1);
  X509_free (cert);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  CA_TEST_ADD ("/ca/revoke/pcsc-tool-token-key", 0, test_tool_token_key);
  return ca_test_run ();
}
