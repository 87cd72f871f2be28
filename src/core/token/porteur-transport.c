/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/crypto.h>
#include <string.h>

#include "porteur-transport.h"

void
porteur_transport_free (PorteurTransport *transport)
{
  if (transport == NULL)
    return;
  g_clear_pointer (&transport->reader, g_free);
  g_clear_pointer (&transport->atr, g_bytes_unref);
  transport->klass->free (transport);
}

const char *
porteur_transport_get_reader (PorteurTransport *transport)
{
  return transport->reader;
}

GBytes *
porteur_transport_get_atr (PorteurTransport *transport)
{
  return transport->atr;
}

gboolean
porteur_transport_begin (PorteurTransport *transport,
                         gboolean         *was_reset,
                         GError          **error)
{
  gboolean reset = FALSE;

  if (!transport->klass->begin (transport, &reset, error))
    return FALSE;
  if (was_reset)
    *was_reset = reset;
  return TRUE;
}

void
porteur_transport_end (PorteurTransport *transport,
                       gboolean          reset_card)
{
  transport->klass->end (transport, reset_card);
}

static gboolean
transmit_raw (PorteurTransport  *transport,
              const PorteurApdu *apdu,
              PorteurResponse   *response,
              GError           **error)
{
  guint8 command[4 + 3 + 65535 + 3];
  g_autofree guint8 *answer = g_malloc (PORTEUR_TRANSPORT_MAX_RESPONSE);
  gsize command_length = 0, answer_length = PORTEUR_TRANSPORT_MAX_RESPONSE;
  gboolean ok;

  if (!porteur_apdu_encode (apdu, command, sizeof command, &command_length, error))
    return FALSE;
  transport->apdu_count++;
  /* Headers only: the data of a VERIFY or CHANGE REFERENCE DATA is a PIN. */
  g_debug ("→ %02X %02X %02X %02X Lc=%" G_GSIZE_FORMAT " Le=%" G_GSIZE_FORMAT,
           apdu->cla, apdu->ins, apdu->p1, apdu->p2, apdu->lc, apdu->le);
  ok = transport->klass->transmit (transport, command, command_length, answer, &answer_length, error);
  if (apdu->sensitive)
    OPENSSL_cleanse (command, command_length);
  if (!ok)
    return FALSE;
  if (!porteur_response_parse (answer, MIN (answer_length, (gsize) PORTEUR_TRANSPORT_MAX_RESPONSE), response, error))
    return FALSE;
  g_debug ("← %" G_GSIZE_FORMAT " bytes, SW %04X", g_bytes_get_size (response->data), response->sw);
  /* Answers to sensitive commands are status words only; wipe what came back anyway. */
  OPENSSL_cleanse (answer, answer_length);
  return TRUE;
}

gboolean
porteur_transport_exchange (PorteurTransport  *transport,
                            const PorteurApdu *apdu,
                            PorteurResponse   *response,
                            GError           **error)
{
  PorteurResponse part = { 0 };
  g_autoptr(GByteArray) body = NULL;
  guint rounds = 0;

  if (!transmit_raw (transport, apdu, &part, error))
    return FALSE;

  /* 6Cxx: wrong Le, resend once with the length the token asks for. */
  if ((part.sw >> 8) == 0x6C)
    {
      PorteurApdu again = *apdu;
      again.le = (part.sw & 0xFF) ? (part.sw & 0xFF) : 256;
      porteur_response_clear (&part);
      if (!transmit_raw (transport, &again, &part, error))
        return FALSE;
    }

  /* 61xx: more data waits; GET RESPONSE until it is all here (bounded). */
  body = g_byte_array_new ();
  for (;;)
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (part.data, &n);

      if (body->len + n > PORTEUR_TRANSPORT_MAX_RESPONSE)
        {
          porteur_response_clear (&part);
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED,
                       "The token's answer is longer than %d bytes", PORTEUR_TRANSPORT_MAX_RESPONSE);
          return FALSE;
        }
      if (n)
        g_byte_array_append (body, d, n);
      if ((part.sw >> 8) != 0x61)
        break;
      if (++rounds > 300)
        {
          porteur_response_clear (&part);
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED,
                       "The token keeps announcing more data");
          return FALSE;
        }
      {
        PorteurApdu get_response = { .cla = apdu->cla & 0x03, .ins = 0xC0, .le = (part.sw & 0xFF) ? (part.sw & 0xFF) : 256 };
        porteur_response_clear (&part);
        if (!transmit_raw (transport, &get_response, &part, error))
          return FALSE;
      }
    }
  response->sw = part.sw;
  porteur_response_clear (&part);
  response->data = g_byte_array_free_to_bytes (g_steal_pointer (&body));
  return TRUE;
}

gboolean
porteur_transport_control (PorteurTransport *transport,
                           guint32           code,
                           const guint8     *in,
                           gsize             in_length,
                           guint8           *out,
                           gsize            *out_length,
                           GError          **error)
{
  if (transport->klass->control == NULL)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
                   "This reader has no control channel");
      return FALSE;
    }
  return transport->klass->control (transport, code, in, in_length, out, out_length, error);
}

void
porteur_reader_info_free (PorteurReaderInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_clear_pointer (&info->atr, g_bytes_unref);
  g_free (info);
}
