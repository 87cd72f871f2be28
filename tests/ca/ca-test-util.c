/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca-test-util.h"

#include <string.h>

#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/pem.h>

#include "ca/porteur-ca-config.h"
#include "ca/porteur-crl.h"

/* --- the fixture ------------------------------------------------------------------- */

void
ca_test_set_up (CaTest *t,
                guint   validation_delay)
{
  g_autoptr(GError) error = NULL;

  t->sim = ca_sim_harness_start (validation_delay);
  t->client = porteur_ca_client_new (t->sim->url, t->sim->root_pem, FALSE, &error);
  g_assert_no_error (error);
  porteur_ca_client_set_retry_delay (t->client, 50);
  t->dossier = ca_test_dossier_new ();
  t->dir = g_build_filename (t->sim->state_dir, "test", NULL);
  t->data_home = g_build_filename (t->sim->state_dir, "tool-data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (t->dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (t->data_home, 0700), ==, 0);
  t->issuing_pem = g_build_filename (t->sim->state_dir, "pki", "issuing.pem", NULL);
  t->cmp_url = g_strconcat (t->sim->url, "/pkix/", NULL);
}

void
ca_test_tear_down (CaTest *t)
{
  g_assert_finalize_object (t->client);
  ca_sim_harness_stop (t->sim);
  json_object_unref (t->dossier);
  g_free (t->dir);
  g_free (t->data_home);
  g_free (t->issuing_pem);
  g_free (t->cmp_url);
}

void
ca_test_fixture_set_up (CaTest        *t,
                        gconstpointer  delay)
{
  ca_test_set_up (t, GPOINTER_TO_UINT (delay));
}

void
ca_test_fixture_tear_down (CaTest        *t,
                           gconstpointer  delay)
{
  ca_test_tear_down (t);
}

int
ca_test_run (void)
{
  int status = g_test_run ();

  ca_sim_harness_cleanup ();
  return status;
}

/* --- async calls ------------------------------------------------------------------- */

void
ca_test_on_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
ca_test_await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* --- orders ------------------------------------------------------------------------ */

static const char dossier_json[] =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

JsonObject *
ca_test_dossier_new (void)
{
  g_autoptr(JsonNode) node = ca_test_json (dossier_json);

  return json_object_ref (json_node_get_object (node));
}

char *
ca_test_write_form (CaTest *t)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), t->dossier);
  g_autofree char *text = json_to_string (node, FALSE);
  char *path = g_build_filename (t->dir, "form.json", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

PorteurCaOrder *
ca_test_create_order (CaTest      *t,
                      JsonObject  *dossier,
                      const char  *idempotency_key,
                      GError     **error)
{
  return CA_CALL (porteur_ca_client_create_order_finish, t->client, error,
                  porteur_ca_client_create_order_async (t->client, dossier, idempotency_key, CA_ASYNC_ARGS));
}

PorteurCaOrder *
ca_test_get_order (CaTest      *t,
                   const char  *number,
                   const char  *access_token,
                   GError     **error)
{
  return CA_CALL (porteur_ca_client_get_order_finish, t->client, error,
                  porteur_ca_client_get_order_async (t->client, number, access_token, CA_ASYNC_ARGS));
}

GListModel *
ca_test_get_slots (CaTest          *t,
                   PorteurCaOrder  *order,
                   GDateTime       *from,
                   GDateTime       *to,
                   GError         **error)
{
  return CA_CALL (porteur_ca_client_get_appointment_slots_finish, t->client, error,
                  porteur_ca_client_get_appointment_slots_async (t->client, porteur_ca_order_get_number (order),
                                                                 porteur_ca_order_get_access_token (order), from, to,
                                                                 CA_ASYNC_ARGS));
}

PorteurCaOrder *
ca_test_book (CaTest          *t,
              PorteurCaOrder  *order,
              const char      *slot,
              const char      *idempotency_key,
              GError         **error)
{
  return CA_CALL (porteur_ca_client_book_appointment_finish, t->client, error,
                  porteur_ca_client_book_appointment_async (t->client, porteur_ca_order_get_number (order),
                                                            porteur_ca_order_get_access_token (order), slot,
                                                            idempotency_key, CA_ASYNC_ARGS));
}

gboolean
ca_test_set_answers (CaTest                        *t,
                     PorteurCaOrder                *order,
                     const PorteurCaSecurityAnswer *answers,
                     guint                          n_answers,
                     GError                       **error)
{
  return GPOINTER_TO_SIZE (CA_CALL (porteur_ca_client_set_security_answers_finish, t->client, error,
                                    porteur_ca_client_set_security_answers_async (t->client, porteur_ca_order_get_number (order),
                                                                                  porteur_ca_order_get_access_token (order),
                                                                                  answers, n_answers, NULL, CA_ASYNC_ARGS)));
}

PorteurCaOrder *
ca_test_validated_order (CaTest *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autoptr(PorteurCaOrder) submitted = NULL;
  g_autoptr(PorteurCaOrder) now = NULL;
  g_autofree char *out = NULL;
  const char *number, *token;

  order = ca_test_create_order (t, t->dossier, NULL, &error);
  g_assert_no_error (error);
  number = porteur_ca_order_get_number (order);
  token = porteur_ca_order_get_access_token (order);
  submitted = CA_CALL (porteur_ca_client_submit_order_finish, t->client, &error,
                       porteur_ca_client_submit_order_async (t->client, number, token, NULL, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  out = ca_sim_harness_admin (t->sim, FALSE, "documents-received", number, NULL);
  now = ca_test_get_order (t, number, token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (now), ==, PORTEUR_CA_ORDER_STATUS_VALIDATED);
  return g_steal_pointer (&order);
}

PorteurCaEnrollment *
ca_test_enrollment (CaTest         *t,
                    PorteurCaOrder *order)
{
  g_autoptr(GError) error = NULL;
  PorteurCaEnrollment *enrollment;

  enrollment = CA_CALL (porteur_ca_client_get_enrollment_finish, t->client, &error,
                        porteur_ca_client_get_enrollment_async (t->client, porteur_ca_order_get_number (order),
                                                                porteur_ca_order_get_access_token (order), CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_nonnull (porteur_ca_enrollment_get_secret (enrollment));
  return enrollment;
}

char *
ca_test_revocation_nonce (CaTest *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationNonce) nonce =
    CA_CALL (porteur_ca_client_get_revocation_nonce_finish, t->client, &error,
             porteur_ca_client_get_revocation_nonce_async (t->client, NULL, CA_ASYNC_ARGS));

  g_assert_no_error (error);
  g_assert_nonnull (porteur_ca_revocation_nonce_get_expires (nonce));
  return g_strdup (porteur_ca_revocation_nonce_get_nonce (nonce));
}

PorteurCaRevocationRequest *
ca_test_request_revocation (CaTest                         *t,
                            const char                     *serial,
                            const char                     *reason,
                            const PorteurCaRevocationProof *proof,
                            const char                     *idempotency_key,
                            GError                        **error)
{
  return CA_CALL (porteur_ca_client_request_revocation_finish, t->client, error,
                  porteur_ca_client_request_revocation_async (t->client, serial, reason, proof, idempotency_key,
                                                              CA_ASYNC_ARGS));
}

const PorteurCaSecurityAnswer ca_test_holder_answers[2] = {
  { "first-school", "École Jules-Ferry" },
  { "first-pet", "Pikou" },
};

void
ca_test_holder_clear (CaTestHolder *h)
{
  g_clear_object (&h->order);
  g_clear_pointer (&h->serial, g_free);
  g_clear_pointer (&h->cert_pem, g_free);
  g_clear_pointer (&h->key_pem, g_free);
  g_clear_pointer (&h->cert, X509_free);
  g_clear_pointer (&h->key, EVP_PKEY_free);
}

void
ca_test_issue (CaTest         *t,
               PorteurCaOrder *order,
               const char     *name,
               CaTestHolder   *h)
{
  g_autofree char *prefix = g_build_filename (t->dir, name, NULL);

  h->order = g_object_ref (order);
  h->serial = ca_sim_harness_admin (t->sim, FALSE, "issue", porteur_ca_order_get_number (order), prefix, NULL);
  g_assert_cmpuint (strlen (h->serial), >, 0);
  h->cert_pem = g_strconcat (prefix, ".pem", NULL);
  h->key_pem = g_strconcat (prefix, ".key", NULL);
  h->cert = pki_read_cert (h->cert_pem);
  h->key = pki_read_key (h->key_pem);
}

void
ca_test_issued_order (CaTest                        *t,
                      const char                    *name,
                      const PorteurCaSecurityAnswer *answers,
                      CaTestHolder                  *h)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (t);
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(PorteurCaOrder) booked = NULL;
  g_autofree char *out = NULL;

  slots = ca_test_get_slots (t, order, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (slots), >, 0);
  /* the slots offered are free (another holder's booked one is not offered) */
  slot = g_list_model_get_item (slots, 0);
  booked = ca_test_book (t, order, porteur_ca_appointment_slot_get_id (slot), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ca_test_set_answers (t, order, answers, 2, &error));
  g_assert_no_error (error);
  out = ca_sim_harness_admin (t->sim, FALSE, "deliver", porteur_ca_order_get_number (order), NULL);
  ca_test_issue (t, order, name, h);
}

/* --- certificates ------------------------------------------------------------------ */

void
ca_test_write_cert (X509       *cert,
                    const char *path)
{
  BIO *bio = BIO_new_file (path, "w");

  g_assert_nonnull (bio);
  g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);
  BIO_free (bio);
}

char *
ca_test_serial_of (X509 *cert)
{
  BIGNUM *bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  char *hex = BN_bn2hex (bn);
  char *out = g_strdup (hex);

  OPENSSL_free (hex);
  BN_free (bn);
  return out;
}

X509 *
ca_test_issue_for_key (CaTest     *t,
                       EVP_PKEY   *key,
                       const char *name,
                       char      **serial)
{
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (t);
  g_autofree char *prefix = g_build_filename (t->dir, name, NULL);
  g_autofree char *pub_path = g_strconcat (prefix, ".pub", NULL);
  g_autofree char *cert_path = g_strconcat (prefix, ".pem", NULL);
  g_autofree char *key_path = g_strconcat (prefix, ".key", NULL);
  BIO *bio = BIO_new_file (pub_path, "w");
  char *out;

  g_assert_nonnull (bio);
  g_assert_cmpint (PEM_write_bio_PUBKEY (bio, key), ==, 1);
  BIO_free (bio);
  out = ca_sim_harness_admin (t->sim, FALSE, "issue-for-key", porteur_ca_order_get_number (order), pub_path, prefix, NULL);
  g_assert_cmpuint (strlen (out), >, 0);
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));   /* no private key from the CA */
  if (serial)
    *serial = out;
  else
    g_free (out);
  return pki_read_cert (cert_path);
}

PorteurCmpClient *
ca_test_cmp_client (CaTest *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (t->sim->root_pem, &error);
  PorteurCmpClient *client;

  g_assert_no_error (error);
  client = porteur_cmp_client_new (t->cmp_url, FALSE, &error);
  g_assert_no_error (error);
  porteur_cmp_client_set_tls_database (client, database);
  g_assert_true (porteur_cmp_client_set_trust_file (client, t->sim->root_pem, &error));
  return client;
}

X509 *
ca_test_certify_request (CaTest   *t,
                         X509_REQ *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (t);
  g_autoptr(PorteurCaEnrollment) enrollment = ca_test_enrollment (t, order);
  g_autoptr(PorteurCmpClient) cmp = ca_test_cmp_client (t);
  g_autoptr(PorteurCmpRequest) p10cr = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_P10CR);
  g_autoptr(PorteurCmpResult) result = NULL;
  const char *secret = porteur_ca_enrollment_get_secret (enrollment);

  porteur_cmp_request_set_pbm (p10cr, porteur_ca_enrollment_get_reference (enrollment), secret, strlen (secret));
  porteur_cmp_request_set_csr (p10cr, req);
  result = porteur_cmp_client_execute_sync (cmp, p10cr, NULL, &error);
  g_assert_no_error (error);
  return X509_dup (porteur_cmp_result_get_certificate (result));
}

PorteurOcspResult *
ca_test_ocsp (CaTest *t,
              X509   *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (t->sim->root_pem, &error);
  g_autoptr(PorteurOcspClient) ocsp = porteur_ocsp_client_new ();
  g_autoptr(X509) issuing = pki_read_cert (t->issuing_pem);
  PorteurOcspResult *result;

  g_assert_no_error (error);
  porteur_ocsp_client_set_tls_database (ocsp, database);
  g_assert_true (porteur_ocsp_client_add_trust_file (ocsp, t->sim->root_pem, &error));
  result = porteur_ocsp_client_check_sync (ocsp, cert, issuing, NULL, NULL, &error);
  g_assert_no_error (error);
  return result;
}

PorteurCertStatus
ca_test_revocation_status (CaTest *t,
                           X509   *cert,
                           int    *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (t->sim->root_pem, &error);
  g_autoptr(PorteurCrlClient) crl = porteur_crl_client_new ();
  g_autoptr(PorteurOcspResult) by_ocsp = ca_test_ocsp (t, cert);
  g_autoptr(PorteurCrlResult) by_crl = NULL;
  g_autoptr(X509) issuing = pki_read_cert (t->issuing_pem);

  g_assert_no_error (error);
  porteur_crl_client_set_tls_database (crl, database);
  by_crl = porteur_crl_client_check_sync (crl, cert, issuing, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (by_ocsp), ==, porteur_crl_result_get_status (by_crl));
  if (porteur_ocsp_result_get_status (by_ocsp) == PORTEUR_CERT_STATUS_REVOKED)
    {
      g_assert_cmpint (porteur_ocsp_result_get_revocation_reason (by_ocsp), ==, porteur_crl_result_get_revocation_reason (by_crl));
      *reason = porteur_ocsp_result_get_revocation_reason (by_ocsp);
    }
  return porteur_ocsp_result_get_status (by_ocsp);
}

void
ca_test_assert_good (CaTest *t,
                     X509   *cert)
{
  int reason = -1;

  g_assert_cmpint (ca_test_revocation_status (t, cert, &reason), ==, PORTEUR_CERT_STATUS_GOOD);
}

void
ca_test_assert_revoked (CaTest *t,
                        X509   *cert,
                        int     want_reason)
{
  int reason = -1;

  g_assert_cmpint (ca_test_revocation_status (t, cert, &reason), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (reason, ==, want_reason);
}

/* --- porteur-tool ------------------------------------------------------------------ */

GSubprocessLauncher *
ca_test_tool_launcher (CaTest           *t,
                       GSubprocessFlags  flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_URL", t->sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_TRUST", t->sim->root_pem, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", t->data_home, TRUE);
  g_subprocess_launcher_set_cwd (launcher, t->dir);
  return launcher;
}

static char *
tool_run_valist (CaTest              *t,
                 const CaTestToolRun *run,
                 int                 *status,
                 char               **err,
                 const char          *first_arg,
                 va_list              ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher =
    ca_test_tool_launcher (t, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *errors = NULL;
  char *out = NULL;

  g_assert_nonnull (g_getenv ("PORTEUR_TOOL"));
  if (run->fd3)
    {
      int fds[2];
      gsize len = strlen (run->fd3);

      /* a few lines: they fit in the pipe's buffer before porteur-tool reads them */
      g_assert_cmpuint (len, <, 4096);
      g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
      g_assert_cmpint (write (fds[1], run->fd3, len), ==, (gssize) len);
      close (fds[1]);
      g_subprocess_launcher_take_fd (launcher, fds[0], 3);
    }
  if (run->freed_secret)
    {
      g_autofree char *preload = g_test_build_filename (G_TEST_BUILT, "ca", "freed-secret-check.so", NULL);
      g_autofree char *hex = g_malloc0 (2 * strlen (run->freed_secret) + 1);
      g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                                           ":verify_asan_link_order=0", NULL);

      g_assert_true (g_file_test (preload, G_FILE_TEST_EXISTS));
      for (gsize i = 0; run->freed_secret[i]; i++)
        g_snprintf (hex + 2 * i, 3, "%02x", (guchar) run->freed_secret[i]);
      g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", preload, TRUE);
      g_subprocess_launcher_setenv (launcher, "PORTEUR_TEST_FREED_SECRET_HEX", hex, TRUE);
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  if (run->debug)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  g_ptr_array_add (argv, (gpointer) g_getenv ("PORTEUR_TOOL"));
  for (const char *arg = first_arg; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, run->input, NULL, &out, &errors, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("porteur-tool exit %d%s\n%s\n%s", *status, run->freed_secret ? " (watching for a secret in freed memory)" : "",
                  out, run->debug ? "(debug log)" : errors);
  if (err)
    *err = g_steal_pointer (&errors);
  return out;
}

char *
ca_test_tool (CaTest      *t,
              const char  *input,
              int         *status,
              char       **err,
              const char  *first_arg,
              ...)
{
  const CaTestToolRun run = { .input = input };
  va_list ap;
  char *out;

  va_start (ap, first_arg);
  out = tool_run_valist (t, &run, status, err, first_arg, ap);
  va_end (ap);
  return out;
}

char *
ca_test_tool_run (CaTest              *t,
                  const CaTestToolRun *run,
                  int                 *status,
                  char               **err,
                  const char          *first_arg,
                  ...)
{
  va_list ap;
  char *out;

  va_start (ap, first_arg);
  out = tool_run_valist (t, run, status, err, first_arg, ap);
  va_end (ap);
  return out;
}

JsonNode *
ca_test_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

JsonObject *
ca_test_json_object (const char  *text,
                     JsonNode   **keep)
{
  *keep = ca_test_json (text);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (*keep));
  return json_node_get_object (*keep);
}
