/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "order-test-sim.h"

/* porteur-tool order, as a script uses it, against the real CA simulator: a dossier checked
 * field by field, kept as a draft, its form printed, sent, listed and followed to validation. */

static OrderTestSim *sim;
static char *home;
/* PORTEUR_FORM_MODULE for the next runs of porteur-tool, when not NULL. */
static const char *form_module;

typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

static Run
tool (const char *first,
      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("PORTEUR_TOOL"));
  va_start (args, first);
  for (const char *arg = first; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_URL", sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_TRUST", sim->trust, TRUE);
  if (form_module != NULL)
    g_subprocess_launcher_setenv (launcher, "PORTEUR_FORM_MODULE", form_module, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run.out, &run.err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("porteur-tool %s %s %s crashed: %s", first, (char *) argv->pdata[2], argv->len > 3 ? (char *) argv->pdata[3] : "", run.err);
  run.status = g_subprocess_get_exit_status (process);
  return run;
}

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static char *
write_dossier (JsonObject *dossier,
               const char *name)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  char *path = g_build_filename (home, name, NULL);

  json_node_set_object (node, dossier);
  text = json_to_string (node, TRUE);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static char *
pdf_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* The face-to-face delivery of a validated order: its free times, a slot the CA never offered
 * refused in plain words, one booked, and `order track` showing when, where and what to bring. */
static void
book_and_track (const char *number)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *slot = NULL;
  g_autofree char *start = NULL;
  JsonArray *slots;
  JsonObject *appointment;
  JsonArray *history;
  gboolean booked_in_history = FALSE;
  Run run;

  run = tool ("--json", "order", "slots", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);
  slots = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (slots), >=, 10);
  slot = g_strdup (json_object_get_string_member (json_array_get_object_element (slots, 1), "slot"));
  start = g_strdup (json_object_get_string_member (json_array_get_object_element (slots, 1), "start"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (slots, 1), "office"), ==, "cci-morbihan-vannes");
  run_clear (&run);
  run = tool ("order", "slots", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, slot));
  g_assert_nonnull (strstr (run.out, "porteur-tool order book"));
  run_clear (&run);

  run = tool ("order", "book", number, "cci-morbihan-vannes@12345", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "does not offer this time"));
  run_clear (&run);

  run = tool ("order", "book", number, slot, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Delivery appointment:"));
  run_clear (&run);
  /* Once booked, the order is no longer "validated": another booking is refused, in plain words. */
  run = tool ("order", "book", number, slot, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "no longer free, or the order can no longer be booked"));
  run_clear (&run);

  run = tool ("order", "track", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Delivery booked"));
  g_assert_nonnull (strstr (run.out, "Delivery appointment:"));
  g_assert_nonnull (strstr (run.out, "CCI Morbihan"));
  g_assert_nonnull (strstr (run.out, "identity document"));
  g_assert_nonnull (strstr (run.out, "Go to your appointment"));
  run_clear (&run);
  run = tool ("--json", "order", "track", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "appointment");
  appointment = json_object_get_object_member (answer, "appointment");
  g_assert_cmpstr (json_object_get_string_member (appointment, "slot"), ==, slot);
  g_assert_nonnull (strstr (json_object_get_string_member (appointment, "office_name"), "CCI Morbihan"));
  {
    g_autoptr(GDateTime) a = g_date_time_new_from_iso8601 (json_object_get_string_member (appointment, "start"), NULL);
    g_autoptr(GDateTime) b = g_date_time_new_from_iso8601 (start, NULL);

    g_assert_true (g_date_time_equal (a, b));
  }
  history = json_object_get_array_member (answer, "history");
  for (guint i = 0; i < json_array_get_length (history); i++)
    booked_in_history |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (history, i), "status"), "appointment") == 0;
  g_assert_true (booked_in_history);
  g_assert_false (json_object_has_member (answer, "pending_booking"));
  run_clear (&run);

  /* The booked time is no longer free. */
  run = tool ("order", "slots", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, slot));
  run_clear (&run);
}

static void
test_order_tool (void)
{
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *bad_path = NULL;
  g_autofree char *good_path = NULL;
  g_autofree char *form = g_build_filename (home, "form.pdf", NULL);
  g_autofree char *unwritten = g_build_filename (home, "unwritten.pdf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *number = NULL;
  g_autoptr(JsonObject) answer = NULL;
  Run run;

  /* Wrong SIRET key and a foreign phone: exit 1, one line per field. */
  json_object_set_string_member (dossier, "siret", "732 829 320 00075");
  json_object_set_string_member (json_object_get_object_member (dossier, "holder"), "phone", "+1 555 0100");
  bad_path = write_dossier (dossier, "bad.json");
  run = tool ("order", "new", "--from", bad_path, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "2 fields are not valid"));
  g_assert_nonnull (strstr (run.err, "SIRET of the establishment: This number does not exist"));
  g_assert_nonnull (strstr (run.err, "Holder’s phone: Not a French phone number"));
  run_clear (&run);
  run = tool ("--json", "order", "new", "--from", bad_path, NULL);
  g_assert_cmpint (run.status, ==, 1);
  answer = parse (run.out);
  g_assert_false (json_object_get_boolean_member (answer, "valid"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer, "errors")), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (answer, "errors"), 0), "code"), ==, "bad-checksum");
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);

  /* Not JSON at all: a clear error, exit 2. */
  run = tool ("order", "new", "--from", "/nonexistent.json", NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_cmpstr (run.out, ==, "");
  run_clear (&run);

  /* Valid: a draft. */
  json_object_set_string_member (dossier, "siret", "732 829 320 00074");
  json_object_set_string_member (json_object_get_object_member (dossier, "holder"), "phone", "02 99 12 34 56");
  good_path = write_dossier (dossier, "good.json");
  run = tool ("--json", "order", "new", "--from", good_path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  draft = g_strdup (json_object_get_string_member (answer, "draft"));
  g_assert_true (g_uuid_string_is_valid (draft));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  run = tool ("order", "show", draft, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Complete: ready to send."));
  run_clear (&run);

  /* The subscription form of the draft, checked as text. */
  run = tool ("order", "form", draft, "-o", form, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  text = pdf_text (form);
  g_assert_nonnull (strstr (text, "Mégalis Bretagne"));
  g_assert_nonnull (strstr (text, "Le Goff"));
  g_assert_nonnull (strstr (text, "Kerjean"));
  g_assert_nonnull (strstr (text, "130"));
  g_clear_pointer (&text, g_free);

  /* porteur-tool draws the form with its module (it does not link cairo and Pango): missing, or of
   * another version, it is refused with a clear error and no file is written. */
  form_module = "/nonexistent/porteur-form.so";
  run = tool ("order", "form", draft, "-o", unwritten, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "form module is missing or damaged"));
  g_assert_false (g_file_test (unwritten, G_FILE_TEST_EXISTS));
  run_clear (&run);
  form_module = g_getenv ("PORTEUR_TEST_OTHER_FORM_MODULE");
  g_assert_nonnull (form_module);
  run = tool ("--json", "order", "form", draft, "-o", unwritten, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "is of version 0.0.0-other, this porteur-tool of version " PACKAGE_VERSION));
  g_assert_false (g_file_test (unwritten, G_FILE_TEST_EXISTS));
  run_clear (&run);
  form_module = NULL;

  /* Sent: a request number and what to do now. */
  run = tool ("order", "submit", draft, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Request number: PO-"));
  g_assert_nonnull (strstr (run.out, "Post the signed form"));
  number = g_strndup (strstr (run.out, "PO-"), strlen ("PO-YYYY-NNNNNN"));
  run_clear (&run);
  run = tool ("--json", "order", "list", NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer, "drafts")), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer, "orders")), ==, 1);
  /* The access token stays on this computer. */
  g_assert_null (strstr (run.out, "access_token"));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);

  /* Followed to validation. */
  g_free (order_test_sim_admin (sim, "documents-received", number, NULL));
  g_free (order_test_sim_admin (sim, "validate", number, NULL));
  run = tool ("--json", "order", "track", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "validated");
  g_assert_cmpstr (json_object_get_string_member (answer, "number"), ==, number);
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  run = tool ("--json", "order", "show", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status_label"), ==, "Validated");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer, "history")), >=, 3);
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  run = tool ("order", "show", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Validated"));
  g_assert_nonnull (strstr (run.out, "book the face-to-face delivery at CCI Morbihan"));
  run_clear (&run);
  g_assert_nonnull (strstr (number, "PO-"));
  book_and_track (number);

  /* Followed to issuance: the office delivers, the CA issues (the simulator's test-only issue
   * stands for the holder's CMP request), and `order track` says so and what to do next. */
  {
    g_autofree char *prefix = g_build_filename (sim->state_dir, "issued", NULL);
    JsonArray *history;

    g_free (order_test_sim_admin (sim, "deliver", number, NULL));
    g_free (order_test_sim_admin (sim, "issue", number, prefix, NULL));
    run = tool ("order", "track", number, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Certificate issued"));
    g_assert_nonnull (strstr (run.out, "Plug in your token"));
    run_clear (&run);
    run = tool ("--json", "order", "track", number, NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_clear_pointer (&answer, json_object_unref);
    answer = parse (run.out);
    g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "issued");
    history = json_object_get_array_member (answer, "history");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, json_array_get_length (history) - 1), "status"),
                     ==, "issued");
    run_clear (&run);
  }

  /* The order's form, and unknown names. */
  run = tool ("order", "form", number, "-o", form, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run = tool ("order", "show", "PO-2026-999999", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
  run = tool ("order", "show", "../x", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
  run = tool ("order", "frobnicate", NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_clear (&run);
}

/* One place for access tokens: an order made with `porteur-tool ca order` is an order record that
 * `porteur-tool order` (and so the wizard) lists, shows and tracks, and an order sent from a
 * draft is reachable with `porteur-tool ca order`. */
static void
test_order_tool_one_record (void)
{
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autofree char *path = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *number = NULL;
  g_autofree char *number2 = NULL;
  g_autofree char *record_path = NULL;
  g_autofree char *legacy_path = NULL;
  g_autoptr(JsonObject) answer = NULL;
  Run run;

  json_object_set_string_member (dossier, "siret", "732 829 320 00074");
  json_object_set_string_member (json_object_get_object_member (dossier, "holder"), "phone", "02 99 12 34 56");
  path = write_dossier (dossier, "one-record.json");

  /* Created by `ca order`: a record, seen by `order`. */
  run = tool ("--json", "ca", "order", "create", "--from", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  number = g_strdup (json_object_get_string_member (answer, "number"));
  g_assert_false (json_object_has_member (answer, "access_token"));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  record_path = g_strdup_printf ("%s/porteur/order/orders/%s.json", home, number);
  legacy_path = g_strdup_printf ("%s/porteur/ca/orders/%s.json", home, number);
  g_assert_true (g_file_test (record_path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (legacy_path, G_FILE_TEST_EXISTS));
  run = tool ("--json", "order", "list", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, number));
  run_clear (&run);
  run = tool ("--json", "ca", "order", "submit", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run = tool ("--json", "order", "show", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "waiting-documents");
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  g_free (order_test_sim_admin (sim, "documents-received", number, NULL));
  run = tool ("--json", "order", "track", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "documents-complete");
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);

  /* Sent from a draft by `order`: reachable with `ca order`. */
  run = tool ("--json", "order", "new", "--from", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  draft = g_strdup (json_object_get_string_member (answer, "draft"));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  run = tool ("order", "submit", draft, NULL);
  g_assert_cmpint (run.status, ==, 0);
  number2 = g_strndup (strstr (run.out, "PO-"), strlen ("PO-YYYY-NNNNNN"));
  run_clear (&run);
  run = tool ("--json", "ca", "order", "show", number2, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "number"), ==, number2);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "waiting-documents");
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);
  run = tool ("ca", "order", "checklist", number2, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "[ ]"));
  run_clear (&run);
}

/* Tokens kept by earlier versions of `porteur-tool ca order` in ca/orders/<number>.json (kind
 * "ca-order" v1: {number, access_token, ca_url}) are still read: such a file, written here as the
 * old version wrote it (and no record), lets `ca order show` reach the order, and the token moves
 * into the order's record, which `order` then lists and tracks. */
static void
test_order_tool_legacy_token (void)
{
  g_autoptr(JsonObject) dossier = order_test_dossier ();
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *record_path = NULL;
  g_autofree char *legacy_dir = NULL;
  g_autofree char *legacy_path = NULL;
  g_autofree char *legacy = NULL;
  JsonObject *data;
  Run run;

  json_object_set_string_member (dossier, "siret", "732 829 320 00074");
  path = write_dossier (dossier, "legacy.json");
  run = tool ("--json", "ca", "order", "create", "--from", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  number = g_strdup (json_object_get_string_member (answer, "number"));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);

  /* Take the token out of the record, and forget the record: as before records existed. */
  record_path = g_strdup_printf ("%s/porteur/order/orders/%s.json", home, number);
  json_parser_load_from_file (parser, record_path, &error);
  g_assert_no_error (error);
  data = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "data");
  token = g_strdup (json_object_get_string_member (data, "access_token"));
  g_assert_nonnull (token);
  g_assert_cmpint (g_unlink (record_path), ==, 0);

  run = tool ("ca", "order", "show", number, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, number));
  run_clear (&run);

  legacy_dir = g_build_filename (home, "porteur", "ca", "orders", NULL);
  g_assert_cmpint (g_mkdir_with_parents (legacy_dir, 0700), ==, 0);
  legacy_path = g_strdup_printf ("%s/%s.json", legacy_dir, number);
  legacy = g_strdup_printf ("{\n  \"kind\" : \"ca-order\",\n  \"version\" : 1,\n  \"data\" : {\n"
                            "    \"number\" : \"%s\",\n    \"access_token\" : \"%s\",\n"
                            "    \"ca_url\" : \"%s\"\n  }\n}\n", number, token, sim->url);
  g_file_set_contents (legacy_path, legacy, -1, &error);
  g_assert_no_error (error);

  run = tool ("--json", "ca", "order", "show", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "number"), ==, number);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "draft");
  g_assert_false (json_object_has_member (answer, "access_token"));
  g_assert_null (strstr (run.out, token));
  g_clear_pointer (&answer, json_object_unref);
  run_clear (&run);

  /* The token moved into a record: `order` sees the order, even once the old file is gone. */
  g_assert_true (g_file_test (record_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_unlink (legacy_path), ==, 0);
  run = tool ("--json", "ca", "order", "submit", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  run = tool ("--json", "order", "track", number, NULL);
  g_assert_cmpint (run.status, ==, 0);
  answer = parse (run.out);
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "waiting-documents");
  run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cmd = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  home = g_dir_make_tmp ("porteur-order-tool-XXXXXX", &error);
  g_assert_no_error (error);
  sim = order_test_sim_start ();
  g_test_add_func ("/order/tool", test_order_tool);
  g_test_add_func ("/order/tool/one-record", test_order_tool_one_record);
  g_test_add_func ("/order/tool/legacy-token", test_order_tool_legacy_token);
  status = g_test_run ();
  order_test_sim_stop (sim);
  cmd = g_strdup_printf ("rm -rf '%s'", home);
  (void) system (cmd);
  g_free (home);
  return status;
}
