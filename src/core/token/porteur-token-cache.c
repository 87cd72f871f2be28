/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "porteur-token-cache.h"

#define CACHE_VERSION 1
#define MAX_CACHED_FILE (16 * 1024)

static GMutex cache_lock;
static GHashTable *memory;   /* ATR hex → PorteurTokenCacheEntry */

void
porteur_token_cache_entry_free (PorteurTokenCacheEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_pointer (&entry->dir, g_bytes_unref);
  g_clear_pointer (&entry->odf, g_bytes_unref);
  g_clear_pointer (&entry->aodf, g_bytes_unref);
  g_free (entry);
}

static PorteurTokenCacheEntry *
entry_copy (const PorteurTokenCacheEntry *entry)
{
  PorteurTokenCacheEntry *copy = g_new0 (PorteurTokenCacheEntry, 1);

  copy->family = entry->family;
  copy->dir = g_bytes_ref (entry->dir);
  copy->odf = g_bytes_ref (entry->odf);
  copy->aodf = g_bytes_ref (entry->aodf);
  return copy;
}

static gboolean
entry_equal (const PorteurTokenCacheEntry *a,
             const PorteurTokenCacheEntry *b)
{
  return a->family == b->family && g_bytes_equal (a->dir, b->dir) && g_bytes_equal (a->odf, b->odf) &&
         g_bytes_equal (a->aodf, b->aodf);
}

/* ATRs are hex: anything else is not a key we use for a file name. */
static gboolean
valid_atr (const char *atr_hex)
{
  gsize n = atr_hex ? strlen (atr_hex) : 0;

  if (n < 4 || n > 66 || n % 2)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (atr_hex[i]))
      return FALSE;
  return TRUE;
}

char *
porteur_token_cache_path (const char *atr_hex)
{
  g_autofree char *name = g_ascii_strup (atr_hex, -1);
  g_autofree char *file = g_strconcat (name, ".json", NULL);

  return g_build_filename (g_get_user_cache_dir (), "porteur", "tokens", file, NULL);
}

static char *
to_hex (GBytes *bytes)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (bytes, &n);
  GString *s = g_string_sized_new (n * 2);

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%02X", d[i]);
  return g_string_free (s, FALSE);
}

static GBytes *
from_hex (const char *hex)
{
  gsize n = hex ? strlen (hex) : 0;
  g_autoptr(GByteArray) a = NULL;

  if (n == 0 || n % 2 || n / 2 > MAX_CACHED_FILE)
    return NULL;
  a = g_byte_array_sized_new (n / 2);
  for (gsize i = 0; i < n; i += 2)
    {
      guint8 b;
      if (!g_ascii_isxdigit (hex[i]) || !g_ascii_isxdigit (hex[i + 1]))
        return NULL;
      b = g_ascii_xdigit_value (hex[i]) << 4 | g_ascii_xdigit_value (hex[i + 1]);
      g_byte_array_append (a, &b, 1);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&a));
}

static PorteurTokenCacheEntry *
load_from_disk (const char *atr_hex)
{
  g_autofree char *path = porteur_token_cache_path (atr_hex);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PorteurTokenCacheEntry) entry = NULL;
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_mapped_file (parser, path, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  if (json_object_get_int_member_with_default (o, "version", 0) != CACHE_VERSION ||
      g_ascii_strcasecmp (json_object_get_string_member_with_default (o, "atr", ""), atr_hex) != 0)
    return NULL;
  entry = g_new0 (PorteurTokenCacheEntry, 1);
  entry->family = json_object_get_int_member_with_default (o, "family", 0);
  entry->dir = from_hex (json_object_get_string_member_with_default (o, "dir", NULL));
  entry->odf = from_hex (json_object_get_string_member_with_default (o, "odf", NULL));
  entry->aodf = from_hex (json_object_get_string_member_with_default (o, "aodf", NULL));
  if (entry->family <= 0 || entry->family > 2 || !entry->dir || !entry->odf || !entry->aodf)
    return NULL;
  return g_steal_pointer (&entry);
}

static void
save_to_disk (const char                   *atr_hex,
              const PorteurTokenCacheEntry *entry)
{
  g_autofree char *path = porteur_token_cache_path (atr_hex);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir_hex = to_hex (entry->dir), *odf_hex = to_hex (entry->odf), *aodf_hex = to_hex (entry->aodf);
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, CACHE_VERSION);
  json_builder_set_member_name (b, "atr");
  json_builder_add_string_value (b, atr_hex);
  json_builder_set_member_name (b, "family");
  json_builder_add_int_value (b, entry->family);
  json_builder_set_member_name (b, "dir");
  json_builder_add_string_value (b, dir_hex);
  json_builder_set_member_name (b, "odf");
  json_builder_add_string_value (b, odf_hex);
  json_builder_set_member_name (b, "aodf");
  json_builder_add_string_value (b, aodf_hex);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = json_to_string (root, TRUE);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Token cache not written (%s): %s", path, error ? error->message : g_strerror (errno));
}

PorteurTokenCacheEntry *
porteur_token_cache_lookup (const char *atr_hex)
{
  PorteurTokenCacheEntry *found, *result = NULL;

  if (!valid_atr (atr_hex))
    return NULL;
  g_mutex_lock (&cache_lock);
  if (memory == NULL)
    memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) porteur_token_cache_entry_free);
  found = g_hash_table_lookup (memory, atr_hex);
  if (found == NULL && (found = load_from_disk (atr_hex)))
    g_hash_table_insert (memory, g_strdup (atr_hex), found);
  if (found)
    result = entry_copy (found);
  g_mutex_unlock (&cache_lock);
  return result;
}

void
porteur_token_cache_store (const char                   *atr_hex,
                           const PorteurTokenCacheEntry *entry)
{
  PorteurTokenCacheEntry *found;

  if (!valid_atr (atr_hex) || !entry->dir || !entry->odf || !entry->aodf)
    return;
  g_mutex_lock (&cache_lock);
  if (memory == NULL)
    memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) porteur_token_cache_entry_free);
  found = g_hash_table_lookup (memory, atr_hex);
  if (found == NULL && (found = load_from_disk (atr_hex)))
    g_hash_table_insert (memory, g_strdup (atr_hex), found);
  if (found == NULL || !entry_equal (found, entry))
    {
      g_hash_table_insert (memory, g_strdup (atr_hex), entry_copy (entry));
      save_to_disk (atr_hex, entry);
    }
  g_mutex_unlock (&cache_lock);
}

void
porteur_token_cache_forget (const char *atr_hex)
{
  g_autofree char *path = NULL;

  if (!valid_atr (atr_hex))
    return;
  path = porteur_token_cache_path (atr_hex);
  g_mutex_lock (&cache_lock);
  if (memory)
    g_hash_table_remove (memory, atr_hex);
  g_unlink (path);
  g_mutex_unlock (&cache_lock);
}

void
porteur_token_cache_clear_memory (void)
{
  g_mutex_lock (&cache_lock);
  if (memory)
    g_hash_table_remove_all (memory);
  g_mutex_unlock (&cache_lock);
}
