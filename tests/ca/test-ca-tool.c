/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ca-sim-harness.h"

/* porteur-tool ca products|offices|order|status against the real simulator. */

typedef struct {
  CaSimHarness *sim;
  char         *data_home;
  char         *form;
} Fixture;

static const char good_dossier[] =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"delegate\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->sim = ca_sim_harness_start (1);
  f->data_home = g_dir_make_tmp ("porteur-tool-ca-XXXXXX", NULL);
  f->form = g_build_filename (f->data_home, "form.json", NULL);
  g_assert_true (g_file_set_contents (f->form, good_dossier, -1, NULL));
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ca_sim_harness_stop (f->sim);
  rm_rf (f->data_home);
  g_free (f->data_home);
  g_free (f->form);
}

/* Runs porteur-tool with the CA from the environment; returns stdout, sets stderr. */
static char *
tool (Fixture *f, int *status, char **err, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PORTEUR_TOOL"));
  va_start (ap, first);
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_URL", f->sim->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_CA_TRUST", f->sim->root_pem, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->data_home, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\n%s\n%s", *status, out, *err);
  return out;
}

static JsonNode *
json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_catalogue (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL, *err2 = NULL;
  g_autofree char *out = tool (f, &status, &err, "--json", "ca", "products", NULL);
  g_autoptr(JsonNode) node = json (out);
  g_autofree char *out2 = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 3);
  out2 = tool (f, &status, &err2, "ca", "offices", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out2, "2, avenue de la Préfecture, CS 64204, 35000 RENNES"));
}

static void
test_order_flow (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL;
  g_autofree char *out = tool (f, &status, &err, "ca", "order", "create", "--from", f->form, "--json", NULL);
  g_autoptr(JsonNode) node = json (out);
  JsonObject *order = json_node_get_object (node);
  g_autofree char *number = g_strdup (json_object_get_string_member (order, "number"));
  g_autofree char *doc = g_strdup_printf ("%s/porteur/order/orders/%s.json", f->data_home, number);
  g_autofree char *stored = NULL;
  g_autoptr(JsonNode) status_node = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "draft");
  /* The access token is in the store, not on stdout. */
  g_assert_false (json_object_has_member (order, "access_token"));
  g_assert_true (g_file_get_contents (doc, &stored, NULL, NULL));
  g_assert_nonnull (strstr (stored, "access_token"));

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "submit", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Waiting for the signed documents"));

  /* A delegate: the delegation is among the documents. */
  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "checklist", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "[ ] Delegation signed by the legal representative"));

  /* Submitting again is refused with a sentence and the CA's detail. */
  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "submit", number, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "The order’s current state does not allow this"));

  g_free (ca_sim_harness_admin (f->sim, FALSE, "documents-received", number, NULL));
  g_usleep (1200 * 1000);
  g_free (out); g_free (err);
  out = tool (f, &status, &err, "--json", "ca", "status", number, NULL);
  g_assert_cmpint (status, ==, 0);
  status_node = json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (status_node), "status"), ==, "validated");

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "history", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Validated"));

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "rectify", number, "--from", f->form, NULL);
  g_assert_cmpint (status, ==, 2);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL;
  g_autofree char *bad = g_build_filename (f->data_home, "bad.json", NULL);
  g_autofree char *out = NULL;

  out = tool (f, &status, &err, "ca", "status", "PO-2026-999999", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "No order PO-2026-999999 was created from this computer"));

  g_assert_true (g_file_set_contents (bad, "{\"siret\":\"21350238800018\"}", -1, NULL));
  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "create", "--from", bad, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "found errors in the order form"));
  g_assert_nonnull (strstr (err, "siret: bad-checksum"));

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "ca", "order", "create", NULL);
  g_assert_cmpint (status, ==, 2);

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "--ca-url", "http://ca.example", "ca", "products", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "cannot be used"));
}

/* The answer to create is lost every time: the command fails; run again, it
 * repeats the same key and gets the same order, never a second one. */
static void
test_create_again_after_lost_answer (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) third = NULL;

  /* 1 attempt + 3 retries */
  g_free (ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/orders", "lose-answer", "4", NULL));
  out = tool (f, &status, &err, "ca", "order", "create", "--from", f->form, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "Cannot reach the certification authority"));

  g_free (out); g_free (err);
  out = tool (f, &status, &err, "--json", "ca", "order", "create", "--from", f->form, NULL);
  g_assert_cmpint (status, ==, 0);
  first = json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (first), "number") + 8, ==, "000001");

  /* That creation is complete: the same form again is a new order. */
  g_free (out); g_free (err);
  out = tool (f, &status, &err, "--json", "ca", "order", "create", "--from", f->form, NULL);
  g_assert_cmpint (status, ==, 0);
  third = json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (third), "number") + 8, ==, "000002");
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ca/tool/catalogue", Fixture, NULL, fixture_set_up, test_catalogue, fixture_tear_down);
  g_test_add ("/ca/tool/order-flow", Fixture, NULL, fixture_set_up, test_order_flow, fixture_tear_down);
  g_test_add ("/ca/tool/errors", Fixture, NULL, fixture_set_up, test_errors, fixture_tear_down);
  g_test_add ("/ca/tool/create-again-after-lost-answer", Fixture, NULL, fixture_set_up,
              test_create_again_after_lost_answer, fixture_tear_down);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  return status;
}
