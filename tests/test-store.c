/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "store/porteur-store.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_store_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = parse ("{\"siret\": \"73282932000074\", \"step\": 3}");
  g_autoptr(JsonNode) read = NULL;
  g_autofree char *path = NULL;
  guint version = 0;
  GStatBuf st;

  g_assert_true (porteur_store_write_document ("drafts/a.json", "draft", 2, data, &error));
  g_assert_no_error (error);

  read = porteur_store_read_document ("drafts/a.json", "draft", 2, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (version, ==, 2);
  g_assert_true (json_node_equal (read, data));

  /* The holder's data is private to the holder. */
  path = porteur_store_build_path ("drafts/a.json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_store_refuses_bad_names (void)
{
  const char *bad[] = { "../escape.json", "/etc/passwd", "a/../../b", "", "a//b", "./x" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = porteur_store_build_path (bad[i], &error);

      g_assert_null (path);
      g_assert_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_INVALID_NAME);
    }
}

static void
write_raw (const char *name,
           const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = porteur_store_build_path (name, &error);

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static void
test_store_rejects_corrupt (void)
{
  const char *bad[] = {
    "{\"kind\": \"draft\", \"version\": 1",               /* truncated */
    "[1, 2]",                                              /* not an object */
    "{\"kind\": \"history\", \"version\": 1, \"data\": {}}", /* another kind */
    "{\"kind\": \"draft\", \"version\": \"1\", \"data\": {}}",/* wrong type */
    "{\"kind\": \"draft\", \"version\": 0, \"data\": {}}",   /* impossible version */
    "{\"kind\": \"draft\", \"version\": 1}",               /* no data */
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;

      write_raw ("bad.json", bad[i]);
      node = porteur_store_read_document ("bad.json", "draft", 1, NULL, &error);
      g_assert_null (node);
      g_assert_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_CORRUPT);
    }
}

static void
test_store_too_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  write_raw ("future.json", "{\"kind\": \"draft\", \"version\": 9, \"data\": {}}");
  node = porteur_store_read_document ("future.json", "draft", 2, NULL, &error);
  g_assert_null (node);
  g_assert_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_TOO_NEW);
}

static void
test_store_missing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = porteur_store_read_document ("none.json", "draft", 1, NULL, &error);

  g_assert_null (node);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_store_atomic_replace (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) first = parse ("{\"n\": 1}");
  g_autoptr(JsonNode) second = parse ("{\"n\": 2}");
  g_autoptr(JsonNode) read = NULL;
  g_autofree char *path = porteur_store_build_path ("replace.json", &error);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GDir) listing = NULL;
  const char *entry;

  g_assert_true (porteur_store_write_document ("replace.json", "draft", 1, first, &error));
  g_assert_true (porteur_store_write_document ("replace.json", "draft", 1, second, &error));
  g_assert_no_error (error);
  read = porteur_store_read_document ("replace.json", "draft", 1, NULL, &error);
  g_assert_true (json_node_equal (read, second));

  /* No temporary file is left behind. */
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((entry = g_dir_read_name (listing)))
    g_assert_false (g_str_has_prefix (entry, "replace.json."));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store/roundtrip", test_store_roundtrip);
  g_test_add_func ("/store/bad-names", test_store_refuses_bad_names);
  g_test_add_func ("/store/corrupt", test_store_rejects_corrupt);
  g_test_add_func ("/store/too-new", test_store_too_new);
  g_test_add_func ("/store/missing", test_store_missing);
  g_test_add_func ("/store/atomic-replace", test_store_atomic_replace);

  return g_test_run ();
}
