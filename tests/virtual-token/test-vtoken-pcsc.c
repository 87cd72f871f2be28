/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <string.h>

/*
 * The virtual token behind a real pcscd (run by tests/pcsc-harness): what a PC/SC client sees,
 * card removal and reinsertion with the card's memory intact, and the fault injection.
 */

static SCARDCONTEXT context;
static char reader[256];

static char *
control (const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (g_getenv ("PORTEUR_VTOKEN_CONTROL"));
  g_autoptr(GSocketConnection) connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  char *answer;

  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line, strlen (line), NULL, NULL, &error));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  answer = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static LONG
wait_card (gboolean present)
{
  SCARD_READERSTATE state = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      LONG rv = SCardGetStatusChange (context, 500, &state, 1);
      if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
        return rv;
      if (!!(state.dwEventState & SCARD_STATE_PRESENT) == present)
        return SCARD_S_SUCCESS;
      state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
    }
  return SCARD_E_TIMEOUT;
}

static SCARDHANDLE
connect_card (void)
{
  SCARDHANDLE card;
  DWORD protocol;

  g_assert_cmphex (wait_card (TRUE), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (SCardConnect (context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol), ==, SCARD_S_SUCCESS);
  return card;
}

static LONG
transmit (SCARDHANDLE   card,
          const guint8 *apdu,
          gsize         length,
          guint16      *sw)
{
  guint8 response[600];
  DWORD response_length = sizeof response;
  LONG rv = SCardTransmit (card, SCARD_PCI_T1, apdu, length, NULL, response, &response_length);

  /* vpcd answers an empty response when the card vanished in the middle of a command. */
  if (rv == SCARD_S_SUCCESS && response_length < 2)
    return SCARD_F_COMM_ERROR;
  if (rv == SCARD_S_SUCCESS)
    {
      *sw = response[response_length - 2] << 8 | response[response_length - 1];
    }
  return rv;
}

static const guint8 pin_status[] = { 0x00, 0x20, 0x00, 0x01 };
static const guint8 wrong_pin[] = { 0x00, 0x20, 0x00, 0x01, 0x08, '9', '9', '9', '9', 0xFF, 0xFF, 0xFF, 0xFF };

static void
test_atr_and_pin_status (void)
{
  SCARDHANDLE card = connect_card ();
  guint8 atr[64];
  DWORD atr_length = sizeof atr, state, protocol, name_length = 0;
  static const guint8 expected[] = { 0x3B, 0xDD, 0x18, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0xF9, 0xA0, 0x00, 0x00, 0x00, 0x77,
                                     0x01, 0x08, 0x00, 0x07, 0x90, 0x00, 0xFE };
  guint16 sw = 0;

  g_assert_cmphex (SCardStatus (card, NULL, &name_length, &state, &protocol, atr, &atr_length), ==, SCARD_S_SUCCESS);
  g_assert_cmpmem (atr, atr_length, expected, sizeof expected);
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C3);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
}

static void
test_removal_keeps_memory (void)
{
  SCARDHANDLE card = connect_card ();
  g_autofree char *removed = NULL;
  g_autofree char *inserted = NULL;
  g_autofree char *dump = NULL;
  guint16 sw = 0;

  g_assert_cmphex (transmit (card, wrong_pin, sizeof wrong_pin, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C2);

  removed = control ("remove");
  g_assert_cmpstr (removed, ==, "ok removed");
  g_assert_cmphex (wait_card (FALSE), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), !=, SCARD_S_SUCCESS);
  SCardDisconnect (card, SCARD_LEAVE_CARD);

  inserted = control ("insert");
  g_assert_cmpstr (inserted, ==, "ok inserted");
  card = connect_card ();
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C2);
  dump = control ("dump");
  g_assert_nonnull (strstr (dump, "pin1=2/3"));
  /* Back to three tries for the next tests. */
  {
    static const guint8 right_pin[] = { 0x00, 0x20, 0x00, 0x01, 0x08, '1', '2', '3', '4', 0xFF, 0xFF, 0xFF, 0xFF };
    g_assert_cmphex (transmit (card, right_pin, sizeof right_pin, &sw), ==, SCARD_S_SUCCESS);
    g_assert_cmphex (sw, ==, 0x9000);
  }
  SCardDisconnect (card, SCARD_RESET_CARD);
}

static void
test_removed_during_operation (void)
{
  SCARDHANDLE card = connect_card ();
  g_autofree char *answer = control ("remove-at 2");
  g_autofree char *inserted = NULL;
  guint16 sw = 0;

  g_assert_cmpstr (answer, ==, "ok");
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  /* The second APDU never gets an answer: the card is gone. */
  g_assert_cmphex (transmit (card, wrong_pin, sizeof wrong_pin, &sw), !=, SCARD_S_SUCCESS);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  g_assert_cmphex (wait_card (FALSE), ==, SCARD_S_SUCCESS);
  inserted = control ("insert");
  card = connect_card ();
  /* The PIN never reached the card: no try was consumed. */
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C3);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
}

static void
test_removed_after_answer (void)
{
  SCARDHANDLE card = connect_card ();
  g_autofree char *answer = control ("remove-after 1");
  g_autofree char *inserted = NULL;
  guint16 sw = 0;

  g_assert_cmpstr (answer, ==, "ok");
  /* The wrong PIN is processed and answered, then the card is pulled out. */
  g_assert_cmphex (transmit (card, wrong_pin, sizeof wrong_pin, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C2);
  g_assert_cmphex (wait_card (FALSE), ==, SCARD_S_SUCCESS);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  inserted = control ("insert");
  card = connect_card ();
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C2);
  {
    static const guint8 right_pin[] = { 0x00, 0x20, 0x00, 0x01, 0x08, '1', '2', '3', '4', 0xFF, 0xFF, 0xFF, 0xFF };
    g_assert_cmphex (transmit (card, right_pin, sizeof right_pin, &sw), ==, SCARD_S_SUCCESS);
  }
  SCardDisconnect (card, SCARD_RESET_CARD);
}

static void
test_mute (void)
{
  SCARDHANDLE card = connect_card ();
  g_autofree char *answer = control ("mute-at 1 1");
  guint16 sw = 0;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpstr (answer, ==, "ok");
  /* No answer: after the (simulated) reader timeout the command fails, it never hangs. */
  g_assert_cmphex (transmit (card, wrong_pin, sizeof wrong_pin, &sw), !=, SCARD_S_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC);
  /* The card comes back at once; pcscd may or may not have seen it gone (it polls every 400 ms),
   * so reconnect until the reader has caught up. */
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
    LONG rv;

    do
      {
        SCardDisconnect (card, SCARD_LEAVE_CARD);
        g_usleep (100 * 1000);
        card = connect_card ();
        rv = transmit (card, pin_status, sizeof pin_status, &sw);
      }
    while (rv != SCARD_S_SUCCESS && g_get_monotonic_time () < deadline);
    g_assert_cmphex (rv, ==, SCARD_S_SUCCESS);
  }
  /* The card processed nothing: the counter is intact. */
  g_assert_cmphex (sw, ==, 0x63C3);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
}

static void
test_injected_status_and_delay (void)
{
  SCARDHANDLE card = connect_card ();
  g_autofree char *a = control ("sw-at 1 6F00");
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  guint16 sw = 0;
  gint64 start;

  g_assert_cmpstr (a, ==, "ok");
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x6F00);
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (sw, ==, 0x63C3);

  b = control ("delay 400");
  start = g_get_monotonic_time ();
  g_assert_cmphex (transmit (card, pin_status, sizeof pin_status, &sw), ==, SCARD_S_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 400 * 1000);
  c = control ("delay 0");
  SCardDisconnect (card, SCARD_LEAVE_CARD);
}

int
main (int   argc,
      char *argv[])
{
  DWORD length = 0;
  g_autofree char *readers = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("PCSCLITE_CSOCK_NAME"));
  g_assert_nonnull (g_getenv ("PORTEUR_VTOKEN_CONTROL"));
  g_assert_cmphex (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (SCardListReaders (context, NULL, NULL, &length), ==, SCARD_S_SUCCESS);
  readers = g_malloc0 (length + 1);
  g_assert_cmphex (SCardListReaders (context, NULL, readers, &length), ==, SCARD_S_SUCCESS);
  g_strlcpy (reader, readers, sizeof reader);   /* the first: Virtual PCD 00 00 */
  g_assert_cmpstr (reader, ==, "Virtual PCD 00 00");

  g_test_add_func ("/vtoken-pcsc/atr-and-pin-status", test_atr_and_pin_status);
  g_test_add_func ("/vtoken-pcsc/removal-keeps-memory", test_removal_keeps_memory);
  g_test_add_func ("/vtoken-pcsc/removed-during-operation", test_removed_during_operation);
  g_test_add_func ("/vtoken-pcsc/injected-status-and-delay", test_injected_status_and_delay);
  g_test_add_func ("/vtoken-pcsc/mute", test_mute);
  g_test_add_func ("/vtoken-pcsc/removed-after-answer", test_removed_after_answer);
  status = g_test_run ();
  SCardReleaseContext (context);
  return status;
}
