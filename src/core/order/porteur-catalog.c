/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "porteur-catalog.h"

/* GNU .mo layout: a 28-byte header (magic, revision, count, offset of the table of originals,
 * offset of the table of translations, hash table size and offset), then two tables of
 * (length, offset) pairs; every string is NUL-terminated after its length. A context is
 * "context\004msgid"; a plural message is "singular\0plural" → "form0\0form1…". */
#define MO_MAGIC         0x950412deU
#define MO_MAGIC_SWAPPED 0xde120495U
#define MO_HEADER_SIZE   28

G_DEFINE_QUARK (porteur-catalog-error-quark, porteur_catalog_error)

struct _PorteurCatalog {
  gatomicrefcount  ref_count;
  GBytes          *bytes;
  GHashTable      *messages;  /* msgid (with context) → translation, both inside bytes */
};

static gboolean
read_u32 (const guint8 *data,
          gsize         size,
          gsize         offset,
          gboolean      swapped,
          guint32      *out)
{
  guint32 value;

  if (offset > size || size - offset < 4)
    return FALSE;
  memcpy (&value, data + offset, 4);
  *out = swapped ? GUINT32_SWAP_LE_BE (value) : value;
  return TRUE;
}

/* The string of entry i of the table at table_offset, checked to lie inside the data and to be
 * NUL-terminated where its length says. */
static const char *
read_string (const guint8 *data,
             gsize         size,
             guint32       table_offset,
             guint32       i,
             gboolean      swapped,
             guint32      *length)
{
  guint64 entry = (guint64) table_offset + (guint64) i * 8;
  guint32 offset;

  if (entry + 8 > size
      || !read_u32 (data, size, (gsize) entry, swapped, length)
      || !read_u32 (data, size, (gsize) entry + 4, swapped, &offset))
    return NULL;
  if ((guint64) offset + *length >= size || data[(gsize) offset + *length] != '\0')
    return NULL;
  return (const char *) data + offset;
}

static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_INVALID,
               "Not a valid message catalogue: %s", what);
  return FALSE;
}

static gboolean
parse (PorteurCatalog  *catalog,
       GError         **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (catalog->bytes, &size);
  guint32 magic = 0, revision = 0, count = 0, originals = 0, translations = 0;
  gboolean swapped;

  if (data == NULL || size < MO_HEADER_SIZE)
    return invalid (error, "too short");
  memcpy (&magic, data, 4);
  if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED)
    return invalid (error, "bad magic number");
  swapped = magic == MO_MAGIC_SWAPPED;
  read_u32 (data, size, 4, swapped, &revision);
  read_u32 (data, size, 8, swapped, &count);
  read_u32 (data, size, 12, swapped, &originals);
  read_u32 (data, size, 16, swapped, &translations);
  if ((revision >> 16) > 1)
    return invalid (error, "unknown major revision");
  if ((guint64) originals + (guint64) count * 8 > size || (guint64) translations + (guint64) count * 8 > size)
    return invalid (error, "tables out of range");

  for (guint32 i = 0; i < count; i++)
    {
      guint32 id_length = 0, str_length = 0;
      const char *id = read_string (data, size, originals, i, swapped, &id_length);
      const char *str = read_string (data, size, translations, i, swapped, &str_length);

      if (id == NULL || str == NULL)
        return invalid (error, "string out of range");
      /* The header (empty msgid) and empty translations are not messages. */
      if (*id == '\0' || *str == '\0')
        continue;
      if (!g_utf8_validate (str, strlen (str), NULL) || !g_utf8_validate (id, strlen (id), NULL))
        return invalid (error, "not UTF-8");
      g_hash_table_insert (catalog->messages, (gpointer) id, (gpointer) str);
    }
  return TRUE;
}

PorteurCatalog *
porteur_catalog_new_from_bytes (GBytes  *bytes,
                                GError **error)
{
  PorteurCatalog *catalog;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  catalog = g_new0 (PorteurCatalog, 1);
  g_atomic_ref_count_init (&catalog->ref_count);
  catalog->bytes = g_bytes_ref (bytes);
  catalog->messages = g_hash_table_new (g_str_hash, g_str_equal);
  if (!parse (catalog, error))
    {
      porteur_catalog_unref (catalog);
      return NULL;
    }
  return catalog;
}

PorteurCatalog *
porteur_catalog_new_from_file (const char  *path,
                               GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) bytes = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      g_set_error (error, PORTEUR_CATALOG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                     ? PORTEUR_CATALOG_ERROR_NOT_FOUND : PORTEUR_CATALOG_ERROR_INVALID,
                   "%s", local->message);
      return NULL;
    }
  bytes = g_bytes_new_take (contents, length);
  return porteur_catalog_new_from_bytes (bytes, error);
}

PorteurCatalog *
porteur_catalog_ref (PorteurCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, NULL);
  g_atomic_ref_count_inc (&catalog->ref_count);
  return catalog;
}

void
porteur_catalog_unref (PorteurCatalog *catalog)
{
  g_return_if_fail (catalog != NULL);
  if (!g_atomic_ref_count_dec (&catalog->ref_count))
    return;
  g_hash_table_unref (catalog->messages);
  g_bytes_unref (catalog->bytes);
  g_free (catalog);
}

guint
porteur_catalog_get_size (PorteurCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, 0);
  return g_hash_table_size (catalog->messages);
}

const char *
porteur_catalog_lookup (PorteurCatalog *catalog,
                        const char     *context,
                        const char     *msgid)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (msgid != NULL, NULL);

  if (context == NULL)
    return g_hash_table_lookup (catalog->messages, msgid);
  key = g_strconcat (context, "\004", msgid, NULL);
  return g_hash_table_lookup (catalog->messages, key);
}

/* ---------------------------------------------------------------------------------------- */

static GMutex cache_lock;
static GHashTable *cache;  /* "localedir\nlanguage" → PorteurCatalog, or the cache itself when none */

static PorteurCatalog *
load_for_language (const char  *localedir,
                   const char  *language,
                   GError     **error)
{
  g_auto(GStrv) variants = g_get_locale_variants (language);

  for (guint i = 0; variants[i]; i++)
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *path = NULL;
      PorteurCatalog *catalog;

      /* A language name is a path component: refuse anything that could leave localedir. */
      if (strchr (variants[i], '/') || g_str_equal (variants[i], "..") || g_str_equal (variants[i], "."))
        break;
      path = g_build_filename (localedir, variants[i], "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
      catalog = porteur_catalog_new_from_file (path, &local);
      if (catalog)
        return catalog;
      if (!g_error_matches (local, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", path);
          return NULL;
        }
    }
  g_set_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND,
               "No message catalogue for the language %s under %s", language, localedir);
  return NULL;
}

PorteurCatalog *
porteur_catalog_get_for_language (const char  *language,
                                  GError     **error)
{
  const char *test_dir = g_getenv ("PORTEUR_TEST_LOCALEDIR");
  const char *localedir = test_dir && *test_dir ? test_dir : LOCALEDIR;
  g_autofree char *key = NULL;
  g_autoptr(GError) local = NULL;
  PorteurCatalog *catalog;
  gpointer cached;

  g_return_val_if_fail (language != NULL, NULL);

  key = g_strconcat (localedir, "\n", language, NULL);
  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);
  if (g_hash_table_lookup_extended (cache, key, NULL, &cached))
    {
      g_mutex_unlock (&cache_lock);
      if (cached == cache)
        {
          g_set_error (error, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND,
                       "No message catalogue for the language %s under %s", language, localedir);
          return NULL;
        }
      return porteur_catalog_ref (cached);
    }
  /* Read under the lock: two threads asking for the same language read it once. */
  catalog = load_for_language (localedir, language, &local);
  /* A missing catalogue is remembered; a damaged one is reported each time. */
  if (catalog || g_error_matches (local, PORTEUR_CATALOG_ERROR, PORTEUR_CATALOG_ERROR_NOT_FOUND))
    g_hash_table_insert (cache, g_steal_pointer (&key), catalog ? (gpointer) catalog : (gpointer) cache);
  g_mutex_unlock (&cache_lock);
  if (catalog == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return porteur_catalog_ref (catalog);
}

const char *
porteur_catalog_pgettext (const char *language,
                          const char *context,
                          const char *msgid)
{
  g_autoptr(PorteurCatalog) catalog = NULL;
  const char *translation;

  g_return_val_if_fail (msgid != NULL, NULL);

  if (language == NULL || *language == '\0' || g_str_equal (language, "C")
      || g_str_equal (language, "POSIX") || g_str_has_prefix (language, "en"))
    return msgid;
  catalog = porteur_catalog_get_for_language (language, NULL);
  if (catalog == NULL)
    return msgid;
  /* The cache keeps the catalogue alive for the process: the string outlives this reference. */
  translation = porteur_catalog_lookup (catalog, context, msgid);
  return translation ? translation : msgid;
}
