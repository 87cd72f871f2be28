/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "order/porteur-order-draft.h"
#include "store/porteur-store.h"

static JsonObject *
make_dossier (guint counter,
              gsize padding)
{
  g_autoptr(JsonObject) dossier = json_object_new ();
  g_autofree char *pad = g_strnfill (padding, 'x');
  g_autofree char *name = g_strdup_printf ("ORG %u", counter);
  JsonObject *organisation = json_object_new ();

  json_object_set_string_member (dossier, "siret", "21350238800019");
  json_object_set_string_member (organisation, "name", name);
  json_object_set_int_member (organisation, "counter", counter);
  json_object_set_string_member (organisation, "padding", pad);
  json_object_set_object_member (dossier, "organisation", organisation);
  return g_steal_pointer (&dossier);
}

static void
test_draft_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = porteur_order_draft_new_id ();
  g_autofree char *id2 = porteur_order_draft_new_id ();
  g_autoptr(JsonObject) dossier = make_dossier (7, 4);
  g_autoptr(PorteurOrderDraft) draft = NULL;
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *org;

  list = porteur_order_draft_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (porteur_order_draft_save (id, 3, dossier, &error));
  g_assert_no_error (error);
  draft = porteur_order_draft_load (id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (draft->id, ==, id);
  g_assert_cmpuint (draft->step, ==, 3);
  g_assert_nonnull (draft->updated);
  g_assert_cmpstr (json_object_get_string_member (draft->dossier, "siret"), ==, "21350238800019");
  org = json_object_get_object_member (draft->dossier, "organisation");
  g_assert_cmpint (json_object_get_int_member (org, "counter"), ==, 7);

  g_usleep (2000);
  g_assert_true (porteur_order_draft_save (id2, 1, dossier, &error));
  list = porteur_order_draft_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((PorteurOrderDraft *) list->pdata[0])->id, ==, id2);   /* newest first */
  g_assert_cmpstr (((PorteurOrderDraft *) list->pdata[1])->id, ==, id);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (porteur_order_draft_delete (id2, &error));
  g_assert_false (porteur_order_draft_delete (id2, &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (porteur_order_draft_load (id2, &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  list = porteur_order_draft_list (&error);
  g_assert_cmpuint (list->len, ==, 1);
}

static void
test_draft_bad_id (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = make_dossier (1, 1);

  g_assert_false (porteur_order_draft_save ("../../escape", 0, dossier, &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID);
  g_clear_error (&error);
  g_assert_null (porteur_order_draft_load ("a/b", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_INVALID_ID);
}

static void
test_draft_corrupt_skipped (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = porteur_order_draft_new_id ();
  g_autofree char *rel = g_strdup_printf ("order/drafts/%s.json", id);
  g_autofree char *path = porteur_store_build_path (rel, &error);
  g_autofree char *good = porteur_order_draft_new_id ();
  g_autoptr(JsonObject) dossier = make_dossier (1, 1);
  g_autoptr(GPtrArray) list = NULL;

  g_assert_true (porteur_order_draft_save (good, 0, dossier, &error));
  g_assert_true (g_file_set_contents (path, "{\"kind\": \"order-draft\", \"vers", -1, &error));
  list = porteur_order_draft_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((PorteurOrderDraft *) list->pdata[0])->id, ==, good);
  /* the unreadable file is kept for the holder, not deleted */
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* A child loops on autosaves of a large draft; it is killed with SIGKILL at a
 * random moment; the draft must then load, complete, with one of the saved
 * counters (never a torn file). */
static void
test_draft_kill_during_autosave (void)
{
  g_autofree char *id = porteur_order_draft_new_id ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) first = make_dossier (0, 256 * 1024);

  g_assert_true (porteur_order_draft_save (id, 0, first, &error));
  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(PorteurOrderDraft) draft = NULL;
      int status = 0;
      pid_t pid = fork ();
      JsonObject *org;
      gint64 counter;

      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          for (guint i = 1;; i++)
            {
              g_autoptr(JsonObject) d = make_dossier (i, 256 * 1024);

              if (!porteur_order_draft_save (id, i % 7, d, NULL))
                _exit (3);
            }
        }
      g_usleep (g_test_rand_int_range (20000, 120000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

      draft = porteur_order_draft_load (id, &error);
      g_assert_no_error (error);
      org = json_object_get_object_member (draft->dossier, "organisation");
      counter = json_object_get_int_member (org, "counter");
      g_assert_cmpint (strlen (json_object_get_string_member (org, "padding")), ==, 256 * 1024);
      g_assert_cmpuint (draft->step, ==, (guint) (counter % 7));
      {
        g_autofree char *name = g_strdup_printf ("ORG %u", (guint) counter);
        g_assert_cmpstr (json_object_get_string_member (org, "name"), ==, name);
      }
      g_test_message ("round %u: draft intact at save %" G_GINT64_FORMAT, round, counter);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/order/draft/roundtrip", test_draft_roundtrip);
  g_test_add_func ("/order/draft/bad-id", test_draft_bad_id);
  g_test_add_func ("/order/draft/corrupt-skipped", test_draft_corrupt_skipped);
  g_test_add_func ("/order/draft/kill-during-autosave", test_draft_kill_during_autosave);
  return g_test_run ();
}
