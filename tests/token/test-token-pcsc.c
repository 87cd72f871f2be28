/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <PCSC/winscard.h>
#include <signal.h>
#include <string.h>

#include "token/porteur-token.h"
#include "token/porteur-token-monitor.h"

/*
 * The token core behind a real pcscd with the virtual token (run by tests/pcsc-harness): the
 * monitor sees readers and tokens come and go and stops promptly; an operation survives another
 * application resetting the token (and knows the PIN must be verified again); the async API
 * and cancellation.
 */

/* PORTEUR_TEST_SLOWDOWN, as tests/porteur-test-ui.c reads it. */
static gint64
slowdown (void)
{
  const char *value = g_getenv ("PORTEUR_TEST_SLOWDOWN");
  guint64 factor = value ? g_ascii_strtoull (value, NULL, 10) : 1;

  return factor >= 1 && factor <= 100 ? (gint64) factor : 1;
}

static GSubprocess *restarted_pcscd;

static char *
control (const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (g_getenv ("PORTEUR_VTOKEN_CONTROL"));
  g_autoptr(GSocketConnection) connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line, strlen (line), NULL, NULL, &error));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  return g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
}

static PorteurSecret *
secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

/* Opens the token, waiting for it to answer again after an insertion. */
static PorteurToken *
open_token (void)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      PorteurTransport *transport = porteur_pcsc_transport_new (NULL, &error);
      PorteurToken *token = transport ? porteur_token_open (transport, NULL, &error) : NULL;

      if (token)
        return token;
      if (g_get_monotonic_time () > deadline)
        g_error ("The token does not answer: %s", error->message);
      g_usleep (200 * 1000);
    }
}

typedef struct
{
  GPtrArray *events;
  GMainLoop *loop;
  guint      want;
} Events;

static void
record (Events     *e,
        const char *what,
        const char *reader)
{
  g_ptr_array_add (e->events, g_strdup_printf ("%s %s", what, reader));
  if (e->events->len >= e->want)
    g_main_loop_quit (e->loop);
}

static void on_reader_added (PorteurTokenMonitor *m, const char *r, Events *e) { record (e, "reader-added", r); }
static void on_token_inserted (PorteurTokenMonitor *m, const char *r, GBytes *atr, Events *e)
{
  g_assert_cmpuint (g_bytes_get_size (atr), ==, 22);
  record (e, "token-inserted", r);
}
static void on_token_removed (PorteurTokenMonitor *m, const char *r, Events *e) { record (e, "token-removed", r); }

static gboolean
on_timeout (gpointer data)
{
  g_error ("The monitor missed an event");
  return G_SOURCE_REMOVE;
}

static void
wait_events (Events *e,
             guint   count)
{
  guint id = g_timeout_add_seconds (15, on_timeout, NULL);

  e->want = count;
  if (e->events->len < count)
    g_main_loop_run (e->loop);
  g_source_remove (id);
}

static void
test_monitor (void)
{
  g_autoptr(PorteurTokenMonitor) monitor = porteur_token_monitor_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  Events e = { events, loop, 0 };
  g_autofree char *removed = NULL, *inserted = NULL;
  g_auto(GStrv) readers = NULL;
  gint64 start;

  g_signal_connect (monitor, "reader-added", G_CALLBACK (on_reader_added), &e);
  g_signal_connect (monitor, "token-inserted", G_CALLBACK (on_token_inserted), &e);
  g_signal_connect (monitor, "token-removed", G_CALLBACK (on_token_removed), &e);
  porteur_token_monitor_start (monitor);

  /* What is there at start: both vpcd slots, the token in the first. */
  wait_events (&e, 3);
  g_assert_cmpstr (events->pdata[0], ==, "reader-added Virtual PCD 00 00");
  g_assert_cmpstr (events->pdata[1], ==, "reader-added Virtual PCD 00 01");
  g_assert_cmpstr (events->pdata[2], ==, "token-inserted Virtual PCD 00 00");
  g_assert_true (porteur_token_monitor_get_service_available (monitor));
  readers = porteur_token_monitor_dup_readers (monitor);
  g_assert_cmpstrv (readers, ((const char *[]) { "Virtual PCD 00 00", NULL }));

  removed = control ("remove");
  g_assert_cmpstr (removed, ==, "ok removed");
  wait_events (&e, 4);
  g_assert_cmpstr (events->pdata[3], ==, "token-removed Virtual PCD 00 00");
  inserted = control ("insert");
  wait_events (&e, 5);
  g_assert_cmpstr (events->pdata[4], ==, "token-inserted Virtual PCD 00 00");

  /* Stopping never hangs: at most the 1 s wait (with the margin of the sanitizer and valgrind
   * setups' PORTEUR_TEST_SLOWDOWN factor, 1 in a normal build). */
  start = g_get_monotonic_time ();
  porteur_token_monitor_stop (monitor);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1500 * 1000 * slowdown ());
}

static void on_reader_removed (PorteurTokenMonitor *m, const char *r, Events *e) { record (e, "reader-removed", r); }

/* The harness's pcscd: the one in our mount namespace. */
static GPid
find_pcscd (char ***argv)
{
  g_autofree char *our_ns = g_file_read_link ("/proc/self/ns/mnt", NULL);
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *comm_path = g_build_filename ("/proc", name, "comm", NULL);
      g_autofree char *ns_path = g_build_filename ("/proc", name, "ns", "mnt", NULL);
      g_autofree char *cmdline_path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *comm = NULL, *ns = NULL, *cmdline = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          !g_str_equal (g_strstrip (comm), "pcscd"))
        continue;
      ns = g_file_read_link (ns_path, NULL);
      if (g_strcmp0 (ns, our_ns) != 0 || !g_file_get_contents (cmdline_path, &cmdline, &length, NULL))
        continue;
      {
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
        for (gsize i = 0; i < length; i += strlen (cmdline + i) + 1)
          g_strv_builder_add (builder, cmdline + i);
        *argv = g_strv_builder_end (builder);
      }
      return (GPid) atoi (name);
    }
  return 0;
}

/* pcscd goes away and comes back: the readers are reported gone, then back, with the token. */
static void
test_monitor_survives_pcscd_restart (void)
{
  g_autoptr(PorteurTokenMonitor) monitor = porteur_token_monitor_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  Events e = { events, loop, 0 };
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) restarted = NULL;
  GPid pid = find_pcscd (&argv);
  guint base;

  g_assert_cmpint (pid, >, 0);
  g_signal_connect (monitor, "reader-added", G_CALLBACK (on_reader_added), &e);
  g_signal_connect (monitor, "reader-removed", G_CALLBACK (on_reader_removed), &e);
  g_signal_connect (monitor, "token-inserted", G_CALLBACK (on_token_inserted), &e);
  g_signal_connect (monitor, "token-removed", G_CALLBACK (on_token_removed), &e);
  porteur_token_monitor_start (monitor);
  wait_events (&e, 3);

  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  wait_events (&e, 6);
  g_assert_cmpstr (events->pdata[3], ==, "token-removed Virtual PCD 00 00");
  g_assert_true (g_str_has_prefix (events->pdata[4], "reader-removed"));
  g_assert_true (g_str_has_prefix (events->pdata[5], "reader-removed"));
  while (porteur_token_monitor_get_service_available (monitor))
    g_main_context_iteration (NULL, TRUE);

  /* The same pcscd again (same configuration, same private socket). */
  g_usleep (300 * 1000);
  restarted = g_subprocess_newv ((const char *const *) argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  base = events->len;
  wait_events (&e, base + 3);
  g_assert_true (g_str_has_prefix (events->pdata[base], "reader-added"));
  g_assert_true (g_str_has_prefix (events->pdata[base + 1], "reader-added"));
  g_assert_cmpstr (events->pdata[base + 2], ==, "token-inserted Virtual PCD 00 00");
  g_assert_true (porteur_token_monitor_get_service_available (monitor));
  porteur_token_monitor_stop (monitor);
  /* Leave the new pcscd running: the harness's own cleanup does not know it, so it is ours to
   * stop, after the tests that still need it. */
  restarted_pcscd = g_steal_pointer (&restarted);
}

static void
test_reset_by_another_application (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurToken) token = open_token ();
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(GBytes) signature = NULL;
  SCARDCONTEXT context;
  SCARDHANDLE other;
  DWORD protocol;
  guint8 digest[32] = { 7 };

  /* vpcd is no pinpad reader (it refuses GET_FEATURE_REQUEST): said so, not an error. */
  g_assert_false (porteur_token_has_pinpad (token, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (porteur_token_verify_pin (token, 1, pin, 0, NULL, &error));
  g_assert_no_error (error);
  signature = porteur_token_sign (token, 1, NULL, 0, "SHA256", digest, 32, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&signature, g_bytes_unref);

  /* Firefox, say, resets the token. */
  g_assert_cmphex (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (SCardConnect (context, porteur_token_get_reader (token), SCARD_SHARE_SHARED,
                                 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &other, &protocol), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (SCardDisconnect (other, SCARD_RESET_CARD), ==, SCARD_S_SUCCESS);
  SCardReleaseContext (context);

  /* Our next operation reconnects; the token forgot the PIN, and so do we. */
  signature = porteur_token_sign (token, 1, NULL, 0, "SHA256", digest, 32, NULL, &error);
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_SECURITY);
  g_clear_error (&error);
  for (guint i = 0; i < porteur_token_get_pins (token)->len; i++)
    g_assert_false (((PorteurPinStatus *) g_ptr_array_index (porteur_token_get_pins (token), i))->verified);
  signature = porteur_token_sign (token, 1, pin, 0, "SHA256", digest, 32, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GError) error = NULL;
  PorteurToken **out = data;

  *out = porteur_token_open_finish (result, &error);
  g_assert_no_error (error);
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  GError **out = data;

  porteur_token_pin_operation_finish (PORTEUR_TOKEN (source), result, out);
  if (*out == NULL)
    *out = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "success");
}

static void
test_async_and_cancel (void)
{
  PorteurToken *token = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(PorteurSecret) pin = secret ("1234");
  GError *result = NULL;

  g_object_unref (open_token ());   /* the token answers */
  porteur_token_open_async (NULL, NULL, on_opened, &token);
  while (token == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (porteur_token_get_serial (token), ==, "1C0B1A2D3E4F5061");

  porteur_token_verify_pin_async (token, 1, pin, 0, NULL, on_verified, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_EXISTS);   /* = success */
  g_clear_error (&result);

  /* Cancelled before it reaches the token: nothing is sent, no try spent. */
  g_cancellable_cancel (cancellable);
  porteur_token_verify_pin_async (token, 1, pin, 0, cancellable, on_verified, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result);
  {
    g_autofree char *dump = control ("dump");
    g_assert_nonnull (strstr (dump, "pin1=3/3"));
  }
  g_assert_finalize_object (token);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token-pcsc/monitor", test_monitor);
  g_test_add_func ("/token-pcsc/reset-by-another-application", test_reset_by_another_application);
  g_test_add_func ("/token-pcsc/async-and-cancel", test_async_and_cancel);
  g_test_add_func ("/token-pcsc/monitor-survives-pcscd-restart", test_monitor_survives_pcscd_restart);
  {
    int status = g_test_run ();
    if (restarted_pcscd)
      {
        g_subprocess_send_signal (restarted_pcscd, SIGTERM);
        g_subprocess_wait (restarted_pcscd, NULL, NULL);
        g_clear_object (&restarted_pcscd);
      }
    return status;
  }
}
