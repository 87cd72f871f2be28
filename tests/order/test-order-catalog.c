/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "order/porteur-catalog.h"

/* A .mo image made here, in either byte order: msgfmt's layout (header, table of originals,
 * table of translations, then the strings, each NUL-terminated). */
static GBytes *
make_mo (const char * const *pairs,
         gsize               n_bytes_of_first_id, /* 0: the id's own length */
         gboolean            swapped)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GByteArray) strings = g_byte_array_new ();
  guint32 count = 0;
  guint32 header[7];
  guint32 base;

  while (pairs[count * 2])
    count++;
  base = 28 + count * 16;
#define PUT(v) G_STMT_START { guint32 x_ = (v); if (swapped) x_ = GUINT32_SWAP_LE_BE (x_); g_byte_array_append (data, (guint8 *) &x_, 4); } G_STMT_END
  header[0] = 0x950412de; header[1] = 0; header[2] = count; header[3] = 28; header[4] = 28 + count * 8;
  header[5] = 0; header[6] = 0;
  for (guint i = 0; i < 7; i++)
    PUT (header[i]);
  for (guint k = 0; k < 2; k++)
    for (guint32 i = 0; i < count; i++)
      {
        /* Plural messages: "a\nb" in the table stands for "a\0b". */
        g_autofree char *s = g_strdup (pairs[i * 2 + k]);
        gsize len = strlen (s);

        for (char *p = s; *p; p++)
          if (*p == '\n')
            *p = '\0';
        PUT (k == 0 && i == 0 && n_bytes_of_first_id ? n_bytes_of_first_id : len);
        PUT (base + strings->len);
        g_byte_array_append (strings, (guint8 *) s, len + 1);
      }
#undef PUT
  g_byte_array_append (data, strings->data, strings->len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static const char * const sample[] = {
  "", "Content-Type: text/plain; charset=UTF-8\n",
  "Name", "Nom",
  "One file\nFiles", "Un fichier\nDes fichiers",
  "form\004Name", "Raison sociale",
  "Untranslated", "",
  NULL, NULL,
};

static void
test_catalog_lookup (gconstpointer data)
{
  gboolean swapped = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = make_mo (sample, 0, swapped);
  g_autoptr(PorteurCatalog) catalog = porteur_catalog_new_from_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (porteur_catalog_get_size (catalog), ==, 3);
  g_assert_cmpstr (porteur_catalog_lookup (catalog, NULL, "Name"), ==, "Nom");
  g_assert_cmpstr (porteur_catalog_lookup (catalog, "form", "Name"), ==, "Raison sociale");
  g_assert_cmpstr (porteur_catalog_lookup (catalog, NULL, "One file"), ==, "Un fichier");
  g_assert_null (porteur_catalog_lookup (catalog, NULL, "Untranslated"));
  g_assert_null (porteur_catalog_lookup (catalog, NULL, ""));
  g_assert_null (porteur_catalog_lookup (catalog, "other", "Name"));
  g_assert_null (porteur_catalog_lookup (catalog, NULL, "Missing"));
}

static void
expect_invalid (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCatalog) catalog = porteur_catalog_new_from_bytes (bytes, &error);

  g_assert_null (catalog);
  g_assert_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_INVALID);
}

static void
test_catalog_damaged (void)
{
  g_autoptr(GBytes) good = make_mo (sample, 0, FALSE);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (good, &size);
  const char * const bad_utf8[] = { "Name", "N\xc3", NULL, NULL };
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

  expect_invalid (empty);
  /* Every truncation of a good file is refused (strings or tables cut), never read past. */
  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, cut);
      expect_invalid (part);
    }
  /* A bad magic number. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, size);
    g_autoptr(GBytes) bytes = NULL;

    copy[0] ^= 0xff;
    bytes = g_bytes_new (copy, size);
    expect_invalid (bytes);
  }
  /* A table offset beyond the end. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, size);
    g_autoptr(GBytes) bytes = NULL;
    guint32 huge = 0xfffffff0;

    memcpy (copy + 16, &huge, 4);
    bytes = g_bytes_new (copy, size);
    expect_invalid (bytes);
  }
  /* A string length that runs past its NUL, and an enormous count. */
  {
    g_autoptr(GBytes) bytes = make_mo (sample, 1000, FALSE);
    g_autofree guint8 *copy = g_memdup2 (data, size);
    g_autoptr(GBytes) counted = NULL;
    guint32 count = 0x20000000;

    expect_invalid (bytes);
    memcpy (copy + 8, &count, 4);
    counted = g_bytes_new (copy, size);
    expect_invalid (counted);
  }
  /* Translations that are not UTF-8. */
  {
    g_autoptr(GBytes) bytes = make_mo (bad_utf8, 0, FALSE);
    expect_invalid (bytes);
  }
}

/* The catalogues built from po/fr.po and po/br.po, found under PORTEUR_TEST_LOCALEDIR. */
static void
test_catalog_built (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCatalog) fr = porteur_catalog_get_for_language ("fr", &error);
  g_autoptr(PorteurCatalog) fr_variant = NULL;
  g_autoptr(PorteurCatalog) br = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (porteur_catalog_get_size (fr), >, 100);
  /* The same catalogue, from the cache, for a locale name. */
  fr_variant = porteur_catalog_get_for_language ("fr_FR.UTF-8", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (porteur_catalog_get_size (fr_variant), ==, porteur_catalog_get_size (fr));
  br = porteur_catalog_get_for_language ("br", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (porteur_catalog_pgettext ("fr", "subscription form", "Mrs"), ==, "Mme");
  g_assert_cmpstr (porteur_catalog_pgettext ("br", "subscription form", "Mrs"), ==, "It.");
  g_assert_cmpstr (porteur_catalog_pgettext ("fr", NULL, "Public body"), ==, "Entité publique");
  /* English is the source; unknown languages and messages fall back to the msgid. */
  g_assert_cmpstr (porteur_catalog_pgettext ("en", "subscription form", "Mrs"), ==, "Mrs");
  g_assert_cmpstr (porteur_catalog_pgettext ("de", "subscription form", "Mrs"), ==, "Mrs");
  g_assert_cmpstr (porteur_catalog_pgettext ("fr", NULL, "No such message in Porteur"), ==, "No such message in Porteur");
  g_assert_cmpstr (porteur_catalog_pgettext (NULL, NULL, "Mrs"), ==, "Mrs");

  g_assert_null (porteur_catalog_get_for_language ("de", &error));
  g_assert_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* A language name never leaves the locale directory. */
  g_assert_null (porteur_catalog_get_for_language ("../../etc", &error));
  g_assert_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND);
}

static void
test_catalog_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("catalog-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "x.mo", NULL);
  g_autoptr(GBytes) bytes = make_mo (sample, 0, FALSE);
  g_autoptr(PorteurCatalog) catalog = NULL;

  g_assert_null (porteur_catalog_new_from_file (path, &error));
  g_assert_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
  catalog = porteur_catalog_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_catalog_lookup (catalog, NULL, "Name"), ==, "Nom");
  g_unlink (path);
  g_rmdir (dir);
}

/* Worker threads look up different languages at once (the form is drawn off the main thread);
 * run under TSan/ASan this also checks the cache's locking. */
static gpointer
lookup_thread (gpointer data)
{
  const char *language = data;
  const char *expected = g_str_equal (language, "fr") ? "Mme" : g_str_equal (language, "br") ? "It." : "Mrs";

  for (guint i = 0; i < 2000; i++)
    if (g_strcmp0 (porteur_catalog_pgettext (language, "subscription form", "Mrs"), expected) != 0)
      return GINT_TO_POINTER (FALSE);
  return GINT_TO_POINTER (TRUE);
}

static void
test_catalog_threads (void)
{
  const char *languages[] = { "fr", "br", "en", "de", "fr_FR", "br_FR.UTF-8" };
  const char *expected_language[] = { "fr", "br", "en", "de", "fr", "br" };
  GThread *threads[G_N_ELEMENTS (languages)];

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    threads[i] = g_thread_new ("lookup", lookup_thread, (gpointer) expected_language[i]);
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
  g_assert_cmpstr (porteur_catalog_pgettext (languages[5], "subscription form", "Mrs"), ==, "It.");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/order/catalog/lookup", GINT_TO_POINTER (FALSE), test_catalog_lookup);
  g_test_add_data_func ("/order/catalog/lookup-big-endian", GINT_TO_POINTER (TRUE), test_catalog_lookup);
  g_test_add_func ("/order/catalog/damaged", test_catalog_damaged);
  g_test_add_func ("/order/catalog/file", test_catalog_file);
  g_test_add_func ("/order/catalog/built", test_catalog_built);
  g_test_add_func ("/order/catalog/threads", test_catalog_threads);
  return g_test_run ();
}
