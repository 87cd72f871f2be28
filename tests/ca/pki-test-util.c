/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pki-test-util.h"

#include <openssl/pem.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

guint16
pki_free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

char *
pki_make (guint16 ocsp_port,
          guint16 crl_port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("porteur-pki-XXXXXX", &error);
  g_autofree char *script = g_build_filename (TEST_SRCDIR, "ca", "make-pki.sh", NULL);
  g_autofree char *ocsp = g_strdup_printf ("%u", ocsp_port);
  g_autofree char *crl = g_strdup_printf ("%u", crl_port);
  const char *argv[] = { "sh", script, dir, ocsp, crl, NULL };
  int status = 0;

  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("making the test PKI failed (%s): see %s/make-pki.log", error->message, dir);
  return g_steal_pointer (&dir);
}

char *
pki_path (const char *dir,
          const char *name)
{
  return g_build_filename (dir, name, NULL);
}

X509 *
pki_read_cert (const char *path)
{
  BIO *bio = BIO_new_file (path, "r");
  X509 *cert = bio ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;

  BIO_free (bio);
  g_assert_nonnull (cert);
  return cert;
}

EVP_PKEY *
pki_read_key (const char *path)
{
  BIO *bio = BIO_new_file (path, "r");
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;

  BIO_free (bio);
  g_assert_nonnull (key);
  return key;
}

X509 *
pki_load_cert (const char *dir,
               const char *name)
{
  g_autofree char *path = g_strconcat (dir, "/", name, ".pem", NULL);

  return pki_read_cert (path);
}

EVP_PKEY *
pki_load_key (const char *dir,
              const char *name)
{
  g_autofree char *path = g_strconcat (dir, "/", name, ".key", NULL);

  return pki_read_key (path);
}

static gpointer
drain_thread (gpointer data)
{
  GDataInputStream *input = data;
  char *line;

  while ((line = g_data_input_stream_read_line_utf8 (input, NULL, NULL, NULL)))
    {
      g_debug ("server: %s", line);
      g_free (line);
    }
  g_object_unref (input);
  return NULL;
}

static void
die_with_parent (gpointer data)
{
  /* a test that aborts must not leave servers behind */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

PkiServer *
pki_server_start (const char         *dir,
                  const char *const  *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GDataInputStream *output;
  PkiServer *server = g_new0 (PkiServer, 1);

  g_subprocess_launcher_set_cwd (launcher, dir);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("%s exited before accepting connections", argv[0]);
      g_debug ("server: %s", line);
      if (strstr (line, "ACCEPT"))
        {
          const char *pid = strstr (line, "PID=");

          if (pid)
            server->pid = (GPid) strtol (pid + 4, NULL, 10);
          break;
        }
    }
  server->drain = g_thread_new ("pki-server-output", drain_thread, output);
  return server;
}

void
pki_server_stop (PkiServer *server)
{
  if (server == NULL)
    return;
  if (server->pid > 0)
    kill (server->pid, SIGTERM);
  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, NULL);
  g_thread_join (server->drain);
  g_object_unref (server->process);
  g_free (server);
}

void
pki_run (const char         *dir,
         const char *const  *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &output, NULL, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s", argv[0], error->message);
}

void
pki_remove_tree (const char *dir)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "rm", "-rf", dir, NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
}

int
pki_run_tool (const char *const  *args,
              const char         *input,
              char              **out_stdout,
              char              **out_stderr)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *tool = g_getenv ("PORTEUR_TOOL");

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, out_stdout, out_stderr, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}
