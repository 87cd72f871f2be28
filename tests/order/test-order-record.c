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
  g_test_add_func ("/order/record/invalid-dossier", test_invalid_dossier);
  g_test_add_func ("/order/record/bad-numbers", test_bad_numbers);
  status = g_test_run ();
  order_test_sim_stop (sim);
  cmd = g_strdup_printf ("rm -rf '%s'", home);
  (void) system (cmd);
  return status;
}
