/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "porteur-pinpad.h"

gboolean
porteur_pinpad_parse_features (const guint8          *data,
                               gsize                  length,
                               PorteurPinpadFeatures *features)
{
  memset (features, 0, sizeof *features);
  if (length % 6)
    return FALSE;
  for (gsize i = 0; i + 6 <= length; i += 6)
    {
      guint32 ioctl = (guint32) data[i + 2] << 24 | (guint32) data[i + 3] << 16 | (guint32) data[i + 4] << 8 | data[i + 5];

      if (data[i + 1] != 4)
        return FALSE;
      switch (data[i])
        {
        case 0x06: features->verify_ioctl = ioctl; break;
        case 0x07: features->modify_ioctl = ioctl; break;
        case 0x0A: features->properties_ioctl = ioctl; break;
        case 0x12: features->tlv_properties_ioctl = ioctl; break;
        default: break;
        }
    }
  return TRUE;
}

static void
put16 (GByteArray *out,
       guint16     value)
{
  /* Little-endian, as CCID readers take the structures (reader.h's uint16_t on x86). */
  guint8 b[2] = { value & 0xFF, value >> 8 };
  g_byte_array_append (out, b, 2);
}

static void
put32 (GByteArray *out,
       guint32     value)
{
  guint8 b[4] = { value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF, value >> 24 };
  g_byte_array_append (out, b, 4);
}

static void
put8 (GByteArray *out,
      guint8      value)
{
  g_byte_array_append (out, &value, 1);
}

/* bmFormatString: system units are bytes (bit 7), PIN at position 0 of the block, left
 * justified, ASCII (10) or BCD (01). bmPINBlockString: no length field, block size in bytes. */
static guint8
format_string (const PorteurPinpadParams *p)
{
  return 0x80 | (p->ascii ? 0x02 : 0x01);
}

GByteArray *
porteur_pinpad_build_verify (const PorteurPinpadParams *p,
                             const guint8              *apdu,
                             gsize                      apdu_length)
{
  GByteArray *out = g_byte_array_new ();

  put8 (out, p->timeout);
  put8 (out, p->timeout);
  put8 (out, format_string (p));
  put8 (out, p->block_size & 0x0F);
  put8 (out, 0x00);                                           /* no PIN length in the APDU */
  put16 (out, (guint16) (p->min_length << 8 | p->max_length));
  put8 (out, 0x02);                                           /* validation key pressed */
  put8 (out, 0x01);                                           /* one message: "enter PIN" */
  put16 (out, p->lang_id);
  put8 (out, 0x00);
  put8 (out, 0x00);
  put8 (out, 0x00);
  put8 (out, 0x00);
  put32 (out, apdu_length);
  g_byte_array_append (out, apdu, apdu_length);
  return out;
}

GByteArray *
porteur_pinpad_build_modify (const PorteurPinpadParams *p,
                             guint8                     offset_old,
                             guint8                     offset_new,
                             const guint8              *apdu,
                             gsize                      apdu_length)
{
  GByteArray *out = g_byte_array_new ();

  put8 (out, p->timeout);
  put8 (out, p->timeout);
  put8 (out, format_string (p));
  put8 (out, p->block_size & 0x0F);
  put8 (out, 0x00);
  put8 (out, offset_old);
  put8 (out, offset_new);
  put16 (out, (guint16) (p->min_length << 8 | p->max_length));
  put8 (out, 0x03);                                           /* current PIN, then the new one twice */
  put8 (out, 0x02);
  put8 (out, 0x03);                                           /* three messages */
  put16 (out, p->lang_id);
  put8 (out, 0x00);
  put8 (out, 0x01);
  put8 (out, 0x02);
  put8 (out, 0x00);
  put8 (out, 0x00);
  put8 (out, 0x00);
  put32 (out, apdu_length);
  g_byte_array_append (out, apdu, apdu_length);
  return out;
}

guint16
porteur_pinpad_lang_id_for_locale (const char *locale)
{
  if (locale == NULL)
    return 0x0409;
  /* Readers have no Breton: French is what a Breton-speaking holder's reader shows. */
  if (g_str_has_prefix (locale, "fr") || g_str_has_prefix (locale, "br"))
    return 0x040C;
  if (g_str_has_prefix (locale, "de"))
    return 0x0407;
  return 0x0409;
}
