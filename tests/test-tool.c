/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

/* porteur-tool and porteur as a script or a session would run them. */

static int
run (char **out,
     char **err,
     ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *arg;
  int status = -1;
  va_list ap;

  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static const char *
tool (void)
{
  const char *path = g_getenv ("PORTEUR_TOOL");

  g_assert_nonnull (path);
  return path;
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_tool_version (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = g_strdup_printf ("porteur-tool %s\n", PACKAGE_VERSION);

  g_assert_cmpint (run (&out, &err, tool (), "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, expected));
  g_assert_cmpstr (err, ==, "");
}

static void
test_tool_version_json (void)
{
  const char *orders[][3] = { { "--json", "version", NULL }, { "version", "--json", NULL } };

  for (guint i = 0; i < G_N_ELEMENTS (orders); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      JsonObject *object;

      g_assert_cmpint (run (&out, &err, tool (), orders[i][0], orders[i][1], NULL), ==, 0);
      object = parse_object (parser, out);
      g_assert_cmpstr (json_object_get_string_member (object, "version"), ==, PACKAGE_VERSION);
      g_assert_true (json_object_has_member (json_object_get_object_member (object, "libraries"), "openssl"));
      g_assert_cmpstr (err, ==, "");
    }
}

static void
test_tool_unknown_command (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  JsonObject *error;

  g_assert_cmpint (run (&out, &err, tool (), "frobnicate", NULL), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "frobnicate"));

  /* With --json the error is one JSON document on stderr, and stdout stays empty. */
  g_assert_cmpint (run (&out2, &err2, tool (), "--json", "frobnicate", NULL), ==, 2);
  g_assert_cmpstr (out2, ==, "");
  error = json_object_get_object_member (parse_object (parser, err2), "error");
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "frobnicate"));
}

static void
test_tool_no_command (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run (&out, &err, tool (), NULL), ==, 2);
  g_assert_nonnull (strstr (err, "version"));
}

static void
test_tool_bad_option (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run (&out, &err, tool (), "version", "--no-such-option", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--no-such-option"));
  g_assert_cmpint (run (NULL, NULL, tool (), "version", "extra", NULL), ==, 2);
}

static void
test_tool_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;

  g_assert_cmpint (run (&out, &err, tool (), "help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "version"));
  g_assert_nonnull (strstr (out, "help"));

  g_assert_cmpint (run (&out2, NULL, tool (), "help", "version", NULL), ==, 0);
  g_assert_nonnull (strstr (out2, "--json"));

  g_assert_cmpint (run (NULL, NULL, tool (), "help", "nosuch", NULL), ==, 2);

  /* a subcommand's own options: "help ca revoke" is "ca revoke --help" */
  {
    g_autofree char *sub = NULL;

    g_assert_cmpint (run (&sub, NULL, tool (), "help", "ca", "revoke", NULL), ==, 0);
    g_assert_nonnull (strstr (sub, "ca revoke SERIAL"));
    g_assert_nonnull (strstr (sub, "--answers-fd"));
  }
}

/* Every porteur-tool command maps the libraries it links at start: not the form's cairo and Pango
 * (a module, loaded by `order form` only), nor poppler or GTK. */
static void
test_tool_libraries (void)
{
  const char *argv[] = { tool (), "help", NULL };
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "LD_TRACE_LOADED_OBJECTS", "1", TRUE);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* The dynamic loader lists what it maps and stops, as ldd does. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "libglib-2.0.so"));
  g_assert_nonnull (strstr (out, "libpcsclite.so"));
  for (const char *const *library = (const char *const[]) { "libcairo", "libpango", "libpoppler", "libgtk", "libharfbuzz", "libX11", NULL };
       *library; library++)
    if (strstr (out, *library) != NULL)
      g_error ("porteur-tool maps %s at start:\n%s", *library, out);
}

static void
test_app_check_expiry (void)
{
  const char *app = g_getenv ("PORTEUR_APP");
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *expected = g_strdup_printf ("Porteur %s\n", PACKAGE_VERSION);

  g_assert_nonnull (app);
  g_assert_cmpint (run (&out, NULL, app, "--check-expiry", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "No certificate is tracked"));

  g_assert_cmpint (run (&out2, NULL, app, "--version", NULL), ==, 0);
  g_assert_cmpstr (out2, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/tool/version", test_tool_version);
  g_test_add_func ("/tool/version-json", test_tool_version_json);
  g_test_add_func ("/tool/unknown-command", test_tool_unknown_command);
  g_test_add_func ("/tool/no-command", test_tool_no_command);
  g_test_add_func ("/tool/bad-option", test_tool_bad_option);
  g_test_add_func ("/tool/help", test_tool_help);
  g_test_add_func ("/tool/libraries", test_tool_libraries);
  g_test_add_func ("/app/check-expiry", test_app_check_expiry);

  return g_test_run ();
}
