/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "store/porteur-store.h"
#include "porteur-order-draft.h"

G_DEFINE_QUARK (porteur-order-error-quark, porteur_order_error)

#define DRAFT_DIR "order/drafts"

char *
porteur_order_draft_new_id (void)
{
  return g_uuid_string_random ();
}

static char *
draft_relative_path (const char  *id,
                     GError     **error)
{
  /* The id becomes a file name: only canonical UUIDs are accepted. */
  if (id == NULL || !g_uuid_string_is_valid (id))
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID,
                   "Invalid draft identifier “%s”", id ? id : "(null)");
      return NULL;
    }
  return g_strdup_printf (DRAFT_DIR "/%s.json", id);
}

gboolean
porteur_order_draft_save (const char  *id,
                          guint        step,
                          JsonObject  *dossier,
                          GError     **error)
{
  g_autofree char *path = draft_relative_path (id, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *updated = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) copy = json_node_new (JSON_NODE_OBJECT);

  g_return_val_if_fail (dossier != NULL, FALSE);
  if (path == NULL)
    return FALSE;
  updated = g_date_time_format_iso8601 (now);
  json_node_set_object (copy, dossier);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "step");
  json_builder_add_int_value (builder, step);
  json_builder_set_member_name (builder, "updated");
  json_builder_add_string_value (builder, updated);
  json_builder_set_member_name (builder, "dossier");
  json_builder_add_value (builder, g_steal_pointer (&copy));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  return porteur_store_write_document (path, PORTEUR_ORDER_DRAFT_KIND,
                                       PORTEUR_ORDER_DRAFT_VERSION, root, error);
}

PorteurOrderDraft *
porteur_order_draft_load (const char  *id,
                          GError     **error)
{
  g_autofree char *path = draft_relative_path (id, error);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(PorteurOrderDraft) draft = NULL;
  JsonObject *object;
  JsonNode *dossier;
  const char *updated;

  if (path == NULL)
    return NULL;
  data = porteur_store_read_document (path, PORTEUR_ORDER_DRAFT_KIND,
                                      PORTEUR_ORDER_DRAFT_VERSION, NULL, &local_error);
  if (data == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND,
                     "No draft “%s”", id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (data))
    goto corrupt;
  object = json_node_get_object (data);
  dossier = json_object_get_member (object, "dossier");
  updated = json_object_get_string_member_with_default (object, "updated", NULL);
  if (dossier == NULL || !JSON_NODE_HOLDS_OBJECT (dossier) || updated == NULL)
    goto corrupt;

  draft = g_new0 (PorteurOrderDraft, 1);
  draft->id = g_strdup (id);
  draft->step = (guint) CLAMP (json_object_get_int_member_with_default (object, "step", 0), 0, 6);
  draft->updated = g_date_time_new_from_iso8601 (updated, NULL);
  if (draft->updated == NULL)
    goto corrupt;
  draft->dossier = json_object_ref (json_node_get_object (dossier));
  return g_steal_pointer (&draft);

corrupt:
  g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT,
               "Draft “%s” is not a valid draft document", id);
  return NULL;
}

gboolean
porteur_order_draft_delete (const char  *id,
                            GError     **error)
{
  g_autofree char *relative = draft_relative_path (id, error);
  g_autofree char *path = NULL;

  if (relative == NULL)
    return FALSE;
  path = porteur_store_build_path (relative, error);
  if (path == NULL)
    return FALSE;
  if (g_unlink (path) != 0)
    {
      int saved = errno;

      g_set_error (error, saved == ENOENT ? PORTEUR_ORDER_ERROR : G_FILE_ERROR,
                   saved == ENOENT ? PORTEUR_ORDER_ERROR_NOT_FOUND : g_file_error_from_errno (saved),
                   "Cannot delete draft “%s”: %s", id, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

void
porteur_order_draft_free (PorteurOrderDraft *draft)
{
  if (draft == NULL)
    return;
  g_free (draft->id);
  g_clear_pointer (&draft->updated, g_date_time_unref);
  g_clear_pointer (&draft->dossier, json_object_unref);
  g_free (draft);
}

static int
compare_updated (gconstpointer a,
                 gconstpointer b)
{
  const PorteurOrderDraft *da = *(PorteurOrderDraft * const *) a;
  const PorteurOrderDraft *db = *(PorteurOrderDraft * const *) b;

  return g_date_time_compare (db->updated, da->updated);
}

GPtrArray *
porteur_order_draft_list (GError **error)
{
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_order_draft_free);
  g_autofree char *dir_path = porteur_store_build_path (DRAFT_DIR, error);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *name;

  if (dir_path == NULL)
    return NULL;
  dir = g_dir_open (dir_path, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&drafts);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *id = NULL;
      g_autoptr(GError) draft_error = NULL;
      PorteurOrderDraft *draft;

      if (!g_str_has_suffix (name, ".json"))
        continue;   /* temporary files of an interrupted save */
      id = g_strndup (name, strlen (name) - strlen (".json"));
      if (!g_uuid_string_is_valid (id))
        continue;
      draft = porteur_order_draft_load (id, &draft_error);
      if (draft == NULL)
        {
          g_message ("Skipping draft %s: %s", id, draft_error->message);
          continue;
        }
      g_ptr_array_add (drafts, draft);
    }
  g_ptr_array_sort (drafts, compare_updated);
  return g_steal_pointer (&drafts);
}
