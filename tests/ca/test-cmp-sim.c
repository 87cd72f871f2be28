/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "ca-sim-db.h"
#include "ca-test-util.h"
#include "ca/porteur-ca-config.h"
#include "ca/porteur-pki-http.h"

/* The simulator's CMP endpoint (tests/ca-sim/ca-sim-cmp.c) cross-checked from both sides:
 * OpenSSL's own `openssl cmp` client does IR, KUR and RR against it, and our client does
 * IR → OCSP good → KUR → RR → OCSP revoked, over HTTPS on loopback. The /cmp-sim/poll/ tests
 * start the IR right after submission, with the reference and secret the RA API gives then:
 * the simulator answers "waiting" until the registration office validates (admin command, or
 * its validation delay of a few seconds), and both clients poll. */

typedef CaTest Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  /* by default a long delay: the order is validated by the admin command only, never by the
   * clock; the polling tests give a short one */
  ca_test_set_up (fx, data ? GPOINTER_TO_UINT (data) : 3600);
  json_object_set_string_member (fx->dossier, "requester_role", "legal-representative");
}

#define run_tool(fx, status, ...) ca_test_tool (fx, NULL, status, NULL, __VA_ARGS__)

/* An order driven to "validated" through the RA API and the admin command; returns its
 * enrollment (reference and one-time secret), as the holder would get them. */
static CaSimEnrollment *
validated_order (Fixture *fx)
{
  g_autofree char *form = ca_test_write_form (fx);
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CaSimDb) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *number = NULL;
  CaSimEnrollment *enrollment;
  int status;

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

static void
test_our_client (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autoptr(PorteurCmpClient) client = ca_test_cmp_client (fx);
  g_autoptr(PorteurCmpRequest) ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(PorteurCmpRequest) again = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(PorteurCmpRequest) kur = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(PorteurCmpRequest) rr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_RR);
  g_autoptr(PorteurCmpResult) issued = NULL, renewed = NULL, revoked = NULL;
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

  /* OCSP (and the CRL): good */
  ca_test_assert_good (fx, cert);

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

  /* OCSP (and the CRL): revoked, with the reason asked */
  ca_test_assert_revoked (fx, cert2, 1);
}

static void
test_wrong_secret (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autoptr(PorteurCmpClient) client = ca_test_cmp_client (fx);
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
  pki_run (fx->dir, (const char *const *) argv->pdata);
}

static void
test_openssl_client (Fixture *fx, gconstpointer data)
{
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autofree char *secret_file = g_build_filename (fx->dir, "secret", NULL);
  g_autofree char *secret_arg = g_strconcat ("file:", secret_file, NULL);
  g_autoptr(X509) issued = NULL, renewed = NULL;
  const char *genkey[] = { "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k1.pem", NULL };
  const char *genkey2[] = { "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k2.pem", NULL };

  g_assert_true (g_file_set_contents (secret_file, enrollment->secret, -1, NULL));
  pki_run (fx->dir, genkey);
  pki_run (fx->dir, genkey2);
  {
    const char *ir[] = { "-cmd", "ir", "-ref", enrollment->reference, "-secret", secret_arg, "-newkey", "k1.pem",
                         "-subject", "/CN=Anne Le Goff", "-certout", "ir.pem", NULL };
    openssl_cmp (fx, ir);
  }
  issued = pki_load_cert (fx->dir, "ir");
  {
    const char *kur[] = { "-cmd", "kur", "-cert", "ir.pem", "-key", "k1.pem", "-trusted", fx->sim->root_pem,
                          "-untrusted", fx->issuing_pem, "-newkey", "k2.pem", "-certout", "kur.pem", NULL };
    openssl_cmp (fx, kur);
  }
  renewed = pki_load_cert (fx->dir, "kur");
  g_assert_cmpint (X509_NAME_cmp (X509_get_subject_name (issued), X509_get_subject_name (renewed)), ==, 0);
  {
    const char *rr[] = { "-cmd", "rr", "-cert", "kur.pem", "-key", "k2.pem", "-trusted", fx->sim->root_pem,
                         "-untrusted", fx->issuing_pem, "-oldcert", "kur.pem", "-revreason", "4", NULL };
    openssl_cmp (fx, rr);
  }
  ca_test_assert_revoked (fx, renewed, 4);
  ca_test_assert_good (fx, issued);
}

static void
test_tool_cycle (Fixture *fx, gconstpointer data)
{
  /* porteur-tool alone: IR → OCSP good → KUR → RR → OCSP revoked (and the CRL agrees) */
  g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
  g_autofree char *secret = g_strconcat (enrollment->secret, "\n", NULL);
  g_autofree char *out = NULL;
  int status;

  out = ca_test_tool (fx, secret, &status, NULL, "--json", "ca", "cmp", "ir", "--reference", enrollment->reference,
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

/* ---- polling: the IR starts before the registration office validates ---- */

typedef struct
{
  char *number;
  char *reference;
  char *secret;
} Submitted;

static void
submitted_free (Submitted *sub)
{
  g_free (sub->number);
  g_free (sub->reference);
  if (sub->secret)
    OPENSSL_cleanse (sub->secret, strlen (sub->secret));
  g_free (sub->secret);
  g_free (sub);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Submitted, submitted_free)

/* An order created and submitted through the RA API, with the enrollment the API gives
 * right after submission (the secret once), as the holder's application gets it. */
static Submitted *
submitted_order (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autofree char *submit_key = porteur_ca_new_idempotency_key ();
  g_autoptr(PorteurCaOrder) order = NULL, submitted = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment = NULL, again = NULL;
  Submitted *sub = g_new0 (Submitted, 1);
  const char *token;

  order = ca_test_create_order (fx, fx->dossier, key, &error);
  g_assert_no_error (error);
  sub->number = g_strdup (porteur_ca_order_get_number (order));
  token = porteur_ca_order_get_access_token (order);
  submitted = CA_CALL (porteur_ca_client_submit_order_finish, fx->client, &error,
                       porteur_ca_client_submit_order_async (fx->client, sub->number, token, submit_key, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (submitted), ==, PORTEUR_CA_ORDER_STATUS_WAITING_DOCUMENTS);
  enrollment = ca_test_enrollment (fx, order);
  sub->reference = g_strdup (porteur_ca_enrollment_get_reference (enrollment));
  sub->secret = g_strdup (porteur_ca_enrollment_get_secret (enrollment));
  /* shown once */
  again = CA_CALL (porteur_ca_client_get_enrollment_finish, fx->client, &error,
                   porteur_ca_client_get_enrollment_async (fx->client, sub->number, token, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_null (porteur_ca_enrollment_get_secret (again));
  return sub;
}

static char *
order_status (Fixture *fx, const char *number)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimDb) db = ca_sim_db_open (fx->sim->state_dir, &error);
  g_autoptr(CaSimOrder) order = NULL;

  g_assert_no_error (error);
  order = ca_sim_db_get_order (db, number, &error);
  g_assert_no_error (error);
  return g_strdup (order->status);
}

typedef enum { ON_WAIT_VALIDATE, ON_WAIT_DOCUMENTS, ON_WAIT_CANCEL, ON_WAIT_REJECT } OnWait;

typedef struct
{
  Fixture      *fx;
  const char   *number;
  OnWait        action;
  GCancellable *cancellable;
  guint         n_waiting;
  guint         min_check_after;
  guint         max_check_after;
  gint64        cancelled_at;
} Polling;

static void
on_waiting (PorteurCmpClient *client, guint check_after, Polling *polling)
{
  g_test_message ("waiting: check again in %u s", check_after);
  polling->min_check_after = MIN (polling->min_check_after, check_after);
  polling->max_check_after = MAX (polling->max_check_after, check_after);
  if (polling->n_waiting++ > 0)
    return;
  /* the registration office acts while the client polls */
  switch (polling->action)
    {
    case ON_WAIT_VALIDATE:
      g_free (ca_sim_harness_admin (polling->fx->sim, FALSE, "documents-received", polling->number, NULL));
      g_free (ca_sim_harness_admin (polling->fx->sim, FALSE, "validate", polling->number, NULL));
      break;
    case ON_WAIT_DOCUMENTS:
      g_free (ca_sim_harness_admin (polling->fx->sim, FALSE, "documents-received", polling->number, NULL));
      break;
    case ON_WAIT_CANCEL:
      polling->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (polling->cancellable);
      break;
    case ON_WAIT_REJECT:
      g_free (ca_sim_harness_admin (polling->fx->sim, FALSE, "reject", polling->number,
                                    "The holder's identity document has expired", NULL));
      break;
    }
}

static PorteurCmpResult *
poll_ir (Fixture *fx, Submitted *sub, OnWait action, Polling *polling, EVP_PKEY *key, GError **error)
{
  g_autoptr(PorteurCmpClient) client = ca_test_cmp_client (fx);
  g_autoptr(PorteurCmpRequest) ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  GAsyncResult *result = NULL;
  PorteurCmpResult *issued;

  polling->fx = fx;
  polling->number = sub->number;
  polling->action = action;
  polling->min_check_after = G_MAXUINT;
  porteur_cmp_request_set_pbm (ir, sub->reference, sub->secret, strlen (sub->secret));
  porteur_cmp_request_set_new_key (ir, key);
  g_assert_true (porteur_cmp_request_set_subject (ir, "/CN=Anne Le Goff", NULL));
  g_signal_connect (client, "waiting", G_CALLBACK (on_waiting), polling);
  porteur_cmp_client_execute_async (client, ir, polling->cancellable, ca_test_on_done, &result);
  issued = porteur_cmp_client_execute_finish (client, ca_test_await (&result), error);
  g_object_unref (result);
  return issued;
}

static void
assert_issued (PorteurCmpResult *issued, EVP_PKEY *key)
{
  X509 *cert = porteur_cmp_result_get_certificate (issued);
  char name[256];

  g_assert_nonnull (cert);
  g_assert_true (X509_check_private_key (cert, key));
  X509_NAME_oneline (X509_get_subject_name (cert), name, sizeof name);
  g_assert_nonnull (strstr (name, "Le Goff"));
}

static void
test_poll_validate (Fixture *fx, gconstpointer data)
{
  /* IR while the documents are awaited; the office validates during the first wait */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(PorteurCmpResult) issued = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  Polling polling = { 0 };

  issued = poll_ir (fx, sub, ON_WAIT_VALIDATE, &polling, key, &error);
  g_assert_no_error (error);
  assert_issued (issued, key);
  /* the check-after comes from the validation delay (2 s) */
  g_assert_cmpuint (polling.n_waiting, >=, 1);
  g_assert_cmpuint (polling.min_check_after, >=, 1);
  g_assert_cmpuint (polling.max_check_after, <=, 2);
  g_assert_cmpuint (porteur_cmp_result_get_n_polls (issued), >=, 2);
  status = order_status (fx, sub->number);
  g_assert_cmpstr (status, ==, "issued");
}

static void
test_poll_delay (Fixture *fx, gconstpointer data)
{
  /* the office only receives the documents: the validation delay (2 s) validates */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(PorteurCmpResult) issued = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  Polling polling = { 0 };

  issued = poll_ir (fx, sub, ON_WAIT_DOCUMENTS, &polling, key, &error);
  g_assert_no_error (error);
  assert_issued (issued, key);
  g_assert_cmpuint (polling.n_waiting, >=, 1);
  g_assert_cmpuint (polling.max_check_after, <=, 2);
  status = order_status (fx, sub->number);
  g_assert_cmpstr (status, ==, "issued");
}

static void
test_poll_cancel (Fixture *fx, gconstpointer data)
{
  /* cancelled during the first wait (30 s, the validation delay): the wait ends at once,
   * nothing is issued, and the same enrollment still serves once the order is validated */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(PorteurCmpResult) issued = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  Polling polling = { .cancellable = cancellable };
  Polling again = { 0 };

  issued = poll_ir (fx, sub, ON_WAIT_CANCEL, &polling, key, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (issued);
  g_assert_cmpuint (polling.n_waiting, ==, 1);
  g_assert_cmpuint (polling.max_check_after, ==, 30);
  g_assert_cmpint (g_get_monotonic_time () - polling.cancelled_at, <, 10 * G_USEC_PER_SEC);
  status = order_status (fx, sub->number);
  g_assert_cmpstr (status, ==, "waiting-documents");
  g_clear_error (&error);

  g_free (ca_sim_harness_admin (fx->sim, FALSE, "documents-received", sub->number, NULL));
  g_free (ca_sim_harness_admin (fx->sim, FALSE, "validate", sub->number, NULL));
  issued = poll_ir (fx, sub, ON_WAIT_CANCEL, &again, key, &error);
  g_assert_no_error (error);
  assert_issued (issued, key);
  g_assert_cmpuint (again.n_waiting, ==, 0);
}

static void
test_poll_rejected (Fixture *fx, gconstpointer data)
{
  /* the office rejects the order while the client polls: a rejection with its reason */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(PorteurCmpResult) issued = NULL;
  g_autoptr(GError) error = NULL;
  Polling polling = { 0 };

  issued = poll_ir (fx, sub, ON_WAIT_REJECT, &polling, key, &error);
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED);
  g_assert_null (issued);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "rejected the order: The holder's identity document has expired"));
}

/* A process with pipes for stdin and stdout, its stderr written to @err_path. */
static GSubprocess *
spawn_logged (Fixture *fx, const char *err_path, const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ca_test_tool_launcher (fx, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

/* Waits (at most 30 s) until @path contains @text. */
static void
wait_for_text (const char *path, const char *text)
{
  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, text))
        return;
      g_usleep (50 * 1000);
    }
  {
    g_autofree char *contents = NULL;

    g_file_get_contents (path, &contents, NULL, NULL);
    g_error ("“%s” never appeared in %s:\n%s", text, path, contents ? contents : "");
  }
}

static char *
finish_process (GSubprocess *process, const char *input, int *status)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_subprocess_communicate_utf8 (process, input, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  return out;
}

static void
test_poll_tool (Fixture *fx, gconstpointer data)
{
  /* porteur-tool ca cmp ir polls, reporting each wait, until the validation delay passes;
   * then a second order's IR is interrupted (SIGINT) while it waits */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autoptr(Submitted) sub2 = submitted_order (fx);
  g_autofree char *err_path = g_build_filename (fx->dir, "tool.err", NULL);
  g_autofree char *err2_path = g_build_filename (fx->dir, "tool2.err", NULL);
  g_autofree char *secret = g_strconcat (sub->secret, "\n", NULL);
  g_autofree char *secret2 = g_strconcat (sub2->secret, "\n", NULL);
  g_autofree char *out = NULL, *err = NULL, *status_text = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  const char *argv[] = { g_getenv ("PORTEUR_TOOL"), "--json", "ca", "cmp", "ir", "--reference", sub->reference,
                         "--secret-fd", "0", "--subject", "/CN=Anne Le Goff", "--newkey-out", "k1.pem",
                         "--certout", "c1.pem", NULL };
  const char *argv2[] = { g_getenv ("PORTEUR_TOOL"), "ca", "cmp", "ir", "--reference", sub2->reference,
                          "--secret-fd", "0", "--subject", "/CN=Anne Le Goff", "--newkey-out", "k2.pem", NULL };

  process = spawn_logged (fx, err_path, argv);
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), secret, strlen (secret),
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  wait_for_text (err_path, "Waiting for the registration office; asking again in 2 s");
  g_free (ca_sim_harness_admin (fx->sim, FALSE, "documents-received", sub->number, NULL));
  out = finish_process (process, NULL, &status);
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  g_test_message ("porteur-tool exit %d\n%s\n%s", status, out, err);
  g_assert_cmpint (status, ==, 0);
  node = json_from_string (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "polls"), >=, 2);
  g_assert_nonnull (strstr (out, "Le Goff"));
  status_text = order_status (fx, sub->number);
  g_assert_cmpstr (status_text, ==, "issued");
  g_clear_object (&process);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&status_text, g_free);

  /* Ctrl-C while waiting: the tool tells the CA, says so, exits 2; the order still waits */
  process = spawn_logged (fx, err2_path, argv2);
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), secret2, strlen (secret2),
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  wait_for_text (err2_path, "Waiting for the registration office");
  g_subprocess_send_signal (process, SIGINT);
  out = finish_process (process, NULL, &status);
  g_assert_true (g_file_get_contents (err2_path, &err, NULL, NULL));
  g_test_message ("porteur-tool exit %d\n%s\n%s", status, out, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "Cancelled"));
  status_text = order_status (fx, sub2->number);
  g_assert_cmpstr (status_text, ==, "waiting-documents");
}

static void
test_poll_openssl (Fixture *fx, gconstpointer data)
{
  /* OpenSSL's own client polls against the simulator until the validation delay passes */
  g_autoptr(Submitted) sub = submitted_order (fx);
  g_autofree char *secret_file = g_build_filename (fx->dir, "secret", NULL);
  g_autofree char *secret_arg = g_strconcat ("file:", secret_file, NULL);
  g_autofree char *err_path = g_build_filename (fx->dir, "openssl.err", NULL);
  g_autofree char *out = NULL, *err = NULL, *status_text = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(X509) issued = NULL;
  const char *genkey[] = { "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k1.pem", NULL };
  const char *argv[] = { "openssl", "cmp", "-config", "", "-server", fx->cmp_url, "-tls_used",
                         "-tls_trusted", fx->sim->root_pem, "-cmd", "ir", "-ref", sub->reference,
                         "-secret", secret_arg, "-newkey", "k1.pem", "-subject", "/CN=Anne Le Goff",
                         "-certout", "ir.pem", "-total_timeout", "60", NULL };
  int status;

  g_assert_true (g_file_set_contents (secret_file, sub->secret, -1, NULL));
  pki_run (fx->dir, genkey);
  /* (openssl logs to stdout, buffered when it is not a terminal: the office receives the
   * documents first, and the IR, sent well within the validation delay of 10 s, waits for
   * its end; a loaded sanitizer run once took more than 2 s to deliver it) */
  g_free (ca_sim_harness_admin (fx->sim, FALSE, "documents-received", sub->number, NULL));
  process = spawn_logged (fx, err_path, argv);
  out = finish_process (process, NULL, &status);
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  g_test_message ("openssl cmp exit %d\n%s\n%s", status, out, err);
  g_assert_cmpint (status, ==, 0);
  /* waiting, then polled (one or more pollReq, the last answered with the certificate) */
  g_assert_nonnull (strstr (out, "received 'waiting' PKIStatus"));
  g_assert_nonnull (strstr (out, "sending POLLREQ"));
  g_assert_nonnull (strstr (out, "received ip/cp/kup after polling"));
  issued = pki_load_cert (fx->dir, "ir");
  g_assert_nonnull (issued);
  status_text = order_status (fx, sub->number);
  g_assert_cmpstr (status_text, ==, "issued");
}

static void
test_pinned_default_trust (Fixture *fx, gconstpointer data)
{
  /* porteur_pki_http_pin_default_trust (): a client without its own TLS database verifies
   * the server against the pinned default, never less (run in a child: process-wide) */
  if (g_test_subprocess ())
    {
      g_autoptr(CaSimEnrollment) enrollment = validated_order (fx);
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) wrong = porteur_ca_config_load_trust (fx->issuing_pem, &error);
      g_autoptr(GTlsDatabase) right = porteur_ca_config_load_trust (fx->sim->root_pem, &error);
      g_autoptr(PorteurCmpClient) client = porteur_cmp_client_new (fx->cmp_url, FALSE, &error);
      g_autoptr(PorteurCmpRequest) ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
      g_autoptr(PorteurCmpRequest) ir2 = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
      g_autoptr(PorteurCmpResult) issued = NULL;
      g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");

      g_assert_no_error (error);
      g_assert_true (porteur_cmp_client_set_trust_file (client, fx->sim->root_pem, &error));
      /* the simulator's TLS certificate is issued by its root, not by the issuing CA */
      porteur_pki_http_pin_default_trust (wrong);
      porteur_cmp_request_set_pbm (ir, enrollment->reference, enrollment->secret, strlen (enrollment->secret));
      porteur_cmp_request_set_new_key (ir, key);
      g_assert_true (porteur_cmp_request_set_subject (ir, "/CN=Anne Le Goff", NULL));
      g_assert_null (porteur_cmp_client_execute_sync (client, ir, NULL, &error));
      g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_TRANSPORT);
      g_clear_error (&error);
      porteur_pki_http_pin_default_trust (right);
      g_assert_true (g_tls_backend_get_default_database (g_tls_backend_get_default ()) == right);
      g_object_unref (right);  /* the reference get_default_database () gave */
      porteur_cmp_request_set_pbm (ir2, enrollment->reference, enrollment->secret, strlen (enrollment->secret));
      porteur_cmp_request_set_new_key (ir2, key);
      g_assert_true (porteur_cmp_request_set_subject (ir2, "/CN=Anne Le Goff", NULL));
      issued = porteur_cmp_client_execute_sync (client, ir2, NULL, &error);
      g_assert_no_error (error);
      assert_issued (issued, key);
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cmp-sim/our-client", Fixture, NULL, fixture_setup, test_our_client, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/wrong-secret", Fixture, NULL, fixture_setup, test_wrong_secret, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/openssl-client", Fixture, NULL, fixture_setup, test_openssl_client, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/tool-cycle", Fixture, NULL, fixture_setup, test_tool_cycle, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/pinned-default-trust", Fixture, NULL, fixture_setup, test_pinned_default_trust, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/validate", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_poll_validate, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/validation-delay", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_poll_delay, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/cancel", Fixture, GUINT_TO_POINTER (30), fixture_setup, test_poll_cancel, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/rejected", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_poll_rejected, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/tool", Fixture, GUINT_TO_POINTER (2), fixture_setup, test_poll_tool, ca_test_fixture_tear_down);
  g_test_add ("/cmp-sim/poll/openssl-client", Fixture, GUINT_TO_POINTER (10), fixture_setup, test_poll_openssl, ca_test_fixture_tear_down);
  return ca_test_run ();
}
