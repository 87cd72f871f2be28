/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-test-util.h"

/* porteur-tool ca products|offices|order|status against the real simulator. */

typedef CaTest Fixture;

/* Orders validated 1 s after the office receives the documents; the form:
 * a delegate's order (its checklist asks for the delegation). */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  ca_test_set_up (f, 1);
  json_object_set_string_member (f->dossier, "requester_role", "delegate");
}

static void
test_catalogue (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL, *err2 = NULL;
  g_autofree char *out = ca_test_tool (f, NULL, &status, &err, "--json", "ca", "products", NULL);
  g_autoptr(JsonNode) node = ca_test_json (out);
  g_autofree char *out2 = NULL;

  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 3);
  out2 = ca_test_tool (f, NULL, &status, &err2, "ca", "offices", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out2, "2, avenue de la Préfecture, CS 64204, 35000 RENNES"));
}

static void
test_order_flow (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *form = ca_test_write_form (f);
  g_autofree char *err = NULL;
  g_autofree char *out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "create", "--from", form, "--json", NULL);
  g_autoptr(JsonNode) node = ca_test_json (out);
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
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "submit", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Waiting for the signed documents"));

  /* A delegate: the delegation is among the documents. */
  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "checklist", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "[ ] Delegation signed by the legal representative"));

  /* Submitting again is refused with a sentence and the CA's detail. */
  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "submit", number, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "The order’s current state does not allow this"));

  g_free (ca_sim_harness_admin (f->sim, FALSE, "documents-received", number, NULL));
  g_usleep (1200 * 1000);
  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "--json", "ca", "status", number, NULL);
  g_assert_cmpint (status, ==, 0);
  status_node = ca_test_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (status_node), "status"), ==, "validated");

  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "history", number, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Validated"));

  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "rectify", number, "--from", form, NULL);
  g_assert_cmpint (status, ==, 2);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *err = NULL;
  g_autofree char *bad = g_build_filename (f->dir, "bad.json", NULL);
  g_autofree char *out = NULL;

  out = ca_test_tool (f, NULL, &status, &err, "ca", "status", "PO-2026-999999", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "No order PO-2026-999999 was created from this computer"));

  g_assert_true (g_file_set_contents (bad, "{\"siret\":\"21350238800018\"}", -1, NULL));
  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "create", "--from", bad, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "found errors in the order form"));
  g_assert_nonnull (strstr (err, "siret: bad-checksum"));

  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "create", NULL);
  g_assert_cmpint (status, ==, 2);

  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "--ca-url", "http://ca.example", "ca", "products", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "cannot be used"));
}

/* The answer to create is lost every time: the command fails; run again, it
 * repeats the same key and gets the same order, never a second one. */
static void
test_create_again_after_lost_answer (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *form = ca_test_write_form (f);
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) third = NULL;

  /* 1 attempt + 3 retries */
  g_free (ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/orders", "lose-answer", "4", NULL));
  out = ca_test_tool (f, NULL, &status, &err, "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "Cannot reach the certification authority"));

  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "--json", "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 0);
  first = ca_test_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (first), "number") + 8, ==, "000001");

  /* That creation is complete: the same form again is a new order. */
  g_free (out); g_free (err);
  out = ca_test_tool (f, NULL, &status, &err, "--json", "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 0);
  third = ca_test_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (third), "number") + 8, ==, "000002");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/ca/tool/catalogue", Fixture, NULL, fixture_set_up, test_catalogue, ca_test_fixture_tear_down);
  g_test_add ("/ca/tool/order-flow", Fixture, NULL, fixture_set_up, test_order_flow, ca_test_fixture_tear_down);
  g_test_add ("/ca/tool/errors", Fixture, NULL, fixture_set_up, test_errors, ca_test_fixture_tear_down);
  g_test_add ("/ca/tool/create-again-after-lost-answer", Fixture, NULL, fixture_set_up,
              test_create_again_after_lost_answer, ca_test_fixture_tear_down);
  return ca_test_run ();
}
