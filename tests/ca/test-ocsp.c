/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca/porteur-ocsp.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pki-test-util.h"

/* Our OCSP client against OpenSSL's own responder (`openssl ocsp -index … -port`), with a
 * PKI made at test time whose certificates name that responder in their AIA. */

static char *pki;
static guint16 ocsp_port;

typedef struct
{
  PkiServer         *responder;
  PorteurOcspClient *client;
  GMainLoop         *loop;
  GAsyncResult      *result;
} Fixture;

static void
start_responder (Fixture           *fx,
                 const char        *faketime,
                 const char *const *extra)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  const char *signer = "ocsp";

  if (faketime)
    {
      g_ptr_array_add (argv, g_strdup ("faketime"));
      g_ptr_array_add (argv, g_strdup (faketime));
    }
  for (guint i = 0; extra && extra[i]; i++)
    if (g_str_equal (extra[i], "noeku"))
      signer = "noeku";
  g_ptr_array_add (argv, g_strdup ("openssl"));
  g_ptr_array_add (argv, g_strdup ("ocsp"));
  g_ptr_array_add (argv, g_strdup ("-index"));
  g_ptr_array_add (argv, g_strdup ("index.txt"));
  g_ptr_array_add (argv, g_strdup ("-CA"));
  g_ptr_array_add (argv, g_strdup ("root.pem"));
  g_ptr_array_add (argv, g_strdup ("-rsigner"));
  g_ptr_array_add (argv, g_strdup_printf ("%s.pem", signer));
  g_ptr_array_add (argv, g_strdup ("-rkey"));
  g_ptr_array_add (argv, g_strdup_printf ("%s.key", signer));
  g_ptr_array_add (argv, g_strdup ("-port"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", ocsp_port));
  g_ptr_array_add (argv, g_strdup ("-ndays"));
  g_ptr_array_add (argv, g_strdup ("1"));
  for (guint i = 0; extra && extra[i]; i++)
    if (!g_str_equal (extra[i], "noeku"))
      g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);
  fx->responder = pki_server_start (pki, (const char *const *) argv->pdata);
}

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autofree char *root = pki_path (pki, "root.pem");
  g_autoptr(GError) error = NULL;

  fx->loop = g_main_loop_new (NULL, FALSE);
  fx->client = porteur_ocsp_client_new ();
  g_assert_true (porteur_ocsp_client_add_trust_file (fx->client, root, &error));
  g_assert_no_error (error);
  porteur_ocsp_client_set_timeout (fx->client, 10);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_clear_pointer (&fx->responder, pki_server_stop);
  g_clear_object (&fx->client);
  g_clear_object (&fx->result);
  g_main_loop_unref (fx->loop);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Fixture *fx = data;

  fx->result = g_object_ref (result);
  g_main_loop_quit (fx->loop);
}

/* Asks about @name (issued by the root) through _async, as the application does. */
static PorteurOcspResult *
check (Fixture      *fx,
       const char   *name,
       const char   *url,
       GCancellable *cancellable,
       GError      **error)
{
  g_autoptr(X509) cert = pki_load_cert (pki, name);
  g_autoptr(X509) root = pki_load_cert (pki, "root");

  g_clear_object (&fx->result);
  porteur_ocsp_client_check_async (fx->client, cert, root, url, cancellable, on_checked, fx);
  g_main_loop_run (fx->loop);
  return porteur_ocsp_client_check_finish (fx->client, fx->result, error);
}

static void
test_good (Fixture       *fx,
           gconstpointer  data)
{
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", ocsp_port);

  start_responder (fx, NULL, NULL);
  /* no URL given: the certificate's AIA names the responder */
  result = check (fx, "user", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
  g_assert_cmpint (porteur_ocsp_result_get_revocation_reason (result), ==, -1);
  g_assert_null (porteur_ocsp_result_get_revocation_time (result));
  g_assert_cmpstr (porteur_ocsp_result_get_url (result), ==, url);
  g_assert_nonnull (strstr (porteur_ocsp_result_get_responder (result), "CN=OCSP Responder"));
  /* dates checked by us: answer current, certificate inside its validity */
  g_assert_cmpint (g_date_time_difference (now, porteur_ocsp_result_get_this_update (result)), >=, -300 * G_USEC_PER_SEC);
  g_assert_cmpint (g_date_time_difference (porteur_ocsp_result_get_next_update (result), now), >, 23 * G_TIME_SPAN_HOUR);
  g_assert_nonnull (porteur_ocsp_result_get_produced_at (result));
  g_assert_true (porteur_ocsp_result_get_cert_time_valid (result));
  g_assert_cmpint (g_date_time_compare (porteur_ocsp_result_get_cert_not_after (result), now), >, 0);
}

static void
test_revoked (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, NULL);
  result = check (fx, "revoked", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (porteur_ocsp_result_get_revocation_reason (result), ==, 1);
  g_assert_cmpstr (porteur_crl_reason_to_string (porteur_ocsp_result_get_revocation_reason (result)), ==, "keyCompromise");
  g_assert_nonnull (porteur_ocsp_result_get_revocation_time (result));
}

static void
test_unknown (Fixture       *fx,
              gconstpointer  data)
{
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, NULL);
  result = check (fx, "stranger", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_UNKNOWN);
}

static void
test_expired_cert (Fixture       *fx,
                   gconstpointer  data)
{
  /* The responder still says "good" for an expired certificate: the dates are ours to check. */
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, NULL);
  result = check (fx, "expired", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
  g_assert_false (porteur_ocsp_result_get_cert_time_valid (result));
}

static void
test_bad_signature (Fixture       *fx,
                    gconstpointer  data)
{
  const char *const extra[] = { "-badsig", NULL };
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, extra);
  g_assert_null (check (fx, "user", NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_SIGNATURE);
  g_test_message ("%s", error->message);
}

static void
test_no_ocsp_signing (Fixture       *fx,
                      gconstpointer  data)
{
  const char *const extra[] = { "noeku", NULL };
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, extra);
  g_assert_null (check (fx, "user", NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_UNAUTHORIZED);
  g_test_message ("%s", error->message);
}

static void
test_untrusted (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *other = pki_path (pki, "other-root.pem");
  g_autoptr(GError) error = NULL;

  start_responder (fx, NULL, NULL);
  g_clear_object (&fx->client);
  fx->client = porteur_ocsp_client_new ();
  g_assert_true (porteur_ocsp_client_add_trust_file (fx->client, other, &error));
  g_assert_null (check (fx, "user", NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_SIGNATURE);
  g_test_message ("%s", error->message);
}

static void
test_stale (Fixture       *fx,
            gconstpointer  data)
{
  /* A responder living three days ago: its answer's nextUpdate is past. */
  g_autoptr(GError) error = NULL;

  start_responder (fx, "3 days ago", NULL);
  g_assert_null (check (fx, "user", NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_STALE);
}

static GBytes *
fetch_with_cli (const char *name,
                gboolean    nonce)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", ocsp_port);
  g_autofree char *cert = g_strdup_printf ("%s.pem", name);
  g_autofree char *out = pki_path (pki, "resp.der");
  const char *argv[] = { "openssl", "ocsp", "-issuer", "root.pem", "-cert", cert, "-url", url,
                         "-respout", "resp.der", "-noverify", nonce ? "-nonce" : "-no_nonce", NULL };
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  pki_run (pki, argv);
  g_assert_true (g_file_get_contents (out, &contents, &length, &error));
  return g_bytes_new_take (contents, length);
}

static void
test_response_in_hand (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(X509) cert = pki_load_cert (pki, "user");
  g_autoptr(X509) root = pki_load_cert (pki, "root");
  g_autoptr(X509) other = pki_load_cert (pki, "user2");
  g_autoptr(GBytes) with_nonce = NULL;
  g_autoptr(GBytes) without_nonce = NULL;
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;
  OCSP_REQUEST *request = OCSP_REQUEST_new ();

  start_responder (fx, NULL, NULL);
  with_nonce = fetch_with_cli ("user", TRUE);
  without_nonce = fetch_with_cli ("user", FALSE);

  /* stapled/embedded: no nonce to compare */
  result = porteur_ocsp_client_read_response (fx->client, cert, root, with_nonce, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
  g_assert_null (porteur_ocsp_result_get_url (result));

  /* an answer to someone else's request is a replay for us */
  OCSP_request_add1_nonce (request, NULL, -1);
  g_assert_null (porteur_ocsp_client_read_response (fx->client, cert, root, with_nonce, request, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_NONCE);
  g_clear_error (&error);
  g_assert_null (porteur_ocsp_client_read_response (fx->client, cert, root, without_nonce, request, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_NONCE);
  g_clear_error (&error);
  porteur_ocsp_client_set_allow_no_nonce (fx->client, TRUE);
  g_clear_object (&result);
  result = porteur_ocsp_client_read_response (fx->client, cert, root, without_nonce, request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ocsp_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);

  /* the answer is about user.pem, not user2.pem */
  g_assert_null (porteur_ocsp_client_read_response (fx->client, other, root, with_nonce, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* garbage */
  {
    g_autoptr(GBytes) junk = g_bytes_new_static ("<html>hello</html>", 18);

    g_assert_null (porteur_ocsp_client_read_response (fx->client, cert, root, junk, NULL, &error));
    g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_MALFORMED);
  }
  OCSP_REQUEST_free (request);
}

static void
test_errors (Fixture       *fx,
             gconstpointer  data)
{
  g_autofree char *closed = g_strdup_printf ("http://127.0.0.1:%u/", pki_free_port ());
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(X509) cert = pki_load_cert (pki, "user");
  g_autoptr(X509) other_root = pki_load_cert (pki, "other-root");
  g_autoptr(GError) error = NULL;

  /* nobody listens */
  g_assert_null (check (fx, "user", closed, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_TRANSPORT);
  g_clear_error (&error);
  /* no AIA in the CMP server's certificate */
  g_assert_null (check (fx, "cmpsrv", NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NO_RESPONDER);
  g_clear_error (&error);
  /* not its issuer */
  g_assert_null (porteur_ocsp_client_check_sync (fx->client, cert, other_root, NULL, NULL, &error));
  g_assert_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* cancelled */
  g_cancellable_cancel (cancellable);
  g_assert_null (check (fx, "user", closed, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_tool (Fixture       *fx,
           gconstpointer  data)
{
  g_autofree char *root = pki_path (pki, "root.pem");
  g_autofree char *user = pki_path (pki, "user.pem");
  g_autofree char *revoked = pki_path (pki, "revoked.pem");
  g_autofree char *expired = pki_path (pki, "expired.pem");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  start_responder (fx, NULL, NULL);
  {
    const char *args[] = { "--json", "--ca-trust", root, "ca", "ocsp", revoked, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 1);
    g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
    object = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "revoked");
    g_assert_cmpstr (json_object_get_string_member (object, "reason"), ==, "keyCompromise");
    g_assert_nonnull (json_object_get_string_member (object, "next_update"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *args[] = { "--ca-trust", root, "ca", "ocsp", user, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "good"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* good for the responder, but expired: not a pass */
    const char *args[] = { "--json", "--ca-trust", root, "ca", "ocsp", expired, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 1);
    g_assert_nonnull (strstr (out, "\"time_valid\" : false"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* no trust anchors: a usage error */
    const char *args[] = { "ca", "ocsp", user, NULL };

    g_unsetenv ("PORTEUR_CA_TRUST");
    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 2);
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  ocsp_port = pki_free_port ();
  pki = pki_make (ocsp_port, 1);

  g_test_add ("/ocsp/good", Fixture, NULL, fixture_setup, test_good, fixture_teardown);
  g_test_add ("/ocsp/revoked", Fixture, NULL, fixture_setup, test_revoked, fixture_teardown);
  g_test_add ("/ocsp/unknown", Fixture, NULL, fixture_setup, test_unknown, fixture_teardown);
  g_test_add ("/ocsp/expired-cert", Fixture, NULL, fixture_setup, test_expired_cert, fixture_teardown);
  g_test_add ("/ocsp/bad-signature", Fixture, NULL, fixture_setup, test_bad_signature, fixture_teardown);
  g_test_add ("/ocsp/no-ocsp-signing", Fixture, NULL, fixture_setup, test_no_ocsp_signing, fixture_teardown);
  g_test_add ("/ocsp/untrusted", Fixture, NULL, fixture_setup, test_untrusted, fixture_teardown);
  g_test_add ("/ocsp/stale", Fixture, NULL, fixture_setup, test_stale, fixture_teardown);
  g_test_add ("/ocsp/response-in-hand", Fixture, NULL, fixture_setup, test_response_in_hand, fixture_teardown);
  g_test_add ("/ocsp/tool", Fixture, NULL, fixture_setup, test_tool, fixture_teardown);
  g_test_add ("/ocsp/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);

  status = g_test_run ();
  pki_remove_tree (pki);
  g_free (pki);
  return status;
}
