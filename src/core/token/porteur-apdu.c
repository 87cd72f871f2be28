/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>

#include "porteur-apdu.h"

G_DEFINE_QUARK (porteur-token-error-quark, porteur_token_error)

static gboolean
malformed (GError    **error,
           const char *what)
{
  g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "Malformed TLV: %s", what);
  return FALSE;
}

gboolean
porteur_tlv_parse (const guint8 *data,
                   gsize         length,
                   PorteurTlv   *tlv,
                   gsize        *consumed,
                   GError      **error)
{
  gsize i = 0;
  guint32 tag;
  gsize value_length;

  if (length < 2)
    return malformed (error, "truncated header");
  tag = data[i++];
  tlv->constructed = (tag & 0x20) != 0;
  if ((tag & 0x1F) == 0x1F)
    {
      /* High tag number: continuation bytes while bit 8 is set; at most 3 bytes in all. */
      guint n = 0;
      do
        {
          if (i >= length || ++n > 2)
            return malformed (error, "tag too long");
          tag = tag << 8 | data[i];
        }
      while (data[i++] & 0x80);
    }
  if (i >= length)
    return malformed (error, "truncated length");
  value_length = data[i++];
  if (value_length == 0x80)
    return malformed (error, "indefinite length");
  if (value_length > 0x80)
    {
      guint n = value_length & 0x7F;
      if (n > 3)
        return malformed (error, "length too long");
      if (i + n > length)
        return malformed (error, "truncated length");
      value_length = 0;
      while (n--)
        value_length = value_length << 8 | data[i++];
    }
  if (value_length > length - i)
    return malformed (error, "value beyond the data");
  tlv->tag = tag;
  tlv->value = data + i;
  tlv->length = value_length;
  if (consumed)
    *consumed = i + value_length;
  return TRUE;
}

void
porteur_tlv_iter_init (PorteurTlvIter *iter,
                       const guint8   *data,
                       gsize           length)
{
  iter->data = data;
  iter->length = data ? length : 0;
  iter->offset = 0;
}

void
porteur_tlv_iter_init_tlv (PorteurTlvIter   *iter,
                           const PorteurTlv *parent)
{
  porteur_tlv_iter_init (iter, parent->value, parent->length);
}

gboolean
porteur_tlv_iter_next (PorteurTlvIter *iter,
                       PorteurTlv     *tlv,
                       GError        **error)
{
  gsize consumed = 0;

  if (iter->offset >= iter->length)
    return FALSE;
  if (iter->data[iter->offset] == 0x00 || iter->data[iter->offset] == 0xFF)
    {
      iter->offset = iter->length;
      return FALSE;
    }
  if (!porteur_tlv_parse (iter->data + iter->offset, iter->length - iter->offset, tlv, &consumed, error))
    {
      iter->offset = iter->length;
      return FALSE;
    }
  iter->offset += consumed;
  return TRUE;
}

gboolean
porteur_tlv_find (const guint8 *data,
                  gsize         length,
                  guint32       tag,
                  PorteurTlv   *out)
{
  PorteurTlvIter iter;
  PorteurTlv tlv;

  porteur_tlv_iter_init (&iter, data, length);
  while (porteur_tlv_iter_next (&iter, &tlv, NULL))
    if (tlv.tag == tag)
      {
        *out = tlv;
        return TRUE;
      }
  return FALSE;
}

gboolean
porteur_tlv_find_child (const PorteurTlv *parent,
                        guint32           tag,
                        PorteurTlv       *out)
{
  return porteur_tlv_find (parent->value, parent->length, tag, out);
}

gboolean
porteur_tlv_get_uint (const PorteurTlv *tlv,
                      guint32          *value)
{
  guint32 v = 0;
  gsize i = 0;

  if (tlv->length == 0)
    return FALSE;
  /* A DER INTEGER may carry a leading 00 to stay positive. */
  if (tlv->length == 5 && tlv->value[0] == 0)
    i = 1;
  else if (tlv->length > 4)
    return FALSE;
  for (; i < tlv->length; i++)
    v = v << 8 | tlv->value[i];
  *value = v;
  return TRUE;
}

void
porteur_tlv_append (GByteArray   *out,
                    guint32       tag,
                    const guint8 *value,
                    gsize         length)
{
  guint8 head[8];
  gsize n = 0;

  if (tag > 0xFFFF)
    head[n++] = tag >> 16;
  if (tag > 0xFF)
    head[n++] = (tag >> 8) & 0xFF;
  head[n++] = tag & 0xFF;
  if (length < 0x80)
    head[n++] = length;
  else if (length < 0x100)
    {
      head[n++] = 0x81;
      head[n++] = length;
    }
  else if (length < 0x10000)
    {
      head[n++] = 0x82;
      head[n++] = length >> 8;
      head[n++] = length & 0xFF;
    }
  else
    {
      head[n++] = 0x83;
      head[n++] = length >> 16;
      head[n++] = (length >> 8) & 0xFF;
      head[n++] = length & 0xFF;
    }
  g_byte_array_append (out, head, n);
  if (length)
    g_byte_array_append (out, value, length);
}

gboolean
porteur_apdu_encode (const PorteurApdu *apdu,
                     guint8            *out,
                     gsize              out_size,
                     gsize             *out_length,
                     GError           **error)
{
  gboolean extended = apdu->lc > 255 || apdu->le > 256;
  gsize n = 0;

  if (apdu->lc > 65535 || apdu->le > 65536)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "APDU too long");
      return FALSE;
    }
  if (out_size < 4 + 3 + apdu->lc + 3)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "APDU buffer too small");
      return FALSE;
    }
  out[n++] = apdu->cla;
  out[n++] = apdu->ins;
  out[n++] = apdu->p1;
  out[n++] = apdu->p2;
  if (apdu->lc)
    {
      if (extended)
        {
          out[n++] = 0;
          out[n++] = apdu->lc >> 8;
          out[n++] = apdu->lc & 0xFF;
        }
      else
        out[n++] = apdu->lc;
      memcpy (out + n, apdu->data, apdu->lc);
      n += apdu->lc;
    }
  if (apdu->le)
    {
      if (extended)
        {
          if (!apdu->lc)
            out[n++] = 0;
          out[n++] = apdu->le == 65536 ? 0 : apdu->le >> 8;
          out[n++] = apdu->le & 0xFF;
        }
      else
        out[n++] = apdu->le == 256 ? 0 : apdu->le;
    }
  *out_length = n;
  return TRUE;
}

void
porteur_response_clear (PorteurResponse *response)
{
  g_clear_pointer (&response->data, g_bytes_unref);
  response->sw = 0;
}

gboolean
porteur_response_parse (const guint8    *raw,
                        gsize            length,
                        PorteurResponse *response,
                        GError         **error)
{
  if (length < 2)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED,
                   "The token gave no answer (%" G_GSIZE_FORMAT " bytes): it was removed", length);
      return FALSE;
    }
  response->data = g_bytes_new (raw, length - 2);
  response->sw = raw[length - 2] << 8 | raw[length - 1];
  return TRUE;
}

const char *
porteur_sw_describe (guint16 sw)
{
  switch (sw)
    {
    case 0x9000: return "success";
    case 0x6281: return "part of the data may be corrupted";
    case 0x6282: return "end of file reached";
    case 0x6700: return "wrong length";
    case 0x6881: return "logical channel not supported";
    case 0x6882: return "secure messaging not supported";
    case 0x6982: return "security status not satisfied";
    case 0x6983: return "authentication method blocked";
    case 0x6984: return "reference data not usable";
    case 0x6985: return "conditions of use not satisfied";
    case 0x6986: return "command not allowed (no current file)";
    case 0x6987: return "expected secure messaging data objects missing";
    case 0x6988: return "incorrect secure messaging data objects";
    case 0x6A80: return "incorrect data";
    case 0x6A81: return "function not supported";
    case 0x6A82: return "file or application not found";
    case 0x6A83: return "record not found";
    case 0x6A84: return "not enough memory";
    case 0x6A86: return "incorrect parameters P1-P2";
    case 0x6A88: return "referenced data not found";
    case 0x6B00: return "wrong parameters (offset outside the file)";
    case 0x6D00: return "instruction not supported";
    case 0x6E00: return "class not supported";
    case 0x6F00: return "no precise diagnosis";
    case 0x6400: return "execution error (pinpad timeout)";
    case 0x6401: return "cancelled on the pinpad";
    case 0x6402: return "the two PINs typed on the pinpad differ";
    case 0x6403: return "PIN length outside the pinpad's limits";
    default:
      if ((sw & 0xFFF0) == 0x63C0)
        return "wrong PIN, tries left in the low nibble";
      return "unexpected status word";
    }
}

gboolean
porteur_sw_check (guint16     sw,
                  const char *what,
                  GError    **error)
{
  PorteurTokenError code;

  if (sw == 0x9000 || (sw >> 8) == 0x62)
    return TRUE;
  if ((sw & 0xFFF0) == 0x63C0)
    code = PORTEUR_TOKEN_ERROR_PIN_INCORRECT;
  else switch (sw)
    {
    case 0x6983:
    case 0x6984:
      code = PORTEUR_TOKEN_ERROR_PIN_BLOCKED;
      break;
    case 0x6982:
      code = PORTEUR_TOKEN_ERROR_SECURITY;
      break;
    case 0x6A82:
    case 0x6A83:
    case 0x6A88:
      code = PORTEUR_TOKEN_ERROR_NOT_FOUND;
      break;
    case 0x6A81:
    case 0x6D00:
    case 0x6E00:
      code = PORTEUR_TOKEN_ERROR_NOT_SUPPORTED;
      break;
    case 0x6400:
      code = PORTEUR_TOKEN_ERROR_PINPAD_TIMEOUT;
      break;
    case 0x6401:
      code = PORTEUR_TOKEN_ERROR_PINPAD_CANCELLED;
      break;
    case 0x6402:
      code = PORTEUR_TOKEN_ERROR_PINPAD_MISMATCH;
      break;
    case 0x6403:
      code = PORTEUR_TOKEN_ERROR_PIN_FORMAT;
      break;
    default:
      code = PORTEUR_TOKEN_ERROR_CARD;
      break;
    }
  g_set_error (error, PORTEUR_TOKEN_ERROR, code, "%s: the token answered %04X (%s)",
               what, sw, porteur_sw_describe (sw));
  return FALSE;
}
