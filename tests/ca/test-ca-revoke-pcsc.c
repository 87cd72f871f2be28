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
#include "ca-sim-harness.h"

/*
 * porteur-tool ca revoke --token-key behind a real pcscd (run inside
 * tests/pcsc-harness), porteur-tool doing all the token work: the virtual
 * token's EC key 3 makes a request (`key csr`), the simulator certifies it
 * (CMP P10CR with the order's enrollment secret), the certificate is written
 * to the token (`key write-cert`); `ca revoke --token-key 3` then signs the
 * revocation request on the token with the PIN from a file descriptor. A
 * wrong PIN: exit 1, nothing revoked; the right one: accepted, OCSP says
 * revoked.
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

/* The simulator's certificate for the request in @csr_pem (CMP P10CR with the order's enrollment). */
static X509 *
certify_request (CaSimHarness *sim, PorteurCaClient *client, const char *csr_pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment = validated_enrollment (sim, client);
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (sim->root_pem, &error);
  g_autofree char *cmp_url = g_strconcat (sim->url, "/pkix/", NULL);
  g_autoptr(PorteurCmpClient) cmp = porteur_cmp_client_new (cmp_url, FALSE, &error);
  g_autoptr(PorteurCmpRequest) p10cr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_P10CR);
  g_autoptr(PorteurCmpResult) result = NULL;
  BIO *bio = BIO_new_mem_buf (csr_pem, -1);
  X509_REQ *req = PEM_read_bio_X509_REQ (bio, NULL, NULL, NULL);
  const char *pbm_secret = porteur_ca_enrollment_get_secret (enrollment);

  BIO_free (bio);
  g_assert_no_error (error);
  g_assert_nonnull (req);
  porteur_cmp_client_set_tls_database (cmp, database);
  g_assert_true (porteur_cmp_client_set_trust_file (cmp, sim->root_pem, &error));
  porteur_cmp_request_set_pbm (p10cr, porteur_ca_enrollment_get_reference (enrollment), pbm_secret, strlen (pbm_secret));
  porteur_cmp_request_set_csr (p10cr, req);
  result = porteur_cmp_client_execute_sync (cmp, p10cr, NULL, &error);
  g_assert_no_error (error);
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
  g_autofree char *serial = NULL;
  g_autofree char *o0 = NULL, *o1 = NULL, *o2 = NULL, *o3 = NULL;
  g_autofree char *cert_pem = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) csr = NULL;
  X509 *cert;
  int reason = -1, status;

  g_assert_no_error (error);
  /* porteur-tool does all the token work: the request signed on the token… */
  o0 = tool (sim, "1234\n", &status, "--json", "key", "csr", "--key", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  csr = json_from_string (o0, &error);
  g_assert_no_error (error);
  cert = certify_request (sim, client, json_object_get_string_member (json_node_get_object (csr), "request"));
  /* …and the CA's certificate for the key written to the token, where `ca revoke --token-key` finds it */
  cert_pem = g_build_filename (sim->state_dir, "token-cert.pem", NULL);
  {
    BIO *bio = BIO_new_file (cert_pem, "w");

    g_assert_nonnull (bio);
    g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);
    BIO_free (bio);
  }
  o3 = tool (sim, "1234\n", &status, "key", "write-cert", "--key", "3", "--in", cert_pem, "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
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
