/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

#include "order-test-sim.h"

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

OrderTestSim *
order_test_sim_start (void)
{
  const char *exe = g_getenv ("PORTEUR_CA_SIM");
  OrderTestSim *sim = g_new0 (OrderTestSim, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *line = NULL;

  g_assert_nonnull (exe);
  sim->state_dir = g_dir_make_tmp ("porteur-order-sim-XXXXXX", &error);
  g_assert_no_error (error);
  /* The simulator dies with the test, even when an assertion aborts it. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sim->process = g_subprocess_launcher_spawn (launcher, &error, exe,
                                              "--listen", "127.0.0.1:0", "--state", sim->state_dir, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  /* The simulator prints READY once it serves, or exits: never a hang. */
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, "READY https://"))
    g_error ("porteur-ca-sim did not start (it said “%s”)", line ? line : "nothing");
  sim->url = g_strconcat (line + strlen ("READY "), "/api/v1", NULL);
  sim->trust = g_build_filename (sim->state_dir, "pki", "root.pem", NULL);
  g_assert_true (g_file_test (sim->trust, G_FILE_TEST_EXISTS));
  return sim;
}

char *
order_test_sim_admin (OrderTestSim *sim,
                      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("PORTEUR_CA_SIM_ADMIN"));
  g_ptr_array_add (argv, (char *) "--state");
  g_ptr_array_add (argv, sim->state_dir);
  va_start (args, sim);
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("porteur-ca-sim-admin %s failed: %s", (char *) argv->pdata[3], err);
  return out;
}

void
order_test_sim_stop (OrderTestSim *sim)
{
  g_autofree char *cmd = NULL;

  g_subprocess_send_signal (sim->process, SIGTERM);
  g_subprocess_wait (sim->process, NULL, NULL);
  cmd = g_strdup_printf ("rm -rf '%s'", sim->state_dir);
  (void) system (cmd);
  g_object_unref (sim->process);
  g_free (sim->state_dir);
  g_free (sim->url);
  g_free (sim->trust);
  g_free (sim);
}

JsonObject *
order_test_dossier (void)
{
  g_autoptr(JsonNode) node = json_from_string (
    "{\"support\": \"token\", \"has_compatible_token\": false, \"product\": \"rgs2-sign-token\","
    " \"siret\": \"732 829 320 00074\", \"requester_email\": \"anne.legoff@megalis.bzh\","
    " \"prerequisites_acknowledged\": true, \"organisation_type\": \"public-body\", \"requester_role\": \"holder\","
    " \"organisation\": {\"name\": \"Syndicat mixte Mégalis Bretagne\", \"address\": {\"line1\": \"15 rue Claude Chappe\","
    "   \"line2\": \"CS 42004\", \"postal_code\": \"35510\", \"city\": \"Cesson-Sévigné\"}},"
    " \"holder\": {\"civility\": \"mrs\", \"given_name\": \"Anne\", \"family_name\": \"Le Goff\", \"function\": \"Acheteuse publique\","
    "   \"service\": \"Commande publique\", \"email\": \"anne.legoff@megalis.bzh\", \"phone\": \"02 99 12 34 56\"},"
    " \"legal_representative\": {\"civility\": \"mr\", \"given_name\": \"Yann\", \"family_name\": \"Kerjean\","
    "   \"function\": \"Président\", \"email\": \"president@megalis.bzh\"},"
    " \"office\": \"cci-morbihan-vannes\"}", NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}
