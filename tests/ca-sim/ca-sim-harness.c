/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "ca-sim-harness.h"

static char *template_dir;

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set (run the tests with meson test)", variable);
  return path;
}

static void
copy_dir (const char *from, const char *to)
{
  g_autoptr(GDir) dir = g_dir_open (from, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_assert_cmpint (g_mkdir_with_parents (to, 0700), ==, 0);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *src = g_build_filename (from, name, NULL);
      g_autofree char *dst = g_build_filename (to, name, NULL);
      g_autofree char *data = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (src, &data, &len, NULL));
      g_assert_true (g_file_set_contents_full (dst, data, len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    }
}

static gboolean
rm_rf (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (e && (info = g_file_enumerator_next_file (e, NULL, NULL)))
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        rm_rf (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  return g_rmdir (path) == 0;
}

/* The simulator ends with the test, even when the test aborts. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static CaSimHarness *
start (const char *state_dir, guint validation_delay)
{
  CaSimHarness *harness = g_new0 (CaSimHarness, 1);
  g_autofree char *delay = g_strdup_printf ("%u", validation_delay);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  harness->state_dir = g_strdup (state_dir);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* Under ASan, LeakSanitizer's tracer crashes ("Tracer caught signal 11")
   * at the exit of a process that served TLS through glib-networking, so the
   * simulator (a test peer) runs with leak detection off; the address and
   * undefined-behaviour checks stay on, and the state and PKI code is
   * leak-checked in-process by test-ca-sim-db. */
  if (g_getenv ("ASAN_OPTIONS"))
    {
      g_autofree char *options = g_strconcat (g_getenv ("ASAN_OPTIONS"), ":detect_leaks=0", NULL);
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", options, TRUE);
    }
  harness->process = g_subprocess_launcher_spawn (launcher, &error,
                                                  program ("PORTEUR_CA_SIM"), "--listen", "127.0.0.1:0",
                                                  "--state", state_dir, "--validation-delay", delay, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (harness->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "READY https://127.0.0.1:"));
  harness->url = g_strdup (line + strlen ("READY "));
  harness->root_pem = g_build_filename (state_dir, "pki", "root.pem", NULL);
  return harness;
}

CaSimHarness *
ca_sim_harness_start (guint validation_delay)
{
  g_autofree char *dir = NULL;
  g_autofree char *pki = NULL;
  g_autofree char *template_pki = NULL;

  if (template_dir == NULL)
    {
      /* The first simulator generates the PKI; later ones reuse a copy. */
      CaSimHarness *first;

      template_dir = g_dir_make_tmp ("porteur-ca-sim-XXXXXX", NULL);
      g_assert_nonnull (template_dir);
      first = start (template_dir, validation_delay);
      ca_sim_harness_stop (first);
    }
  dir = g_dir_make_tmp ("porteur-ca-sim-XXXXXX", NULL);
  g_assert_nonnull (dir);
  pki = g_build_filename (dir, "pki", NULL);
  template_pki = g_build_filename (template_dir, "pki", NULL);
  copy_dir (template_pki, pki);
  return start (dir, validation_delay);
}

char *
ca_sim_run (int *status, const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  if (*status != 0)
    g_test_message ("%s: exit %d: %s", argv[0], *status, err);
  return g_strstrip (g_steal_pointer (&out));
}

static char *
admin_valist (CaSimHarness *harness,
              gboolean      may_fail,
              const char   *first_arg,
              va_list       ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  int status;
  char *out;

  g_ptr_array_add (argv, (gpointer) program ("PORTEUR_CA_SIM_ADMIN"));
  g_ptr_array_add (argv, (gpointer) "--state");
  g_ptr_array_add (argv, harness->state_dir);
  for (arg = first_arg; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  g_ptr_array_add (argv, NULL);
  out = ca_sim_run (&status, (const char *const *) argv->pdata);
  if (!may_fail)
    g_assert_cmpint (status, ==, 0);
  else if (status != 0)
    g_clear_pointer (&out, g_free);
  return out;
}

char *
ca_sim_harness_admin (CaSimHarness *harness,
                      gboolean      may_fail,
                      const char   *first_arg,
                      ...)
{
  va_list ap;
  char *out;

  va_start (ap, first_arg);
  out = admin_valist (harness, may_fail, first_arg, ap);
  va_end (ap);
  return out;
}

void
ca_sim_harness_admin_do (CaSimHarness *harness,
                         const char   *first_arg,
                         ...)
{
  va_list ap;

  va_start (ap, first_arg);
  g_free (admin_valist (harness, FALSE, first_arg, ap));
  va_end (ap);
}

void
ca_sim_harness_stop (CaSimHarness *harness)
{
  if (harness == NULL)
    return;
  if (harness->process)
    {
      g_subprocess_send_signal (harness->process, SIGTERM);
      g_subprocess_wait (harness->process, NULL, NULL);
      g_assert_true (g_subprocess_get_if_exited (harness->process));
      g_assert_cmpint (g_subprocess_get_exit_status (harness->process), ==, 0);
      g_object_unref (harness->process);
    }
  if (harness->state_dir && (template_dir == NULL || !g_str_equal (harness->state_dir, template_dir)))
    rm_rf (harness->state_dir);
  g_free (harness->state_dir);
  g_free (harness->url);
  g_free (harness->root_pem);
  g_free (harness);
}

void
ca_sim_harness_cleanup (void)
{
  if (template_dir)
    rm_rf (template_dir);
  g_clear_pointer (&template_dir, g_free);
}
