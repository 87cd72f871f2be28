/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca/porteur-crl.h"

#include <libsoup/soup.h>
#include <string.h>

#include "pki-test-util.h"

/* Our CRL client: CRLs made with `openssl ca -gencrl`, served over HTTP by a loopback
 * SoupServer in this process (the distribution point named in the certificates), or read
 * from files. */

static char *pki;
static SoupServer *server;
static guint16 crl_port;
static guint n_requests;

static void
serve (SoupServer        *srv,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *query,
       gpointer           data)
{
  g_autofree char *file = NULL;
  char *contents = NULL;
  gsize length = 0;

  n_requests++;
  if (g_str_equal (path, "/html"))
    {
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC, "<html>no</html>", 15);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      return;
    }
  if (g_str_equal (path, "/tampered.crl"))
    {
      g_autofree char *real = pki_path (pki, "root.crl");

      g_assert_true (g_file_get_contents (real, &contents, &length, NULL));
      contents[length - 1] ^= 0x01;  /* a bit of the signature */
      soup_server_message_set_response (msg, "application/pkix-crl", SOUP_MEMORY_TAKE, contents, length);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      return;
    }
  file = pki_path (pki, path + 1);
  if (strchr (path + 1, '/') || !g_file_get_contents (file, &contents, &length, NULL))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_response (msg, "application/pkix-crl", SOUP_MEMORY_TAKE, contents, length);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
} Wait;

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Wait *wait = data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

/* Checks @name (issued by @issuer_name) through _async while the server runs here. */
static PorteurCrlResult *
check_full (const char   *name,
            const char   *issuer_name,
            const char   *source,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr(PorteurCrlClient) client = porteur_crl_client_new ();
  g_autoptr(X509) cert = pki_load_cert (pki, name);
  g_autoptr(X509) issuer = pki_load_cert (pki, issuer_name);
  Wait wait = { g_main_loop_new (NULL, FALSE), NULL };
  PorteurCrlResult *result;

  porteur_crl_client_set_timeout (client, 10);
  porteur_crl_client_check_async (client, cert, issuer, source, cancellable, on_checked, &wait);
  g_main_loop_run (wait.loop);
  result = porteur_crl_client_check_finish (client, wait.result, error);
  g_object_unref (wait.result);
  g_main_loop_unref (wait.loop);
  return result;
}

static PorteurCrlResult *
check (const char *name,
       const char *source,
       GError    **error)
{
  return check_full (name, "root", source, NULL, error);
}

static char *
url (const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u/%s", crl_port, path);
}

static void
test_distribution_point (void)
{
  g_autoptr(PorteurCrlResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *expected = url ("root.crl");
  guint before = n_requests;

  /* no source: the certificate's distribution point */
  result = check ("user", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_requests, ==, before + 1);
  g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
  g_assert_cmpstr (porteur_crl_result_get_source (result), ==, expected);
  g_assert_cmpuint (porteur_crl_result_get_n_entries (result), ==, 1);
  g_assert_null (porteur_crl_result_get_revocation_time (result));
  /* dates checked by us */
  g_assert_cmpint (g_date_time_compare (porteur_crl_result_get_this_update (result), now), <=, 0);
  g_assert_cmpint (g_date_time_difference (porteur_crl_result_get_next_update (result), now), >, 6 * G_TIME_SPAN_DAY);
  g_assert_true (porteur_crl_result_get_cert_time_valid (result));
}

static void
test_revoked (void)
{
  g_autoptr(PorteurCrlResult) result = NULL;
  g_autoptr(GError) error = NULL;

  result = check ("revoked", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_REVOKED);
  g_assert_cmpint (porteur_crl_result_get_revocation_reason (result), ==, 1);
  g_assert_nonnull (porteur_crl_result_get_revocation_time (result));
}

static void
test_sources (void)
{
  g_autofree char *pem_file = pki_path (pki, "root.crl.pem");
  g_autofree char *pem_url = url ("root.crl.pem");
  g_autoptr(GError) error = NULL;

  /* a file (PEM), a given URL (PEM over HTTP) */
  {
    g_autoptr(PorteurCrlResult) result = check ("revoked", pem_file, &error);

    g_assert_no_error (error);
    g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_REVOKED);
    g_assert_cmpstr (porteur_crl_result_get_source (result), ==, pem_file);
  }
  {
    g_autoptr(PorteurCrlResult) result = check ("user", pem_url, &error);

    g_assert_no_error (error);
    g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
  }
  /* an expired certificate is not on the CRL: "good", but outside its validity */
  {
    g_autoptr(PorteurCrlResult) result = check ("expired", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_GOOD);
    g_assert_false (porteur_crl_result_get_cert_time_valid (result));
  }
}

static void
assert_refused (const char *name,
                const char *issuer,
                const char *source,
                int         code)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (check_full (name, issuer, source, NULL, &error));
  g_assert_error (error, PORTEUR_CRL_ERROR, code);
  g_test_message ("%s: %s", source ? source : "(distribution point)", error->message);
}

static void
test_refused (void)
{
  g_autofree char *tampered = url ("tampered.crl");
  g_autofree char *stale = url ("stale.crl");
  g_autofree char *other = url ("other.crl");
  g_autofree char *html = url ("html");
  g_autofree char *missing = url ("missing.crl");
  g_autofree char *closed = g_strdup_printf ("http://127.0.0.1:%u/root.crl", pki_free_port ());
  g_autofree char *no_file = pki_path (pki, "no-such.crl");

  assert_refused ("user", "root", tampered, PORTEUR_CRL_ERROR_BAD_SIGNATURE);
  assert_refused ("user", "root", stale, PORTEUR_CRL_ERROR_STALE);
  assert_refused ("user", "root", other, PORTEUR_CRL_ERROR_WRONG_ISSUER);
  assert_refused ("user", "root", html, PORTEUR_CRL_ERROR_MALFORMED);
  assert_refused ("user", "root", missing, PORTEUR_CRL_ERROR_TRANSPORT);
  assert_refused ("user", "root", closed, PORTEUR_CRL_ERROR_TRANSPORT);
  assert_refused ("user", "root", no_file, PORTEUR_CRL_ERROR_TRANSPORT);
  /* the CMP server's certificate names no distribution point */
  assert_refused ("cmpsrv", "root", NULL, PORTEUR_CRL_ERROR_NO_DISTRIBUTION_POINT);
  /* not the issuer */
  assert_refused ("user", "other-root", NULL, PORTEUR_CRL_ERROR_INVALID_ARGUMENT);
}

static void
test_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_null (check_full ("user", "root", NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_in_hand (void)
{
  g_autofree char *path = pki_path (pki, "root.crl");
  g_autoptr(X509) cert = pki_load_cert (pki, "revoked");
  g_autoptr(X509) root = pki_load_cert (pki, "root");
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCrlResult) result = NULL;
  g_autoptr(GBytes) truncated = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  {
    g_autoptr(GBytes) bytes = g_bytes_new_take (contents, length);

    result = porteur_crl_check_data (bytes, cert, root, "embedded", &error);
    g_assert_no_error (error);
    g_assert_cmpint (porteur_crl_result_get_status (result), ==, PORTEUR_CERT_STATUS_REVOKED);
    g_assert_cmpstr (porteur_crl_result_get_source (result), ==, "embedded");
    truncated = g_bytes_new_from_bytes (bytes, 0, length - 10);
  }
  g_assert_null (porteur_crl_check_data (truncated, cert, root, NULL, &error));
  g_assert_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_MALFORMED);
}

static void
test_tool (void)
{
  /* porteur-tool in its own process, the CRL from a file */
  g_autofree char *root = pki_path (pki, "root.pem");
  g_autofree char *crl = pki_path (pki, "root.crl");
  g_autofree char *stale = pki_path (pki, "stale.crl");
  g_autofree char *user = pki_path (pki, "user.pem");
  g_autofree char *revoked = pki_path (pki, "revoked.pem");
  g_autofree char *out = NULL, *err = NULL;

  {
    const char *args[] = { "--ca-trust", root, "ca", "crl", "--crl", crl, user, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "good"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *args[] = { "--json", "--ca-trust", root, "ca", "crl", "--crl", crl, revoked, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 1);
    g_assert_nonnull (strstr (out, "\"status\" : \"revoked\""));
    g_assert_nonnull (strstr (out, "keyCompromise"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *args[] = { "--json", "--ca-trust", root, "ca", "crl", "--crl", stale, user, NULL };

    g_assert_cmpint (pki_run_tool (args, NULL, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "porteur-crl-error-quark"));
  }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  int status;

  g_test_init (&argc, &argv, NULL);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, serve, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  crl_port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  pki = pki_make (1, crl_port);

  g_test_add_func ("/crl/distribution-point", test_distribution_point);
  g_test_add_func ("/crl/revoked", test_revoked);
  g_test_add_func ("/crl/sources", test_sources);
  g_test_add_func ("/crl/refused", test_refused);
  g_test_add_func ("/crl/cancelled", test_cancelled);
  g_test_add_func ("/crl/in-hand", test_in_hand);
  g_test_add_func ("/crl/tool", test_tool);

  status = g_test_run ();
  g_object_unref (server);
  pki_remove_tree (pki);
  g_free (pki);
  return status;
}
