/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <stdlib.h>
#include <string.h>

#include "ca-test-util.h"
#include "ca/porteur-ca-model.h"

/*
 * porteur-tool pin unblock --ca (RA API §3.6) behind a real pcscd (run inside
 * tests/pcsc-harness) with the virtual token, against the simulator: the
 * holder's PIN blocked by wrong PINs is unblocked with the cryptogram the
 * CA gives for the token's challenge, the certificate serial and the
 * security answers set at delivery. Wrong answers, the CA's lockout, a CA
 * failure and the token pulled out after the CA's answer all leave the PIN
 * blocked with the card's counter untouched; the right answers set the new
 * PIN with the full tries. The answers and the new PIN never appear in the
 * debug log, and the answers are never left in freed memory.
 */

#define NEW_PIN "246813"
#define RIGHT_ANSWERS "first-school=ecole  jules-ferry\nfirst-pet=PIKOU\n"
#define WRONG_ANSWERS "first-school=Brest\nfirst-pet=Minou\n"

/* The virtual token's control socket (tests/virtual-token): one command, its answer. */
static char *
control (const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  char *answer;

  g_assert_nonnull (g_getenv ("PORTEUR_VTOKEN_CONTROL"));
  address = g_unix_socket_address_new (g_getenv ("PORTEUR_VTOKEN_CONTROL"));
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line, strlen (line),
                                            NULL, NULL, &error));
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  answer = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, "ok"));
  return answer;
}

/* The user PIN's tries left as the card itself counts them. */
static int
card_tries (void)
{
  g_autofree char *dump = control ("dump");
  const char *p = strstr (dump, " pin1=");

  g_assert_nonnull (p);
  return atoi (p + strlen (" pin1="));
}

/* The user PIN's entry of porteur-tool's JSON (`pins`). */
static JsonObject *
user_pin (JsonObject *o)
{
  JsonArray *pins = json_object_get_array_member (o, "pins");

  for (guint i = 0; i < json_array_get_length (pins); i++)
    {
      JsonObject *pin = json_array_get_object_element (pins, i);

      if (!json_object_get_boolean_member (pin, "puk"))
        return pin;
    }
  g_assert_not_reached ();
}

/* `pin status` as the holder sees it: the tries left (asserted out of the maximum) and whether blocked. */
static int
tool_tries (CaTest *t, gboolean *blocked)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *pin;
  int status;

  out = ca_test_tool (t, NULL, &status, NULL, "--json", "pin", "status", NULL);
  pin = user_pin (ca_test_json_object (out, &node));
  *blocked = json_object_get_boolean_member (pin, "blocked");
  g_assert_cmpint (status, ==, *blocked ? 1 : 0);
  g_assert_cmpint (json_object_get_int_member (pin, "tries_max"), ==, 3);
  return json_object_get_int_member (pin, "tries_left");
}

static void
assert_still_blocked (CaTest *t)
{
  gboolean blocked = FALSE;

  g_assert_cmpint (card_tries (), ==, 0);
  g_assert_cmpint (tool_tries (t, &blocked), ==, 0);
  g_assert_true (blocked);
}

/* The number of APDUs (debug lines "→ CLA INS P1 P2") sent before @line in a debug log. */
static guint
apdus_before (const char *log, const char *line)
{
  const char *end = strstr (log, line);
  guint n = 0;

  g_assert_nonnull (end);
  for (const char *p = strstr (log, "→ "); p && p < end; p = strstr (p + 1, "→ "))
    n++;
  return n;
}

static void
test_unblock (CaTest *t, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(JsonNode) n1 = NULL, n2 = NULL;
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;
  g_autofree char *o5 = NULL, *e5 = NULL, *o6 = NULL, *e6 = NULL, *o7 = NULL, *o8 = NULL, *e8 = NULL;
  g_autofree char *remove_at = NULL;
  const CaTestToolRun wrong = { .input = NEW_PIN "\n", .fd3 = WRONG_ANSWERS, .debug = TRUE };
  const CaTestToolRun right = { .input = NEW_PIN "\n", .fd3 = RIGHT_ANSWERS };
  const CaTestToolRun right_watched = { .input = NEW_PIN "\n", .fd3 = RIGHT_ANSWERS, .debug = TRUE, .freed_secret = "PIKOU" };
  JsonObject *o, *error;
  gboolean blocked = TRUE;
  guint before_ca;
  int status;

  /* an issued certificate with the holder's security answers */
  ca_test_issued_order (t, "holder", ca_test_holder_answers, &h);
  g_assert_cmpint (tool_tries (t, &blocked), ==, 3);
  g_assert_false (blocked);

  /* three wrong PINs block it */
  for (int i = 0; i < 3; i++)
    {
      g_free (ca_test_tool (t, "9999\n", &status, NULL, "pin", "verify", "--pin-fd", "0", "--last-try", NULL));
      g_assert_cmpint (status, ==, 1);
    }
  assert_still_blocked (t);

  /* wrong answers: refused by the CA, exit 1, the PIN stays blocked, the counter untouched */
  o1 = ca_test_tool_run (t, &wrong, &status, &e1, "pin", "unblock", "--ca", "--serial", h.serial, "--answers-fd", "3",
                         "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (e1, "The certification authority refused the security answers"));
  g_assert_nonnull (strstr (o1, "User PIN: Blocked"));   /* the PIN's state */
  /* the debug log names the certificate and the questions, never the answers nor the new PIN */
  g_assert_nonnull (strstr (e1, "the questions first-school and first-pet"));
  g_assert_null (strstr (e1, "Minou"));
  g_assert_null (strstr (e1, "Brest"));
  g_assert_null (strstr (e1, NEW_PIN));
  assert_still_blocked (t);
  /* the APDUs of the opening and up to the token's challenge, before the CA is asked */
  before_ca = apdus_before (e1, "Unblock by the CA: certificate");
  g_assert_cmpuint (before_ca, >=, 3);

  /* the same in JSON: one document on stdout, the CA's refusal, the PIN's state */
  o2 = ca_test_tool_run (t, &(CaTestToolRun) { .input = NEW_PIN "\n", .fd3 = WRONG_ANSWERS }, &status, NULL,
                         "--json", "pin", "unblock", "--ca", "--serial", h.serial, "--answers-fd", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);
  o = ca_test_json_object (o2, &n1);
  g_assert_false (json_object_get_boolean_member (o, "done"));
  error = json_object_get_object_member (o, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "domain"), ==, g_quark_to_string (PORTEUR_CA_ERROR));
  g_assert_cmpint (json_object_get_int_member (error, "code"), ==, PORTEUR_CA_ERROR_FORBIDDEN);
  g_assert_true (json_object_get_boolean_member (user_pin (o), "blocked"));
  g_assert_cmpint (json_object_get_int_member (user_pin (o), "tries_left"), ==, 0);
  assert_still_blocked (t);

  /* the CA fails (HTTP 500, not retried): nothing changes on the token */
  ca_sim_harness_admin_do (t->sim, "fault", "POST", "/api/v1/unblock-sessions", "http-500", "1", NULL);
  o3 = ca_test_tool_run (t, &right, &status, &e3, "pin", "unblock", "--ca", "--serial", h.serial, "--answers-fd", "3",
                         "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e3, "The certification authority could not handle the request"));
  assert_still_blocked (t);

  /* the token pulled out when the CA's cryptogram comes back (EXTERNAL AUTHENTICATE): a precise
   * error, still blocked */
  remove_at = g_strdup_printf ("remove-at %u", before_ca + 1);
  g_free (control (remove_at));
  o4 = ca_test_tool_run (t, &(CaTestToolRun) { .input = NEW_PIN "\n", .fd3 = RIGHT_ANSWERS, .debug = TRUE }, &status, &e4,
                         "pin", "unblock", "--ca", "--serial", h.serial, "--answers-fd", "3", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e4, "Unblock by the CA: certificate"));   /* the CA was asked… */
  g_assert_nonnull (strstr (e4, "The token was removed"));           /* …the token was gone after */
  g_free (control ("insert"));
  /* pcscd sees the token again a poll or two later (400 ms each): wait for it, at most 15 s */
  {
    gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
    g_autofree char *out = NULL;

    for (;;)
      {
        out = ca_test_tool (t, NULL, &status, NULL, "--json", "pin", "status", NULL);
        if (status != 2 || g_get_monotonic_time () > deadline)
          break;
        g_clear_pointer (&out, g_free);
        g_usleep (200 * 1000);
      }
    g_assert_cmpint (status, ==, 1);
  }
  assert_still_blocked (t);

  /* locked out: after 5 wrong answers for another certificate, even the right ones are refused (429) */
  {
    g_auto(CaTestHolder) locked = { 0 };
    static const guint8 challenge_data[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
    g_autoptr(GBytes) challenge = g_bytes_new_static (challenge_data, sizeof challenge_data);
    const PorteurCaSecurityAnswer bad[] = { { "first-school", "Brest" }, { "first-pet", "Minou" } };

    ca_test_issued_order (t, "locked", ca_test_holder_answers, &locked);
    for (int i = 0; i < 5; i++)
      {
        g_autoptr(GError) local = NULL;
        g_autoptr(PorteurCaUnblockSession) session =
          CA_CALL (porteur_ca_client_open_unblock_session_finish, t->client, &local,
                   porteur_ca_client_open_unblock_session_async (t->client, locked.serial, challenge, bad, 2, NULL, CA_ASYNC_ARGS));
        g_assert_error (local, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_FORBIDDEN);
      }
    o5 = ca_test_tool_run (t, &right, &status, &e5, "pin", "unblock", "--ca", "--serial", locked.serial, "--answers-fd", "3",
                           "--pin-fd", "0", NULL);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (e5, "Too many wrong answers for this certificate"));
    assert_still_blocked (t);
  }

  /* the right answers (typed in another case and spacing): unblocked, the new PIN set with the
   * full tries; the answers never in freed memory, nor with the new PIN in the debug log */
  o6 = ca_test_tool_run (t, &right_watched, &status, &e6, "pin", "unblock", "--ca", "--serial", h.serial, "--answers-fd", "3",
                         "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o6, "The PIN is unblocked"));
  g_assert_nonnull (strstr (e6, "Unblock by the CA: certificate"));
  g_assert_null (strstr (e6, "PIKOU"));
  g_assert_null (strstr (e6, "jules-ferry"));
  g_assert_null (strstr (e6, NEW_PIN));
  g_assert_cmpint (card_tries (), ==, 3);
  g_assert_cmpint (tool_tries (t, &blocked), ==, 3);
  g_assert_false (blocked);
  /* the old PIN no longer works, the new one does (and gives the try back) */
  g_free (ca_test_tool (t, "1234\n", &status, NULL, "pin", "verify", "--pin-fd", "0", NULL));
  g_assert_cmpint (status, ==, 1);
  o7 = ca_test_tool (t, NEW_PIN "\n", &status, NULL, "--json", "pin", "verify", "--pin-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o7, &n2);
  g_assert_true (json_object_get_boolean_member (o, "done"));
  g_assert_cmpint (json_object_get_int_member (user_pin (o), "tries_left"), ==, 3);

  /* `help pin` shows the options */
  {
    g_autofree char *help = ca_test_tool (t, NULL, &status, NULL, "help", "pin", NULL);

    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (help, "--ca "));
    g_assert_nonnull (strstr (help, "--serial=SERIAL"));
    g_assert_nonnull (strstr (help, "--answers-fd=FD"));
  }
  /* usage: the answers and the serial are required, never from argv */
  o8 = ca_test_tool (t, NULL, &status, &e8, "pin", "unblock", "--ca", "--serial", h.serial, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e8, "--answers-fd"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  CA_TEST_ADD ("/ca/unblock/pcsc-tool", 0, test_unblock);
  return ca_test_run ();
}
