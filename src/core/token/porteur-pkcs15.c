/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "porteur-apdu.h"
#include "porteur-pkcs15.h"

#define MAX_OBJECTS 64

static void
pin_free (PorteurPkcs15Pin *pin)
{
  g_free (pin->label);
  g_clear_pointer (&pin->auth_id, g_bytes_unref);
  g_clear_pointer (&pin->unblocked_by, g_bytes_unref);
  g_free (pin);
}

static void
key_free (PorteurPkcs15Key *key)
{
  g_free (key->label);
  g_clear_pointer (&key->id, g_bytes_unref);
  g_clear_pointer (&key->auth_id, g_bytes_unref);
  g_free (key);
}

static void
cert_free (PorteurPkcs15Cert *cert)
{
  g_free (cert->label);
  g_clear_pointer (&cert->id, g_bytes_unref);
  g_clear_pointer (&cert->path, g_bytes_unref);
  g_free (cert);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPkcs15Pin, pin_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPkcs15Key, key_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPkcs15Cert, cert_free)

PorteurPkcs15 *
porteur_pkcs15_new (void)
{
  PorteurPkcs15 *p15 = g_new0 (PorteurPkcs15, 1);

  p15->pins = g_ptr_array_new_with_free_func ((GDestroyNotify) pin_free);
  p15->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) key_free);
  p15->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cert_free);
  return p15;
}

void
porteur_pkcs15_free (PorteurPkcs15 *p15)
{
  if (p15 == NULL)
    return;
  g_clear_pointer (&p15->aid, g_bytes_unref);
  g_clear_pointer (&p15->aodf_path, g_bytes_unref);
  g_clear_pointer (&p15->prkdf_path, g_bytes_unref);
  g_clear_pointer (&p15->cdf_path, g_bytes_unref);
  g_free (p15->app_label);
  g_free (p15->serial);
  g_free (p15->manufacturer);
  g_free (p15->label);
  g_ptr_array_unref (p15->pins);
  g_ptr_array_unref (p15->keys);
  g_ptr_array_unref (p15->certs);
  g_free (p15);
}

static gboolean
invalid (GError    **error,
         const char *file,
         const char *what)
{
  g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "Malformed %s: %s", file, what);
  return FALSE;
}

/* A printable label: UTF-8 checked, control characters dropped, at most 128 bytes. */
static char *
text (const PorteurTlv *tlv)
{
  g_autofree char *raw = g_strndup ((const char *) tlv->value, MIN (tlv->length, 128));
  char *valid = g_utf8_make_valid (raw, -1);

  for (char *p = valid; *p; p++)
    if ((guchar) *p < 0x20)
      *p = ' ';
  return valid;
}

static char *
hex (const guint8 *data,
     gsize         length)
{
  GString *s = g_string_sized_new (length * 2);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (s, "%02X", data[i]);
  return g_string_free (s, FALSE);
}

/* BIT STRING → bit i of the result = named bit i (MSB first), up to 32 bits. */
static guint
bit_string (const PorteurTlv *tlv)
{
  guint flags = 0;

  if (tlv->length < 1)
    return 0;
  for (gsize i = 1; i < tlv->length && i <= 4; i++)
    for (guint b = 0; b < 8; b++)
      if (tlv->value[i] & (0x80 >> b))
        flags |= 1u << ((i - 1) * 8 + b);
  return flags;
}

/* Directory files (PrKDF, CDF) are written in place: a removed entry becomes a run of 00 bytes,
 * as OpenSC's sc_pkcs15_parse_df also skips between entries. The file ends at its end or at an
 * FF byte; 00 runs are skipped. */
static gboolean
next_entry (PorteurTlvIter *iter,
            PorteurTlv     *tlv,
            gsize          *offset,
            GError        **error)
{
  while (iter->offset < iter->length && iter->data[iter->offset] == 0x00)
    iter->offset++;
  *offset = iter->offset;
  return porteur_tlv_iter_next (iter, tlv, error);
}

static GBytes *
path_of (const PorteurTlv *tlv)
{
  PorteurTlv path, seq;

  /* Path ::= SEQUENCE { path OCTET STRING, … }, sometimes wrapped once more. */
  if (porteur_tlv_find_child (tlv, 0x04, &path) ||
      (porteur_tlv_find_child (tlv, 0x30, &seq) && porteur_tlv_find_child (&seq, 0x04, &path)))
    {
      if (path.length < 2 || path.length > 16 || path.length % 2)
        return NULL;
      return g_bytes_new (path.value, path.length);
    }
  return NULL;
}

gboolean
porteur_pkcs15_parse_dir (PorteurPkcs15 *p15,
                          const guint8  *data,
                          gsize          length,
                          GError       **error)
{
  PorteurTlvIter iter;
  PorteurTlv app, aid, label;
  g_autoptr(GError) local = NULL;

  porteur_tlv_iter_init (&iter, data, length);
  while (porteur_tlv_iter_next (&iter, &app, &local))
    {
      if (app.tag != 0x61)
        continue;
      if (!porteur_tlv_find_child (&app, 0x4F, &aid) || aid.length < 5 || aid.length > 16)
        return invalid (error, "EF.DIR", "application without a valid AID");
      g_clear_pointer (&p15->aid, g_bytes_unref);
      p15->aid = g_bytes_new (aid.value, aid.length);
      g_clear_pointer (&p15->app_label, g_free);
      if (porteur_tlv_find_child (&app, 0x50, &label))
        p15->app_label = text (&label);
      return TRUE;
    }
  if (local)
    return invalid (error, "EF.DIR", local->message);
  return invalid (error, "EF.DIR", "no application");
}

gboolean
porteur_pkcs15_parse_odf (PorteurPkcs15 *p15,
                          const guint8  *data,
                          gsize          length,
                          GError       **error)
{
  PorteurTlvIter iter;
  PorteurTlv entry;
  g_autoptr(GError) local = NULL;

  porteur_tlv_iter_init (&iter, data, length);
  while (porteur_tlv_iter_next (&iter, &entry, &local))
    {
      GBytes **slot = NULL;

      switch (entry.tag)
        {
        case 0xA0: slot = &p15->prkdf_path; break;
        case 0xA4: slot = &p15->cdf_path; break;
        case 0xA8: slot = &p15->aodf_path; break;
        default: break;
        }
      if (slot == NULL || *slot)
        continue;
      if (!(*slot = path_of (&entry)))
        return invalid (error, "ODF", "entry without a path");
    }
  if (local)
    return invalid (error, "ODF", local->message);
  if (!p15->aodf_path && !p15->prkdf_path && !p15->cdf_path)
    return invalid (error, "ODF", "no PIN, key or certificate directory");
  return TRUE;
}

gboolean
porteur_pkcs15_parse_tokeninfo (PorteurPkcs15 *p15,
                                const guint8  *data,
                                gsize          length,
                                GError       **error)
{
  PorteurTlv info, field;
  PorteurTlvIter iter;
  g_autoptr(GError) local = NULL;

  if (!porteur_tlv_parse (data, length, &info, NULL, &local) || info.tag != 0x30)
    return invalid (error, "TokenInfo", local ? local->message : "not a SEQUENCE");
  porteur_tlv_iter_init_tlv (&iter, &info);
  while (porteur_tlv_iter_next (&iter, &field, &local))
    {
      if (field.tag == 0x04 && !p15->serial && field.length <= 32)
        {
          /* Printable serials stay as they are; binary ones become hex. */
          gboolean printable = field.length > 0;
          for (gsize i = 0; i < field.length; i++)
            printable = printable && g_ascii_isalnum (field.value[i]);
          p15->serial = printable ? g_strndup ((const char *) field.value, field.length) : hex (field.value, field.length);
        }
      else if (field.tag == 0x0C && !p15->manufacturer)
        p15->manufacturer = text (&field);
      else if (field.tag == 0x80 && !p15->label)
        p15->label = text (&field);
    }
  if (local)
    return invalid (error, "TokenInfo", local->message);
  return TRUE;
}

/* CommonObjectAttributes: label, and authId of the object that protects this one. */
static void
common_attributes (const PorteurTlv *seq,
                   char            **label,
                   GBytes          **auth_id)
{
  PorteurTlv field;

  if (porteur_tlv_find_child (seq, 0x0C, &field))
    *label = text (&field);
  if (auth_id && porteur_tlv_find_child (seq, 0x04, &field) && field.length > 0 && field.length <= 16)
    *auth_id = g_bytes_new (field.value, field.length);
}

static gboolean
get_small (const PorteurTlv *parent,
           guint32           tag,
           guint            *out)
{
  PorteurTlv field;
  guint32 value;

  if (!porteur_tlv_find_child (parent, tag, &field) || !porteur_tlv_get_uint (&field, &value) || value > 0xFFFF)
    return FALSE;
  *out = value;
  return TRUE;
}

gboolean
porteur_pkcs15_parse_aodf (PorteurPkcs15 *p15,
                           const guint8  *data,
                           gsize          length,
                           GError       **error)
{
  PorteurTlvIter iter;
  PorteurTlv object;
  g_autoptr(GError) local = NULL;

  porteur_tlv_iter_init (&iter, data, length);
  while (porteur_tlv_iter_next (&iter, &object, &local))
    {
      PorteurTlvIter parts;
      PorteurTlv part, attrs, field;
      guint index = 0, value;
      g_autoptr(PorteurPkcs15Pin) pin = NULL;

      if (object.tag != 0x30)
        continue;   /* biometric or other authentication objects */
      if (p15->pins->len >= MAX_OBJECTS)
        return invalid (error, "AODF", "too many objects");
      pin = g_new0 (PorteurPkcs15Pin, 1);
      pin->pad_char = 0xFF;
      pin->type = PORTEUR_PKCS15_PIN_ASCII_NUMERIC;
      porteur_tlv_iter_init_tlv (&parts, &object);
      gboolean have_attrs = FALSE;
      while (porteur_tlv_iter_next (&parts, &part, &local))
        {
          if (part.tag == 0x30 && index == 0)
            common_attributes (&part, &pin->label, &pin->unblocked_by);
          else if (part.tag == 0x30 && index == 1 && porteur_tlv_find_child (&part, 0x04, &field) &&
                   field.length > 0 && field.length <= 16)
            pin->auth_id = g_bytes_new (field.value, field.length);
          else if (part.tag == 0xA1 && porteur_tlv_find_child (&part, 0x30, &attrs))
            {
              have_attrs = TRUE;
              if (porteur_tlv_find_child (&attrs, 0x03, &field))
                {
                  guint flags = bit_string (&field);
                  pin->local = (flags & (1 << 1)) != 0;
                  pin->needs_padding = (flags & (1 << 5)) != 0;
                  pin->is_puk = (flags & (1 << 6)) != 0;
                  pin->is_so_pin = (flags & (1 << 7)) != 0;
                }
              if (get_small (&attrs, 0x0A, &value) && value <= 2)
                pin->type = value;
              get_small (&attrs, 0x02, &pin->min_length);
              /* storedLength and maxLength are both INTEGERs: the first is storedLength. */
              {
                PorteurTlvIter ints;
                PorteurTlv i;
                guint n = 0;
                porteur_tlv_iter_init_tlv (&ints, &attrs);
                while (porteur_tlv_iter_next (&ints, &i, NULL))
                  if (i.tag == 0x02 && porteur_tlv_get_uint (&i, (guint32 *) &value) && value <= 0xFF)
                    {
                      if (n == 1)
                        pin->stored_length = value;
                      else if (n == 2)
                        pin->max_length = value;
                      n++;
                    }
              }
              if (get_small (&attrs, 0x80, &value))
                pin->reference = value & 0xFF;
              else
                pin->reference = 0;
              if (porteur_tlv_find_child (&attrs, 0x04, &field) && field.length == 1)
                pin->pad_char = field.value[0];
            }
          index++;
        }
      if (local)
        return invalid (error, "AODF", local->message);
      if (!have_attrs || pin->reference == 0)
        return invalid (error, "AODF", "PIN without attributes or reference");
      if (pin->stored_length > 64 || pin->max_length > 64 || pin->min_length > 64 ||
          (pin->max_length && pin->min_length > pin->max_length))
        return invalid (error, "AODF", "PIN lengths out of range");
      if (pin->label == NULL)
        pin->label = g_strdup (pin->is_puk ? "PUK" : "PIN");
      g_ptr_array_add (p15->pins, g_steal_pointer (&pin));
    }
  if (local)
    return invalid (error, "AODF", local->message);
  return TRUE;
}

gboolean
porteur_pkcs15_parse_prkdf (PorteurPkcs15 *p15,
                            const guint8  *data,
                            gsize          length,
                            GError       **error)
{
  PorteurTlvIter iter;
  PorteurTlv object;
  gsize at = 0;
  g_autoptr(GError) local = NULL;

  porteur_tlv_iter_init (&iter, data, length);
  while (next_entry (&iter, &object, &at, &local))
    {
      PorteurTlvIter parts;
      PorteurTlv part, field, attrs;
      guint index = 0, value;
      g_autoptr(PorteurPkcs15Key) key = NULL;

      p15->prkdf_end = iter.offset;
      if (object.tag != 0x30 && object.tag != 0xA0)
        continue;
      if (p15->keys->len >= MAX_OBJECTS)
        return invalid (error, "PrKDF", "too many objects");
      key = g_new0 (PorteurPkcs15Key, 1);
      key->is_ec = object.tag == 0xA0;
      key->offset = at;
      key->length = iter.offset - at;
      porteur_tlv_iter_init_tlv (&parts, &object);
      while (porteur_tlv_iter_next (&parts, &part, &local))
        {
          if (part.tag == 0x30 && index == 0)
            common_attributes (&part, &key->label, &key->auth_id);
          else if (part.tag == 0x30 && index == 1)
            {
              if (porteur_tlv_find_child (&part, 0x04, &field) && field.length > 0 && field.length <= 32)
                key->id = g_bytes_new (field.value, field.length);
              if (porteur_tlv_find_child (&part, 0x03, &field))
                key->usage = bit_string (&field);
              if (get_small (&part, 0x02, &value))
                key->reference = value & 0xFF;
            }
          else if (part.tag == 0xA1 && porteur_tlv_find_child (&part, 0x30, &attrs))
            {
              if (get_small (&attrs, 0x02, &value) && value <= 16384)
                key->bits = value;
            }
          index++;
        }
      if (local)
        return invalid (error, "PrKDF", local->message);
      if (key->id == NULL)
        return invalid (error, "PrKDF", "key without an identifier");
      if (key->label == NULL)
        key->label = g_strdup ("");
      g_ptr_array_add (p15->keys, g_steal_pointer (&key));
    }
  if (local)
    return invalid (error, "PrKDF", local->message);
  return TRUE;
}

gboolean
porteur_pkcs15_parse_cdf (PorteurPkcs15 *p15,
                          const guint8  *data,
                          gsize          length,
                          GError       **error)
{
  PorteurTlvIter iter;
  PorteurTlv object;
  gsize at = 0;
  g_autoptr(GError) local = NULL;

  porteur_tlv_iter_init (&iter, data, length);
  while (next_entry (&iter, &object, &at, &local))
    {
      PorteurTlvIter parts;
      PorteurTlv part, field, attrs;
      guint index = 0;
      g_autoptr(PorteurPkcs15Cert) cert = NULL;

      p15->cdf_end = iter.offset;
      if (object.tag != 0x30)
        continue;   /* other certificate types */
      if (p15->certs->len >= MAX_OBJECTS)
        return invalid (error, "CDF", "too many objects");
      cert = g_new0 (PorteurPkcs15Cert, 1);
      cert->offset = at;
      cert->length = iter.offset - at;
      porteur_tlv_iter_init_tlv (&parts, &object);
      while (porteur_tlv_iter_next (&parts, &part, &local))
        {
          if (part.tag == 0x30 && index == 0)
            common_attributes (&part, &cert->label, NULL);
          else if (part.tag == 0x30 && index == 1)
            {
              if (porteur_tlv_find_child (&part, 0x04, &field) && field.length > 0 && field.length <= 32)
                cert->id = g_bytes_new (field.value, field.length);
              if (porteur_tlv_find_child (&part, 0x01, &field) && field.length == 1)
                cert->authority = field.value[0] != 0;
            }
          else if (part.tag == 0xA1 && porteur_tlv_find_child (&part, 0x30, &attrs))
            cert->path = path_of (&attrs);
          index++;
        }
      if (local)
        return invalid (error, "CDF", local->message);
      if (cert->id == NULL || cert->path == NULL)
        return invalid (error, "CDF", "certificate without an identifier or a path");
      if (cert->label == NULL)
        cert->label = g_strdup ("");
      g_ptr_array_add (p15->certs, g_steal_pointer (&cert));
    }
  if (local)
    return invalid (error, "CDF", local->message);
  return TRUE;
}

const PorteurPkcs15Pin *
porteur_pkcs15_find_pin (PorteurPkcs15 *p15,
                         guint8         reference)
{
  for (guint i = 0; i < p15->pins->len; i++)
    {
      const PorteurPkcs15Pin *pin = g_ptr_array_index (p15->pins, i);
      if (pin->reference == reference)
        return pin;
    }
  return NULL;
}

const PorteurPkcs15Pin *
porteur_pkcs15_find_pin_by_id (PorteurPkcs15 *p15,
                               GBytes        *auth_id)
{
  for (guint i = 0; auth_id && i < p15->pins->len; i++)
    {
      const PorteurPkcs15Pin *pin = g_ptr_array_index (p15->pins, i);
      if (pin->auth_id && g_bytes_equal (pin->auth_id, auth_id))
        return pin;
    }
  return NULL;
}

/* The PUK that unblocks @pin: the one its attributes name, else the only PUK of the token. */
const PorteurPkcs15Pin *
porteur_pkcs15_find_puk_for (PorteurPkcs15          *p15,
                             const PorteurPkcs15Pin *pin)
{
  const PorteurPkcs15Pin *named = porteur_pkcs15_find_pin_by_id (p15, pin->unblocked_by);
  const PorteurPkcs15Pin *only = NULL;

  if (named && named != pin && named->is_puk)
    return named;
  for (guint i = 0; i < p15->pins->len; i++)
    {
      const PorteurPkcs15Pin *other = g_ptr_array_index (p15->pins, i);
      if (other->is_puk && other != pin)
        {
          if (only)
            return NULL;
          only = other;
        }
    }
  return only;
}

const PorteurPkcs15Key *
porteur_pkcs15_find_key (PorteurPkcs15 *p15,
                         GBytes        *id)
{
  for (guint i = 0; id && i < p15->keys->len; i++)
    {
      const PorteurPkcs15Key *key = g_ptr_array_index (p15->keys, i);
      if (g_bytes_equal (key->id, id))
        return key;
    }
  return NULL;
}

static void
append_bytes (GByteArray *out,
              guint32     tag,
              GBytes     *value)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (value, &n);

  porteur_tlv_append (out, tag, d, n);
}

static void
append_array (GByteArray *out,
              guint32     tag,
              GByteArray *value)
{
  porteur_tlv_append (out, tag, value->data, value->len);
}

/* BIT STRING from flags (bit i = named bit i, MSB first), with its unused-bits count. */
static void
append_bits (GByteArray *out,
             guint       flags)
{
  guint8 bytes[5] = { 0 };
  gsize n = 0;
  guint highest = 0;

  for (guint i = 0; i < 32; i++)
    if (flags & (1u << i))
      highest = i + 1;
  n = (highest + 7) / 8;
  for (guint i = 0; i < highest; i++)
    if (flags & (1u << i))
      bytes[1 + i / 8] |= 0x80 >> (i % 8);
  bytes[0] = n ? (guint8) (n * 8 - highest) : 0;
  porteur_tlv_append (out, 0x03, bytes, n + 1);
}

static void
append_uint (GByteArray *out,
             guint       value)
{
  guint8 b[3];
  gsize n = 0;

  /* Two bytes at least (the layout of the profiles: 02 02 00 81), positive. */
  if (value > 0x7FFF)
    b[n++] = (value >> 16) & 0xFF;
  b[n++] = (value >> 8) & 0xFF;
  b[n++] = value & 0xFF;
  porteur_tlv_append (out, 0x02, b, n);
}

GBytes *
porteur_pkcs15_encode_key (const char *label,
                           GBytes     *id,
                           GBytes     *auth_id,
                           guint       usage,
                           guint8      reference,
                           gboolean    is_ec,
                           guint       bits,
                           GBytes     *app_path)
{
  g_autoptr(GByteArray) common = g_byte_array_new ();
  g_autoptr(GByteArray) key_attrs = g_byte_array_new ();
  g_autoptr(GByteArray) path = g_byte_array_new ();
  g_autoptr(GByteArray) type_attrs = g_byte_array_new ();
  g_autoptr(GByteArray) wrapped = g_byte_array_new ();
  g_autoptr(GByteArray) object = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  static const guint8 private_flag[] = { 0x07, 0x80 };    /* private */
  static const guint8 native[] = { 0xFF };

  /* CommonObjectAttributes: label, flags (private), authId. */
  porteur_tlv_append (common, 0x0C, (const guint8 *) label, strlen (label));
  porteur_tlv_append (common, 0x03, private_flag, sizeof private_flag);
  if (auth_id)
    append_bytes (common, 0x04, auth_id);
  /* CommonKeyAttributes: iD, usage, native, keyReference. */
  append_bytes (key_attrs, 0x04, id);
  append_bits (key_attrs, usage);
  porteur_tlv_append (key_attrs, 0x01, native, 1);
  append_uint (key_attrs, reference);
  /* [1] type attributes: { path of the application, modulus length or field size }. */
  append_bytes (path, 0x04, app_path);
  append_array (type_attrs, 0x30, path);
  append_uint (type_attrs, bits);
  append_array (wrapped, 0x30, type_attrs);
  append_array (object, 0x30, common);
  append_array (object, 0x30, key_attrs);
  append_array (object, 0xA1, wrapped);
  append_array (out, is_ec ? 0xA0 : 0x30, object);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
porteur_pkcs15_encode_cert (const char *label,
                            GBytes     *id,
                            GBytes     *path)
{
  g_autoptr(GByteArray) common = g_byte_array_new ();
  g_autoptr(GByteArray) cert_attrs = g_byte_array_new ();
  g_autoptr(GByteArray) path_seq = g_byte_array_new ();
  g_autoptr(GByteArray) value = g_byte_array_new ();
  g_autoptr(GByteArray) wrapped = g_byte_array_new ();
  g_autoptr(GByteArray) object = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();

  porteur_tlv_append (common, 0x0C, (const guint8 *) label, strlen (label));
  append_bytes (cert_attrs, 0x04, id);
  append_bytes (path_seq, 0x04, path);
  append_array (value, 0x30, path_seq);
  append_array (wrapped, 0x30, value);
  append_array (object, 0x30, common);
  append_array (object, 0x30, cert_attrs);
  append_array (object, 0xA1, wrapped);
  append_array (out, 0x30, object);
  return g_byte_array_free_to_bytes (out);
}
