/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <PCSC/reader.h>

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
  if (self->corrupt_at && self->count == self->corrupt_at && n > 2)
    response[(n - 2) / 2] ^= 0x01;
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

/* A pinpad reader, as a CCID reader behaves: it reads our PIN_VERIFY/PIN_MODIFY structure,
 * writes the typed PINs into the APDU at the offsets the structure gives, and sends it. */
static gboolean
tt_control (PorteurTransport *transport,
            guint32           code,
            const guint8     *in,
            gsize             in_length,
            guint8           *out,
            gsize            *out_length,
            GError          **error)
{
  TestTransport *self = (TestTransport *) transport;
  static const guint8 features[] = { 0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x07, 4, 0x42, 0x33, 0x00, 0x07 };
  guint8 apdu[300];
  gsize apdu_length, header;
  g_autoptr(GBytes) answer = NULL;

  if (self->typed[0] == NULL)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PCSC, "unsupported feature");
      return FALSE;
    }
  if (code == 0x42000D48)
    {
      memcpy (out, features, sizeof features);
      *out_length = sizeof features;
      return TRUE;
    }
  g_assert_cmpuint (in_length, <=, sizeof self->last_block);
  memcpy (self->last_block, in, in_length);
  self->last_block_length = in_length;
  if (code == 0x42330006)
    {
      const PIN_VERIFY_STRUCTURE *v = (const PIN_VERIFY_STRUCTURE *) in;
      header = offsetof (PIN_VERIFY_STRUCTURE, abData);
      apdu_length = v->ulDataLength;
      g_assert_cmpuint (header + apdu_length, ==, in_length);
      memcpy (apdu, in + header, apdu_length);
      memcpy (apdu + 5, self->typed[0], strlen (self->typed[0]));
    }
  else if (code == 0x42330007)
    {
      const PIN_MODIFY_STRUCTURE *m = (const PIN_MODIFY_STRUCTURE *) in;
      header = offsetof (PIN_MODIFY_STRUCTURE, abData);
      apdu_length = m->ulDataLength;
      g_assert_cmpuint (header + apdu_length, ==, in_length);
      memcpy (apdu, in + header, apdu_length);
      memcpy (apdu + 5 + m->bInsertionOffsetOld, self->typed[0], strlen (self->typed[0]));
      /* The holder types the new PIN twice; a mismatch is the reader's 6402. */
      if (g_strcmp0 (self->typed[1], self->typed[2]) != 0)
        {
          out[0] = 0x64, out[1] = 0x02;
          *out_length = 2;
          return TRUE;
        }
      memcpy (apdu + 5 + m->bInsertionOffsetNew, self->typed[1], strlen (self->typed[1]));
    }
  else
    g_assert_not_reached ();
  answer = vtoken_card_process (self->card, apdu, apdu_length);
  memcpy (out, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  *out_length = g_bytes_get_size (answer);
  return TRUE;
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
  .control = tt_control,
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

/* Key generation is slow (and slower still under the sanitizers): one card is made per profile
 * and process, and every test starts from a copy of its state. */
VtokenCard *
test_card_new (const char *profile)
{
  static GHashTable *states;
  g_autoptr(GError) error = NULL;
  const char *state;

  if (states == NULL)
    states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!(state = g_hash_table_lookup (states, profile)))
    {
      g_autoptr(VtokenCard) card = vtoken_card_new (profile, &error);
      g_assert_no_error (error);
      g_hash_table_insert (states, g_strdup (profile), vtoken_card_save_state (card));
      state = g_hash_table_lookup (states, profile);
    }
  return vtoken_card_new_from_state (profile, state, &error);
}
