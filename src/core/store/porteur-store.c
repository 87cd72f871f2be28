/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "porteur-store.h"

/*
 * Application data lives in $XDG_DATA_HOME/porteur (inside Flatpak, the sandbox's own data
 * directory). Every file is a JSON document {"kind", "version", "data"} written atomically:
 * a crash leaves either the old file or the new one, never a torn one.
 */

G_DEFINE_QUARK (porteur-store-error-quark, porteur_store_error)

char *
porteur_store_dup_data_dir (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "porteur", NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_IO,
                   "Cannot create the data directory %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  return g_steal_pointer (&dir);
}

static gboolean
relative_path_is_safe (const char *relative_path)
{
  g_auto(GStrv) parts = NULL;

  if (relative_path == NULL || *relative_path == '\0' || g_path_is_absolute (relative_path))
    return FALSE;

  parts = g_strsplit (relative_path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (*parts[i] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
        return FALSE;
    }
  return TRUE;
}

char *
porteur_store_build_path (const char  *relative_path,
                          GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *parent = NULL;

  if (!relative_path_is_safe (relative_path))
    {
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_INVALID_NAME,
                   "Invalid data file name “%s”", relative_path ? relative_path : "(null)");
      return NULL;
    }

  if (!(dir = porteur_store_dup_data_dir (error)))
    return NULL;

  path = g_build_filename (dir, relative_path, NULL);
  parent = g_path_get_dirname (path);
  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_IO,
                   "Cannot create %s: %s", parent, g_strerror (saved_errno));
      return NULL;
    }

  return g_steal_pointer (&path);
}

gboolean
porteur_store_write_atomic (const char  *path,
                            const char  *data,
                            gsize        length,
                            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!g_file_set_contents_full (path, data ? data : "", length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_IO,
                   "Cannot write %s: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
porteur_store_write_document (const char  *relative_path,
                              const char  *kind,
                              guint        version,
                              JsonNode    *data,
                              GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  g_return_val_if_fail (kind != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (!(path = porteur_store_build_path (relative_path, error)))
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, version);
  json_builder_set_member_name (builder, "data");
  json_builder_add_value (builder, json_node_copy (data));
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);

  return porteur_store_write_atomic (path, text, length, error);
}

JsonNode *
porteur_store_read_document (const char  *relative_path,
                             const char  *kind,
                             guint        max_version,
                             guint       *out_version,
                             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  JsonObject *object;
  JsonNode *node;
  gint64 version;

  g_return_val_if_fail (kind != NULL, NULL);

  if (!(path = porteur_store_build_path (relative_path, error)))
    return NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_CORRUPT,
                     "%s is not valid JSON: %s", path, local_error->message);
      return NULL;
    }

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto corrupt;
  object = json_node_get_object (node);

  node = json_object_get_member (object, "kind");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING ||
      g_strcmp0 (json_node_get_string (node), kind) != 0)
    goto corrupt;

  node = json_object_get_member (object, "version");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    goto corrupt;
  version = json_node_get_int (node);
  if (version < 1)
    goto corrupt;
  if (version > max_version)
    {
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_TOO_NEW,
                   "%s was written by a newer Porteur (format %" G_GINT64_FORMAT ", this one reads up to %u)",
                   path, version, max_version);
      return NULL;
    }

  node = json_object_get_member (object, "data");
  if (node == NULL)
    goto corrupt;

  if (out_version)
    *out_version = (guint) version;
  return json_node_copy (node);

corrupt:
  g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_CORRUPT,
               "%s is not a Porteur %s document", path, kind);
  return NULL;
}
