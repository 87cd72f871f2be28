/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "store/porteur-store.h"
#include "porteur-order-check.h"
#include "porteur-order-draft.h"
#include "porteur-order-record.h"
#include "porteur-order-text.h"
#include "ca/porteur-ca-revoke.h"

#define RECORD_DIR "order/orders"
#define SUBMISSION_DIR "order/submissions"
#define SUBMISSION_KIND "order-submission"
#define SUBMISSION_VERSION 1

/* ---------------------------------------------------------------------------------------- */
/* Records */

static gboolean
valid_number (const char *number)
{
  /* PO-YYYY-NNNNNN, and in any case a safe file name. */
  if (number == NULL || *number == '\0' || strlen (number) > 64)
    return FALSE;
  for (const char *p = number; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

static char *
record_path (const char  *number,
             GError     **error)
{
  if (!valid_number (number))
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID,
                   "Invalid order number “%s”", number ? number : "(null)");
      return NULL;
    }
  return g_strdup_printf (RECORD_DIR "/%s.json", number);
}

void
porteur_order_record_free (PorteurOrderRecord *record)
{
  if (record == NULL)
    return;
  g_clear_pointer (&record->data, json_object_unref);
  g_free (record);
}

static PorteurOrderRecord *
record_new_take (JsonObject *data)
{
  PorteurOrderRecord *record = g_new0 (PorteurOrderRecord, 1);

  record->data = data;
  if (!json_object_has_member (data, "history") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "history")))
    json_object_set_array_member (data, "history", json_array_new ());
  return record;
}

PorteurOrderRecord *
porteur_order_record_load (const char  *number,
                           GError     **error)
{
  g_autofree char *path = record_path (number, error);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  if (path == NULL)
    return NULL;
  node = porteur_store_read_document (path, PORTEUR_ORDER_RECORD_KIND, PORTEUR_ORDER_RECORD_VERSION, NULL, &local_error);
  if (node == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND, "No order “%s”", number);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  if (object == NULL || g_strcmp0 (porteur_order_member_string (object, "number"), number) != 0 ||
      porteur_order_member_string (object, "status") == NULL ||
      porteur_order_member_object (object, "dossier") == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT, "Order “%s” is not a valid record", number);
      return NULL;
    }
  return record_new_take (json_object_ref (object));
}

gboolean
porteur_order_record_save (PorteurOrderRecord  *record,
                           GError             **error)
{
  g_autofree char *path = record_path (porteur_order_record_get_number (record), error);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  if (path == NULL)
    return FALSE;
  json_node_set_object (node, record->data);
  return porteur_store_write_document (path, PORTEUR_ORDER_RECORD_KIND, PORTEUR_ORDER_RECORD_VERSION, node, error);
}

static int
compare_updated (gconstpointer a,
                 gconstpointer b)
{
  PorteurOrderRecord *ra = *(PorteurOrderRecord * const *) a;
  PorteurOrderRecord *rb = *(PorteurOrderRecord * const *) b;

  /* RFC 3339 UTC times sort as strings. */
  return -g_strcmp0 (porteur_order_member_string (ra->data, "updated"), porteur_order_member_string (rb->data, "updated"));
}

GPtrArray *
porteur_order_record_list (GError **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_order_record_free);
  g_autofree char *dir_path = porteur_store_build_path (RECORD_DIR, error);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *name;

  if (dir_path == NULL)
    return NULL;
  dir = g_dir_open (dir_path, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&records);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *number = NULL;
      g_autoptr(GError) record_error = NULL;
      PorteurOrderRecord *record;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      number = g_strndup (name, strlen (name) - strlen (".json"));
      if (!valid_number (number))
        continue;
      record = porteur_order_record_load (number, &record_error);
      if (record == NULL)
        {
          g_message ("Skipping order %s: %s", number, record_error->message);
          continue;
        }
      g_ptr_array_add (records, record);
    }
  g_ptr_array_sort (records, compare_updated);
  return g_steal_pointer (&records);
}

const char *
porteur_order_record_get_number (PorteurOrderRecord *record)
{
  return porteur_order_member_string (record->data, "number");
}

const char *
porteur_order_record_get_status (PorteurOrderRecord *record)
{
  return porteur_order_member_string (record->data, "status");
}

const char *
porteur_order_record_get_access_token (PorteurOrderRecord *record)
{
  return porteur_order_member_string (record->data, "access_token");
}

JsonObject *
porteur_order_record_get_dossier (PorteurOrderRecord *record)
{
  return porteur_order_member_object (record->data, "dossier");
}

JsonObject *
porteur_order_record_get_office (PorteurOrderRecord *record)
{
  return porteur_order_member_object (record->data, "office");
}

JsonArray *
porteur_order_record_get_history (PorteurOrderRecord *record)
{
  return json_object_get_array_member (record->data, "history");
}

gboolean
porteur_order_record_can_rectify (PorteurOrderRecord *record)
{
  const char *status = porteur_order_record_get_status (record);

  return g_strcmp0 (status, "draft") == 0 || g_strcmp0 (status, "waiting-documents") == 0 ||
         g_strcmp0 (status, "documents-complete") == 0;
}

JsonObject *
porteur_order_record_get_appointment (PorteurOrderRecord *record)
{
  return porteur_order_member_object (record->data, "appointment");
}

gboolean
porteur_order_record_can_book (PorteurOrderRecord *record)
{
  JsonObject *dossier = porteur_order_record_get_dossier (record);

  return g_strcmp0 (porteur_order_record_get_status (record), "validated") == 0 &&
         g_strcmp0 (porteur_order_member_string (dossier, "support"), "software") != 0;
}

/* A record from the CA's answer; the access token, draft and history of the previous record
 * are kept when the answer does not carry them. */
static PorteurOrderRecord *
record_from_order (PorteurCaOrder     *order,
                   PorteurOrderRecord *previous,
                   const char         *access_token,
                   const char         *draft_id)
{
  g_autoptr(JsonNode) node = porteur_ca_order_to_json (order);
  JsonObject *data = json_object_ref (json_node_get_object (node));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *checked = g_date_time_format_iso8601 (now);

  if (porteur_order_member_string (data, "access_token") == NULL)
    {
      const char *token = access_token ? access_token : previous ? porteur_order_record_get_access_token (previous) : NULL;
      if (token)
        json_object_set_string_member (data, "access_token", token);
    }
  if (draft_id == NULL && previous)
    draft_id = porteur_order_member_string (previous->data, "draft_id");
  if (draft_id)
    json_object_set_string_member (data, "draft_id", draft_id);
  json_object_set_string_member (data, "checked", checked);
  if (previous)
    {
      /* What only Porteur knows: kept across the CA's answers. */
      static const char * const local[] = { "enrollment_reference", "enrollment_secret_shown_at",
                                            "pending_rectification", "pending_booking",
                                            "pending_cancellation" };

      json_object_set_array_member (data, "history", json_array_ref (porteur_order_record_get_history (previous)));
      for (guint i = 0; i < G_N_ELEMENTS (local); i++)
        if (json_object_has_member (previous->data, local[i]) && !json_object_has_member (data, local[i]))
          json_object_set_member (data, local[i], json_node_copy (json_object_get_member (previous->data, local[i])));
      /* A cancellation whose answer was lost is over once the CA says nothing is booked: its key
       * must not be sent again for a later appointment (the CA would replay the old answer). */
      if (g_strcmp0 (porteur_order_member_string (data, "status"), "appointment") != 0)
        json_object_remove_member (data, "pending_cancellation");
      /* Likewise a booking whose answer was lost is over once the CA's order shows an
       * appointment (ours: only one can be booked) or has left `validated` (nothing can be
       * booked any more). Only a validated order without an appointment leaves its outcome
       * unknown (never received, or booked and cancelled since), and keeps its key. */
      if (g_strcmp0 (porteur_order_member_string (data, "status"), "validated") != 0 ||
          porteur_order_member_object (data, "appointment") != NULL)
        json_object_remove_member (data, "pending_booking");
    }
  return record_new_take (data);
}

PorteurOrderRecord *
porteur_order_record_save_from_order (PorteurCaOrder  *order,
                                      const char      *access_token,
                                      GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PorteurOrderRecord) previous = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  g_return_val_if_fail (PORTEUR_IS_CA_ORDER (order), NULL);

  previous = porteur_order_record_load (porteur_ca_order_get_number (order), &local_error);
  if (previous == NULL && !g_error_matches (local_error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  record = record_from_order (order, previous, access_token, NULL);
  if (porteur_order_record_get_access_token (record) == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT,
                   "Order “%s” has no access token", porteur_ca_order_get_number (order));
      return NULL;
    }
  if (!porteur_order_record_save (record, error))
    return NULL;
  return g_steal_pointer (&record);
}

/* ---------------------------------------------------------------------------------------- */
/* Submission */

static char *
submission_path (const char  *draft_id,
                 GError     **error)
{
  if (draft_id == NULL || !g_uuid_string_is_valid (draft_id))
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID,
                   "Invalid draft identifier “%s”", draft_id ? draft_id : "(null)");
      return NULL;
    }
  return g_strdup_printf (SUBMISSION_DIR "/%s.json", draft_id);
}

static JsonObject *
read_submission (const char  *draft_id,
                 GError     **error)
{
  g_autofree char *path = submission_path (draft_id, error);
  g_autoptr(JsonNode) node = NULL;

  if (path == NULL)
    return NULL;
  node = porteur_store_read_document (path, SUBMISSION_KIND, SUBMISSION_VERSION, NULL, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node) ||
      porteur_order_member_string (json_node_get_object (node), "create_key") == NULL ||
      porteur_order_member_string (json_node_get_object (node), "submit_key") == NULL ||
      porteur_order_member_object (json_node_get_object (node), "body") == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT, "The pending submission of draft “%s” is damaged", draft_id);
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

static gboolean
write_submission (const char  *draft_id,
                  JsonObject  *submission,
                  GError     **error)
{
  g_autofree char *path = submission_path (draft_id, error);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  if (path == NULL)
    return FALSE;
  json_node_set_object (node, submission);
  return porteur_store_write_document (path, SUBMISSION_KIND, SUBMISSION_VERSION, node, error);
}

static void
remove_store_file (const char *relative)
{
  g_autofree char *path = porteur_store_build_path (relative, NULL);

  if (path && g_unlink (path) != 0 && errno != ENOENT)
    g_message ("Cannot remove %s: %s", path, g_strerror (errno));
}

gboolean
porteur_order_submission_pending (const char *draft_id)
{
  g_autoptr(JsonObject) submission = read_submission (draft_id, NULL);

  return submission != NULL;
}

typedef struct {
  PorteurCaClient *client;
  char            *draft_id;
  JsonObject      *submission;
} SubmitData;

static void
submit_data_free (SubmitData *data)
{
  g_clear_object (&data->client);
  g_free (data->draft_id);
  g_clear_pointer (&data->submission, json_object_unref);
  g_free (data);
}

static void
finish_submission (GTask          *task,
                   PorteurCaOrder *order)
{
  SubmitData *data = g_task_get_task_data (task);
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *relative = NULL;

  record = record_from_order (order, NULL, porteur_order_member_string (data->submission, "access_token"), data->draft_id);
  if (!porteur_order_record_save (record, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The order is remembered: the draft and the pending submission are done with. */
  relative = g_strdup_printf (SUBMISSION_DIR "/%s.json", data->draft_id);
  remove_store_file (relative);
  g_free (relative);
  relative = g_strdup_printf ("order/drafts/%s.json", data->draft_id);
  remove_store_file (relative);
  g_task_return_pointer (task, g_steal_pointer (&record), (GDestroyNotify) porteur_order_record_free);
}

static void
got_order_after_conflict (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_get_order_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    finish_submission (task, order);
}

static void
submitted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SubmitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_submit_order_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order)
    {
      finish_submission (task, order);
      return;
    }
  /* Already submitted (an earlier attempt whose answer was lost, after its key expired): the
   * order is what the CA says it is. */
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
    {
      GCancellable *cancellable = g_task_get_cancellable (task);
      porteur_ca_client_get_order_async (data->client, porteur_order_member_string (data->submission, "number"),
                                         porteur_order_member_string (data->submission, "access_token"),
                                         cancellable, got_order_after_conflict, g_steal_pointer (&task));
      return;
    }
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
send_submit (GTask *task)
{
  SubmitData *data = g_task_get_task_data (task);

  porteur_ca_client_submit_order_async (data->client,
                                        porteur_order_member_string (data->submission, "number"),
                                        porteur_order_member_string (data->submission, "access_token"),
                                        porteur_order_member_string (data->submission, "submit_key"),
                                        g_task_get_cancellable (task), submitted, task);
}

static void
created (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  SubmitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_create_order_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  json_object_set_string_member (data->submission, "number", porteur_ca_order_get_number (order));
  json_object_set_string_member (data->submission, "access_token", porteur_ca_order_get_access_token (order));
  /* The number and token are written before anything else: they are the only way back to
   * this order. */
  if (!write_submission (data->draft_id, data->submission, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  send_submit (task);
}

void
porteur_order_submit_async (PorteurCaClient     *client,
                            const char          *draft_id,
                            JsonObject          *dossier,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  SubmitData *data = g_new0 (SubmitData, 1);

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (client));
  g_return_if_fail (dossier != NULL);
  g_task_set_source_tag (task, porteur_order_submit_async);
  data->client = g_object_ref (client);
  data->draft_id = g_strdup (draft_id);
  g_task_set_task_data (task, data, (GDestroyNotify) submit_data_free);

  data->submission = read_submission (draft_id, &error);
  if (data->submission == NULL)
    {
      g_autofree char *create_key = NULL;
      g_autofree char *submit_key = NULL;

      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_clear_error (&error);
      create_key = porteur_ca_new_idempotency_key ();
      submit_key = porteur_ca_new_idempotency_key ();
      data->submission = json_object_new ();
      json_object_set_string_member (data->submission, "draft_id", draft_id);
      json_object_set_string_member (data->submission, "create_key", create_key);
      json_object_set_string_member (data->submission, "submit_key", submit_key);
      json_object_set_object_member (data->submission, "body", porteur_order_dossier_normalise (dossier));
      if (!write_submission (draft_id, data->submission, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  if (porteur_order_member_string (data->submission, "number") && porteur_order_member_string (data->submission, "access_token"))
    send_submit (g_steal_pointer (&task));
  else
    porteur_ca_client_create_order_async (client, porteur_order_member_object (data->submission, "body"),
                                          porteur_order_member_string (data->submission, "create_key"),
                                          cancellable, created, g_steal_pointer (&task));
}

PorteurOrderRecord *
porteur_order_submit_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------------------------------- */
/* Tracking */

typedef struct {
  PorteurCaClient    *client;
  PorteurOrderRecord *previous;
  PorteurOrderRecord *record;
  gboolean            status_changed;
} RefreshData;

static void
refresh_data_free (RefreshData *data)
{
  g_clear_object (&data->client);
  g_clear_pointer (&data->previous, porteur_order_record_free);
  g_clear_pointer (&data->record, porteur_order_record_free);
  g_free (data);
}

/* The CA's history (PorteurCaHistoryEntry) into the record. */
static void
set_history (PorteurOrderRecord *record,
             GListModel         *history)
{
  JsonArray *array;

  array = json_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (history); i++)
    {
      g_autoptr(PorteurCaHistoryEntry) entry = g_list_model_get_item (history, i);
      JsonObject *item = json_object_new ();
      g_autofree char *at = g_date_time_format_iso8601 (porteur_ca_history_entry_get_at (entry));

      json_object_set_string_member (item, "status", porteur_ca_order_status_to_string (porteur_ca_history_entry_get_status (entry)));
      json_object_set_string_member (item, "at", at);
      json_object_set_string_member (item, "note", porteur_ca_history_entry_get_note (entry));
      json_array_add_object_element (array, item);
    }
  json_object_set_array_member (record->data, "history", array);
}

static void
got_history (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) history = porteur_ca_client_get_history_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (history == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  set_history (data->record, history);
  if (!porteur_order_record_save (data->record, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->record), (GDestroyNotify) porteur_order_record_free);
}

static void
got_order (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_get_order_finish (PORTEUR_CA_CLIENT (source), result, &error);
  GCancellable *cancellable;

  if (order == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->record = record_from_order (order, data->previous, NULL, NULL);
  data->status_changed = g_strcmp0 (porteur_order_record_get_status (data->record),
                                    porteur_order_record_get_status (data->previous)) != 0;
  /* The cancellable is read before the task is handed over (argument order is unspecified). */
  cancellable = g_task_get_cancellable (task);
  porteur_ca_client_get_history_async (data->client, porteur_order_record_get_number (data->record),
                                       porteur_order_record_get_access_token (data->record),
                                       cancellable, got_history, g_steal_pointer (&task));
}

void
porteur_order_refresh_async (PorteurCaClient     *client,
                             const char          *number,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  RefreshData *data = g_new0 (RefreshData, 1);

  g_task_set_source_tag (task, porteur_order_refresh_async);
  data->client = g_object_ref (client);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  data->previous = porteur_order_record_load (number, &error);
  if (data->previous == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  porteur_ca_client_get_order_async (client, number, porteur_order_record_get_access_token (data->previous),
                                     cancellable, got_order, g_steal_pointer (&task));
}

PorteurOrderRecord *
porteur_order_refresh_finish (GAsyncResult  *result,
                              gboolean      *status_changed,
                              GError       **error)
{
  RefreshData *data;
  PorteurOrderRecord *record;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  data = g_task_get_task_data (G_TASK (result));
  record = g_task_propagate_pointer (G_TASK (result), error);
  if (status_changed)
    *status_changed = record != NULL && data->status_changed;
  return record;
}

/* The request pending in @member (a rectification, a booking, a cancellation) failed with
 * @error: once the CA has answered it, its key is forgotten (the same request asked again later
 * is a new one); otherwise it is kept for the retry. */
static void
pending_request_failed (RefreshData  *data,
                        const char   *member,
                        const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (!porteur_ca_error_is_refusal (error) || !json_object_has_member (data->previous->data, member))
    return;
  json_object_remove_member (data->previous->data, member);
  if (!porteur_order_record_save (data->previous, &local_error))
    g_debug ("Order %s: %s not forgotten: %s", porteur_order_record_get_number (data->previous), member, local_error->message);
}

/* ---------------------------------------------------------------------------------------- */
/* Rectification */

static void
rectified (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_rectify_order_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order == NULL)
    {
      pending_request_failed (data, "pending_rectification", error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->record = record_from_order (order, data->previous, NULL, NULL);
  json_object_remove_member (data->record->data, "pending_rectification");
  if (!porteur_order_record_save (data->record, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data->record), (GDestroyNotify) porteur_order_record_free);
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

void
porteur_order_rectify_async (PorteurCaClient     *client,
                             const char          *number,
                             JsonObject          *dossier,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *body_text = NULL;
  g_autofree char *pending_text = NULL;
  JsonObject *pending;
  RefreshData *data = g_new0 (RefreshData, 1);

  g_task_set_source_tag (task, porteur_order_rectify_async);
  data->client = g_object_ref (client);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  data->previous = porteur_order_record_load (number, &error);
  if (data->previous == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  body = porteur_order_dossier_normalise (dossier);
  body_text = object_to_string (body);

  /* The same correction sent again (after a timeout) keeps its key; another one gets a new key. */
  pending = porteur_order_member_object (data->previous->data, "pending_rectification");
  if (pending && porteur_order_member_object (pending, "body"))
    pending_text = object_to_string (porteur_order_member_object (pending, "body"));
  if (pending == NULL || porteur_order_member_string (pending, "key") == NULL || g_strcmp0 (pending_text, body_text) != 0)
    {
      g_autofree char *key = porteur_ca_new_idempotency_key ();

      pending = json_object_new ();
      json_object_set_string_member (pending, "key", key);
      json_object_set_object_member (pending, "body", json_object_ref (body));
      json_object_set_object_member (data->previous->data, "pending_rectification", pending);
      if (!porteur_order_record_save (data->previous, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  porteur_ca_client_rectify_order_async (client, number, porteur_order_record_get_access_token (data->previous),
                                         porteur_order_member_object (pending, "body"),
                                         porteur_order_member_string (pending, "key"),
                                         cancellable, rectified, g_steal_pointer (&task));
}

PorteurOrderRecord *
porteur_order_rectify_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------------------------------- */
/* Delivery appointment (§3.4) */

static void
booked_history (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) history = porteur_ca_client_get_history_finish (PORTEUR_CA_CLIENT (source), result, &error);

  /* The appointment is booked (or cancelled) and saved: a history that could not be read comes
   * with the next refresh. */
  if (history == NULL)
    {
      g_debug ("Order %s: history not read after the appointment changed: %s", porteur_order_record_get_number (data->record), error->message);
      g_task_return_pointer (task, g_steal_pointer (&data->record), (GDestroyNotify) porteur_order_record_free);
      return;
    }
  set_history (data->record, history);
  if (!porteur_order_record_save (data->record, &error))
    g_debug ("Order %s: history not saved: %s", porteur_order_record_get_number (data->record), error->message);
  g_task_return_pointer (task, g_steal_pointer (&data->record), (GDestroyNotify) porteur_order_record_free);
}

/* The request about an appointment that @record has pending in @member ("pending_booking",
 * "pending_cancellation"): its Idempotency-Key is kept while it is about the same @slot (may be
 * NULL), so that a retry after a lost answer, a timeout or a Cancel is the same request; another
 * slot gets a new key, saved in the record before anything is sent. NULL when the record cannot
 * be saved. */
static JsonObject *
pending_appointment_request (PorteurOrderRecord  *record,
                             const char          *member,
                             const char          *slot,
                             GError             **error)
{
  JsonObject *pending = porteur_order_member_object (record->data, member);
  g_autofree char *key = NULL;

  if (pending && porteur_order_member_string (pending, "key") &&
      g_strcmp0 (porteur_order_member_string (pending, "slot"), slot) == 0)
    return pending;
  key = porteur_ca_new_idempotency_key ();
  pending = json_object_new ();
  if (slot)
    json_object_set_string_member (pending, "slot", slot);
  json_object_set_string_member (pending, "key", key);
  json_object_set_object_member (record->data, member, pending);
  return porteur_order_record_save (record, error) ? pending : NULL;
}

/* The CA changed the appointment (booked or cancelled it) and answered with the order: the record
 * takes it, forgets the request's pending key (@pending, and @also when not NULL), is saved, then
 * the history is read. Not cancellable any more from here: the change is made. */
static void
appointment_changed (GTask          *task,
                     PorteurCaOrder *order,
                     const char     *pending,
                     const char     *also)
{
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->record = record_from_order (order, data->previous, NULL, NULL);
  json_object_remove_member (data->record->data, pending);
  if (also)
    json_object_remove_member (data->record->data, also);
  data->status_changed = TRUE;
  if (!porteur_order_record_save (data->record, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  porteur_ca_client_get_history_async (data->client, porteur_order_record_get_number (data->record),
                                       porteur_order_record_get_access_token (data->record),
                                       NULL, booked_history, task);
}

static void
booked (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_book_appointment_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order == NULL)
    {
      pending_request_failed (g_task_get_task_data (task), "pending_booking", error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* A new appointment: an earlier cancellation's key is done with too. */
  appointment_changed (g_steal_pointer (&task), order, "pending_booking", "pending_cancellation");
}

void
porteur_order_book_async (PorteurCaClient     *client,
                          const char          *number,
                          const char          *slot_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  RefreshData *data = g_new0 (RefreshData, 1);
  JsonObject *pending;

  g_task_set_source_tag (task, porteur_order_book_async);
  g_task_set_check_cancellable (task, FALSE);
  data->client = g_object_ref (client);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  data->previous = porteur_order_record_load (number, &error);
  if (data->previous == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The same slot asked again keeps its key; another slot is another request. */
  if ((pending = pending_appointment_request (data->previous, "pending_booking", slot_id, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  porteur_ca_client_book_appointment_async (client, number, porteur_order_record_get_access_token (data->previous),
                                            slot_id, porteur_order_member_string (pending, "key"),
                                            cancellable, booked, g_steal_pointer (&task));
}

PorteurOrderRecord *
porteur_order_book_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
appointment_cancelled (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = porteur_ca_client_cancel_appointment_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (order == NULL)
    {
      pending_request_failed (g_task_get_task_data (task), "pending_cancellation", error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Nothing booked any more: a booking still pending (its answer lost, the appointment it made
   * just cancelled) is over, and its key must not replay that booking's answer later. */
  appointment_changed (g_steal_pointer (&task), order, "pending_cancellation", "pending_booking");
}

void
porteur_order_cancel_appointment_async (PorteurCaClient     *client,
                                        const char          *number,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  RefreshData *data;
  JsonObject *appointment;
  JsonObject *pending;
  const char *slot;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (client));
  g_return_if_fail (number != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  data = g_new0 (RefreshData, 1);
  g_task_set_source_tag (task, porteur_order_cancel_appointment_async);
  g_task_set_check_cancellable (task, FALSE);
  data->client = g_object_ref (client);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  data->previous = porteur_order_record_load (number, &error);
  if (data->previous == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (porteur_order_record_get_access_token (data->previous) == NULL)
    {
      g_task_return_new_error (task, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT,
                               "Order “%s” has no access token", number);
      return;
    }
  /* The same appointment cancelled again (after a lost answer, a timeout or a Cancel) keeps its
   * key, so the CA answers the first request again; another appointment is another request. */
  appointment = porteur_order_record_get_appointment (data->previous);
  slot = appointment ? porteur_order_member_string (appointment, "slot") : NULL;
  if ((pending = pending_appointment_request (data->previous, "pending_cancellation", slot, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  porteur_ca_client_cancel_appointment_async (client, number, porteur_order_record_get_access_token (data->previous),
                                              porteur_order_member_string (pending, "key"),
                                              cancellable, appointment_cancelled, g_steal_pointer (&task));
}

PorteurOrderRecord *
porteur_order_cancel_appointment_finish (GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == porteur_order_cancel_appointment_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
