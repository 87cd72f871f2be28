/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca/porteur-cmp.h"

#include <openssl/pem.h>
#include <string.h>

#include "pki-test-util.h"

/* Our CMP client against OpenSSL's own mock CMP server (`openssl cmp -port`),
 * one server per scenario, on a free loopback port, with a PKI made at test time. */

#define SECRET "ref-secret-0427"
#define REFERENCE "4711"

static char *pki;

typedef struct
{
  PkiServer        *server;
  PorteurCmpClient *client;
  GMainLoop        *loop;
  GAsyncResult     *result;
  GArray           *waits;
  guint16           port;
} Fixture;

/* Starts `openssl cmp` as a mock server with the common options and @extra. */
static void
start_server (Fixture           *fx,
              const char *const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = pki_path (pki, "root.pem");
  g_autofree char *url = NULL;
  const char *common[] = { "openssl", "cmp", "-config", "", "-srv_cert", "cmpsrv.pem", "-srv_key", "cmpsrv.key",
                           "-srv_trusted", "root.pem", "-rsp_capubs", "root.pem", NULL };

  fx->port = pki_free_port ();
  for (guint i = 0; common[i]; i++)
    g_ptr_array_add (argv, g_strdup (common[i]));
  g_ptr_array_add (argv, g_strdup ("-port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", fx->port));
  for (guint i = 0; extra[i]; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);
  fx->server = pki_server_start (pki, (const char *const *) argv->pdata);

  url = g_strdup_printf ("http://127.0.0.1:%u/pkix/", fx->port);
  fx->client = porteur_cmp_client_new (url, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_cmp_client_set_trust_file (fx->client, root, &error));
  g_assert_no_error (error);
  porteur_cmp_client_set_timeout (fx->client, 10);
}

static void
on_waiting (PorteurCmpClient *client,
            guint             check_after,
            Fixture          *fx)
{
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_array_append_val (fx->waits, check_after);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  fx->loop = g_main_loop_new (NULL, FALSE);
  fx->waits = g_array_new (FALSE, FALSE, sizeof (guint));
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_object (&fx->client);
  g_clear_object (&fx->result);
  g_clear_pointer (&fx->server, pki_server_stop);
  g_main_loop_unref (fx->loop);
  g_array_unref (fx->waits);
}

static void
on_executed (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Fixture *fx = data;

  fx->result = g_object_ref (result);
  g_main_loop_quit (fx->loop);
}

/* Runs @request through _async and the main loop, as the application does. */
static PorteurCmpResult *
execute (Fixture            *fx,
         PorteurCmpRequest  *request,
         GCancellable       *cancellable,
         GError            **error)
{
  gulong handler = g_signal_connect (fx->client, "waiting", G_CALLBACK (on_waiting), fx);
  PorteurCmpResult *result;

  g_clear_object (&fx->result);
  porteur_cmp_client_execute_async (fx->client, request, cancellable, on_executed, fx);
  g_main_loop_run (fx->loop);
  result = porteur_cmp_client_execute_finish (fx->client, fx->result, error);
  g_signal_handler_disconnect (fx->client, handler);
  /* let "waiting" emissions still queued run */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return result;
}

static PorteurCmpRequest *
ir_request (const char *secret)
{
  g_autoptr(EVP_PKEY) key = pki_load_key (pki, "user2");
  g_autoptr(GError) error = NULL;
  PorteurCmpRequest *request = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);

  porteur_cmp_request_set_pbm (request, REFERENCE, secret, strlen (secret));
  porteur_cmp_request_set_new_key (request, key);
  g_assert_true (porteur_cmp_request_set_subject (request, "/C=FR/O=Mairie de Test/CN=Bob Martin", &error));
  g_assert_no_error (error);
  return request;
}

/* Log lines seen during a test, to prove the secret never reaches them. */
static GString *log_text;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         data)
{
  if (log_text == NULL)
    return g_log_writer_default (level, fields, n_fields, data);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      g_string_append_printf (log_text, "%s\n", (const char *) fields[i].value);
  return g_log_writer_default (level, fields, n_fields, data);
}

static const char *const ir_server[] = { "-srv_secret", "pass:" SECRET, "-srv_ref", REFERENCE,
                                          "-rsp_cert", "user2.pem", NULL };

static void
test_ir_pbm (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) expected = pki_load_cert (pki, "user2");
  g_autoptr(X509) root = pki_load_cert (pki, "root");
  STACK_OF (X509) *ca_certs;

  start_server (fx, ir_server);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpint (porteur_cmp_result_get_status (result), ==, 0);
  g_assert_nonnull (strstr (porteur_cmp_result_get_status_text (result), "accepted"));
  g_assert_cmpint (X509_cmp (porteur_cmp_result_get_certificate (result), expected), ==, 0);
  ca_certs = porteur_cmp_result_get_ca_certs (result);
  g_assert_cmpint (sk_X509_num (ca_certs), ==, 1);
  g_assert_cmpint (X509_cmp (sk_X509_value (ca_certs, 0), root), ==, 0);
  g_assert_cmpuint (porteur_cmp_result_get_n_polls (result), ==, 0);
  g_assert_cmpuint (fx->waits->len, ==, 0);
}

static void
test_ir_sync_in_thread (Fixture       *fx,
                        gconstpointer  data)
{
  /* The blocking form, as a worker thread would call it; OpenSSL's debug log
   * is on and captured: the secret must not appear in it. */
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_server (fx, ir_server);
  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  g_log_set_debug_enabled (TRUE);
  result = porteur_cmp_client_execute_sync (fx->client, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (porteur_cmp_result_get_certificate (result));
  g_assert_nonnull (strstr (log_text->str, "CMP"));
  g_assert_null (strstr (log_text->str, SECRET));
  g_log_set_debug_enabled (FALSE);
  g_string_free (g_steal_pointer (&log_text), TRUE);
}

static void
test_ir_poll (Fixture       *fx,
              gconstpointer  data)
{
  const char *const server[] = { "-srv_secret", "pass:" SECRET, "-srv_ref", REFERENCE,
                                 "-rsp_cert", "user2.pem", "-poll_count", "2", "-check_after", "1", NULL };
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) expected = pki_load_cert (pki, "user2");
  gint64 start = g_get_monotonic_time ();

  start_server (fx, server);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (X509_cmp (porteur_cmp_result_get_certificate (result), expected), ==, 0);
  g_assert_cmpuint (porteur_cmp_result_get_n_polls (result), ==, 2);
  /* OpenSSL polls at once after the first "waiting", then the server's
   * checkAfter (1 s) was honoured before the second poll */
  g_assert_cmpuint (fx->waits->len, ==, 1);
  g_assert_cmpuint (g_array_index (fx->waits, guint, 0), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1 * G_USEC_PER_SEC);
}

static void
on_first_wait_cancel (PorteurCmpClient *client,
                      guint             check_after,
                      GCancellable     *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
test_poll_cancel (Fixture       *fx,
                  gconstpointer  data)
{
  const char *const server[] = { "-srv_secret", "pass:" SECRET, "-srv_ref", REFERENCE,
                                 "-rsp_cert", "user2.pem", "-poll_count", "50", "-check_after", "20", NULL };
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 start = g_get_monotonic_time ();

  start_server (fx, server);
  g_signal_connect (fx->client, "waiting", G_CALLBACK (on_first_wait_cancel), cancellable);
  result = execute (fx, request, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fx->waits->len, ==, 1);
  g_assert_cmpuint (g_array_index (fx->waits, guint, 0), ==, 20);
  /* stopped at once, not after the server's 20 s */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_poll_timeout (Fixture       *fx,
                   gconstpointer  data)
{
  const char *const server[] = { "-srv_secret", "pass:" SECRET, "-srv_ref", REFERENCE,
                                 "-rsp_cert", "user2.pem", "-poll_count", "50", "-check_after", "1", NULL };
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(GError) error = NULL;

  start_server (fx, server);
  porteur_cmp_client_set_max_poll_time (fx->client, 2);
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_TIMEOUT);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (fx->waits->len, >=, 2);
}

static void
test_rejection (Fixture       *fx,
                gconstpointer  data)
{
  const char *const server[] = { "-srv_secret", "pass:" SECRET, "-srv_ref", REFERENCE,
                                 "-rsp_cert", "user2.pem", "-pkistatus", "2", "-failure", "2", NULL };
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(GError) error = NULL;

  start_server (fx, server);
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "rejection"));
  g_assert_nonnull (strstr (error->message, "badRequest"));
}

static void
test_wrong_secret (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = ir_request ("not-the-secret");
  g_autoptr(GError) error = NULL;

  start_server (fx, ir_server);
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_BAD_SECRET);
  g_test_message ("%s", error->message);
  g_assert_null (strstr (error->message, "not-the-secret"));
}

static void
test_p10cr (Fixture       *fx,
            gconstpointer  data)
{
  g_autofree char *path = pki_path (pki, "user2.csr");
  g_autoptr(PorteurCmpRequest) request = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_P10CR);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) expected = pki_load_cert (pki, "user2");
  BIO *bio = BIO_new_file (path, "r");
  X509_REQ *csr = PEM_read_bio_X509_REQ (bio, NULL, NULL, NULL);

  BIO_free (bio);
  g_assert_nonnull (csr);
  porteur_cmp_request_set_csr (request, csr);
  X509_REQ_free (csr);
  porteur_cmp_request_set_pbm (request, REFERENCE, SECRET, strlen (SECRET));
  start_server (fx, ir_server);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (X509_cmp (porteur_cmp_result_get_certificate (result), expected), ==, 0);
}

static PorteurCmpRequest *
signed_request (PorteurCmpRequestType type)
{
  g_autoptr(X509) cert = pki_load_cert (pki, "user");
  g_autoptr(EVP_PKEY) key = pki_load_key (pki, "user");
  PorteurCmpRequest *request = porteur_cmp_request_new (type);

  porteur_cmp_request_set_signer (request, cert, key);
  return request;
}

static const char *const signed_server[] = { "-rsp_cert", "user.pem", NULL };

static void
test_kur (Fixture       *fx,
          gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = signed_request (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) expected = pki_load_cert (pki, "user");
  /* OpenSSL's mock answers KUR with the certificate being updated, so the "new" key is its key */
  g_autoptr(EVP_PKEY) key = pki_load_key (pki, "user");

  porteur_cmp_request_set_new_key (request, key);
  start_server (fx, signed_server);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_cmp_result_get_status (result), ==, 0);
  g_assert_cmpint (X509_cmp (porteur_cmp_result_get_certificate (result), expected), ==, 0);
}

static void
test_kur_untrusted_server (Fixture       *fx,
                           gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = signed_request (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = pki_load_key (pki, "user");
  g_autofree char *other = pki_path (pki, "other-root.pem");

  porteur_cmp_request_set_new_key (request, key);
  start_server (fx, signed_server);
  g_assert_true (porteur_cmp_client_set_trust_file (fx->client, other, &error));
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_UNTRUSTED_SERVER);
  g_test_message ("%s", error->message);
}

static void
test_kur_pinned_server (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = signed_request (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = pki_load_key (pki, "user");
  g_autoptr(X509) server_cert = pki_load_cert (pki, "cmpsrv");
  g_autoptr(X509) wrong = pki_load_cert (pki, "ocsp");

  porteur_cmp_request_set_new_key (request, key);
  start_server (fx, signed_server);
  porteur_cmp_client_set_server_cert (fx->client, server_cert);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (porteur_cmp_result_get_certificate (result));

  /* pinned to another certificate: refused */
  g_clear_object (&request);
  request = signed_request (PORTEUR_CMP_REQUEST_KUR);
  porteur_cmp_request_set_new_key (request, key);
  porteur_cmp_client_set_server_cert (fx->client, wrong);
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_UNTRUSTED_SERVER);
  g_test_message ("%s", error->message);
}

static void
test_rr (Fixture       *fx,
         gconstpointer  data)
{
  g_autoptr(PorteurCmpRequest) request = signed_request (PORTEUR_CMP_REQUEST_RR);
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;

  porteur_cmp_request_set_revocation_reason (request, 1);
  start_server (fx, signed_server);
  result = execute (fx, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_cmp_result_get_status (result), ==, 0);
  g_assert_null (porteur_cmp_result_get_certificate (result));
}

static void
test_rr_rejected (Fixture       *fx,
                  gconstpointer  data)
{
  /* 3.0's mock only revokes the certificate it knows (-rsp_cert): another one is refused */
  g_autoptr(PorteurCmpRequest) request = signed_request (PORTEUR_CMP_REQUEST_RR);
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) other = pki_load_cert (pki, "user2");

  porteur_cmp_request_set_old_cert (request, other);
  porteur_cmp_request_set_revocation_reason (request, 1);
  start_server (fx, signed_server);
  g_assert_null (execute (fx, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED);
  g_test_message ("%s", error->message);
}

static void
test_tool (Fixture       *fx,
           gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *root = pki_path (pki, "root.pem");
  g_autofree char *newkey = pki_path (pki, "user2.key");
  g_autofree char *certout = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(X509) expected = pki_load_cert (pki, "user2");
  g_autofree char *tmp = g_dir_make_tmp ("porteur-cmp-tool-XXXXXX", &error);
  char *contents = NULL;

  start_server (fx, ir_server);
  url = g_strdup_printf ("http://127.0.0.1:%u/pkix/", fx->port);
  certout = g_build_filename (tmp, "issued.pem", NULL);
  {
    /* the secret comes on stdin (--secret-fd 0), never in argv */
    const char *argv[] = { "--json", "--ca-trust", root, "ca", "cmp", "ir", "--allow-loopback-http",
                           "--server", url, "--reference", REFERENCE, "--secret-fd", "0",
                           "--subject", "/C=FR/O=Mairie de Test/CN=Bob Martin", "--newkey", newkey,
                           "--certout", certout, NULL };

    g_assert_cmpint (pki_run_tool (argv, SECRET "\n", &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "CN=Bob Martin"));
    g_assert_true (g_file_get_contents (certout, &contents, NULL, NULL));
    {
      BIO *bio = BIO_new_mem_buf (contents, -1);
      X509 *issued = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

      g_assert_cmpint (X509_cmp (issued, expected), ==, 0);
      X509_free (issued);
      BIO_free (bio);
    }
    g_free (contents);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* a wrong secret is a refusal: exit 1, a sentence on stderr, never the secret */
    const char *argv[] = { "--ca-trust", root, "ca", "cmp", "ir", "--allow-loopback-http",
                           "--server", url, "--reference", REFERENCE, "--secret-fd", "0",
                           "--subject", "/C=FR/O=Mairie de Test/CN=Bob Martin", "--newkey", newkey, NULL };

    g_assert_cmpint (pki_run_tool (argv, "wrong-secret-123\n", &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "secret"));
    g_assert_null (strstr (err, "wrong-secret-123"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* plain HTTP needs the test switch */
    const char *argv[] = { "ca", "cmp", "rr", "--server", url, NULL };

    g_assert_cmpint (pki_run_tool (argv, NULL, &out, &err), ==, 2);
  }
  pki_remove_tree (tmp);
}

static void
test_transport (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/pkix/", pki_free_port ());
  g_autoptr(PorteurCmpClient) client = porteur_cmp_client_new (url, TRUE, NULL);
  g_autoptr(PorteurCmpRequest) request = ir_request (SECRET);
  g_autoptr(GError) error = NULL;

  g_assert_null (porteur_cmp_client_execute_sync (client, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_TRANSPORT);
  g_test_message ("%s", error->message);
}

static void
test_arguments (void)
{
  g_autoptr(PorteurCmpClient) client = NULL;
  g_autoptr(PorteurCmpRequest) request = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
  g_autoptr(PorteurCmpRequest) kur = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_KUR);
  g_autoptr(GError) error = NULL;

  /* plain HTTP only to loopback, and only when allowed */
  g_assert_null (porteur_cmp_client_new ("http://ca.example.fr/pkix/", TRUE, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (porteur_cmp_client_new ("http://127.0.0.1:1/pkix/", FALSE, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_false (porteur_cmp_request_set_subject (request, "CN=no slash", &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  client = porteur_cmp_client_new ("https://ca.example.fr/pkix/", FALSE, &error);
  g_assert_no_error (error);
  /* no credentials, no key */
  g_assert_null (porteur_cmp_client_execute_sync (client, request, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  porteur_cmp_request_set_pbm (kur, REFERENCE, SECRET, strlen (SECRET));
  g_assert_null (porteur_cmp_client_execute_sync (client, kur, NULL, &error));
  g_assert_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* The debug messages captured below go to stderr, not into the TAP stream on stdout. */
  g_log_writer_default_set_use_stderr (TRUE);
  pki = pki_make (1, 1);

  g_test_add ("/cmp/ir-pbm", Fixture, NULL, fixture_setup, test_ir_pbm, fixture_teardown);
  g_test_add ("/cmp/ir-sync-no-secret-in-logs", Fixture, NULL, fixture_setup, test_ir_sync_in_thread, fixture_teardown);
  g_test_add ("/cmp/ir-poll", Fixture, NULL, fixture_setup, test_ir_poll, fixture_teardown);
  g_test_add ("/cmp/poll-cancel", Fixture, NULL, fixture_setup, test_poll_cancel, fixture_teardown);
  g_test_add ("/cmp/poll-timeout", Fixture, NULL, fixture_setup, test_poll_timeout, fixture_teardown);
  g_test_add ("/cmp/rejection", Fixture, NULL, fixture_setup, test_rejection, fixture_teardown);
  g_test_add ("/cmp/wrong-secret", Fixture, NULL, fixture_setup, test_wrong_secret, fixture_teardown);
  g_test_add ("/cmp/p10cr", Fixture, NULL, fixture_setup, test_p10cr, fixture_teardown);
  g_test_add ("/cmp/kur", Fixture, NULL, fixture_setup, test_kur, fixture_teardown);
  g_test_add ("/cmp/kur-untrusted-server", Fixture, NULL, fixture_setup, test_kur_untrusted_server, fixture_teardown);
  g_test_add ("/cmp/kur-pinned-server", Fixture, NULL, fixture_setup, test_kur_pinned_server, fixture_teardown);
  g_test_add ("/cmp/rr", Fixture, NULL, fixture_setup, test_rr, fixture_teardown);
  g_test_add ("/cmp/rr-rejected", Fixture, NULL, fixture_setup, test_rr_rejected, fixture_teardown);
  g_test_add ("/cmp/tool", Fixture, NULL, fixture_setup, test_tool, fixture_teardown);
  g_test_add_func ("/cmp/transport", test_transport);
  g_test_add_func ("/cmp/arguments", test_arguments);

  status = g_test_run ();
  pki_remove_tree (pki);
  g_free (pki);
  return status;
}
