/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "token-test-transport.h"

static gboolean
tt_transmit (PorteurTransport *transport,
             const guint8     *command,
             gsize             length,
             guint8           *response,
             gsize            *response_length,
             GError          **error)
{
  TestTransport *self = (TestTransport *) transport;
  g_autoptr(GBytes) answer = NULL;
  gsize n;

  if (self->removed)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED, "removed");
      return FALSE;
    }
  self->count++;
  if (self->remove_at && self->count == self->remove_at)
    {
      /* Like vpcd when the card vanishes mid-command: an empty answer. */
      self->removed = TRUE;
      *response_length = 0;
      return TRUE;
    }
  if (self->sw_at && self->count == self->sw_at)
    {
      response[0] = self->sw_value >> 8;
      response[1] = self->sw_value & 0xFF;
      *response_length = 2;
      return TRUE;
    }
  if (self->garbage_at && self->count == self->garbage_at)
    {
      /* A body of random bytes and a success status word. */
      n = MIN (*response_length - 2, (gsize) 40);
      for (gsize i = 0; i < n; i++)
        response[i] = g_random_int_range (0, 256);
      response[n] = 0x90;
      response[n + 1] = 0x00;
      *response_length = n + 2;
      return TRUE;
    }
  answer = vtoken_card_process (self->card, command, length);
  n = g_bytes_get_size (answer);
  g_assert_cmpuint (n, <=, *response_length);
  memcpy (response, g_bytes_get_data (answer, NULL), n);
  *response_length = n;
  return TRUE;
}

static gboolean
tt_begin (PorteurTransport *transport,
          gboolean         *was_reset,
          GError          **error)
{
  TestTransport *self = (TestTransport *) transport;

  if (self->removed)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED, "removed");
      return FALSE;
    }
  return TRUE;
}

static void
tt_end (PorteurTransport *transport,
        gboolean          reset_card)
{
  TestTransport *self = (TestTransport *) transport;

  if (reset_card)
    vtoken_card_reset (self->card);
}

static void
tt_free (PorteurTransport *transport)
{
  g_free (transport);
}

static const PorteurTransportClass tt_class = {
  .transmit = tt_transmit,
  .begin = tt_begin,
  .end = tt_end,
  .free = tt_free,
};

PorteurTransport *
test_transport_new (VtokenCard *card)
{
  TestTransport *self = g_new0 (TestTransport, 1);

  self->parent.klass = &tt_class;
  self->parent.reader = g_strdup ("In-process virtual token");
  self->parent.atr = vtoken_card_get_atr (card);
  self->card = card;
  return &self->parent;
}
