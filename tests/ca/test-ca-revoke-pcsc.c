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

/*
 * porteur-tool ca revoke --token-key behind a real pcscd (run inside
 * tests/pcsc-harness): the virtual token's EC key is certified by the
 * simulator (CMP P10CR signed on the token) and the certificate written to the
 * token; porteur-tool then signs the revocation request on the token with the
 * PIN from a file descriptor. A wrong PIN: exit 1, nothing revoked; the right
 * one: accepted, OCSP says revoked.
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
tool (CaSimHarness *sim, const char *input, int *status, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_build_filename (sim->state_dir, "tool-data", NULL);
  g_autofree char *err = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PORTEUR_TOOL"));
  va_start (ap, first);
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_URL", sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_TRUST", sim->root_pem, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\n%s\n%s", *status, out, err);
  return out;
}

static void
test_tool_token_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (0);
  g_autoptr(PorteurCaClient) client = porteur_ca_client_new (sim->url, sim->root_pem, FALSE, &error);
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autofree char *serial = NULL;
  g_autofree char *o1 = NULL, *o2 = NULL;
  g_autoptr(JsonNode) node = NULL;
  X509 *cert;
  int reason = -1, status;

  g_assert_no_error (error);
  {
    g_autoptr(PorteurToken) token = porteur_token_open (porteur_pcsc_transport_new (NULL, &error), NULL, &error);
    EVP_PKEY *key;
    unsigned char *der = NULL;
    int len;
    g_autoptr(GBytes) bytes = NULL;

    g_assert_no_error (error);
    key = porteur_token_get_evp_pkey (token, EC_KEY_REFERENCE, pin, 0, &error);
    g_assert_no_error (error);
    cert = certify_token_key (sim, client, key);
    EVP_PKEY_free (key);
    len = i2d_X509 (cert, &der);
    bytes = g_bytes_new (der, len);
    OPENSSL_free (der);
    /* the CA's certificate for the key, on the token: what porteur-tool finds */
    g_assert_true (porteur_token_write_certificate (token, EC_KEY_REFERENCE, bytes, pin, 0, NULL, &error));
    g_assert_no_error (error);
  }
  serial = serial_of (cert);

  o1 = tool (sim, "9999\n", &status, "--json", "ca", "revoke", serial, "--reason", "keyCompromise",
             "--token-key", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);   /* the PIN refused: a negative answer */
  g_assert_cmpint (ocsp_status (sim, cert, &reason), ==, PORTEUR_CERT_STATUS_GOOD);

  o2 = tool (sim, "1234\n", &status, "--json", "ca", "revoke", serial, "--reason", "keyCompromise",
             "--token-key", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  node = json_from_string (o2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "status"), ==, "accepted");
  g_assert_cmpint (ocsp_status (sim, cert, &reason), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (reason, ==, 1);
  X509_free (cert);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/revoke/pcsc-tool-token-key", test_tool_token_key);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  return status;
}
