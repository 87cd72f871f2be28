/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/pem.h>
#include <string.h>

#include "ca-sim-db.h"
#include "ca-sim-harness.h"
#include "ca/porteur-ca-config.h"
#include "ca/porteur-cmp.h"
#include "ca/porteur-ocsp.h"
#include "pki-test-util.h"

/* The simulator's CMP endpoint (tests/ca-sim/ca-sim-cmp.c) cross-checked from both sides:
 * OpenSSL's own `openssl cmp` client does IR, KUR and RR against it, and our client does
 * IR → OCSP good → KUR → RR → OCSP revoked, over HTTPS on loopback. */

typedef struct
{
  CaSimHarness *sim;
  char         *data_home;
  char         *work;
  char         *cmp_url;
  char         *issuing_pem;
} Fixture;

static const char dossier[] =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"legal-representative\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* a long delay: the order is validated by the admin command only, never by the clock */
  fx->sim = ca_sim_harness_start (3600);
  fx->data_home = g_dir_make_tmp ("porteur-cmp-sim-XXXXXX", &error);
  g_assert_no_error (error);
  fx->work = g_build_filename (fx->data_home, "work", NULL);
  g_mkdir (fx->work, 0700);
  fx->cmp_url = g_strconcat (fx->sim->url, "/pkix/", NULL);
  fx->issuing_pem = g_build_filename (fx->sim->state_dir, "pki", "issuing.pem", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  ca_sim_harness_stop (fx->sim);
  pki_remove_tree (fx->data_home);
  g_free (fx->data_home);
  g_free (fx->work);
  g_free (fx->cmp_url);
  g_free (fx->issuing_pem);
}

static char *
run_tool_input (Fixture *fx, const char *input, int *status, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PORTEUR_TOOL"));
  va_start (ap, first);
  for (const char *arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_URL", fx->sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_TRUST", fx->sim->root_pem, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fx->data_home, TRUE);
  g_subprocess_launcher_set_cwd (launcher, fx->work);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("porteur-tool exit %d\n%s\n%s", *status, out, err);
  return out;
}

#define run_tool(fx, status, ...) run_tool_input (fx, NULL, status, __VA_ARGS__)

/* An order driven to "validated" through the RA API and the admin command; returns its
 * enrollment (reference and one-time secret), as the holder would get them. */
static CaSimEnrollment *
validated_order (Fixture *fx)
{
  g_autofree char *form = g_build_filename (fx->data_home, "form.json", NULL);
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CaSimDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  CaSimEnrollment *enrollment;
  int status;

  g_assert_true (g_file_set_contents (form, dossier, -1, NULL));
  out = run_tool (fx, &status, "--json", "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 0);
  node = json_from_string (out, &error);
  g_assert_no_error (error);
  number = g_strdup (json_object_get_string_member (json_node_get_object (node), "number"));
  g_free (run_tool (fx, &status, "ca", "order", "submit", number, NULL));
  g_assert_cmpint (status, ==, 0);
  g_free (ca_sim_harness_admin (fx->sim, FALSE, "documents-received", number, NULL));
  g_free (ca_sim_harness_admin (fx->sim, FALSE, "validate", number, NULL));

  db = ca_sim_db_open (fx->sim->state_dir, &error);
  g_assert_no_error (error);
  enrollment = ca_sim_db_lookup_order_enrollment (db, number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (enrollment->status, ==, "validated");
  return enrollment;
}

static PorteurCmpClient *
make_client (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (fx->sim->root_pem, &error);
  PorteurCmpClient *client = porteur_cmp_client_new (fx->cmp_url, FALSE, &error);

  g_assert_no_error (error);
  porteur_cmp_client_set_tls_database (client, database);
  g_assert_true (porteur_cmp_client_set_trust_file (client, fx->sim->root_pem, &error));
  return client;
}

static PorteurOcspResult *
ocsp (Fixture *fx, X509 *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (fx->sim->root_pem, &error);
  g_autoptr(PorteurOcspClient) client = porteur_ocsp_client_new ();
  g_autoptr(X509) issuing = NULL;
  PorteurOcspResult *result;
  BIO *bio = BIO_new_file (fx->issuing_pem, "r");

  issuing = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  g_assert_nonnull (issuing);
  porteur_ocsp_client_set_tls_database (client, database);
  g_assert_true (porteur_ocsp_client_add_trust_file (client, fx->sim->root_pem, &error));
  /* the responder named in the certificate's AIA, over HTTPS */
  result = porteur_ocsp_client_check_sync (client, cert, issuing, NULL, NULL, &error);
  g_assert_no_error (error);
  return result;
}

static void
test_our_client (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autoptr(PorteurCmpClient) client = make_client (fx);
  g_autoptr(PorteurCmpRequest) ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(PorteurCmpRequest) again = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(PorteurCmpRequest) kur = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(PorteurCmpRequest) rr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_RR);
  g_autoptr(PorteurCmpResult) issued = NULL, renewed = NULL, revoked = NULL;
  g_autoptr(PorteurOcspResult) status = NULL;
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) key2 = EVP_EC_gen ("P-256");
  g_autoptr(GError) error = NULL;
  X509 *cert, *cert2;
  char name[256];

  /* IR with PBM: the order's reference and one-time secret */
  porteur_cmp_request_set_pbm (ir, enrollment->reference, enrollment->secret, strlen (enrollment->secret));
  porteur_cmp_request_set_new_key (ir, key);
  g_assert_true (porteur_cmp_request_set_subject (ir, "/CN=Anne Le Goff", NULL));
  issued = porteur_cmp_client_execute_sync (client, ir, NULL, &error);
  g_assert_no_error (error);
  cert = porteur_cmp_result_get_certificate (issued);
  g_assert_true (X509_check_private_key (cert, key));
  X509_NAME_oneline (X509_get_subject_name (cert), name, sizeof name);
  g_assert_nonnull (strstr (name, "Le Goff"));
  g_assert_cmpint (sk_X509_num (porteur_cmp_result_get_ca_certs (issued)), ==, 1);

  /* OCSP: good */
  status = ocsp (fx, cert);
  g_assert_cmpint (porteur_ocsp_result_get_status (status), ==, PORTEUR_CERT_STATUS_GOOD);
  g_clear_object (&status);

  /* the one-time secret cannot serve twice */
  porteur_cmp_request_set_pbm (again, enrollment->reference, enrollment->secret, strlen (enrollment->secret));
  porteur_cmp_request_set_new_key (again, key2);
  g_assert_true (porteur_cmp_request_set_subject (again, "/CN=Anne Le Goff", NULL));
  g_assert_null (porteur_cmp_client_execute_sync (client, again, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* KUR signed with the current certificate and key */
  porteur_cmp_request_set_signer (kur, cert, key);
  porteur_cmp_request_set_new_key (kur, key2);
  renewed = porteur_cmp_client_execute_sync (client, kur, NULL, &error);
  g_assert_no_error (error);
  cert2 = porteur_cmp_result_get_certificate (renewed);
  g_assert_true (X509_check_private_key (cert2, key2));
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (cert), X509_get_subject_name (cert2)), ==, 0);
  g_assert_cmpint (ASN1_INTEGER_cmp (X509_get0_serialNumber (cert), X509_get0_serialNumber (cert2)), !=, 0);

  /* RR of the renewed certificate, keyCompromise */
  porteur_cmp_request_set_signer (rr, cert2, key2);
  porteur_cmp_request_set_revocation_reason (rr, 1);
  revoked = porteur_cmp_client_execute_sync (client, rr, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_cmp_result_get_status (revoked), ==, 0);

  /* OCSP: revoked, with the reason asked */
  status = ocsp (fx, cert2);
  g_assert_cmpint (porteur_ocsp_result_get_status (status), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (porteur_ocsp_result_get_revocation_reason (status), ==, 1);
}

static void
test_wrong_secret (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autoptr(PorteurCmpClient) client = make_client (fx);
  g_autoptr(PorteurCmpRequest) ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GError) error = NULL;

  porteur_cmp_request_set_pbm (ir, enrollment->reference, "not-the-secret", 14);
  porteur_cmp_request_set_new_key (ir, key);
  g_assert_true (porteur_cmp_request_set_subject (ir, "/CN=Anne Le Goff", NULL));
  g_assert_null (porteur_cmp_client_execute_sync (client, ir, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_BAD_SECRET);
}

static void
openssl_cmp (Fixture *fx, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *common[] = { "openssl", "cmp", "-config", "", "-server", fx->cmp_url, "-tls_used",
                           "-tls_trusted", fx->sim->root_pem, NULL };

  for (guint i = 0; common[i]; i++)
    g_ptr_array_add (argv, (gpointer) common[i]);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  pki_run (fx->work, (const char *const *) argv->pdata);
}

static void
test_openssl_client (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autofree char *secret_file = g_build_filename (fx->work, "secret", NULL);
  g_autofree char *secret_arg = g_strconcat ("file:", secret_file, NULL);
  g_autofree char *issued_path = g_build_filename (fx->work, "ir.pem", NULL);
  g_autoptr(X509) issued = NULL, renewed = NULL;
  g_autoptr(PorteurOcspResult) status = NULL;
  const char *genkey[] = { "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k1.pem", NULL };
  const char *genkey2[] = { "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k2.pem", NULL };

  g_assert_true (g_file_set_contents (secret_file, enrollment->secret, -1, NULL));
  pki_run (fx->work, genkey);
  pki_run (fx->work, genkey2);
  {
    const char *ir[] = { "-cmd", "ir", "-ref", enrollment->reference, "-secret", secret_arg, "-newkey", "k1.pem",
                         "-subject", "/CN=Anne Le Goff", "-certout", "ir.pem", NULL };
    openssl_cmp (fx, ir);
  }
  issued = pki_load_cert (fx->work, "ir");
  {
    const char *kur[] = { "-cmd", "kur", "-cert", "ir.pem", "-key", "k1.pem", "-trusted", fx->sim->root_pem,
                          "-untrusted", fx->issuing_pem, "-newkey", "k2.pem", "-certout", "kur.pem", NULL };
    openssl_cmp (fx, kur);
  }
  renewed = pki_load_cert (fx->work, "kur");
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (issued), X509_get_subject_name (renewed)), ==, 0);
  {
    const char *rr[] = { "-cmd", "rr", "-cert", "kur.pem", "-key", "k2.pem", "-trusted", fx->sim->root_pem,
                         "-untrusted", fx->issuing_pem, "-oldcert", "kur.pem", "-revreason", "4", NULL };
    openssl_cmp (fx, rr);
  }
  status = ocsp (fx, renewed);
  g_assert_cmpint (porteur_ocsp_result_get_status (status), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (porteur_ocsp_result_get_revocation_reason (status), ==, 4);
  g_clear_object (&status);
  status = ocsp (fx, issued);
  g_assert_cmpint (porteur_ocsp_result_get_status (status), ==, PORTEUR_CERT_STATUS_GOOD);
}

static void
test_tool_cycle (Fixture *fx, gconstpointer data)
{
  /* porteur-tool alone: IR → OCSP good → KUR → RR → OCSP revoked (and the CRL agrees) */
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autofree char *secret = g_strconcat (enrollment->secret, "\n", NULL);
  g_autofree char *out = NULL;
  int status;

  out = run_tool_input (fx, secret, &status, "--json", "ca", "cmp", "ir", "--reference", enrollment->reference,
                        "--secret-fd", "0", "--subject", "/CN=Anne Le Goff", "--newkey-out", "k1.pem",
                        "--certout", "c1.pem", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Le Goff"));
  g_free (out);
  out = run_tool (fx, &status, "ca", "ocsp", "c1.pem", NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = run_tool (fx, &status, "ca", "cmp", "kur", "--cert", "c1.pem", "--key", "k1.pem", "--newkey-out", "k2.pem",
                  "--certout", "c2.pem", NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = run_tool (fx, &status, "ca", "cmp", "rr", "--cert", "c2.pem", "--key", "k2.pem", "--reason", "keyCompromise", NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = run_tool (fx, &status, "--json", "ca", "ocsp", "c2.pem", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "\"status\" : \"revoked\""));
  g_assert_nonnull (strstr (out, "keyCompromise"));
  g_free (out);
  out = run_tool (fx, &status, "--json", "ca", "crl", "c2.pem", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (out, "\"status\" : \"revoked\""));
  g_free (out);
  out = run_tool (fx, &status, "ca", "crl", "c1.pem", NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  /* a second RR of the same certificate is refused: exit 1 */
  out = run_tool (fx, &status, "ca", "cmp", "rr", "--cert", "c1.pem", "--key", "k1.pem", "--oldcert", "c2.pem", NULL);
  g_assert_cmpint (status, ==, 1);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cmp-sim/our-client", Fixture, NULL, fixture_setup, test_our_client, fixture_teardown);
  g_test_add ("/cmp-sim/wrong-secret", Fixture, NULL, fixture_setup, test_wrong_secret, fixture_teardown);
  g_test_add ("/cmp-sim/openssl-client", Fixture, NULL, fixture_setup, test_openssl_client, fixture_teardown);
  g_test_add ("/cmp-sim/tool-cycle", Fixture, NULL, fixture_setup, test_tool_cycle, fixture_teardown);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  return status;
}
