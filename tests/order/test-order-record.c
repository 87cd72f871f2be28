/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "order/porteur-order-check.h"
#include "order/porteur-order-draft.h"
#include "ca/porteur-ca-client.h"
#include "order/porteur-order-record.h"
#include "order-test-sim.h"

/* Submission, tracking and rectification against the real CA simulator over HTTPS: one order
 * per submission even when the answer is lost, the record on disk, the status and history as the
 * registration office moves the order on, and corrections refused once validated. */

static OrderTestSim *sim;

typedef struct {
  GAsyncResult *result;
} Wait;

static void
done (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  Wait *wait = user_data;
  wait->result = g_object_ref (result);
}

static GAsyncResult *
wait_result (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wait->result;
}

static PorteurCaClient *
client_new (guint retries)
{
  g_autoptr(GError) error = NULL;
  PorteurCaClient *client = porteur_ca_client_new (sim->url, sim->trust, FALSE, &error);

  g_assert_no_error (error);
  porteur_ca_client_set_max_retries (client, retries);
  porteur_ca_client_set_retry_delay (client, 50);
  return client;
}

static PorteurOrderRecord *
submit (PorteurCaClient *client,
        const char      *draft_id,
        JsonObject      *dossier,
        GError         **error)
{
  Wait wait = { NULL };
  PorteurOrderRecord *record;

  porteur_order_submit_async (client, draft_id, dossier, NULL, done, &wait);
  record = porteur_order_submit_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return record;
}

static PorteurOrderRecord *
refresh (PorteurCaClient *client,
         const char      *number,
         gboolean        *changed)
{
  Wait wait = { NULL };
  g_autoptr(GError) error = NULL;
  PorteurOrderRecord *record;

  porteur_order_refresh_async (client, number, NULL, done, &wait);
  record = porteur_order_refresh_finish (wait_result (&wait), changed, &error);
  g_assert_no_error (error);
  g_object_unref (wait.result);
  return record;
}

static PorteurOrderRecord *
rectify (PorteurCaClient *client,
         const char      *number,
         JsonObject      *dossier,
         GError         **error)
{
  Wait wait = { NULL };
  PorteurOrderRecord *record;

  porteur_order_rectify_async (client, number, dossier, NULL, done, &wait);
  record = porteur_order_rectify_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return record;
}

static void
test_submit_track_rectify (void)
{
  g_autoptr(PorteurCaClient) client = client_new (0);
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *draft_id = porteur_order_draft_new_id ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(PorteurOrderRecord) again = NULL;
  g_autoptr(PorteurOrderRecord) failed = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *number = NULL;
  g_autofree char *shown = NULL;
  gboolean changed = TRUE;
  JsonArray *history;

  g_assert_true (porteur_order_draft_save (draft_id, 6, dossier, &error));
  g_assert_no_error (error);

  /* The CA creates the order but its answer is lost: the attempt fails, the keys are kept. */
  g_free (order_test_sim_admin (sim, "fault", "POST", "/api/v1/orders", "lose-answer", "1", NULL));
  failed = submit (client, draft_id, dossier, &error);
  g_assert_null (failed);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_true (porteur_order_submission_pending (draft_id));

  /* The retry (even with the dossier edited meanwhile) sends the same request: the same order,
   * the first and only one of this simulator. */
  json_object_set_string_member (dossier, "office", "cci-morbihan-lorient");
  record = submit (client, draft_id, dossier, &error);
  g_assert_no_error (error);
  number = g_strdup (porteur_order_record_get_number (record));
  g_assert_true (g_str_has_prefix (number, "PO-"));
  g_assert_true (g_str_has_suffix (number, "-000001"));
  g_assert_cmpstr (porteur_order_record_get_status (record), ==, "waiting-documents");
  g_assert_nonnull (porteur_order_record_get_access_token (record));
  /* Sent normalised: SIRET without spaces, phone as +33. */
  g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_dossier (record), "siret"), ==, "73282932000074");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_member_object (porteur_order_record_get_dossier (record), "holder"), "phone"), ==, "+33299123456");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_dossier (record), "office"), ==, "cci-morbihan-vannes");
  g_assert_false (porteur_order_submission_pending (draft_id));
  g_assert_null (porteur_order_draft_load (draft_id, &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* On disk and listed. */
  again = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_access_token (again), ==, porteur_order_record_get_access_token (record));
  records = porteur_order_record_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);

  /* Tracking: nothing changed yet, then the office receives the file. */
  g_clear_pointer (&again, porteur_order_record_free);
  again = refresh (client, number, &changed);
  g_assert_false (changed);
  history = porteur_order_record_get_history (again);
  g_assert_cmpuint (json_array_get_length (history), >=, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, 0), "status"), ==, "draft");

  /* Rectifying while not validated: accepted. */
  json_object_set_string_member (dossier, "office", "cci-morbihan-lorient");
  g_clear_pointer (&again, porteur_order_record_free);
  again = rectify (client, number, dossier, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_dossier (again), "office"), ==, "cci-morbihan-lorient");

  shown = order_test_sim_admin (sim, "documents-received", number, NULL);
  g_clear_pointer (&again, porteur_order_record_free);
  again = refresh (client, number, &changed);
  g_assert_true (changed);
  g_assert_cmpstr (porteur_order_record_get_status (again), ==, "documents-complete");
  g_free (order_test_sim_admin (sim, "validate", number, NULL));
  g_clear_pointer (&again, porteur_order_record_free);
  again = refresh (client, number, &changed);
  g_assert_true (changed);
  g_assert_cmpstr (porteur_order_record_get_status (again), ==, "validated");
  g_assert_false (porteur_order_record_can_rectify (again));
  history = porteur_order_record_get_history (again);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, json_array_get_length (history) - 1), "status"), ==, "validated");

  /* Once validated the CA refuses corrections, and says so. */
  json_object_set_string_member (dossier, "office", "cci-ille-et-vilaine-rennes");
  g_clear_pointer (&again, porteur_order_record_free);
  again = rectify (client, number, dossier, &error);
  g_assert_null (again);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  /* The CA answered: the refused correction's key is not kept for a retry it would only replay. */
  {
    g_autoptr(PorteurOrderRecord) refused = porteur_order_record_load (number, &error);

    g_assert_no_error (error);
    g_assert_null (porteur_order_member_object (refused->data, "pending_rectification"));
  }

  /* Booking the face-to-face delivery: the CA books but its answer is lost; booking the same
   * slot again is the same request (same key, kept in the record), answered with the order. */
  {
    g_autoptr(PorteurOrderRecord) validated = porteur_order_record_load (number, &error);
    g_autoptr(PorteurOrderRecord) pending = NULL;
    g_autoptr(PorteurOrderRecord) booked = NULL;
    g_autoptr(GListModel) slots = NULL;
    g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/appointment", number);
    g_autofree char *key = NULL;
    Wait wait = { NULL };
    JsonObject *appointment;

    g_assert_no_error (error);
    g_assert_true (porteur_order_record_can_book (validated));
    porteur_ca_client_get_appointment_slots_async (client, number, porteur_order_record_get_access_token (validated),
                                                   NULL, NULL, NULL, done, &wait);
    slots = porteur_ca_client_get_appointment_slots_finish (client, wait_result (&wait), &error);
    g_clear_object (&wait.result);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (slots), >, 0);
    slot = g_list_model_get_item (slots, 0);

    g_free (order_test_sim_admin (sim, "fault", "POST", path, "lose-answer", "1", NULL));
    porteur_order_book_async (client, number, porteur_ca_appointment_slot_get_id (slot), NULL, done, &wait);
    g_assert_null (porteur_order_book_finish (wait_result (&wait), &error));
    g_clear_object (&wait.result);
    g_assert_nonnull (error);
    g_clear_error (&error);
    pending = porteur_order_record_load (number, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (porteur_order_member_string (porteur_order_member_object (pending->data, "pending_booking"), "slot"), ==,
                     porteur_ca_appointment_slot_get_id (slot));
    key = g_strdup (porteur_order_member_string (porteur_order_member_object (pending->data, "pending_booking"), "key"));
    g_assert_nonnull (key);
    /* What the holder was shown before stays (never the secret itself). */
    g_assert_cmpstr (porteur_order_record_get_status (pending), ==, "validated");

    porteur_order_book_async (client, number, porteur_ca_appointment_slot_get_id (slot), NULL, done, &wait);
    booked = porteur_order_book_finish (wait_result (&wait), &error);
    g_clear_object (&wait.result);
    g_assert_no_error (error);
    g_assert_cmpstr (porteur_order_record_get_status (booked), ==, "appointment");
    g_assert_false (porteur_order_record_can_book (booked));
    appointment = porteur_order_record_get_appointment (booked);
    g_assert_nonnull (appointment);
    g_assert_cmpstr (porteur_order_member_string (appointment, "slot"), ==, porteur_ca_appointment_slot_get_id (slot));
    g_assert_null (porteur_order_member_object (booked->data, "pending_booking"));
    history = porteur_order_record_get_history (booked);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, json_array_get_length (history) - 1), "status"), ==, "appointment");
    /* On disk, and kept by the next refresh. */
    g_clear_pointer (&again, porteur_order_record_free);
    again = refresh (client, number, &changed);
    g_assert_false (changed);
    g_assert_nonnull (porteur_order_record_get_appointment (again));
  }
}

static PorteurOrderRecord *
cancel_appointment (PorteurCaClient *client,
                    const char      *number,
                    GError         **error)
{
  Wait wait = { NULL };
  PorteurOrderRecord *record;

  porteur_order_cancel_appointment_async (client, number, NULL, done, &wait);
  record = porteur_order_cancel_appointment_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return record;
}

static PorteurOrderRecord *
book_first_slot (PorteurCaClient *client,
                 const char      *number,
                 char           **slot_id)
{
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (number, NULL);
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };
  PorteurOrderRecord *booked;

  g_assert_nonnull (record);
  porteur_ca_client_get_appointment_slots_async (client, number, porteur_order_record_get_access_token (record),
                                                 NULL, NULL, NULL, done, &wait);
  slots = porteur_ca_client_get_appointment_slots_finish (client, wait_result (&wait), &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (slots), >, 0);
  slot = g_list_model_get_item (slots, 0);
  *slot_id = g_strdup (porteur_ca_appointment_slot_get_id (slot));
  porteur_order_book_async (client, number, *slot_id, NULL, done, &wait);
  booked = porteur_order_book_finish (wait_result (&wait), &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (booked), ==, "appointment");
  return booked;
}

static gboolean
slot_offered (PorteurCaClient *client,
              const char      *number,
              const char      *slot_id)
{
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (number, NULL);
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };

  porteur_ca_client_get_appointment_slots_async (client, number, porteur_order_record_get_access_token (record),
                                                 NULL, NULL, NULL, done, &wait);
  slots = porteur_ca_client_get_appointment_slots_finish (client, wait_result (&wait), &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  for (guint i = 0; i < g_list_model_get_n_items (slots); i++)
    {
      g_autoptr(PorteurCaAppointmentSlot) slot = g_list_model_get_item (slots, i);

      if (g_strcmp0 (porteur_ca_appointment_slot_get_id (slot), slot_id) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The key of the pending cancellation kept in the record on disk, or NULL. */
static char *
pending_cancellation_key (const char *number)
{
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (number, NULL);

  g_assert_nonnull (record);
  return g_strdup (porteur_order_member_string (porteur_order_member_object (record->data, "pending_cancellation"), "key"));
}

/* Cancelling the booked delivery appointment, as the order page and porteur-tool do it: the CA
 * failing leaves the record as it was; a lost answer is retried with the same key and answered
 * as the first time; the record ends validated, without the appointment, with the history entry,
 * and the time is free again; cancelling with nothing booked is refused, the record untouched. */
static void
test_cancel_appointment (void)
{
  g_autoptr(PorteurCaClient) client = client_new (0);
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *draft_id = porteur_order_draft_new_id ();
  g_autofree char *number = NULL;
  g_autofree char *path = NULL;
  g_autofree char *slot_id = NULL;
  g_autofree char *key = NULL;
  g_autofree char *again_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(PorteurOrderRecord) booked = NULL;
  g_autoptr(PorteurOrderRecord) failed = NULL;
  g_autoptr(PorteurOrderRecord) unchanged = NULL;
  g_autoptr(PorteurOrderRecord) cancelled = NULL;
  g_autoptr(PorteurOrderRecord) saved = NULL;
  g_autoptr(PorteurOrderRecord) rebooked = NULL;
  g_autoptr(PorteurOrderRecord) twice = NULL;
  gboolean changed = FALSE;
  gboolean in_history = FALSE;
  JsonArray *history;

  g_assert_true (porteur_order_draft_save (draft_id, 6, dossier, &error));
  g_assert_no_error (error);
  record = submit (client, draft_id, dossier, &error);
  g_assert_no_error (error);
  number = g_strdup (porteur_order_record_get_number (record));
  path = g_strdup_printf ("/api/v1/orders/%s/appointment", number);
  g_free (order_test_sim_admin (sim, "documents-received", number, NULL));
  g_free (order_test_sim_admin (sim, "validate", number, NULL));
  g_clear_pointer (&record, porteur_order_record_free);
  record = refresh (client, number, &changed);
  g_assert_cmpstr (porteur_order_record_get_status (record), ==, "validated");

  /* Nothing booked yet: the CA refuses, the record stays as it was. */
  failed = cancel_appointment (client, number, &error);
  g_assert_null (failed);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  unchanged = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "validated");
  g_clear_pointer (&unchanged, porteur_order_record_free);

  booked = book_first_slot (client, number, &slot_id);
  g_assert_false (slot_offered (client, number, slot_id));

  /* The CA fails (HTTP 500): an error, the appointment still booked at the CA and in the record. */
  g_free (order_test_sim_admin (sim, "fault", "DELETE", path, "http-500", "1", NULL));
  failed = cancel_appointment (client, number, &error);
  g_assert_null (failed);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SERVER);
  g_clear_error (&error);
  unchanged = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "appointment");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (unchanged), "slot"), ==, slot_id);
  g_assert_cmpuint (json_array_get_length (porteur_order_record_get_history (unchanged)), ==,
                    json_array_get_length (porteur_order_record_get_history (booked)));
  g_clear_pointer (&unchanged, porteur_order_record_free);
  unchanged = refresh (client, number, &changed);
  g_assert_false (changed);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "appointment");
  g_clear_pointer (&unchanged, porteur_order_record_free);

  /* The CA cancels but its answer is lost: the record still shows the appointment, and keeps the
   * request's key… */
  key = pending_cancellation_key (number);
  g_assert_nonnull (key);
  g_free (order_test_sim_admin (sim, "fault", "DELETE", path, "lose-answer", "1", NULL));
  {
    /* A client of its own, on a new connection: libsoup itself sends an idempotent DELETE again
     * when a connection it had used before closes without an answer. */
    g_autoptr(PorteurCaClient) fresh = client_new (0);

    failed = cancel_appointment (fresh, number, &error);
  }
  g_assert_null (failed);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK);
  g_clear_error (&error);
  unchanged = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "appointment");
  g_assert_nonnull (porteur_order_record_get_appointment (unchanged));
  again_key = pending_cancellation_key (number);
  g_assert_cmpstr (again_key, ==, key);
  g_assert_true (slot_offered (client, number, slot_id));

  /* …so cancelling again is the same request (a new one would be refused: nothing is booked
   * any more), answered with the validated order. */
  cancelled = cancel_appointment (client, number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (cancelled), ==, "validated");
  g_assert_null (porteur_order_record_get_appointment (cancelled));
  g_assert_null (porteur_order_member_object (cancelled->data, "pending_cancellation"));
  g_assert_true (porteur_order_record_can_book (cancelled));
  g_assert_nonnull (porteur_order_record_get_access_token (cancelled));
  history = porteur_order_record_get_history (cancelled);
  g_assert_cmpuint (json_array_get_length (history), >, json_array_get_length (porteur_order_record_get_history (booked)));
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);
      const char *note = porteur_order_member_string (entry, "note");

      in_history |= g_strcmp0 (porteur_order_member_string (entry, "status"), "validated") == 0 &&
                    note && strstr (note, "cancelled") != NULL;
    }
  g_assert_true (in_history);
  saved = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (saved), ==, "validated");
  g_assert_null (porteur_order_record_get_appointment (saved));
  g_assert_cmpuint (json_array_get_length (porteur_order_record_get_history (saved)), ==, json_array_get_length (history));

  /* The same time booked again, then cancelled: a new request (not the first one replayed). */
  g_clear_pointer (&slot_id, g_free);
  rebooked = book_first_slot (client, number, &slot_id);
  g_assert_null (porteur_order_member_object (rebooked->data, "pending_cancellation"));
  twice = cancel_appointment (client, number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (twice), ==, "validated");
  g_assert_true (slot_offered (client, number, slot_id));
  g_clear_pointer (&unchanged, porteur_order_record_free);
  unchanged = refresh (client, number, &changed);
  g_assert_false (changed);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "validated");

  /* An order this computer does not know. */
  g_assert_null (cancel_appointment (client, "PO-2026-999999", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND);
}

/* A validated order of its own (in the dossier's office, whose slots all these orders share). */
static char *
validated_order (PorteurCaClient *client)
{
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *draft_id = porteur_order_draft_new_id ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(PorteurOrderRecord) validated = NULL;
  char *number;

  g_assert_true (porteur_order_draft_save (draft_id, 6, dossier, &error));
  g_assert_no_error (error);
  record = submit (client, draft_id, dossier, &error);
  g_assert_no_error (error);
  number = g_strdup (porteur_order_record_get_number (record));
  g_free (order_test_sim_admin (sim, "documents-received", number, NULL));
  g_free (order_test_sim_admin (sim, "validate", number, NULL));
  validated = refresh (client, number, NULL);
  g_assert_cmpstr (porteur_order_record_get_status (validated), ==, "validated");
  return number;
}

static char *
first_free_slot (PorteurCaClient *client,
                 const char      *number)
{
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (number, NULL);
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };

  g_assert_nonnull (record);
  porteur_ca_client_get_appointment_slots_async (client, number, porteur_order_record_get_access_token (record),
                                                 NULL, NULL, NULL, done, &wait);
  slots = porteur_ca_client_get_appointment_slots_finish (client, wait_result (&wait), &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (slots), >, 0);
  slot = g_list_model_get_item (slots, 0);
  return g_strdup (porteur_ca_appointment_slot_get_id (slot));
}

static PorteurOrderRecord *
book (PorteurCaClient *client,
      const char      *number,
      const char      *slot_id,
      GError         **error)
{
  Wait wait = { NULL };
  PorteurOrderRecord *record;

  porteur_order_book_async (client, number, slot_id, NULL, done, &wait);
  record = porteur_order_book_finish (wait_result (&wait), error);
  g_object_unref (wait.result);
  return record;
}

/* Books @slot_id for @number with its answer lost (on a client of its own, so that libsoup does
 * not send the request again by itself): the CA has booked it, the record does not know. */
static void
book_answer_lost (const char *number,
                  const char *slot_id)
{
  g_autoptr(PorteurCaClient) fresh = client_new (0);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/appointment", number);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  g_free (order_test_sim_admin (sim, "fault", "POST", path, "lose-answer", "1", NULL));
  g_assert_null (book (fresh, number, slot_id, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK);
  record = porteur_order_record_load (number, NULL);
  g_assert_nonnull (record);
  g_assert_cmpstr (porteur_order_record_get_status (record), ==, "validated");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_member_object (record->data, "pending_booking"), "slot"), ==, slot_id);
}

/* A booking whose answer was lost, then the appointment cancelled, then the same time booked
 * again: the second booking is a new request, really booked, never the first one's stored answer
 * replayed (which would show an appointment the CA no longer has). Twice: with a refresh that
 * showed the lost booking before the cancellation, and cancelled straight away. */
static void
test_lost_booking_cancelled_rebooked (void)
{
  g_autoptr(PorteurCaClient) client = client_new (0);

  for (guint refreshed = 0; refreshed < 2; refreshed++)
    {
      g_autofree char *number = validated_order (client);
      g_autofree char *slot_id = first_free_slot (client, number);
      g_autoptr(GError) error = NULL;
      g_autoptr(PorteurOrderRecord) shown = NULL;
      g_autoptr(PorteurOrderRecord) cancelled = NULL;
      g_autoptr(PorteurOrderRecord) rebooked = NULL;
      g_autoptr(PorteurOrderRecord) later = NULL;
      gboolean changed = FALSE;

      g_test_message ("%s the lost booking", refreshed ? "refreshed after" : "cancelled right after");
      book_answer_lost (number, slot_id);
      g_assert_false (slot_offered (client, number, slot_id));
      if (refreshed)
        {
          shown = refresh (client, number, &changed);
          g_assert_true (changed);
          g_assert_cmpstr (porteur_order_record_get_status (shown), ==, "appointment");
          g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (shown), "slot"), ==, slot_id);
        }
      cancelled = cancel_appointment (client, number, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (porteur_order_record_get_status (cancelled), ==, "validated");
      g_assert_true (slot_offered (client, number, slot_id));

      rebooked = book (client, number, slot_id, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (porteur_order_record_get_status (rebooked), ==, "appointment");
      /* Booked at the CA: the time is not offered any more, and the CA's order says so. */
      g_assert_false (slot_offered (client, number, slot_id));
      later = refresh (client, number, &changed);
      g_assert_false (changed);
      g_assert_cmpstr (porteur_order_record_get_status (later), ==, "appointment");
      g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (later), "slot"), ==, slot_id);
      g_assert_null (porteur_order_member_object (later->data, "pending_booking"));
    }
}

/* The CA's final answer ends a request: a booking refused because the time was taken, asked
 * again once another holder freed it, is a new request and books it (the refused one's key would
 * replay its stored 409 for a day); likewise a refused cancellation leaves no key behind. */
static void
test_refused_booking_then_free (void)
{
  g_autoptr(PorteurCaClient) client = client_new (0);
  g_autofree char *number = validated_order (client);
  g_autofree char *other = validated_order (client);
  g_autofree char *slot_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) taken = NULL;
  g_autoptr(PorteurOrderRecord) refused = NULL;
  g_autoptr(PorteurOrderRecord) freed = NULL;
  g_autoptr(PorteurOrderRecord) booked = NULL;
  g_autoptr(PorteurOrderRecord) unchanged = NULL;

  /* Another holder at the same office takes the time first. */
  taken = book_first_slot (client, other, &slot_id);
  g_assert_null (book (client, number, slot_id, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  refused = porteur_order_record_load (number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (refused), ==, "validated");

  /* …then cancels it: the time is free, and booking it now books it. */
  freed = cancel_appointment (client, other, &error);
  g_assert_no_error (error);
  g_assert_true (slot_offered (client, number, slot_id));
  booked = book (client, number, slot_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (booked), ==, "appointment");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (booked), "slot"), ==, slot_id);
  g_assert_false (slot_offered (client, number, slot_id));

  /* A cancellation refused (nothing booked any more) keeps no key, and nothing else changes. */
  g_assert_null (cancel_appointment (client, other, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  unchanged = porteur_order_record_load (other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_order_record_get_status (unchanged), ==, "validated");
  g_assert_null (porteur_order_member_object (unchanged->data, "pending_cancellation"));
}

static void
test_invalid_dossier (void)
{
  g_autoptr(PorteurCaClient) client = client_new (0);
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *draft_id = porteur_order_draft_new_id ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  const PorteurCaProblem *problem;

  /* The CA's own check answers field by field with the same codes. */
  json_object_set_string_member (dossier, "siret", "73282932000075");
  record = submit (client, draft_id, dossier, &error);
  g_assert_null (record);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  problem = porteur_ca_error_get_problem (error);
  g_assert_nonnull (problem);
  g_assert_cmpuint (problem->errors->len, ==, 1);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (problem->errors, 0))->field, ==, "siret");
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (problem->errors, 0))->code, ==, "bad-checksum");
}

static void
test_bad_numbers (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (porteur_order_record_load ("../../etc/passwd", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID);
  g_clear_error (&error);
  g_assert_null (porteur_order_record_load ("PO-2026-999999", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND);
  g_assert_false (porteur_order_submission_pending ("not-a-uuid"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("porteur-order-record-XXXXXX", &error);
  g_autofree char *cmd = NULL;

  /* A private store; the system's data directories stay visible (GIO's proxy settings live there). */
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);
  sim = order_test_sim_start ();
  g_test_add_func ("/order/record/submit-track-rectify", test_submit_track_rectify);
  g_test_add_func ("/order/record/cancel-appointment", test_cancel_appointment);
  g_test_add_func ("/order/record/lost-booking-cancelled-rebooked", test_lost_booking_cancelled_rebooked);
  g_test_add_func ("/order/record/refused-booking-then-free", test_refused_booking_then_free);
  g_test_add_func ("/order/record/invalid-dossier", test_invalid_dossier);
  g_test_add_func ("/order/record/bad-numbers", test_bad_numbers);
  status = g_test_run ();
  order_test_sim_stop (sim);
  cmd = g_strdup_printf ("rm -rf '%s'", home);
  (void) system (cmd);
  return status;
}
