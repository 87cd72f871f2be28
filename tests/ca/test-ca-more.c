/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ca-test-util.h"

/* The RA API's §3.4–3.6 (delivery appointment, security questions, CA-driven
 * unblock sessions): our client against the real simulator over HTTPS. */

typedef CaTest Fixture;

#define NUMBER(o) porteur_ca_order_get_number (o)
#define TOKEN(o) porteur_ca_order_get_access_token (o)

/* An issued order's certificate serial (its security answers: the holder's). */
static char *
issued_serial (Fixture *f)
{
  g_auto(CaTestHolder) h = { 0 };

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  return g_strdup (h.serial);
}

static void
test_appointment (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (f);
  g_autoptr(PorteurCaOrder) other = ca_test_validated_order (f);
  g_autoptr(GListModel) slots = ca_test_get_slots (f, order, NULL, NULL, &error);
  g_autoptr(GListModel) later = NULL;
  g_autoptr(GListModel) after = NULL;
  g_autoptr(GListModel) history = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(PorteurCaAppointmentSlot) last = NULL;
  g_autoptr(PorteurCaOrder) booked = NULL;
  g_autoptr(PorteurCaOrder) again = NULL;
  g_autoptr(PorteurCaOrder) taken = NULL;
  g_autoptr(PorteurCaOrder) read = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autofree char *out = NULL;
  guint n;

  g_assert_no_error (error);
  n = g_list_model_get_n_items (slots);
  g_assert_cmpuint (n, >=, 10);   /* two a day, weekdays, two weeks */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PorteurCaAppointmentSlot) s = g_list_model_get_item (slots, i);

      g_assert_cmpstr (porteur_ca_appointment_slot_get_office (s), ==, "cci-ille-et-vilaine-rennes");
      g_assert_cmpint (g_date_time_compare (porteur_ca_appointment_slot_get_start (s), now), >, 0);
      g_assert_cmpint (g_date_time_get_day_of_week (porteur_ca_appointment_slot_get_start (s)), <=, 5);
      g_assert_cmpint (g_date_time_difference (porteur_ca_appointment_slot_get_end (s),
                                               porteur_ca_appointment_slot_get_start (s)), ==, 45 * G_TIME_SPAN_MINUTE);
    }
  /* from/to filter */
  last = g_list_model_get_item (slots, n - 1);
  later = ca_test_get_slots (f, order, porteur_ca_appointment_slot_get_start (last), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (later), ==, 1);

  slot = g_list_model_get_item (slots, 0);
  booked = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (slot), key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (booked), ==, PORTEUR_CA_ORDER_STATUS_APPOINTMENT);
  g_assert_cmpstr (porteur_ca_appointment_slot_get_id (porteur_ca_order_get_appointment (booked)), ==,
                   porteur_ca_appointment_slot_get_id (slot));
  /* the same request again (a retry) answers the same, books nothing more */
  again = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (slot), key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (again), ==, PORTEUR_CA_ORDER_STATUS_APPOINTMENT);
  /* booked: a new booking of the same order is a conflict */
  g_clear_object (&again);
  again = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (last), NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  /* the slot is no longer offered, and another order cannot take it */
  after = ca_test_get_slots (f, other, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (after), ==, n - 1);
  taken = ca_test_book (f, other, porteur_ca_appointment_slot_get_id (slot), NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  /* a slot that was never offered */
  g_clear_object (&taken);
  taken = ca_test_book (f, other, "cci-ille-et-vilaine-rennes@12345", NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (porteur_ca_error_get_problem (error)->errors, 0))->code, ==, "unknown-slot");
  g_clear_error (&error);

  /* the appointment is part of the order from now on */
  read = ca_test_get_order (f, NUMBER (order), TOKEN (order), &error);
  g_assert_no_error (error);
  g_assert_nonnull (porteur_ca_order_get_appointment (read));
  g_assert_true (g_date_time_equal (porteur_ca_appointment_slot_get_start (porteur_ca_order_get_appointment (read)),
                                    porteur_ca_appointment_slot_get_start (slot)));

  /* delivery then issue: validated → appointment → issued, as the contract says */
  out = ca_sim_harness_admin (f->sim, TRUE, "deliver", NUMBER (other), NULL);   /* no appointment: refused */
  g_free (out);
  out = ca_sim_harness_admin (f->sim, FALSE, "deliver", NUMBER (order), NULL);
  g_free (out);
  {
    g_autofree char *prefix = g_build_filename (f->sim->state_dir, "cert", NULL);
    out = ca_sim_harness_admin (f->sim, FALSE, "issue", NUMBER (order), prefix, NULL);
  }
  history = CA_CALL (porteur_ca_client_get_history_finish, f->client, &error,
                     porteur_ca_client_get_history_async (f->client, NUMBER (order), TOKEN (order), CA_ASYNC_ARGS));
  g_assert_no_error (error);
  {
    const PorteurCaOrderStatus want[] = { PORTEUR_CA_ORDER_STATUS_VALIDATED, PORTEUR_CA_ORDER_STATUS_APPOINTMENT,
                                          PORTEUR_CA_ORDER_STATUS_ISSUED };
    guint k = 0;

    for (guint i = 0; i < g_list_model_get_n_items (history) && k < G_N_ELEMENTS (want); i++)
      {
        g_autoptr(PorteurCaHistoryEntry) e = g_list_model_get_item (history, i);
        if (porteur_ca_history_entry_get_status (e) == want[k])
          k++;
      }
    g_assert_cmpuint (k, ==, G_N_ELEMENTS (want));
  }
}

static void
test_security_questions (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) questions = NULL;
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (f);
  const PorteurCaSecurityAnswer twice[] = { { "first-pet", "Pikou" }, { "first-pet", "Minou" } };
  const PorteurCaSecurityAnswer short_answer[] = { { "first-pet", "Pi" }, { "first-school", "Diwan" } };
  const PorteurCaSecurityAnswer unknown[] = { { "favourite-colour", "Glas" }, { "first-school", "Diwan" } };
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(PorteurCaOrder) booked = NULL;
  const PorteurCaProblem *problem;

  questions = CA_CALL (porteur_ca_client_list_security_questions_finish, f->client, &error,
                       porteur_ca_client_list_security_questions_async (f->client, CA_ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (questions), >=, 2);
  {
    g_autoptr(PorteurCaSecurityQuestion) q = g_list_model_get_item (questions, 0);
    g_assert_cmpstr (porteur_ca_security_question_get_id (q), ==, "first-school");
    g_assert_cmpstr (porteur_ca_security_question_get_label (q), !=, "");
  }
  /* not before the appointment */
  g_assert_false (ca_test_set_answers (f, order, ca_test_holder_answers, 2, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT);
  g_clear_error (&error);
  slots = ca_test_get_slots (f, order, NULL, NULL, &error);
  g_assert_no_error (error);
  slot = g_list_model_get_item (slots, 0);
  booked = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (slot), NULL, &error);
  g_assert_no_error (error);
  /* bad answers: precise field errors */
  g_assert_false (ca_test_set_answers (f, order, twice, 2, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  problem = porteur_ca_error_get_problem (error);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (problem->errors, 0))->field, ==, "answers.1.question");
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (problem->errors, 0))->code, ==, "duplicate");
  g_clear_error (&error);
  g_assert_false (ca_test_set_answers (f, order, short_answer, 2, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  problem = porteur_ca_error_get_problem (error);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (problem->errors, 0))->field, ==, "answers.0.answer");
  g_clear_error (&error);
  g_assert_false (ca_test_set_answers (f, order, unknown, 2, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  g_clear_error (&error);
  g_assert_false (ca_test_set_answers (f, order, ca_test_holder_answers, 1, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  g_clear_error (&error);
  /* good ones: 204, and never readable back (the order does not show them) */
  g_assert_true (ca_test_set_answers (f, order, ca_test_holder_answers, 2, &error));
  g_assert_no_error (error);
  {
    g_autofree char *shown = ca_sim_harness_admin (f->sim, FALSE, "show", NUMBER (order), NULL);
    g_assert_null (strstr (shown, "Pikou"));
    g_assert_null (strstr (shown, "Jules"));
  }
}

static PorteurCaUnblockSession *
open_session (Fixture *f, const char *serial, GBytes *challenge, const PorteurCaSecurityAnswer *answers,
              const char *key, GError **error)
{
  return CA_CALL (porteur_ca_client_open_unblock_session_finish, f->client, error,
                  porteur_ca_client_open_unblock_session_async (f->client, serial, challenge, answers, 2, key, CA_ASYNC_ARGS));
}

static GBytes *
cryptogram (Fixture *f, const char *id, const char *key, GError **error)
{
  return CA_CALL (porteur_ca_client_get_unblock_cryptogram_finish, f->client, error,
                  porteur_ca_client_get_unblock_cryptogram_async (f->client, id, key, CA_ASYNC_ARGS));
}

static GBytes *
expected_cryptogram (GBytes *challenge)
{
  static const char key[] = "porteur-virtual-token-issuer-key";
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  gsize clen;
  const guint8 *c = g_bytes_get_data (challenge, &clen);

  g_assert_nonnull (HMAC (EVP_sha256 (), key, 32, c, clen, mac, &len));
  return g_bytes_new (mac, 16);
}

static void
test_unblock_session (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = issued_serial (f);
  static const guint8 challenge_bytes[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
  g_autoptr(GBytes) challenge = g_bytes_new_static (challenge_bytes, sizeof challenge_bytes);
  g_autoptr(GBytes) want = expected_cryptogram (challenge);
  /* case, accents and spaces do not matter */
  const PorteurCaSecurityAnswer typed[] = { { "first-school", "  ecole  JULES-FERRY " }, { "first-pet", "pikou" } };
  const PorteurCaSecurityAnswer wrong[] = { { "first-school", "Ecole Diwan" }, { "first-pet", "pikou" } };
  g_autoptr(PorteurCaUnblockSession) session = NULL;
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GBytes) replay = NULL;
  g_autoptr(GBytes) none = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();

  session = open_session (f, serial, challenge, typed, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (porteur_ca_unblock_session_get_expires (session));
  got = cryptogram (f, porteur_ca_unblock_session_get_id (session), key, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, want));
  /* a retry of the same request gives the same cryptogram… */
  replay = cryptogram (f, porteur_ca_unblock_session_get_id (session), key, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (replay, want));
  /* …but the session is closed for any new request */
  none = cryptogram (f, porteur_ca_unblock_session_get_id (session), NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_GONE);
  g_clear_error (&error);
  g_clear_pointer (&none, g_bytes_unref);
  none = cryptogram (f, "0123456789abcdef", NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* wrong answers: refused and counted, locked after 5 for this certificate */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(PorteurCaUnblockSession) refused = open_session (f, serial, challenge, wrong, NULL, &error);
      g_assert_null (refused);
      g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_FORBIDDEN);
      g_clear_error (&error);
    }
  g_clear_object (&session);
  session = open_session (f, serial, challenge, typed, NULL, &error);
  g_assert_null (session);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_RATE_LIMITED);
  g_clear_error (&error);
  /* the lock lasts 24 hours on the CA's clock */
  {
    ca_sim_harness_admin_do (f->sim, "advance-time", "86401", NULL);
  }
  session = open_session (f, serial, challenge, typed, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
}

static void
test_unblock_unknown_serial (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  static const guint8 c[8] = { 0 };
  g_autoptr(GBytes) challenge = g_bytes_new_static (c, sizeof c);
  g_autoptr(GBytes) short_challenge = g_bytes_new_static (c, 4);
  g_autoptr(PorteurCaUnblockSession) session = NULL;

  /* an unknown certificate looks like wrong answers (no enumeration) */
  session = open_session (f, "0BADC0DE", challenge, ca_test_holder_answers, NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_FORBIDDEN);
  g_clear_error (&error);
  session = open_session (f, "0BADC0DE", short_challenge, ca_test_holder_answers, NULL, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (porteur_ca_error_get_problem (error)->errors, 0))->field, ==, "challenge");
  g_clear_error (&error);
}

/* Faults at every request of the new flows: a precise error, nothing half-done. */
static void
test_faults (Fixture *f, gconstpointer data)
{
  static const struct { const char *kind; int code; /* a PorteurCaError, as int for g_assert_error */ } faults[] = {
    { "http-500", PORTEUR_CA_ERROR_SERVER },
    { "malformed-json", PORTEUR_CA_ERROR_MALFORMED },
    { "wrong-content-type", PORTEUR_CA_ERROR_BAD_CONTENT_TYPE },
    { "redirect-http", PORTEUR_CA_ERROR_INSECURE_REDIRECT },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = NULL;
  g_autoptr(PorteurCaOrder) fresh = ca_test_validated_order (f);
  g_autofree char *slots_path = g_strdup_printf ("/api/v1/orders/%s/appointment-slots", NUMBER (fresh));
  g_autofree char *book_path = g_strdup_printf ("/api/v1/orders/%s/appointment", NUMBER (fresh));
  static const guint8 c[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
  g_autoptr(GBytes) challenge = g_bytes_new_static (c, sizeof c);
  g_autoptr(GBytes) want = expected_cryptogram (challenge);

  porteur_ca_client_set_max_retries (f->client, 0);
  serial = issued_serial (f);
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(GListModel) slots = NULL;
      g_autoptr(GListModel) questions = NULL;
      g_autoptr(PorteurCaOrder) booked = NULL;
      g_autoptr(PorteurCaUnblockSession) session = NULL;
      g_autoptr(PorteurCaUnblockSession) good = NULL;
      g_autoptr(GBytes) got = NULL;
      ca_sim_harness_admin_do (f->sim, "fault", "GET", slots_path, faults[i].kind, "1", NULL);
      ca_sim_harness_admin_do (f->sim, "fault", "GET", "/api/v1/security-questions", faults[i].kind, "1", NULL);
      ca_sim_harness_admin_do (f->sim, "fault", "POST", book_path, faults[i].kind, "1", NULL);
      g_autofree char *o4 = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/unblock-sessions", faults[i].kind, "2", NULL);
      g_autofree char *o5 = NULL;

      g_test_message ("fault %s", faults[i].kind);
      slots = ca_test_get_slots (f, fresh, NULL, NULL, &error);
      g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
      g_clear_error (&error);
      questions = CA_CALL (porteur_ca_client_list_security_questions_finish, f->client, &error,
                           porteur_ca_client_list_security_questions_async (f->client, CA_ASYNC_ARGS));
      g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
      g_clear_error (&error);
      booked = ca_test_book (f, fresh, "cci-ille-et-vilaine-rennes@1", NULL, &error);
      g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
      g_clear_error (&error);
      session = open_session (f, serial, challenge, ca_test_holder_answers, NULL, &error);
      g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
      g_clear_error (&error);
      /* the second fault hits the response request of a good session */
      g_clear_pointer (&o4, g_free);
      good = NULL;
      {
        /* the fault on /api/v1/unblock-sessions also matches …/response: open consumes it first */
        g_autoptr(PorteurCaUnblockSession) s2 = open_session (f, serial, challenge, ca_test_holder_answers, NULL, &error);
        g_assert_null (s2);
        g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
        g_clear_error (&error);
      }
      good = open_session (f, serial, challenge, ca_test_holder_answers, NULL, &error);
      g_assert_no_error (error);
      o5 = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/unblock-sessions/", faults[i].kind, "1", NULL);
      got = cryptogram (f, porteur_ca_unblock_session_get_id (good), NULL, &error);
      g_assert_null (got);
      g_assert_error (error, PORTEUR_CA_ERROR, faults[i].code);
      g_clear_error (&error);
      /* nothing half-done: the session still gives its cryptogram (a 5xx is
       * rolled back; the other faults are answered before the work) */
      got = cryptogram (f, porteur_ca_unblock_session_get_id (good), NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (got, want));
    }
}

/* A lost answer to the cryptogram request: the client's retry with the same
 * Idempotency-Key gets the cryptogram the CA already gave. */
static void
test_lost_cryptogram (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = issued_serial (f);
  static const guint8 c[8] = { 1, 1, 2, 3, 5, 8, 13, 21 };
  g_autoptr(GBytes) challenge = g_bytes_new_static (c, sizeof c);
  g_autoptr(GBytes) want = expected_cryptogram (challenge);
  g_autoptr(PorteurCaUnblockSession) session = open_session (f, serial, challenge, ca_test_holder_answers, NULL, &error);
  g_autofree char *out = NULL;
  g_autoptr(GBytes) got = NULL;

  g_assert_no_error (error);
  out = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/unblock-sessions/", "lose-answer", "1", NULL);
  got = cryptogram (f, porteur_ca_unblock_session_get_id (session), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, want));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) CA_TEST_ADD (path, 0, func)
  ADD ("/ca/more/appointment", test_appointment);
  ADD ("/ca/more/security-questions", test_security_questions);
  ADD ("/ca/more/unblock-session", test_unblock_session);
  ADD ("/ca/more/unblock-unknown-serial", test_unblock_unknown_serial);
  ADD ("/ca/more/faults", test_faults);
  ADD ("/ca/more/lost-cryptogram", test_lost_cryptogram);
  return ca_test_run ();
}
