/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-test-util.h"

/*
 * porteur-tool ca security-questions [set NUMBER --answers-fd FD] (RA API
 * §3.5) against the real simulator, on an order made and followed with
 * porteur-tool alone (its access token stays in porteur-tool's store): the
 * catalogue in text and JSON; answers refused before the appointment with
 * the CA's reason, refused field by field, set at the appointment and
 * replaced once issued — each time checked by what the CA then accepts to
 * unblock; the answers never in the debug log, never left in freed memory.
 */

static const char *const catalogue[] = { "first-school", "birth-town-mother", "first-pet", "childhood-street", "favourite-book", NULL };

#define ANSWERS "first-school=École Jules-Ferry\nfirst-pet=Pikou\n"
#define OTHER_ANSWERS "favourite-book=Le Cheval d'orgueil\nchildhood-street=Straed ar Gwez\n"

static void
test_list (CaTest *t, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *json_out = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *array;
  int status;

  json_out = ca_test_tool (t, NULL, &status, NULL, "--json", "ca", "security-questions", NULL);
  g_assert_cmpint (status, ==, 0);
  node = ca_test_json (json_out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, g_strv_length ((char **) catalogue));
  out = ca_test_tool (t, NULL, &status, &err, "ca", "security-questions", NULL);
  g_assert_cmpint (status, ==, 0);
  for (guint i = 0; catalogue[i]; i++)
    {
      JsonObject *q = json_array_get_object_element (array, i);
      const char *label = json_object_get_string_member (q, "label");
      g_autofree char *entry = NULL;

      g_assert_cmpstr (json_object_get_string_member (q, "id"), ==, catalogue[i]);
      g_assert_cmpuint (strlen (label), >, 0);
      /* the text form: the id, then its label indented */
      entry = g_strdup_printf ("%s\n  %s\n", catalogue[i], label);
      g_assert_nonnull (strstr (out, entry));
    }

  /* the help lists the command and its option */
  {
    g_autofree char *help = ca_test_tool (t, NULL, &status, NULL, "help", "ca", NULL);
    g_autofree char *usage = NULL;

    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (help, "\n  security-questions "));
    usage = ca_test_tool (t, NULL, &status, NULL, "ca", "security-questions", "--help", NULL);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (usage, "set NUMBER --answers-fd FD"));
    g_assert_nonnull (strstr (usage, "--answers-fd=FD"));
  }
}

/* A new order of t->dossier made with porteur-tool: its number. */
static char *
tool_order (CaTest *t)
{
  g_autofree char *form = ca_test_write_form (t);
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) node = NULL;
  int status;

  out = ca_test_tool (t, NULL, &status, NULL, "--json", "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 0);
  node = ca_test_json (out);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "number"));
}

/* Whether the CA takes @answers for certificate @serial: it opens an unblock session (§3.6) only then. */
static gboolean
ca_takes_answers (CaTest *t, const char *serial, const PorteurCaSecurityAnswer *answers)
{
  static const guint8 challenge_data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  g_autoptr(GBytes) challenge = g_bytes_new_static (challenge_data, sizeof challenge_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaUnblockSession) session =
    CA_CALL (porteur_ca_client_open_unblock_session_finish, t->client, &error,
             porteur_ca_client_open_unblock_session_async (t->client, serial, challenge, answers, 2, NULL, CA_ASYNC_ARGS));

  if (session)
    return TRUE;
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_FORBIDDEN);
  return FALSE;
}

static void
test_set (CaTest *t, gconstpointer data)
{
  const PorteurCaSecurityAnswer given[] = { { "first-school", "ecole jules-ferry" }, { "first-pet", "PIKOU" } };
  const PorteurCaSecurityAnswer other[] = { { "favourite-book", "le cheval d'orgueil" }, { "childhood-street", "straed ar gwez" } };
  const CaTestToolRun answers = { .input = ANSWERS }, debug = { .input = ANSWERS, .debug = TRUE };
  const CaTestToolRun watched = { .input = OTHER_ANSWERS, .freed_secret = "orgueil" };
  g_autofree char *number = tool_order (t);
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;
  g_autofree char *o5 = NULL, *e5 = NULL, *o6 = NULL, *o7 = NULL, *e7 = NULL, *slots = NULL, *booked = NULL;
  g_autofree char *serial = NULL, *prefix = g_build_filename (t->dir, "holder", NULL);
  g_autoptr(JsonNode) slots_node = NULL, done = NULL;
  JsonObject *o;
  int status;

  /* a draft: the CA refuses, with its reason */
  o1 = ca_test_tool_run (t, &answers, &status, &e1, "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e1, "The order’s current state does not allow this"));
  g_assert_nonnull (strstr (e1, "The order is draft: answers are set at delivery"));
  g_assert_cmpstr (o1, ==, "");

  /* submitted, received, validated (delay 0), then the delivery booked */
  g_free (ca_test_tool (t, NULL, &status, NULL, "ca", "order", "submit", number, NULL));
  g_assert_cmpint (status, ==, 0);
  ca_sim_harness_admin_do (t->sim, "documents-received", number, NULL);
  o2 = ca_test_tool_run (t, &answers, &status, &e2, "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e2, "The order is validated: answers are set at delivery"));
  slots = ca_test_tool (t, NULL, &status, NULL, "--json", "order", "slots", number, NULL);
  g_assert_cmpint (status, ==, 0);
  slots_node = ca_test_json (slots);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (slots_node)), >, 0);
  booked = ca_test_tool (t, NULL, &status, NULL, "order", "book", number,
                         json_object_get_string_member (json_array_get_object_element (json_node_get_array (slots_node), 0), "slot"), NULL);
  g_assert_cmpint (status, ==, 0);

  /* a question the CA does not ask, and an answer too short: refused field by field */
  o3 = ca_test_tool_run (t, &(CaTestToolRun) { .input = "pet-name=Pikou\nfirst-school=ab\n" }, &status, &e3,
                         "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e3, "The certification authority refused the answers:"));
  g_assert_nonnull (strstr (e3, "answers.0.question: bad-choice"));
  g_assert_nonnull (strstr (e3, "answers.1.answer: bad-length"));
  /* one line only: refused before anything is sent */
  o4 = ca_test_tool_run (t, &(CaTestToolRun) { .input = "first-pet=Pikou\n" }, &status, &e4,
                         "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e4, "Give two answers, one per line, as QUESTION=ANSWER"));

  /* at the appointment: set; the answers are nowhere in the debug log */
  o5 = ca_test_tool_run (t, &debug, &status, &e5, "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o5, number));
  g_assert_nonnull (strstr (e5, "the questions first-school and first-pet"));   /* the log names the questions… */
  g_assert_null (strstr (e5, "Pikou"));                   /* …without the answers */
  g_assert_null (strstr (o5, "DEBUG"));                   /* and stays off standard output */
  g_assert_null (strstr (e5, "Jules-Ferry"));

  /* delivered and issued: the CA unblocks with those answers (typed its way), not others */
  ca_sim_harness_admin_do (t->sim, "deliver", number, NULL);
  serial = ca_sim_harness_admin (t->sim, FALSE, "issue", number, prefix, NULL);
  g_assert_true (ca_takes_answers (t, serial, given));
  g_assert_false (ca_takes_answers (t, serial, other));

  /* issued: new answers replace them (JSON), never left in freed memory */
  o6 = ca_test_tool_run (t, &watched, &status, NULL, "--json", "ca", "security-questions", "set", number, "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  done = ca_test_json (o6);
  o = json_node_get_object (done);
  g_assert_cmpstr (json_object_get_string_member (o, "order"), ==, number);
  g_assert_true (json_object_get_boolean_member (o, "done"));
  g_assert_true (ca_takes_answers (t, serial, other));
  g_assert_false (ca_takes_answers (t, serial, given));

  /* never from argv; an order this computer did not make */
  o7 = ca_test_tool (t, NULL, &status, &e7, "ca", "security-questions", "set", number, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e7, "--answers-fd"));
  g_free (o7), g_free (e7);
  o7 = ca_test_tool_run (t, &answers, &status, &e7, "ca", "security-questions", "set", "PO-2026-999999", "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e7, "No order PO-2026-999999 was created from this computer"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  CA_TEST_ADD ("/ca/questions/tool-list", 0, test_list);
  CA_TEST_ADD ("/ca/questions/tool-set", 0, test_set);
  return ca_test_run ();
}
