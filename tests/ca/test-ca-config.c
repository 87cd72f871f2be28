/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca/porteur-ca-config.h"

#include <glib/gstdio.h>

static void
assert_url (const char *text, gboolean allow_http, int expected_code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = porteur_ca_config_parse_url (text, allow_http, &error);

  if (expected_code < 0)
    {
      g_assert_no_error (error);
      g_assert_nonnull (uri);
    }
  else
    {
      g_assert_null (uri);
      g_assert_error (error, PORTEUR_CA_CONFIG_ERROR, expected_code);
    }
}

static void
test_url (void)
{
  assert_url ("https://ca.example.fr/api/v1", FALSE, -1);
  assert_url ("https://127.0.0.1:8443/api/v1", FALSE, -1);
  assert_url ("http://127.0.0.1:8080/api/v1", TRUE, -1);
  assert_url ("http://127.8.0.1/api/v1", TRUE, -1);
  assert_url ("http://[::1]:8080/api/v1", TRUE, -1);
  assert_url ("http://localhost/api/v1", TRUE, -1);
  /* Plain HTTP: never to a remote host, never to loopback unless allowed. */
  assert_url ("http://127.0.0.1:8080/api/v1", FALSE, PORTEUR_CA_CONFIG_ERROR_INSECURE);
  assert_url ("http://ca.example.fr/api/v1", TRUE, PORTEUR_CA_CONFIG_ERROR_INSECURE);
  assert_url ("http://127.0.0.1.example.fr/", TRUE, PORTEUR_CA_CONFIG_ERROR_INSECURE);
  assert_url ("", FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
  assert_url (NULL, FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
  assert_url ("ca.example.fr/api/v1", FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
  assert_url ("ftp://ca.example.fr/", FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
  assert_url ("https://user:pw@ca.example.fr/", FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
  assert_url ("https://ca.example.fr/api/v1?x=1", FALSE, PORTEUR_CA_CONFIG_ERROR_BAD_URL);
}

static char *
make_cert (const char *dir, const char *name)
{
  g_autofree char *cert = g_build_filename (dir, name, NULL);
  g_autofree char *key = g_strconcat (cert, ".key", NULL);
  g_autofree char *subj = g_strconcat ("/CN=", name, NULL);
  const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", subj, "-keyout", key, "-out", cert, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&cert);
}

static void
test_trust (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("porteur-ca-config-XXXXXX", &error);
  g_autofree char *anchor = NULL, *other = NULL, *empty = NULL, *missing = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GTlsCertificate) good = NULL, bad = NULL;
  GTlsCertificateFlags flags;

  g_assert_no_error (error);
  anchor = make_cert (dir, "anchor");
  other = make_cert (dir, "other");
  empty = g_build_filename (dir, "empty.pem", NULL);
  missing = g_build_filename (dir, "missing.pem", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  db = porteur_ca_config_load_trust (anchor, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);

  good = g_tls_certificate_new_from_file (anchor, &error);
  g_assert_no_error (error);
  bad = g_tls_certificate_new_from_file (other, &error);
  g_assert_no_error (error);
  /* The pinned anchor is trusted; a certificate of another issuer is not
   * (even if the system store were to trust it). */
  flags = g_tls_database_verify_chain (db, good, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       NULL, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (flags & G_TLS_CERTIFICATE_UNKNOWN_CA);
  flags = g_tls_database_verify_chain (db, bad, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       NULL, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (flags & G_TLS_CERTIFICATE_UNKNOWN_CA);

  g_assert_null (porteur_ca_config_load_trust (empty, &error));
  g_assert_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_TRUST);
  g_clear_error (&error);
  g_assert_null (porteur_ca_config_load_trust (missing, &error));
  g_assert_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_TRUST);
  g_clear_error (&error);

  {
    g_autoptr(GFile) d = g_file_new_for_path (dir);
    g_autoptr(GFileEnumerator) e = g_file_enumerate_children (d, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                              0, NULL, NULL);
    GFileInfo *info;

    while (e && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
      {
        g_autofree char *p = g_build_filename (dir, g_file_info_get_name (info), NULL);
        g_unlink (p);
        g_object_unref (info);
      }
    g_rmdir (dir);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/config/url", test_url);
  g_test_add_func ("/ca/config/trust", test_trust);
  return g_test_run ();
}
