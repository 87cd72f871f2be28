/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <string.h>

#include "porteur-transport.h"

/*
 * PC/SC transport: its own SCARDCONTEXT, SCARD_SHARE_SHARED (Firefox and OpenSC share the token),
 * each operation inside one transaction. SCARD_W_RESET_CARD → reconnect and report the reset
 * (the token's security state is gone); removal → PORTEUR_TOKEN_ERROR_REMOVED.
 */

typedef struct
{
  PorteurTransport parent;
  SCARDCONTEXT     context;
  SCARDHANDLE      card;
  DWORD            protocol;
  gboolean         connected;
  gboolean         in_transaction;
} PcscTransport;

gboolean
porteur_pcsc_set_error (long        rv,
                        const char *what,
                        GError    **error)
{
  PorteurTokenError code;

  switch (rv)
    {
    case SCARD_S_SUCCESS:
      return TRUE;
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
      code = PORTEUR_TOKEN_ERROR_NO_SERVICE;
      break;
    case SCARD_E_NO_READERS_AVAILABLE:
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
      code = PORTEUR_TOKEN_ERROR_NO_READER;
      break;
    case SCARD_E_NO_SMARTCARD:
      code = PORTEUR_TOKEN_ERROR_NO_TOKEN;
      break;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NOT_TRANSACTED:
    case SCARD_F_COMM_ERROR:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
      code = PORTEUR_TOKEN_ERROR_REMOVED;
      break;
    case SCARD_W_RESET_CARD:
      code = PORTEUR_TOKEN_ERROR_RESET;
      break;
    case SCARD_E_SHARING_VIOLATION:
    case SCARD_E_TIMEOUT:
      code = PORTEUR_TOKEN_ERROR_BUSY;
      break;
    case SCARD_E_CANCELLED:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", what);
      return FALSE;
    default:
      code = PORTEUR_TOKEN_ERROR_PCSC;
      break;
    }
  g_set_error (error, PORTEUR_TOKEN_ERROR, code, "%s: %s (0x%08lX)", what,
               pcsc_stringify_error (rv), (unsigned long) rv);
  return FALSE;
}


GPtrArray *
porteur_pcsc_list_readers (GError **error)
{
  SCARDCONTEXT context;
  g_autofree char *names = NULL;
  DWORD length = 0;
  g_autoptr(GPtrArray) readers = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_reader_info_free);
  g_autofree SCARD_READERSTATE *states = NULL;
  guint n = 0;
  LONG rv;

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
  if (rv != SCARD_S_SUCCESS)
    return porteur_pcsc_set_error (rv, "Connecting to pcscd", error), NULL;
  rv = SCardListReaders (context, NULL, NULL, &length);
  if (rv == SCARD_E_NO_READERS_AVAILABLE)
    {
      SCardReleaseContext (context);
      return g_steal_pointer (&readers);
    }
  if (rv == SCARD_S_SUCCESS)
    {
      names = g_malloc0 (length + 1);
      rv = SCardListReaders (context, NULL, names, &length);
    }
  if (rv == SCARD_E_NO_READERS_AVAILABLE)
    {
      SCardReleaseContext (context);
      return g_steal_pointer (&readers);
    }
  if (rv != SCARD_S_SUCCESS)
    {
      SCardReleaseContext (context);
      return porteur_pcsc_set_error (rv, "Listing the readers", error), NULL;
    }
  for (const char *p = names; *p; p += strlen (p) + 1)
    n++;
  states = g_new0 (SCARD_READERSTATE, MAX (n, 1));
  n = 0;
  for (const char *p = names; *p; p += strlen (p) + 1)
    {
      states[n].szReader = p;
      states[n].dwCurrentState = SCARD_STATE_UNAWARE;
      n++;
    }
  rv = SCardGetStatusChange (context, 0, states, n);
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
    {
      SCardReleaseContext (context);
      return porteur_pcsc_set_error (rv, "Reading the readers' state", error), NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      PorteurReaderInfo *info = g_new0 (PorteurReaderInfo, 1);
      info->name = g_strdup (states[i].szReader);
      info->present = (states[i].dwEventState & SCARD_STATE_PRESENT) != 0;
      info->in_use = (states[i].dwEventState & SCARD_STATE_EXCLUSIVE) != 0;
      info->mute = (states[i].dwEventState & SCARD_STATE_MUTE) != 0;
      if (info->present && states[i].cbAtr > 0)
        info->atr = g_bytes_new (states[i].rgbAtr, MIN (states[i].cbAtr, (DWORD) MAX_ATR_SIZE));
      g_ptr_array_add (readers, info);
    }
  SCardReleaseContext (context);
  return g_steal_pointer (&readers);
}

static gboolean
pcsc_transmit (PorteurTransport *transport,
               const guint8     *command,
               gsize             length,
               guint8           *response,
               gsize            *response_length,
               GError          **error)
{
  PcscTransport *self = (PcscTransport *) transport;
  const SCARD_IO_REQUEST *pci = self->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  DWORD n = *response_length;
  LONG rv = SCardTransmit (self->card, pci, command, length, NULL, response, &n);

  if (rv != SCARD_S_SUCCESS)
    return porteur_pcsc_set_error (rv, "Sending a command to the token", error);
  *response_length = n;
  return TRUE;
}

static gboolean
pcsc_reconnect (PcscTransport *self,
                GError       **error)
{
  LONG rv = SCardReconnect (self->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                            SCARD_LEAVE_CARD, &self->protocol);
  return porteur_pcsc_set_error (rv, "Reconnecting to the token", error);
}

static gboolean
pcsc_begin (PorteurTransport *transport,
            gboolean         *was_reset,
            GError          **error)
{
  PcscTransport *self = (PcscTransport *) transport;
  LONG rv = SCardBeginTransaction (self->card);

  if (rv == SCARD_W_RESET_CARD)
    {
      /* Someone reset the token: whatever was verified is no longer. */
      *was_reset = TRUE;
      if (!pcsc_reconnect (self, error))
        return FALSE;
      rv = SCardBeginTransaction (self->card);
    }
  if (rv != SCARD_S_SUCCESS)
    return porteur_pcsc_set_error (rv, "Starting a transaction with the token", error);
  self->in_transaction = TRUE;
  return TRUE;
}

static void
pcsc_end (PorteurTransport *transport,
          gboolean          reset_card)
{
  PcscTransport *self = (PcscTransport *) transport;

  if (!self->in_transaction)
    return;
  SCardEndTransaction (self->card, reset_card ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
  self->in_transaction = FALSE;
}

static gboolean
pcsc_control (PorteurTransport *transport,
              guint32           code,
              const guint8     *in,
              gsize             in_length,
              guint8           *out,
              gsize            *out_length,
              GError          **error)
{
  PcscTransport *self = (PcscTransport *) transport;
  DWORD n = 0;
  LONG rv = SCardControl (self->card, code, in, in_length, out, *out_length, &n);

  if (rv != SCARD_S_SUCCESS)
    return porteur_pcsc_set_error (rv, "Talking to the reader", error);
  *out_length = n;
  return TRUE;
}

static void
pcsc_free (PorteurTransport *transport)
{
  PcscTransport *self = (PcscTransport *) transport;

  if (self->in_transaction)
    SCardEndTransaction (self->card, SCARD_LEAVE_CARD);
  if (self->connected)
    SCardDisconnect (self->card, SCARD_LEAVE_CARD);
  SCardReleaseContext (self->context);
  g_free (self);
}

static const PorteurTransportClass pcsc_class = {
  .transmit = pcsc_transmit,
  .begin = pcsc_begin,
  .end = pcsc_end,
  .control = pcsc_control,
  .free = pcsc_free,
};

PorteurTransport *
porteur_pcsc_transport_new (const char *reader,
                            GError    **error)
{
  g_autoptr(GPtrArray) readers = NULL;
  PcscTransport *self;
  g_autofree char *name = NULL;
  guint8 atr[MAX_ATR_SIZE];
  DWORD atr_length = sizeof atr, state = 0, protocol = 0, name_length = 0;
  LONG rv;

  readers = porteur_pcsc_list_readers (error);
  if (readers == NULL)
    return NULL;
  for (guint i = 0; i < readers->len && name == NULL; i++)
    {
      PorteurReaderInfo *info = g_ptr_array_index (readers, i);
      if (reader ? g_str_equal (info->name, reader) : info->present)
        name = g_strdup (info->name);
    }
  if (name == NULL)
    {
      if (reader)
        g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NO_READER, "No reader named “%s”", reader);
      else if (readers->len == 0)
        g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NO_READER, "No reader is connected");
      else
        g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NO_TOKEN, "No token in any reader");
      return NULL;
    }

  self = g_new0 (PcscTransport, 1);
  self->parent.klass = &pcsc_class;
  self->parent.reader = g_strdup (name);
  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->context);
  if (rv != SCARD_S_SUCCESS)
    {
      g_free (self->parent.reader);
      g_free (self);
      porteur_pcsc_set_error (rv, "Connecting to pcscd", error);
      return NULL;
    }
  rv = SCardConnect (self->context, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                     &self->card, &self->protocol);
  if (rv != SCARD_S_SUCCESS)
    {
      porteur_transport_free (&self->parent);
      porteur_pcsc_set_error (rv == SCARD_W_REMOVED_CARD ? SCARD_E_NO_SMARTCARD : rv, "Connecting to the token", error);
      return NULL;
    }
  self->connected = TRUE;
  rv = SCardStatus (self->card, NULL, &name_length, &state, &protocol, atr, &atr_length);
  if (rv != SCARD_S_SUCCESS)
    {
      porteur_transport_free (&self->parent);
      porteur_pcsc_set_error (rv, "Reading the token's state", error);
      return NULL;
    }
  self->parent.atr = g_bytes_new (atr, atr_length);
  return &self->parent;
}
