/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <locale.h>
#include <string.h>

#include "porteur-pinpad.h"
#include "porteur-token-cache.h"
#include "porteur-token.h"

#define READ_CHUNK 0xE7          /* IAS-ECC's largest READ BINARY */
#define WRITE_CHUNK 0xE7
#define MAX_FILE (16 * 1024)

static const guint8 ias_ecc_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x77, 0x01, 0x08, 0x00, 0x07, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x01, 0x00 };
static const guint8 ias_classic_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x18, 0x40, 0x00, 0x00, 0x01, 0x63, 0x42, 0x00 };

struct _PorteurToken
{
  GObject             parent_instance;

  /* Owned */
  PorteurTransport   *transport;
  GRecMutex           lock;
  char               *atr_hex;
  char               *model;
  char               *atr_label;
  char               *serial;
  char               *label;
  char               *chip;
  PorteurTokenFamily  family;
  PorteurPkcs15      *p15;
  GPtrArray          *certs;     /* PorteurTokenCert */
  GPtrArray          *spare_keys; /* PorteurTokenCert: key slots without a PKCS#15 entry */
  GPtrArray          *pins;      /* PorteurPinStatus */
  gboolean            supported;
  gboolean            features_known;
  PorteurPinpadFeatures features;
  PorteurTokenOpenFlags open_flags;
  guint32             policy_read;   /* PIN references whose policy was asked (bit per reference < 32) */
  /* The files of the PIN description as read (for the cache), and whether it came from it. */
  GBytes             *raw_dir;
  GBytes             *raw_odf;
  GBytes             *raw_aodf;
  gboolean            from_cache;
};

G_DEFINE_FINAL_TYPE (PorteurToken, porteur_token, G_TYPE_OBJECT)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)

/* Our own ATR table. Masks blank what varies between batches (TA1, TCK, version bytes). */
static const struct
{
  const char        *atr;
  const char        *mask;
  const char        *model;
  PorteurTokenFamily family;
} atr_table_full[] = {
  { "3BDD18008131FE4580F9A000000077010800079000FE", "FFFF00FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00",
    "Oberthur Cosmo v7 IAS-ECC", PORTEUR_TOKEN_FAMILY_IAS_ECC },
  { "3BDB960080B1FE451F830031C0641A71010007900033", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "ChamberSign Gemalto USB Shell Token V2", PORTEUR_TOKEN_FAMILY_UNKNOWN },
  { "3BDB960080B1FE451F830031C164084022300F90000A", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "Oberthur Cosmo v7 (Gemalto GemPC Key, ChamberSign)", PORTEUR_TOKEN_FAMILY_IAS_ECC },
  { "3B7F96000000" "31B8644070141073940180829000", "FFFFFFFFFFFF" "FFFFFFFF0000FFFFFFFFFFFFFFFF",
    "Gemalto IAS-ECC", PORTEUR_TOKEN_FAMILY_IAS_ECC },
  { "3B00000000" "0031B864" "00000000" "73" "000000" "829000", "FF00000000" "FFFFFFFF" "00000000" "FF" "000000" "FFFFFF",
    "Gemalto IDClassic IAS", PORTEUR_TOKEN_FAMILY_IAS_CLASSIC },
};

static GBytes *
bytes_from_hex (const char *hex)
{
  GByteArray *a = g_byte_array_new ();

  for (const char *p = hex; p[0] && p[1]; p += 2)
    {
      guint8 b = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
      g_byte_array_append (a, &b, 1);
    }
  return g_byte_array_free_to_bytes (a);
}

static char *
hex_of (const guint8 *data,
        gsize         length,
        const char   *separator)
{
  GString *s = g_string_sized_new (length * 3);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (s, "%s%02X", i && separator ? separator : "", data[i]);
  return g_string_free (s, FALSE);
}

const char *
porteur_token_lookup_atr (GBytes             *atr,
                          PorteurTokenFamily *family)
{
  gsize n;
  const guint8 *a = g_bytes_get_data (atr, &n);

  for (guint i = 0; i < G_N_ELEMENTS (atr_table_full); i++)
    {
      g_autoptr(GBytes) want = bytes_from_hex (atr_table_full[i].atr);
      g_autoptr(GBytes) mask = bytes_from_hex (atr_table_full[i].mask);
      const guint8 *w = g_bytes_get_data (want, NULL), *m = g_bytes_get_data (mask, NULL);
      gboolean match = g_bytes_get_size (want) == n && g_bytes_get_size (mask) == n;

      for (gsize j = 0; match && j < n; j++)
        match = (a[j] & m[j]) == (w[j] & m[j]);
      if (match)
        {
          if (family)
            *family = atr_table_full[i].family;
          return atr_table_full[i].model;
        }
    }
  if (family)
    *family = PORTEUR_TOKEN_FAMILY_UNKNOWN;
  return NULL;
}

/* One pattern of pcsc-tools' list against "3B 8F 80 …": '.' is any character, [..] a set; other
 * regular-expression syntax (rare in the list) goes to GRegex. */
static gboolean
atr_pattern_matches (const char *pattern,
                     const char *atr)
{
  const char *p = pattern, *a = atr;

  if (strpbrk (pattern, "()*+?|\\^$"))
    {
      g_autofree char *anchored = g_strdup_printf ("^(?:%s)$", pattern);
      g_autoptr(GRegex) regex = g_regex_new (anchored, G_REGEX_CASELESS, 0, NULL);
      return regex && g_regex_match (regex, atr, 0, NULL);
    }
  while (*p && *a)
    {
      if (*p == '[')
        {
          const char *close = strchr (p, ']');
          gboolean hit = FALSE;
          if (close == NULL)
            return FALSE;
          for (const char *c = p + 1; c < close; c++)
            {
              if (c + 2 < close && c[1] == '-')
                {
                  hit = hit || (g_ascii_toupper (*a) >= g_ascii_toupper (c[0]) && g_ascii_toupper (*a) <= g_ascii_toupper (c[2]));
                  c += 2;
                }
              else
                hit = hit || g_ascii_toupper (*c) == g_ascii_toupper (*a);
            }
          if (!hit)
            return FALSE;
          p = close + 1;
        }
      else
        {
          if (*p != '.' && g_ascii_toupper (*p) != g_ascii_toupper (*a))
            return FALSE;
          p++;
        }
      a++;
    }
  return *p == '\0' && *a == '\0';
}

/* pcsc-tools' list: an ATR pattern on one line, its labels on the tab-indented lines that follow. */
char *
porteur_token_lookup_atr_label (GBytes     *atr,
                                const char *smartcard_list_path)
{
  g_autofree char *contents = NULL;
  g_autofree char *spaced = NULL;
  gsize n, length = 0;
  const guint8 *a = g_bytes_get_data (atr, &n);
  char *line, *next;

  if (smartcard_list_path == NULL)
    smartcard_list_path = g_getenv ("PORTEUR_SMARTCARD_LIST");
  if (smartcard_list_path == NULL)
    smartcard_list_path = "/usr/share/pcsc/smartcard_list.txt";
  if (!g_file_get_contents (smartcard_list_path, &contents, &length, NULL))
    return NULL;
  spaced = hex_of (a, n, " ");
  for (line = contents; line && *line; line = next)
    {
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      if (line[0] != '3' && line[0] != '0')
        continue;
      g_strchomp (line);
      if (line[0] != spaced[0] || !atr_pattern_matches (line, spaced))
        continue;
      {
        GString *label = g_string_new (NULL);
        while (next && *next == '\t')
          {
            char *t = next + 1;
            next = strchr (next, '\n');
            if (next)
              *next++ = '\0';
            g_strchomp (t);
            if (g_str_has_prefix (t, "http"))
              continue;
            if (label->len)
              g_string_append (label, "; ");
            g_string_append (label, t);
          }
        if (label->len)
          return g_string_free (label, FALSE);
        g_string_free (label, TRUE);
      }
    }
  return NULL;
}

const char *
porteur_token_family_to_string (PorteurTokenFamily family)
{
  switch (family)
    {
    case PORTEUR_TOKEN_FAMILY_IAS_ECC: return "ias-ecc";
    case PORTEUR_TOKEN_FAMILY_IAS_CLASSIC: return "ias-classic";
    case PORTEUR_TOKEN_FAMILY_UNKNOWN:
    default: return "unknown";
    }
}

PorteurPinStatus *
porteur_pin_status_copy (const PorteurPinStatus *status)
{
  PorteurPinStatus *copy = g_memdup2 (status, sizeof *status);

  copy->label = g_strdup (status->label);
  return copy;
}

void
porteur_pin_status_free (PorteurPinStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->label);
  g_free (status);
}

void
porteur_token_cert_free (PorteurTokenCert *cert)
{
  if (cert == NULL)
    return;
  g_free (cert->label);
  g_free (cert->id_hex);
  g_free (cert->key_label);
  g_clear_pointer (&cert->der, g_bytes_unref);
  g_free (cert);
}

static void
porteur_token_finalize (GObject *object)
{
  PorteurToken *self = PORTEUR_TOKEN (object);

  g_clear_pointer (&self->transport, porteur_transport_free);
  g_clear_pointer (&self->p15, porteur_pkcs15_free);
  g_clear_pointer (&self->certs, g_ptr_array_unref);
  g_clear_pointer (&self->spare_keys, g_ptr_array_unref);
  g_clear_pointer (&self->raw_dir, g_bytes_unref);
  g_clear_pointer (&self->raw_odf, g_bytes_unref);
  g_clear_pointer (&self->raw_aodf, g_bytes_unref);
  g_clear_pointer (&self->pins, g_ptr_array_unref);
  g_free (self->atr_hex);
  g_free (self->model);
  g_free (self->atr_label);
  g_free (self->serial);
  g_free (self->label);
  g_free (self->chip);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (porteur_token_parent_class)->finalize (object);
}

static void
porteur_token_class_init (PorteurTokenClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_token_finalize;
}

static void
porteur_token_init (PorteurToken *self)
{
  g_rec_mutex_init (&self->lock);
  self->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_token_cert_free);
  self->spare_keys = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_token_cert_free);
  self->pins = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_pin_status_free);
}

/* --- APDU helpers --------------------------------------------------------------------------- */

static gboolean
exchange (PorteurToken     *self,
          const PorteurApdu *apdu,
          PorteurResponse  *response,
          GCancellable     *cancellable,
          GError          **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return porteur_transport_exchange (self->transport, apdu, response, error);
}

/* Sends and checks the status word; the body (may be NULL) goes to @out. */
static gboolean
command (PorteurToken  *self,
         guint8         ins,
         guint8         p1,
         guint8         p2,
         const guint8  *data,
         gsize          lc,
         gsize          le,
         const char    *what,
         GBytes       **out,
         GCancellable  *cancellable,
         GError       **error)
{
  PorteurApdu apdu = { .cla = 0x00, .ins = ins, .p1 = p1, .p2 = p2, .data = data, .lc = lc, .le = le };
  PorteurResponse response = { 0 };

  if (!exchange (self, &apdu, &response, cancellable, error))
    return FALSE;
  if (!porteur_sw_check (response.sw, what, error))
    {
      porteur_response_clear (&response);
      return FALSE;
    }
  if (out)
    *out = g_steal_pointer (&response.data);
  porteur_response_clear (&response);
  return TRUE;
}

static gboolean
select_aid (PorteurToken  *self,
            const guint8  *aid,
            gsize          length,
            GCancellable  *cancellable,
            GError       **error)
{
  return command (self, 0xA4, 0x04, 0x0C, aid, length, 0, "Selecting the application", NULL, cancellable, error);
}

static gboolean
select_application (PorteurToken  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  gsize n;
  const guint8 *aid;

  if (self->p15 == NULL || self->p15->aid == NULL)
    return TRUE;
  aid = g_bytes_get_data (self->p15->aid, &n);
  return select_aid (self, aid, n, cancellable, error);
}

/* FCP → file size (80 or 81); 0 when the token does not say. */
static gsize
fcp_size (GBytes *fcp)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (fcp, &n);
  PorteurTlv t, size;
  guint32 value;

  if (!porteur_tlv_parse (d, n, &t, NULL, NULL) || t.tag != 0x62)
    return 0;
  if ((porteur_tlv_find_child (&t, 0x80, &size) || porteur_tlv_find_child (&t, 0x81, &size)) &&
      porteur_tlv_get_uint (&size, &value))
    return value;
  return 0;
}

/* Selects the file at @path (2-byte components from the MF). Paths under the application are
 * selected relative to it (the application was selected by AID at the start of the operation);
 * files right under the MF after selecting the MF. */
static gboolean
select_path (PorteurToken  *self,
             GBytes        *path,
             gsize         *size,
             GCancellable  *cancellable,
             GError       **error)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (path, &n);
  g_autoptr(GBytes) fcp = NULL;
  const guint8 *fid;

  if (n < 2 || n % 2)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "Invalid file path");
      return FALSE;
    }
  fid = p + n - 2;
  if (n == 4 && p[0] == 0x3F && p[1] == 0x00)
    {
      static const guint8 mf[] = { 0x3F, 0x00 };
      if (!command (self, 0xA4, 0x00, 0x0C, mf, 2, 0, "Selecting the master file", NULL, cancellable, error))
        return FALSE;
    }
  if (!command (self, 0xA4, 0x02, 0x04, fid, 2, 256, "Selecting a file", &fcp, cancellable, error))
    return FALSE;
  *size = fcp ? fcp_size (fcp) : 0;
  return TRUE;
}

/* Length of the DER object at the start of @data (tag 30), 0 when it is not one (an empty file
 * reads as 00 or FF), -1 when more bytes are needed to tell. */
static gssize
der_object_length (const guint8 *data,
                   gsize         n)
{
  if (n < 2)
    return -1;
  if (data[0] != 0x30)
    return 0;
  if (data[1] < 0x80)
    return 2 + data[1];
  if (data[1] == 0x81)
    return n < 3 ? -1 : 3 + data[2];
  if (data[1] == 0x82)
    return n < 4 ? -1 : 4 + (data[2] << 8 | data[3]);
  return 0;
}

/* Reads the selected EF; @size from its FCP (0: unknown). With @der_only, the reading stops at
 * the end of the DER object the file starts with: certificate files are larger than their
 * certificates, and an empty one costs one READ BINARY. */
static GBytes *
read_current_full (PorteurToken  *self,
                   gsize          size,
                   gboolean       der_only,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GByteArray) contents = g_byte_array_new ();

  if (size > MAX_FILE)
    size = MAX_FILE;
  for (;;)
    {
      gsize want = size ? MIN ((gsize) READ_CHUNK, size - contents->len) : READ_CHUNK;
      PorteurApdu apdu = { .ins = 0xB0, .p1 = (contents->len >> 8) & 0x7F, .p2 = contents->len & 0xFF, .le = want };
      PorteurResponse response = { 0 };
      gsize got;

      if (size && contents->len >= size)
        break;
      if (contents->len >= MAX_FILE)
        break;
      if (!exchange (self, &apdu, &response, cancellable, error))
        return NULL;
      got = g_bytes_get_size (response.data);
      if (response.sw == 0x6B00 && contents->len > 0 && !size)
        {
          porteur_response_clear (&response);
          break;
        }
      if (!porteur_sw_check (response.sw, "Reading a file", error))
        {
          porteur_response_clear (&response);
          return NULL;
        }
      if (got > want)
        {
          porteur_response_clear (&response);
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED,
                       "The token sent more than was asked while reading a file");
          return NULL;
        }
      g_byte_array_append (contents, g_bytes_get_data (response.data, NULL), got);
      if (got < want || response.sw == 0x6282 || got == 0)
        {
          porteur_response_clear (&response);
          break;
        }
      porteur_response_clear (&response);
      if (der_only)
        {
          gssize total = der_object_length (contents->data, contents->len);
          if (total == 0)
            break;
          if (total > 0 && (size == 0 || (gsize) total < size))
            size = total;
        }
    }
  if (der_only && size && contents->len > size)
    g_byte_array_set_size (contents, size);
  return g_byte_array_free_to_bytes (g_steal_pointer (&contents));
}

static GBytes *
read_current (PorteurToken  *self,
              gsize          size,
              GCancellable  *cancellable,
              GError       **error)
{
  return read_current_full (self, size, FALSE, cancellable, error);
}

static GBytes *
read_path (PorteurToken  *self,
           GBytes        *path,
           GCancellable  *cancellable,
           GError       **error)
{
  gsize size = 0;

  if (!select_path (self, path, &size, cancellable, error))
    return NULL;
  return read_current (self, size, cancellable, error);
}

/* READ BINARY by short file identifier (P1 = 0x80 | SFI). */
static GBytes *
read_sfi (PorteurToken  *self,
          guint8         sfi,
          GCancellable  *cancellable,
          GError       **error)
{
  GBytes *out = NULL;

  if (!command (self, 0xB0, 0x80 | sfi, 0x00, NULL, 0, 256, "Reading a file", &out, cancellable, error))
    return NULL;
  return out;
}

/* --- Operations framework -------------------------------------------------------------------- */

static gboolean
begin (PorteurToken  *self,
       GCancellable  *cancellable,
       GError       **error)
{
  gboolean was_reset = FALSE;

  g_rec_mutex_lock (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !porteur_transport_begin (self->transport, &was_reset, error))
    {
      g_rec_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (was_reset)
    {
      g_debug ("The token was reset by another application: PINs must be verified again");
      for (guint i = 0; i < self->pins->len; i++)
        ((PorteurPinStatus *) g_ptr_array_index (self->pins, i))->verified = FALSE;
    }
  return TRUE;
}

static void
end (PorteurToken *self,
     gboolean      reset_card)
{
  porteur_transport_end (self->transport, reset_card);
  g_rec_mutex_unlock (&self->lock);
}

/* --- Identification and contents ------------------------------------------------------------- */

static PorteurPinStatus *
pin_status_entry (PorteurToken *self,
                  guint8        reference)
{
  for (guint i = 0; i < self->pins->len; i++)
    {
      PorteurPinStatus *s = g_ptr_array_index (self->pins, i);
      if (s->reference == reference)
        return s;
    }
  return NULL;
}

static guint8
pin_p2 (const PorteurPkcs15Pin *pin)
{
  return pin->local ? (0x80 | pin->reference) : pin->reference;
}

/* GET DATA on the CHV SDO: tries max (9A), left (9B). Cosmo v7 may refuse (6A88): fine. */
static void
read_pin_policy (PorteurToken           *self,
                 const PorteurPkcs15Pin *pin,
                 PorteurPinStatus       *status,
                 GCancellable           *cancellable)
{
  guint8 query[] = { 0x4D, 0x08, 0x70, 0x06, 0xBF, 0x81, pin->reference & 0x7F, 0x02, 0xA0, 0x80 };
  g_autoptr(GBytes) docp = NULL;
  gsize n;
  const guint8 *d;
  PorteurTlv sdo, a0, field;
  guint32 value;

  if (!command (self, 0xCB, 0x3F, 0xFF, query, sizeof query, 256, "Reading the PIN policy", &docp, cancellable, NULL))
    return;
  d = g_bytes_get_data (docp, &n);
  if (!porteur_tlv_parse (d, n, &sdo, NULL, NULL) || !porteur_tlv_find_child (&sdo, 0xA0, &a0))
    return;
  if (porteur_tlv_find_child (&a0, 0x9A, &field) && porteur_tlv_get_uint (&field, &value) && value <= 255)
    status->tries_max = value;
}

static void
note_pin_sw (PorteurPinStatus *status,
             guint16           sw,
             gboolean          verifying)
{
  if ((sw & 0xFFF0) == 0x63C0)
    {
      status->tries_left = sw & 0x0F;
      status->blocked = status->tries_left == 0;
      status->verified = FALSE;
    }
  else if (sw == 0x6983)
    {
      status->tries_left = 0;
      status->blocked = TRUE;
      status->verified = FALSE;
    }
  else if (sw == 0x9000)
    {
      if (status->tries_max >= 0)
        status->tries_left = status->tries_max;
      status->blocked = FALSE;
      status->verified = verifying || status->verified;
    }
}

/* VERIFY without data: 63Cx tries left, 9000 already verified, 6983 blocked. */
static gboolean
query_pin (PorteurToken           *self,
           const PorteurPkcs15Pin *pin,
           GCancellable           *cancellable,
           GError                **error)
{
  PorteurApdu apdu = { .ins = 0x20, .p2 = pin_p2 (pin) };
  PorteurResponse response = { 0 };
  PorteurPinStatus *status = pin_status_entry (self, pin->reference);
  guint16 sw;

  /* The policy (tries max) once per PIN, with its first status. */
  if (pin->reference < 32 && !(self->policy_read & (1u << pin->reference)))
    {
      self->policy_read |= 1u << pin->reference;
      read_pin_policy (self, pin, status, cancellable);
    }
  if (!exchange (self, &apdu, &response, cancellable, error))
    return FALSE;
  sw = response.sw;
  porteur_response_clear (&response);
  if ((sw & 0xFFF0) == 0x63C0 || sw == 0x6983)
    note_pin_sw (status, sw, FALSE);
  else if (sw == 0x9000)
    {
      status->verified = TRUE;
      status->blocked = FALSE;
      if (status->tries_max >= 0)
        status->tries_left = status->tries_max;
    }
  else
    return porteur_sw_check (sw, "Reading the PIN's tries", error);
  return TRUE;
}

/* The PrKDF (unless PINS_ONLY) and the CDF (unless PINS_ONLY or KEYS_ONLY), at the paths @p15's
 * ODF gives, into @p15. */
static gboolean
read_key_directories (PorteurToken  *self,
                      PorteurPkcs15 *p15,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GBytes) prkdf = NULL, cdf = NULL;
  gsize n;
  const guint8 *d;

  if (self->open_flags & PORTEUR_TOKEN_OPEN_PINS_ONLY)
    return TRUE;
  if (p15->prkdf_path)
    {
      if (!(prkdf = read_path (self, p15->prkdf_path, cancellable, error)))
        return FALSE;
      d = g_bytes_get_data (prkdf, &n);
      if (!porteur_pkcs15_parse_prkdf (p15, d, n, error))
        return FALSE;
    }
  if (p15->cdf_path && !(self->open_flags & PORTEUR_TOKEN_OPEN_KEYS_ONLY))
    {
      if (!(cdf = read_path (self, p15->cdf_path, cancellable, error)))
        return FALSE;
      d = g_bytes_get_data (cdf, &n);
      if (!porteur_pkcs15_parse_cdf (p15, d, n, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_contents (PorteurToken  *self,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GBytes) dir = NULL, odf = NULL, info = NULL, aodf = NULL;
  g_autoptr(PorteurPkcs15) p15 = porteur_pkcs15_new ();
  static const guint8 odf_fid[] = { 0x50, 0x31 }, info_fid[] = { 0x50, 0x32 };
  g_autoptr(GBytes) odf_path = g_bytes_new_static (odf_fid, 2);
  g_autoptr(GBytes) info_path = g_bytes_new_static (info_fid, 2);
  gsize n;
  const guint8 *d;

  if (!(dir = read_sfi (self, 0x1E, cancellable, error)))
    return FALSE;
  d = g_bytes_get_data (dir, &n);
  if (!porteur_pkcs15_parse_dir (p15, d, n, error))
    return FALSE;
  d = g_bytes_get_data (p15->aid, &n);
  if (!select_aid (self, d, n, cancellable, error))
    return FALSE;
  if (!(odf = read_path (self, odf_path, cancellable, error)))
    return FALSE;
  d = g_bytes_get_data (odf, &n);
  if (!porteur_pkcs15_parse_odf (p15, d, n, error))
    return FALSE;
  if (!(self->open_flags & PORTEUR_TOKEN_OPEN_SKIP_DETAILS) && (info = read_path (self, info_path, cancellable, NULL)))
    {
      d = g_bytes_get_data (info, &n);
      if (!porteur_pkcs15_parse_tokeninfo (p15, d, n, error))
        return FALSE;
    }
  if (p15->aodf_path)
    {
      if (!(aodf = read_path (self, p15->aodf_path, cancellable, error)))
        return FALSE;
      d = g_bytes_get_data (aodf, &n);
      if (!porteur_pkcs15_parse_aodf (p15, d, n, error))
        return FALSE;
    }
  if (!read_key_directories (self, p15, cancellable, error))
    return FALSE;
  g_clear_pointer (&self->p15, porteur_pkcs15_free);
  self->p15 = g_steal_pointer (&p15);
  g_clear_pointer (&self->raw_dir, g_bytes_unref);
  g_clear_pointer (&self->raw_odf, g_bytes_unref);
  g_clear_pointer (&self->raw_aodf, g_bytes_unref);
  self->raw_dir = g_steal_pointer (&dir);
  self->raw_odf = g_steal_pointer (&odf);
  self->raw_aodf = g_steal_pointer (&aodf);
  return TRUE;
}

/*
 * The description from the cache, if the token proves it current: its application (by the
 * cached EF.DIR's AID) selects, and its AODF reads back exactly as cached. The AODF is the one
 * file a PIN operation's description comes from, so a token re-personalised or whose PINs were
 * rewritten by another tool is read afresh; EF.DIR and the ODF only lead to it (a changed AID
 * fails the selection, a moved AODF reads differently). 3 APDUs instead of 7.
 * An opening for keys (not PINS_ONLY) also reads the ODF, which must read back as cached too
 * (the PrKDF and CDF paths come from it): the family and EF.DIR are all it takes from the cache,
 * 2 APDUs fewer; the key directories are then read from the token as always.
 */
static gboolean
open_from_cache (PorteurToken           *self,
                 PorteurTokenCacheEntry *entry,
                 GCancellable           *cancellable,
                 GError                **error)
{
  g_autoptr(PorteurPkcs15) p15 = porteur_pkcs15_new ();
  g_autoptr(GBytes) aodf = NULL;
  static const guint8 odf_fid[] = { 0x50, 0x31 };
  gboolean keys = !(self->open_flags & PORTEUR_TOKEN_OPEN_PINS_ONLY);
  gsize n;
  const guint8 *d;

  d = g_bytes_get_data (entry->dir, &n);
  if (!porteur_pkcs15_parse_dir (p15, d, n, error))
    return FALSE;
  d = g_bytes_get_data (entry->odf, &n);
  if (!porteur_pkcs15_parse_odf (p15, d, n, error))
    return FALSE;
  if (p15->aodf_path == NULL)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "No AODF in the cached description");
      return FALSE;
    }
  d = g_bytes_get_data (p15->aid, &n);
  if (!select_aid (self, d, n, cancellable, error))
    return FALSE;
  if (keys)
    {
      g_autoptr(GBytes) odf_path = g_bytes_new_static (odf_fid, 2);
      g_autoptr(GBytes) odf = read_path (self, odf_path, cancellable, error);
      if (odf == NULL)
        return FALSE;
      if (!g_bytes_equal (odf, entry->odf))
        {
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "The token's ODF changed since it was cached");
          return FALSE;
        }
    }
  if (!(aodf = read_path (self, p15->aodf_path, cancellable, error)))
    return FALSE;
  if (!g_bytes_equal (aodf, entry->aodf))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "The token's AODF changed since it was cached");
      return FALSE;
    }
  d = g_bytes_get_data (aodf, &n);
  if (!porteur_pkcs15_parse_aodf (p15, d, n, error))
    return FALSE;
  if (keys && !read_key_directories (self, p15, cancellable, error))
    return FALSE;
  self->family = entry->family;
  g_clear_pointer (&self->p15, porteur_pkcs15_free);
  self->p15 = g_steal_pointer (&p15);
  return TRUE;
}

static void
cache_description (PorteurToken *self)
{
  PorteurTokenCacheEntry entry = { self->family, self->raw_dir, self->raw_odf, self->raw_aodf };

  if (self->supported && !self->from_cache && self->raw_dir && self->raw_odf && self->raw_aodf)
    porteur_token_cache_store (self->atr_hex, &entry);
}

/* A certificate file is often larger than its certificate: keep the DER object only. */
static GBytes *
trim_der (GBytes *contents)
{
  gsize n, consumed = 0;
  const guint8 *d = g_bytes_get_data (contents, &n);
  PorteurTlv t;

  if (!porteur_tlv_parse (d, n, &t, &consumed, NULL) || t.tag != 0x30)
    return NULL;
  return g_bytes_new (d, consumed);
}

static gboolean
load_certificate (PorteurToken     *self,
                  PorteurTokenCert *cert,
                  GCancellable     *cancellable,
                  GError          **error)
{
  PorteurPkcs15Cert *entry = NULL;
  g_autoptr(GBytes) contents = NULL;
  gsize n;
  const guint8 *p;
  X509 *x;

  for (guint i = 0; i < self->p15->certs->len && entry == NULL; i++)
    {
      PorteurPkcs15Cert *c = g_ptr_array_index (self->p15->certs, i);
      g_autofree char *id = hex_of (g_bytes_get_data (c->id, NULL), g_bytes_get_size (c->id), NULL);
      if (g_str_equal (id, cert->id_hex))
        entry = c;
    }
  if (entry == NULL)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "No certificate %s", cert->id_hex);
      return FALSE;
    }
  {
    gsize size = 0;
    if (!select_path (self, entry->path, &size, cancellable, error) ||
        !(contents = read_current_full (self, size, TRUE, cancellable, error)))
      return FALSE;
  }
  g_clear_pointer (&cert->der, g_bytes_unref);
  cert->der = trim_der (contents);   /* NULL: an empty or damaged file */
  cert->loaded = TRUE;
  if (cert->der == NULL)
    return TRUE;
  /* The certificate says what the key is, whatever the PrKDF left out. */
  p = g_bytes_get_data (cert->der, &n);
  x = d2i_X509 (NULL, &p, (long) n);
  if (x && X509_get0_pubkey (x))
    {
      cert->is_ec = EVP_PKEY_get_base_id (X509_get0_pubkey (x)) == EVP_PKEY_EC;
      cert->key_bits = EVP_PKEY_get_bits (X509_get0_pubkey (x));
    }
  X509_free (x);
  return TRUE;
}

/* What the signature needs of a key, from its PrKDF entry. */
static void
describe_key (PorteurToken           *self,
              PorteurTokenCert       *cert,
              const PorteurPkcs15Key *key)
{
  const PorteurPkcs15Pin *pin = porteur_pkcs15_find_pin_by_id (self->p15, key->auth_id);

  cert->key_reference = key->reference;
  cert->key_label = g_strdup (key->label);
  cert->is_ec = key->is_ec;
  cert->key_bits = key->bits;
  cert->non_repudiation = (key->usage & PORTEUR_PKCS15_USAGE_NON_REPUDIATION) != 0;
  cert->pin_reference = pin ? pin->reference : porteur_token_get_user_pin_reference (self);
}

/* The certificates as the CDF lists them, joined to their keys; their contents are read now
 * unless the token was opened with PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES. */
static gboolean
read_certificates (PorteurToken  *self,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_ptr_array_set_size (self->certs, 0);
  for (guint i = 0; i < self->p15->certs->len; i++)
    {
      PorteurPkcs15Cert *c = g_ptr_array_index (self->p15->certs, i);
      const PorteurPkcs15Key *key = porteur_pkcs15_find_key (self->p15, c->id);
      PorteurTokenCert *cert;

      cert = g_new0 (PorteurTokenCert, 1);
      cert->label = g_strdup (c->label);
      cert->id_hex = hex_of (g_bytes_get_data (c->id, NULL), g_bytes_get_size (c->id), NULL);
      if (key)
        describe_key (self, cert, key);
      /* Two certificates for one key: the later entry wins. Entries are appended, so it is the
       * newer one; the older is what an interrupted write left (porteur_token_write_certificate
       * removes it last). */
      for (guint j = 0; cert && cert->key_reference && j < self->certs->len; j++)
        {
          PorteurTokenCert *other = g_ptr_array_index (self->certs, j);
          if (other->key_reference && (other->key_reference & 0x7F) == (cert->key_reference & 0x7F))
            {
              /* It takes the older one's place in the list. */
              g_debug ("Certificate %s replaces %s for key %02X", cert->id_hex, other->id_hex, cert->key_reference);
              porteur_token_cert_free (other);
              self->certs->pdata[j] = g_steal_pointer (&cert);
            }
        }
      if (cert)
        g_ptr_array_add (self->certs, cert);
    }
  for (guint i = 0; i < self->certs->len; i++)
    if (!(self->open_flags & PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES) &&
        !load_certificate (self, g_ptr_array_index (self->certs, i), cancellable, error))
      return FALSE;
  return TRUE;
}

gboolean
porteur_token_load_certificate (PorteurToken     *self,
                                PorteurTokenCert *cert,
                                GCancellable     *cancellable,
                                GError          **error)
{
  gboolean ok;

  if (cert->loaded)
    return TRUE;
  if (!begin (self, cancellable, error))
    return FALSE;
  ok = select_application (self, cancellable, error) && load_certificate (self, cert, cancellable, error);
  end (self, FALSE);
  return ok;
}

static char *
describe_chip (GBytes *ef_atr)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (ef_atr, &n);
  PorteurTlv pre;

  if (!porteur_tlv_find (d, n, 0x46, &pre) || pre.length < 4)
    return NULL;
  return g_strdup_printf ("IC manufacturer %02X, IC type %02X, OS %02X, IAS-ECC %u.%u",
                          pre.value[0], pre.value[1], pre.value[2], pre.value[3] >> 4, pre.value[3] & 0x0F);
}

static gboolean
identify (PorteurToken  *self,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GBytes) ef_atr = NULL, sn = NULL;
  g_autoptr(GError) local = NULL;
  PorteurTokenFamily from_atr = PORTEUR_TOKEN_FAMILY_UNKNOWN;
  GBytes *atr = porteur_transport_get_atr (self->transport);
  const char *model = atr ? porteur_token_lookup_atr (atr, &from_atr) : NULL;

  self->atr_hex = atr ? hex_of (g_bytes_get_data (atr, NULL), g_bytes_get_size (atr), NULL) : g_strdup ("");
  self->model = g_strdup (model);

  /* A quick opening (a PIN operation, a signature…): the cached description, when the token
   * proves it current. */
  if (self->open_flags & PORTEUR_TOKEN_OPEN_SKIP_DETAILS)
    {
      g_autoptr(PorteurTokenCacheEntry) entry = porteur_token_cache_lookup (self->atr_hex);
      if (entry && open_from_cache (self, entry, cancellable, &local))
        {
          g_debug ("Token %s: description from the cache", self->atr_hex);
          self->from_cache = TRUE;
          goto pins;
        }
      if (local && (local->domain != PORTEUR_TOKEN_ERROR || local->code == PORTEUR_TOKEN_ERROR_REMOVED ||
                    local->code == PORTEUR_TOKEN_ERROR_RESET || local->code == PORTEUR_TOKEN_ERROR_MALFORMED ||
                    local->code == PORTEUR_TOKEN_ERROR_PCSC))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (local)
        g_debug ("Token %s: cached description not used (%s)", self->atr_hex, local->message);
      g_clear_error (&local);
    }

  /* AID probing decides, whatever the ATR says. */
  if (select_aid (self, ias_ecc_aid, sizeof ias_ecc_aid, cancellable, &local))
    self->family = PORTEUR_TOKEN_FAMILY_IAS_ECC;
  else if (!g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND) &&
           !g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED) &&
           !g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_CARD))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  else
    {
      g_clear_error (&local);
      if (select_aid (self, ias_classic_aid, sizeof ias_classic_aid, cancellable, &local))
        self->family = PORTEUR_TOKEN_FAMILY_IAS_CLASSIC;
      else if (local->domain != PORTEUR_TOKEN_ERROR ||
               local->code == PORTEUR_TOKEN_ERROR_REMOVED || local->code == PORTEUR_TOKEN_ERROR_RESET ||
               local->code == PORTEUR_TOKEN_ERROR_MALFORMED || local->code == PORTEUR_TOKEN_ERROR_PCSC)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_clear_error (&local);
    }
  if (self->family == PORTEUR_TOKEN_FAMILY_UNKNOWN)
    {
      /* What others call it, to tell the holder what this token is. */
      if (atr)
        self->atr_label = porteur_token_lookup_atr_label (atr, NULL);
      return TRUE;
    }

  if (self->open_flags & PORTEUR_TOKEN_OPEN_SKIP_DETAILS)
    goto contents;

  /* EF.ATR and the serial number (SFI 1D and 1C under the MF). */
  if ((ef_atr = read_sfi (self, 0x1D, cancellable, &local)))
    self->chip = describe_chip (ef_atr);
  else if (local->domain != PORTEUR_TOKEN_ERROR || local->code == PORTEUR_TOKEN_ERROR_REMOVED ||
           local->code == PORTEUR_TOKEN_ERROR_MALFORMED || local->code == PORTEUR_TOKEN_ERROR_RESET)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_error (&local);
  if (command (self, 0xB0, 0x9C, 0x00, NULL, 0, 256, "Reading the serial number", &sn, cancellable, &local))
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (sn, &n);
      PorteurTlv t;
      if (porteur_tlv_find (d, n, 0x5A, &t) && t.length > 0 && t.length <= 32)
        self->serial = hex_of (t.value, t.length, NULL);
    }
  else if (local->domain != PORTEUR_TOKEN_ERROR || local->code == PORTEUR_TOKEN_ERROR_REMOVED ||
           local->code == PORTEUR_TOKEN_ERROR_RESET)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_error (&local);

contents:
  if (!read_contents (self, cancellable, error))
    return FALSE;
pins:
  if (self->serial == NULL)
    self->serial = g_strdup (self->p15->serial);
  self->label = g_strdup (self->p15->label ? self->p15->label : self->p15->app_label);

  for (guint i = 0; i < self->p15->pins->len; i++)
    {
      const PorteurPkcs15Pin *pin = g_ptr_array_index (self->p15->pins, i);
      PorteurPinStatus *status = g_new0 (PorteurPinStatus, 1);

      status->label = g_strdup (pin->label);
      status->reference = pin->reference;
      status->is_puk = pin->is_puk;
      status->tries_left = status->tries_max = -1;
      status->min_length = pin->min_length;
      status->max_length = pin->max_length ? pin->max_length : pin->stored_length;
      g_ptr_array_add (self->pins, status);
      if (self->open_flags & PORTEUR_TOKEN_OPEN_SKIP_DETAILS)
        continue;
      if (!query_pin (self, pin, cancellable, error))
        return FALSE;
    }
  if (!read_certificates (self, cancellable, error))
    return FALSE;
  self->supported = TRUE;
  cache_description (self);
  return TRUE;
}

PorteurToken *
porteur_token_open (PorteurTransport  *transport,
                    GCancellable      *cancellable,
                    GError           **error)
{
  return porteur_token_open_with_flags (transport, PORTEUR_TOKEN_OPEN_FULL, cancellable, error);
}

PorteurToken *
porteur_token_open_with_flags (PorteurTransport      *transport,
                               PorteurTokenOpenFlags  flags,
                               GCancellable          *cancellable,
                               GError               **error)
{
  g_autoptr(PorteurToken) self = g_object_new (PORTEUR_TYPE_TOKEN, NULL);
  gboolean ok;

  self->transport = transport;
  self->open_flags = flags;
  if (!begin (self, cancellable, error))
    return NULL;
  ok = identify (self, cancellable, error);
  end (self, FALSE);
  return ok ? g_steal_pointer (&self) : NULL;
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  PorteurTransport *transport = porteur_pcsc_transport_new (task_data, &error);
  PorteurToken *token = transport ? porteur_token_open (transport, cancellable, &error) : NULL;

  if (token)
    g_task_return_pointer (task, token, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
porteur_token_open_async (const char          *reader,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, porteur_token_open_async);
  g_task_set_task_data (task, g_strdup (reader), g_free);
  g_task_run_in_thread (task, open_thread);
}

PorteurToken *
porteur_token_open_finish (GAsyncResult  *result,
                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *porteur_token_get_reader (PorteurToken *self) { return porteur_transport_get_reader (self->transport); }
const char *porteur_token_get_atr_hex (PorteurToken *self) { return self->atr_hex; }
PorteurTokenFamily porteur_token_get_family (PorteurToken *self) { return self->family; }
const char *porteur_token_get_model (PorteurToken *self) { return self->model; }
const char *porteur_token_get_atr_label (PorteurToken *self) { return self->atr_label; }
const char *porteur_token_get_serial (PorteurToken *self) { return self->serial; }
const char *porteur_token_get_label (PorteurToken *self) { return self->label; }
const char *porteur_token_get_chip (PorteurToken *self) { return self->chip; }
gboolean porteur_token_is_supported (PorteurToken *self) { return self->supported; }
GPtrArray *porteur_token_get_certificates (PorteurToken *self) { return self->certs; }
GPtrArray *porteur_token_get_pins (PorteurToken *self) { return self->pins; }
guint porteur_token_get_apdu_count (PorteurToken *self) { return self->transport->apdu_count; }
PorteurTransport *porteur_token_get_transport (PorteurToken *self) { return self->transport; }

guint8
porteur_token_get_user_pin_reference (PorteurToken *self)
{
  for (guint i = 0; self->p15 && i < self->p15->pins->len; i++)
    {
      const PorteurPkcs15Pin *pin = g_ptr_array_index (self->p15->pins, i);
      if (!pin->is_puk && !pin->is_so_pin)
        return pin->reference;
    }
  return 0;
}

/* --- PINs ------------------------------------------------------------------------------------ */

static const PorteurPkcs15Pin *
find_pin (PorteurToken  *self,
          guint8         reference,
          GError       **error)
{
  const PorteurPkcs15Pin *pin = self->supported ? porteur_pkcs15_find_pin (self->p15, reference) : NULL;

  if (pin == NULL)
    g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "The token has no PIN %02X", reference);
  return pin;
}

static gboolean
check_format (const PorteurPkcs15Pin *pin,
              PorteurSecret          *secret,
              GError                **error)
{
  gsize n = porteur_secret_get_length (secret);
  guint max = pin->max_length ? pin->max_length : pin->stored_length;

  if (n < MAX (pin->min_length, 1u) || (max && n > max))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT,
                   "The %s must have %u to %u characters", pin->label, MAX (pin->min_length, 1u), max ? max : 64);
      return FALSE;
    }
  if (pin->type == PORTEUR_PKCS15_PIN_ASCII_NUMERIC && !porteur_secret_is_digits (secret))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT,
                   "The %s may contain digits only", pin->label);
      return FALSE;
    }
  if (pin->type == PORTEUR_PKCS15_PIN_BCD)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "BCD PINs are not supported");
      return FALSE;
    }
  return TRUE;
}

/* The PIN as the token wants it: padded with the pad character up to its stored length. */
static gsize
pad_pin (const PorteurPkcs15Pin *pin,
         PorteurSecret          *secret,
         guint8                 *out,
         gsize                   out_size)
{
  gsize n;
  const char *value = porteur_secret_get (secret, &n);
  gsize total = pin->stored_length && (pin->needs_padding || pin->stored_length >= n) ? pin->stored_length : n;

  total = MIN (total, out_size);
  memset (out, pin->pad_char, total);
  memcpy (out, value, MIN (n, total));
  return total;
}

/* The rules before spending a try: known tries, not blocked, last try only when confirmed. */
static gboolean
may_spend_try (PorteurToken           *self,
               const PorteurPkcs15Pin *pin,
               PorteurPinFlags         flags,
               GCancellable           *cancellable,
               GError                **error)
{
  PorteurPinStatus *status;

  if (!query_pin (self, pin, cancellable, error))
    return FALSE;
  status = pin_status_entry (self, pin->reference);
  if (status->blocked)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_BLOCKED, "The %s is blocked", pin->label);
      return FALSE;
    }
  if (status->tries_left == 1 && !(flags & PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_LAST_TRY,
                   "One try left for the %s: confirmation required", pin->label);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pin_command (PorteurToken           *self,
             const PorteurPkcs15Pin *pin,
             guint8                  ins,
             guint8                  p1,
             const guint8           *data,
             gsize                   lc,
             gboolean                verifying,
             const char             *what,
             GCancellable           *cancellable,
             GError                **error)
{
  PorteurApdu apdu = { .ins = ins, .p1 = p1, .p2 = pin_p2 (pin), .data = data, .lc = lc, .sensitive = TRUE };
  PorteurResponse response = { 0 };
  PorteurPinStatus *status = pin_status_entry (self, pin->reference);

  guint16 sw;

  if (!exchange (self, &apdu, &response, cancellable, error))
    return FALSE;
  sw = response.sw;
  porteur_response_clear (&response);
  note_pin_sw (status, sw, verifying);
  if ((sw & 0xFFF0) == 0x63C0)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, sw == 0x63C0 ? PORTEUR_TOKEN_ERROR_PIN_BLOCKED : PORTEUR_TOKEN_ERROR_PIN_INCORRECT,
                   "%s: wrong %s, %u tries left", what, pin->label, sw & 0x0F);
      return FALSE;
    }
  return porteur_sw_check (sw, what, error);
}

static gboolean
verify_locked (PorteurToken           *self,
               const PorteurPkcs15Pin *pin,
               PorteurSecret          *secret,
               PorteurPinFlags         flags,
               GCancellable           *cancellable,
               GError                **error)
{
  guint8 buffer[64];
  gsize n;
  gboolean ok;

  if (!may_spend_try (self, pin, flags, cancellable, error))
    return FALSE;
  n = pad_pin (pin, secret, buffer, sizeof buffer);
  ok = pin_command (self, pin, 0x20, 0x00, buffer, n, TRUE, "Verifying the PIN", cancellable, error);
  OPENSSL_cleanse (buffer, sizeof buffer);
  return ok;
}

gboolean
porteur_token_get_pin_status (PorteurToken      *self,
                              guint8             reference,
                              PorteurPinStatus **out,
                              GCancellable      *cancellable,
                              GError           **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  gboolean ok;

  if (pin == NULL || !begin (self, cancellable, error))
    return FALSE;
  ok = select_application (self, cancellable, error) && query_pin (self, pin, cancellable, error);
  if (ok && out)
    *out = porteur_pin_status_copy (pin_status_entry (self, reference));
  end (self, FALSE);
  return ok;
}

gboolean
porteur_token_verify_pin (PorteurToken    *self,
                          guint8           reference,
                          PorteurSecret   *secret,
                          PorteurPinFlags  flags,
                          GCancellable    *cancellable,
                          GError         **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  gboolean ok;

  if (pin == NULL || !check_format (pin, secret, error) || !begin (self, cancellable, error))
    return FALSE;
  ok = select_application (self, cancellable, error) && verify_locked (self, pin, secret, flags, cancellable, error);
  end (self, FALSE);
  return ok;
}

gboolean
porteur_token_change_pin (PorteurToken    *self,
                          guint8           reference,
                          PorteurSecret   *old_pin,
                          PorteurSecret   *new_pin,
                          PorteurPinFlags  flags,
                          GCancellable    *cancellable,
                          GError         **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  guint8 buffer[128];
  gsize n = 0;
  gboolean ok;

  if (pin == NULL || !check_format (pin, old_pin, error) || !check_format (pin, new_pin, error))
    return FALSE;
  if (!begin (self, cancellable, error))
    return FALSE;
  ok = select_application (self, cancellable, error) && may_spend_try (self, pin, flags, cancellable, error);
  if (ok && pin->stored_length)
    {
      /* CHANGE REFERENCE DATA with old ‖ new, each padded to the stored length: the old PIN is
       * checked by this one command, so a wrong one costs one try, as a VERIFY would. */
      n = pad_pin (pin, old_pin, buffer, 64);
      n += pad_pin (pin, new_pin, buffer + n, 64);
      ok = pin_command (self, pin, 0x24, 0x00, buffer, n, TRUE, "Changing the PIN", cancellable, error);
    }
  else if (ok)
    {
      /* Variable-length PINs: VERIFY the old one, then CHANGE with the new one only. */
      n = pad_pin (pin, old_pin, buffer, 64);
      ok = pin_command (self, pin, 0x20, 0x00, buffer, n, TRUE, "Verifying the PIN", cancellable, error);
      if (ok)
        {
          n = pad_pin (pin, new_pin, buffer, 64);
          ok = pin_command (self, pin, 0x24, 0x01, buffer, n, TRUE, "Changing the PIN", cancellable, error);
        }
    }
  OPENSSL_cleanse (buffer, sizeof buffer);
  end (self, FALSE);
  return ok;
}

static gboolean
reset_retry_counter (PorteurToken           *self,
                     const PorteurPkcs15Pin *pin,
                     PorteurSecret          *new_pin,
                     GCancellable           *cancellable,
                     GError                **error)
{
  guint8 buffer[64];
  gsize n = 0;
  gboolean ok;
  PorteurPinStatus *status = pin_status_entry (self, pin->reference);

  if (new_pin)
    n = pad_pin (pin, new_pin, buffer, sizeof buffer);
  ok = pin_command (self, pin, 0x2C, new_pin ? 0x02 : 0x03, new_pin ? buffer : NULL, n, FALSE,
                    "Unblocking the PIN", cancellable, error);
  OPENSSL_cleanse (buffer, sizeof buffer);
  if (ok)
    {
      status->blocked = FALSE;
      status->verified = FALSE;
      if (status->tries_max >= 0)
        status->tries_left = status->tries_max;
      /* Read the counter back rather than assume it. */
      ok = query_pin (self, pin, cancellable, error);
    }
  return ok;
}

gboolean
porteur_token_unblock_pin (PorteurToken    *self,
                           guint8           reference,
                           PorteurSecret   *puk_secret,
                           PorteurSecret   *new_pin,
                           PorteurPinFlags  flags,
                           GCancellable    *cancellable,
                           GError         **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  const PorteurPkcs15Pin *puk;
  gboolean ok;

  if (pin == NULL)
    return FALSE;
  if (!(puk = porteur_pkcs15_find_puk_for (self->p15, pin)))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "The token has no PUK for the %s", pin->label);
      return FALSE;
    }
  if (!check_format (puk, puk_secret, error) || (new_pin && !check_format (pin, new_pin, error)))
    return FALSE;
  if (!begin (self, cancellable, error))
    return FALSE;
  ok = select_application (self, cancellable, error) &&
       verify_locked (self, puk, puk_secret, flags, cancellable, error) &&
       reset_retry_counter (self, pin, new_pin, cancellable, error);
  end (self, FALSE);
  return ok;
}

gboolean
porteur_token_unblock_pin_with_ca (PorteurToken          *self,
                                   guint8                 reference,
                                   PorteurSecret         *new_pin,
                                   PorteurCryptogramFunc  cryptogram_func,
                                   gpointer               user_data,
                                   GCancellable          *cancellable,
                                   GError               **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  g_autoptr(GBytes) challenge = NULL, cryptogram = NULL;
  gboolean ok;

  if (pin == NULL || (new_pin && !check_format (pin, new_pin, error)))
    return FALSE;
  if (!begin (self, cancellable, error))
    return FALSE;
  {
    /* Role authentication (MSE SET AT for external authentication, CWA-14890 algorithm 1C) with
     * the issuer key that guards the reset: IAS-ECC numbers it as the PIN (OpenSC's
     * iasecc_sm_external_authentication passes the PIN reference as the key reference). */
    guint8 crt[] = { 0x80, 0x01, 0x1C, 0x83, 0x01, pin->reference & 0x7F };
    ok = select_application (self, cancellable, error) &&
         command (self, 0x22, 0x81, 0xA4, crt, sizeof crt, 0, "Preparing the role authentication", NULL, cancellable, error) &&
         command (self, 0x84, 0x00, 0x00, NULL, 0, 8, "Asking the token for a challenge", &challenge, cancellable, error);
  }
  if (ok && g_bytes_get_size (challenge) != 8)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "The token's challenge is not 8 bytes long");
      ok = FALSE;
    }
  if (ok)
    ok = (cryptogram = cryptogram_func (challenge, user_data, cancellable, error)) != NULL;
  if (ok)
    {
      gsize n;
      const guint8 *c = g_bytes_get_data (cryptogram, &n);
      PorteurApdu apdu = { .ins = 0x82, .data = c, .lc = n, .sensitive = TRUE };
      PorteurResponse response = { 0 };

      guint16 sw;

      ok = exchange (self, &apdu, &response, cancellable, error);
      sw = response.sw;
      porteur_response_clear (&response);
      if (ok && sw != 0x9000)
        {
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_CRYPTOGRAM,
                       "The token refused the CA's cryptogram (%04X)", sw);
          ok = FALSE;
        }
    }
  if (ok)
    ok = reset_retry_counter (self, pin, new_pin, cancellable, error);
  end (self, FALSE);
  return ok;
}

/* --- Pinpad readers -------------------------------------------------------------------------- */

static gboolean
read_features (PorteurToken  *self,
               GError       **error)
{
  guint8 out[256];
  gsize n = sizeof out;
  g_autoptr(GError) local = NULL;

  if (self->features_known)
    return TRUE;
  memset (&self->features, 0, sizeof self->features);
  if (porteur_transport_control (self->transport, PORTEUR_PINPAD_GET_FEATURE_REQUEST, NULL, 0, out, &n, &local))
    {
      if (!porteur_pinpad_parse_features (out, n, &self->features))
        memset (&self->features, 0, sizeof self->features);
    }
  else if (g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED) ||
           g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NO_SERVICE))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* Any other refusal (vpcd answers 0x8010001F): a reader without features. */
  self->features_known = TRUE;
  return TRUE;
}

gboolean
porteur_token_has_pinpad (PorteurToken  *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  gboolean ok;

  if (!begin (self, cancellable, error))
    return FALSE;
  ok = read_features (self, error);
  end (self, FALSE);
  return ok && self->features.verify_ioctl != 0;
}

static PorteurPinpadParams
pinpad_params (const PorteurPkcs15Pin *pin)
{
  PorteurPinpadParams params = {
    .timeout = 30,
    .min_length = MAX (pin->min_length, 1u),
    .max_length = pin->max_length ? pin->max_length : (pin->stored_length ? pin->stored_length : 12),
    .block_size = pin->stored_length,
    .ascii = pin->type != PORTEUR_PKCS15_PIN_BCD,
    .lang_id = porteur_pinpad_lang_id_for_locale (g_getenv ("LANGUAGE") && *g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : setlocale (LC_MESSAGES, NULL)),
  };
  return params;
}

static gboolean
pinpad_exchange (PorteurToken           *self,
                 const PorteurPkcs15Pin *pin,
                 guint32                 ioctl,
                 GByteArray             *block,
                 gboolean                verifying,
                 const char             *what,
                 GError                **error)
{
  guint8 out[258];
  gsize n = sizeof out;
  guint16 sw;

  if (!porteur_transport_control (self->transport, ioctl, block->data, block->len, out, &n, error))
    return FALSE;
  if (n < 2)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "%s: the pinpad gave no status", what);
      return FALSE;
    }
  sw = out[n - 2] << 8 | out[n - 1];
  note_pin_sw (pin_status_entry (self, pin->reference), sw, verifying);
  if ((sw & 0xFFF0) == 0x63C0)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, sw == 0x63C0 ? PORTEUR_TOKEN_ERROR_PIN_BLOCKED : PORTEUR_TOKEN_ERROR_PIN_INCORRECT,
                   "%s: wrong %s, %u tries left", what, pin->label, sw & 0x0F);
      return FALSE;
    }
  return porteur_sw_check (sw, what, error);
}

gboolean
porteur_token_verify_pin_pinpad (PorteurToken    *self,
                                 guint8           reference,
                                 PorteurPinFlags  flags,
                                 GCancellable    *cancellable,
                                 GError         **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  gboolean ok;

  if (pin == NULL || !begin (self, cancellable, error))
    return FALSE;
  ok = read_features (self, error) && select_application (self, cancellable, error) &&
       may_spend_try (self, pin, flags, cancellable, error);
  if (ok && !self->features.verify_ioctl)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "This reader has no pinpad");
      ok = FALSE;
    }
  if (ok)
    {
      PorteurPinpadParams params = pinpad_params (pin);
      guint8 apdu[5 + 64];
      gsize lc = pin->stored_length ? pin->stored_length : 0;
      g_autoptr(GByteArray) block = NULL;

      apdu[0] = 0x00, apdu[1] = 0x20, apdu[2] = 0x00, apdu[3] = pin_p2 (pin), apdu[4] = lc;
      memset (apdu + 5, pin->pad_char, MIN (lc, (gsize) 64));
      block = porteur_pinpad_build_verify (&params, apdu, 5 + MIN (lc, (gsize) 64));
      ok = pinpad_exchange (self, pin, self->features.verify_ioctl, block, TRUE, "Verifying the PIN on the pinpad", error);
    }
  end (self, FALSE);
  return ok;
}

gboolean
porteur_token_change_pin_pinpad (PorteurToken    *self,
                                 guint8           reference,
                                 PorteurPinFlags  flags,
                                 GCancellable    *cancellable,
                                 GError         **error)
{
  const PorteurPkcs15Pin *pin = find_pin (self, reference, error);
  gboolean ok;

  if (pin == NULL || !begin (self, cancellable, error))
    return FALSE;
  ok = read_features (self, error) && select_application (self, cancellable, error) &&
       may_spend_try (self, pin, flags, cancellable, error);
  if (ok && (!self->features.modify_ioctl || !pin->stored_length))
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "This reader cannot change the PIN on its pinpad");
      ok = FALSE;
    }
  if (ok)
    {
      PorteurPinpadParams params = pinpad_params (pin);
      gsize half = MIN ((gsize) pin->stored_length, (gsize) 32);
      guint8 apdu[5 + 64];
      g_autoptr(GByteArray) block = NULL;

      apdu[0] = 0x00, apdu[1] = 0x24, apdu[2] = 0x00, apdu[3] = pin_p2 (pin), apdu[4] = 2 * half;
      memset (apdu + 5, pin->pad_char, 2 * half);
      block = porteur_pinpad_build_modify (&params, 0, half, apdu, 5 + 2 * half);
      ok = pinpad_exchange (self, pin, self->features.modify_ioctl, block, FALSE, "Changing the PIN on the pinpad", error);
    }
  end (self, FALSE);
  return ok;
}

/* --- Keys and signatures --------------------------------------------------------------------- */

static const PorteurTokenCert *
find_key (PorteurToken  *self,
          guint8         key_reference,
          GError       **error)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const PorteurTokenCert *cert = g_ptr_array_index (self->certs, i);
      if (cert->key_reference && (cert->key_reference & 0x7F) == (key_reference & 0x7F))
        return cert;
    }
  for (guint i = 0; i < self->spare_keys->len; i++)
    {
      const PorteurTokenCert *cert = g_ptr_array_index (self->spare_keys, i);
      if ((cert->key_reference & 0x7F) == (key_reference & 0x7F))
        return cert;
    }
  /* Opened without the CDF: the key as the PrKDF describes it, the later entry of a reference
   * winning. Every entry naming a slot describes the key it holds (a certificate's entries are
   * written only for the key the slot holds, DESIGN ## token); an interrupted certificate write
   * leaves an older entry before a newer one (appended) or a newer one alone (in place), and the
   * newer entry was made for this very key. */
  if ((self->open_flags & PORTEUR_TOKEN_OPEN_KEYS_ONLY) && self->p15)
    for (guint i = self->p15->keys->len; i > 0; i--)
      {
        const PorteurPkcs15Key *entry = g_ptr_array_index (self->p15->keys, i - 1);
        if (entry->reference && (entry->reference & 0x7F) == (key_reference & 0x7F))
          {
            PorteurTokenCert *cert = g_new0 (PorteurTokenCert, 1);
            cert->label = g_strdup ("");
            cert->id_hex = hex_of (g_bytes_get_data (entry->id, NULL), g_bytes_get_size (entry->id), NULL);
            describe_key (self, cert, entry);
            g_ptr_array_add (self->spare_keys, cert);
            return cert;
          }
      }
  /* A key slot the directory does not list (a spare slot, or a key generated but not yet given
   * a certificate): usable with the user PIN; the token itself says whether it exists. */
  if (self->supported && (key_reference & 0x7F) != 0 && porteur_token_get_user_pin_reference (self))
    {
      PorteurTokenCert *spare = g_new0 (PorteurTokenCert, 1);
      spare->label = g_strdup ("");
      spare->id_hex = g_strdup ("");
      spare->key_reference = 0x80 | (key_reference & 0x7F);
      spare->pin_reference = porteur_token_get_user_pin_reference (self);
      g_ptr_array_add (self->spare_keys, spare);
      return spare;
    }
  g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND, "The token has no key %02X", key_reference);
  return NULL;
}

static gboolean
verify_for_key (PorteurToken           *self,
                const PorteurTokenCert *key,
                PorteurSecret          *secret,
                PorteurPinFlags         flags,
                GCancellable           *cancellable,
                GError                **error)
{
  const PorteurPkcs15Pin *pin;

  if (secret == NULL)
    return TRUE;
  if (!(pin = find_pin (self, key->pin_reference, error)) || !check_format (pin, secret, error))
    return FALSE;
  return verify_locked (self, pin, secret, flags, cancellable, error);
}

static const guint8 *
digest_info_prefix (const char *digest_name,
                    gsize      *length,
                    gsize      *digest_length)
{
  static const guint8 sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
  static const guint8 sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
  static const guint8 sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

  *length = 19;
  if (g_ascii_strcasecmp (digest_name, "SHA256") == 0 || g_ascii_strcasecmp (digest_name, "SHA2-256") == 0)
    return *digest_length = 32, sha256;
  if (g_ascii_strcasecmp (digest_name, "SHA384") == 0 || g_ascii_strcasecmp (digest_name, "SHA2-384") == 0)
    return *digest_length = 48, sha384;
  if (g_ascii_strcasecmp (digest_name, "SHA512") == 0 || g_ascii_strcasecmp (digest_name, "SHA2-512") == 0)
    return *digest_length = 64, sha512;
  return NULL;
}

/* r ‖ s from the token → DER ECDSA-Sig-Value, as OpenSSL and X.509 want it. */
static GBytes *
ecdsa_to_der (GBytes  *raw,
              GError **error)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (raw, &n);
  ECDSA_SIG *sig;
  BIGNUM *r, *s;
  guint8 *der = NULL;
  int der_length;
  GBytes *out;

  if (n == 0 || n % 2 || n > 132)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "The token's ECDSA signature has a wrong length");
      return NULL;
    }
  r = BN_bin2bn (d, n / 2, NULL);
  s = BN_bin2bn (d + n / 2, n / 2, NULL);
  sig = ECDSA_SIG_new ();
  ECDSA_SIG_set0 (sig, r, s);
  der_length = i2d_ECDSA_SIG (sig, &der);
  ECDSA_SIG_free (sig);
  if (der_length <= 0)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "Cannot encode the ECDSA signature");
      return NULL;
    }
  out = g_bytes_new (der, der_length);
  OPENSSL_free (der);
  return out;
}

/* Inside a transaction: application, PIN, the signature commands; the token's answer in @raw. */
static gboolean
sign_locked (PorteurToken           *self,
             const PorteurTokenCert *key,
             PorteurSecret          *pin,
             PorteurPinFlags         flags,
             const guint8           *prefix,
             gsize                   prefix_length,
             const guint8           *digest,
             gsize                   digest_length,
             GBytes                **raw,
             GCancellable           *cancellable,
             GError                **error)
{
  guint8 ref = 0x80 | (key->key_reference & 0x7F);
  gboolean ok;

  ok = select_application (self, cancellable, error) && verify_for_key (self, key, pin, flags, cancellable, error);
  if (ok && key->non_repudiation)
    {
      /* Qualified signature key: MSE SET DST, PSO HASH with the off-card hash (RSA + SHA-256
       * lets the token build the DigestInfo; other digests go as a DigestInfo), PSO CDS. */
      guint8 mse[] = { 0x84, 0x01, ref, 0x80, 0x01, key->is_ec ? 0x04 : 0x42 };
      guint8 hash[2 + 19 + 64];
      gsize n = 0;

      hash[n++] = 0x90;
      if (!key->is_ec && digest_length != 32)
        {
          hash[n++] = prefix_length + digest_length;
          memcpy (hash + n, prefix, prefix_length);
          n += prefix_length;
        }
      else
        hash[n++] = digest_length;
      memcpy (hash + n, digest, digest_length);
      n += digest_length;
      ok = command (self, 0x22, 0x41, 0xB6, mse, sizeof mse, 0, "Choosing the signature key", NULL, cancellable, error) &&
           command (self, 0x2A, 0x90, 0xA0, hash, n, 0, "Sending the hash to the token", NULL, cancellable, error) &&
           command (self, 0x2A, 0x9E, 0x9A, NULL, 0, 256, "Signing", raw, cancellable, error);
    }
  else if (ok)
    {
      /* Authentication key: MSE SET AT, INTERNAL AUTHENTICATE over the DigestInfo (RSA) or the
       * hash (ECDSA). */
      guint8 mse[] = { 0x84, 0x01, ref, 0x80, 0x01, key->is_ec ? 0x04 : 0x02 };
      guint8 input[19 + 64];
      gsize n = 0;

      if (!key->is_ec)
        {
          memcpy (input, prefix, prefix_length);
          n = prefix_length;
        }
      memcpy (input + n, digest, digest_length);
      n += digest_length;
      ok = command (self, 0x22, 0x41, 0xA4, mse, sizeof mse, 0, "Choosing the authentication key", NULL, cancellable, error) &&
           command (self, 0x88, 0x00, 0x00, input, n, 256, "Signing", raw, cancellable, error);
    }
  if (ok && key->non_repudiation && pin)
    {
      /* A qualified signature needs the PIN each time: drop the verified state. */
      guint8 p2 = key->pin_reference;
      command (self, 0x20, 0xFF, p2, NULL, 0, 0, "Logging out", NULL, cancellable, NULL);
      if (pin_status_entry (self, p2))
        pin_status_entry (self, p2)->verified = FALSE;
    }
  return ok;
}

/* The token's answer → the signature (DER for ECDSA), its length checked. */
static GBytes *
signature_of (const PorteurTokenCert *key,
              GBytes                 *raw,
              GError                **error)
{
  if (key->is_ec)
    return ecdsa_to_der (raw, error);
  if (key->key_bits && g_bytes_get_size (raw) != (key->key_bits + 7) / 8)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED,
                   "The token's signature has %" G_GSIZE_FORMAT " bytes, not %u", g_bytes_get_size (raw), (key->key_bits + 7) / 8);
      return NULL;
    }
  return g_bytes_ref (raw);
}

static const PorteurTokenCert *
signature_key (PorteurToken  *self,
               guint8         key_reference,
               const char    *digest_name,
               gsize          digest_length,
               const guint8 **prefix,
               gsize         *prefix_length,
               GError       **error)
{
  const PorteurTokenCert *key;
  gsize expected = 0;

  if (!(key = find_key (self, key_reference, error)))
    return NULL;
  *prefix = digest_info_prefix (digest_name, prefix_length, &expected);
  if (*prefix == NULL || digest_length != expected)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
                   "Unsupported digest %s of %" G_GSIZE_FORMAT " bytes", digest_name, digest_length);
      return NULL;
    }
  return key;
}

GBytes *
porteur_token_sign (PorteurToken    *self,
                    guint8           key_reference,
                    PorteurSecret   *pin,
                    PorteurPinFlags  flags,
                    const char      *digest_name,
                    const guint8    *digest,
                    gsize            digest_length,
                    GCancellable    *cancellable,
                    GError         **error)
{
  const PorteurTokenCert *key;
  const guint8 *prefix = NULL;
  gsize prefix_length = 0;
  g_autoptr(GBytes) raw = NULL;
  gboolean ok;

  if (!(key = signature_key (self, key_reference, digest_name, digest_length, &prefix, &prefix_length, error)))
    return NULL;
  if (!begin (self, cancellable, error))
    return NULL;
  ok = sign_locked (self, key, pin, flags, prefix, prefix_length, digest, digest_length, &raw, cancellable, error);
  end (self, FALSE);
  return ok ? signature_of (key, raw, error) : NULL;
}

/* 7F49 { 81 n, 82 e } or { 86 EC point (P-256) } → EVP_PKEY. */
static EVP_PKEY *
parse_public_key (GBytes  *template,
                  gboolean is_ec,
                  GError **error)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (template, &n);
  PorteurTlv t, modulus, exponent, point;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new ();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *key = NULL;
  BIGNUM *bn_n = NULL, *bn_e = NULL;

  if (!porteur_tlv_parse (d, n, &t, NULL, NULL) || t.tag != 0x7F49)
    goto out;
  /* The template says what the key is (81/82 RSA, 86 EC), whatever the directory claimed. */
  is_ec = !porteur_tlv_find_child (&t, 0x81, &modulus);
  if (!is_ec && porteur_tlv_find_child (&t, 0x81, &modulus) && porteur_tlv_find_child (&t, 0x82, &exponent) &&
      modulus.length >= 64 && modulus.length <= 1024 && exponent.length >= 1 && exponent.length <= 8)
    {
      bn_n = BN_bin2bn (modulus.value, modulus.length, NULL);
      bn_e = BN_bin2bn (exponent.value, exponent.length, NULL);
      OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
      OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
      ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
    }
  else if (is_ec && porteur_tlv_find_child (&t, 0x86, &point) && point.length == 65 && point.value[0] == 0x04)
    {
      OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
      OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point.value, point.length);
      ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
    }
  if (ctx == NULL || !(params = OSSL_PARAM_BLD_to_param (bld)) || EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    key = NULL;
out:
  if (key == NULL)
    g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "The token's public key does not parse");
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  EVP_PKEY_CTX_free (ctx);
  BN_free (bn_n);
  BN_free (bn_e);
  return key;
}

EVP_PKEY *
porteur_token_generate_key (PorteurToken    *self,
                            guint8           key_reference,
                            PorteurSecret   *pin,
                            PorteurPinFlags  flags,
                            GCancellable    *cancellable,
                            GError         **error)
{
  const PorteurTokenCert *key;
  g_autoptr(GBytes) template = NULL;
  gboolean ok;

  if (!(key = find_key (self, key_reference, error)))
    return NULL;
  if (!begin (self, cancellable, error))
    return NULL;
  {
    guint8 ref = key->key_reference & 0x7F;
    guint8 data[] = { 0x70, 0x03, 0xBF, 0x90, ref };
    /* RSA: the public exponent goes into the public key's SDO first (PUT DATA), as IAS-ECC
     * wants it before GENERATE (OpenSC's iasecc_sdo_generate does the same): 65537. */
    guint8 exponent[] = { 0x70, 0x0C, 0xBF, 0xA0, ref, 0x08, 0x7F, 0x49, 0x05, 0x82, 0x03, 0x01, 0x00, 0x01 };
    ok = select_application (self, cancellable, error) && verify_for_key (self, key, pin, flags, cancellable, error) &&
         (key->is_ec ||
          command (self, 0xDB, 0x3F, 0xFF, exponent, sizeof exponent, 0, "Setting the public exponent", NULL, cancellable, error)) &&
         command (self, 0x47, 0x00, 0x00, data, sizeof data, 256, "Generating a key pair", &template, cancellable, error);
  }
  end (self, FALSE);
  return ok ? parse_public_key (template, key->is_ec, error) : NULL;
}

static EVP_PKEY *
public_key_of_certificate (PorteurTokenCert *key)
{
  gsize n;
  const guint8 *p;
  X509 *x;
  EVP_PKEY *pub;

  if (key->der == NULL)
    return NULL;
  p = g_bytes_get_data (key->der, &n);
  x = d2i_X509 (NULL, &p, (long) n);
  pub = x ? X509_get_pubkey (x) : NULL;
  X509_free (x);
  return pub;
}

/* GET DATA on the key's public SDO (the application selected): its 7F49 template. */
static gboolean
read_public_template (PorteurToken            *self,
                      const PorteurTokenCert  *key,
                      GBytes                 **template,
                      GCancellable            *cancellable,
                      GError                 **error)
{
  guint8 query[] = { 0x4D, 0x08, 0x70, 0x06, 0xBF, 0xA0, key->key_reference & 0x7F, 0x03, 0x7F, 0x49, 0x80, 0x00 };

  return command (self, 0xCB, 0x3F, 0xFF, query, sizeof query, 256, "Reading a public key", template, cancellable, error);
}

/* A GET DATA refused this way means the token does not say: the certificate's key then. */
static gboolean
public_key_unanswered (const GError *local)
{
  return local && local->domain == PORTEUR_TOKEN_ERROR &&
         (local->code == PORTEUR_TOKEN_ERROR_NOT_FOUND || local->code == PORTEUR_TOKEN_ERROR_NOT_SUPPORTED ||
          local->code == PORTEUR_TOKEN_ERROR_CARD || local->code == PORTEUR_TOKEN_ERROR_SECURITY);
}

/* Inside a transaction, the application selected: @key's certificate read, the CDF first when the
 * token was opened without it (KEYS_ONLY); returns the entry that now describes the key. */
static PorteurTokenCert *
certificate_for_key_locked (PorteurToken     *self,
                            PorteurTokenCert *key,
                            GCancellable     *cancellable)
{
  if ((self->open_flags & PORTEUR_TOKEN_OPEN_KEYS_ONLY) && self->p15 && self->p15->cdf_path)
    {
      g_autoptr(GBytes) cdf = read_path (self, self->p15->cdf_path, cancellable, NULL);
      gsize n;
      const guint8 *d;
      const PorteurTokenCert *found;

      if (cdf == NULL)
        return key;
      d = g_bytes_get_data (cdf, &n);
      if (!porteur_pkcs15_parse_cdf (self->p15, d, n, NULL))
        return key;
      self->open_flags = (self->open_flags & ~PORTEUR_TOKEN_OPEN_KEYS_ONLY) | PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES;
      if (!read_certificates (self, cancellable, NULL))
        return key;
      if ((found = find_key (self, key->key_reference, NULL)))
        key = (PorteurTokenCert *) found;
    }
  if (!key->loaded)
    load_certificate (self, key, cancellable, NULL);
  return key;
}

/* The public key from the GET DATA template, else (the token did not say) the certificate's. */
static EVP_PKEY *
public_key_result (PorteurTokenCert  *key,
                   GBytes            *template,
                   GError           **local,
                   GError           **error)
{
  EVP_PKEY *pub;

  if (template)
    return parse_public_key (template, key->is_ec, error);
  if (!public_key_unanswered (*local))
    {
      g_propagate_error (error, g_steal_pointer (local));
      return NULL;
    }
  if ((pub = public_key_of_certificate (key)) == NULL)
    g_propagate_error (error, g_steal_pointer (local));
  return pub;
}

/* The key's public half as the token holds it now (GET DATA on the key): after a key generation
 * the certificate on the token is the old key's until the new one is written. Tokens that do not
 * answer GET DATA: the certificate's key. */
EVP_PKEY *
porteur_token_get_public_key (PorteurToken  *self,
                              guint8         key_reference,
                              GCancellable  *cancellable,
                              GError       **error)
{
  PorteurTokenCert *key;
  g_autoptr(GBytes) template = NULL;
  g_autoptr(GError) local = NULL;

  if (!(key = (PorteurTokenCert *) find_key (self, key_reference, error)))
    return NULL;
  if (!begin (self, cancellable, error))
    return NULL;
  if (!select_application (self, cancellable, error))
    {
      end (self, FALSE);
      return NULL;
    }
  if (!read_public_template (self, key, &template, cancellable, &local) && public_key_unanswered (local))
    key = certificate_for_key_locked (self, key, cancellable);
  end (self, FALSE);
  return public_key_result (key, template, &local, error);
}

static gboolean
signature_checks_out (EVP_PKEY     *pub,
                      const char   *digest_name,
                      const guint8 *digest,
                      gsize         digest_length,
                      GBytes       *signature)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new (pub, NULL);
  EVP_MD *md = EVP_MD_fetch (NULL, digest_name, NULL);
  gboolean ok;

  ok = ctx && md && EVP_PKEY_verify_init (ctx) == 1 && EVP_PKEY_CTX_set_signature_md (ctx, md) == 1 &&
       EVP_PKEY_verify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature), digest, digest_length) == 1;
  EVP_MD_free (md);
  EVP_PKEY_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}

/* The signature, then the key's public key in the same transaction (no second selection of the
 * application): one APDU fewer than porteur_token_sign + porteur_token_get_public_key, and a
 * signature that does not check out is never returned. */
GBytes *
porteur_token_sign_checked (PorteurToken    *self,
                            guint8           key_reference,
                            PorteurSecret   *pin,
                            PorteurPinFlags  flags,
                            const char      *digest_name,
                            const guint8    *digest,
                            gsize            digest_length,
                            EVP_PKEY       **public_key,
                            GCancellable    *cancellable,
                            GError         **error)
{
  PorteurTokenCert *key;
  const guint8 *prefix = NULL;
  gsize prefix_length = 0;
  g_autoptr(GBytes) raw = NULL, template = NULL, signature = NULL;
  g_autoptr(GError) local = NULL;
  EVP_PKEY *pub;
  gboolean ok;

  if (!(key = (PorteurTokenCert *) signature_key (self, key_reference, digest_name, digest_length, &prefix, &prefix_length, error)))
    return NULL;
  if (!begin (self, cancellable, error))
    return NULL;
  ok = sign_locked (self, key, pin, flags, prefix, prefix_length, digest, digest_length, &raw, cancellable, error);
  if (ok && !read_public_template (self, key, &template, cancellable, &local) && public_key_unanswered (local))
    key = certificate_for_key_locked (self, key, cancellable);
  end (self, FALSE);
  if (!ok || !(signature = signature_of (key, raw, error)) || !(pub = public_key_result (key, template, &local, error)))
    return NULL;
  if (!signature_checks_out (pub, digest_name, digest, digest_length, signature))
    {
      EVP_PKEY_free (pub);
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED,
                   "The token's signature does not check out with the key's public key");
      return NULL;
    }
  if (public_key)
    *public_key = pub;
  else
    EVP_PKEY_free (pub);
  return g_steal_pointer (&signature);
}

/* --- Writing a certificate and its PKCS#15 entries ------------------------------------------ */

/* The object identifier OpenSC and the CA tools give a key: SHA-1 of the RSA modulus or of the
 * EC point (OpenSC's "mozilla" style). */
static GBytes *
key_id_of (EVP_PKEY *pub)
{
  guint8 buffer[1024], digest[20];
  gsize n = 0;

  if (EVP_PKEY_get_base_id (pub) == EVP_PKEY_EC)
    {
      if (!EVP_PKEY_get_octet_string_param (pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buffer, sizeof buffer, &n))
        return NULL;
    }
  else
    {
      BIGNUM *modulus = NULL;
      if (!EVP_PKEY_get_bn_param (pub, OSSL_PKEY_PARAM_RSA_N, &modulus) || BN_num_bytes (modulus) > (int) sizeof buffer)
        {
          BN_free (modulus);
          return NULL;
        }
      n = BN_bn2bin (modulus, buffer);
      BN_free (modulus);
    }
  if (!EVP_Digest (buffer, n, digest, NULL, EVP_sha1 (), NULL))
    return NULL;
  return g_bytes_new (digest, sizeof digest);
}

/* PKCS#15 key usage from the certificate's keyUsage (no extension: signing). */
static guint
usage_of (X509 *x)
{
  guint32 ku = X509_get_key_usage (x);
  guint usage = 0;

  if (ku == UINT32_MAX)
    return PORTEUR_PKCS15_USAGE_SIGN;
  if (ku & KU_DIGITAL_SIGNATURE)
    usage |= PORTEUR_PKCS15_USAGE_SIGN;
  if (ku & KU_NON_REPUDIATION)
    usage |= PORTEUR_PKCS15_USAGE_NON_REPUDIATION;
  if (ku & KU_KEY_ENCIPHERMENT)
    usage |= PORTEUR_PKCS15_USAGE_DECRYPT | PORTEUR_PKCS15_USAGE_UNWRAP;
  if (ku & KU_DATA_ENCIPHERMENT)
    usage |= PORTEUR_PKCS15_USAGE_DECRYPT;
  if (ku & KU_KEY_AGREEMENT)
    usage |= PORTEUR_PKCS15_USAGE_DERIVE;
  return usage ? usage : PORTEUR_PKCS15_USAGE_SIGN;
}

/* A label for a new entry: the subject's common name, bounded so that an entry stays within one
 * UPDATE BINARY. */
static char *
label_of (X509 *x)
{
  char cn[256] = "";
  g_autofree char *valid = NULL;
  const char *end;

  if (X509_NAME_get_text_by_NID (X509_get_subject_name (x), NID_commonName, cn, sizeof cn) <= 0)
    return g_strdup ("Certificate");
  valid = g_utf8_make_valid (cn, -1);
  end = valid;
  while (*end && end - valid < 64)
    end = g_utf8_next_char (end);
  if (end - valid > 64)
    end = g_utf8_prev_char (end);
  return g_strndup (valid, end - valid);
}

/* UPDATE BINARY of @n bytes at @offset of the selected EF, in chunks. */
static gboolean
update_binary (PorteurToken  *self,
               gsize          offset,
               const guint8  *data,
               gsize          n,
               const char    *what,
               GCancellable  *cancellable,
               GError       **error)
{
  for (gsize done = 0; done < n; done += WRITE_CHUNK)
    {
      gsize chunk = MIN ((gsize) WRITE_CHUNK, n - done);
      gsize at = offset + done;
      if (at > 0x7FFF)
        {
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "%s: offset out of range", what);
          return FALSE;
        }
      if (!command (self, 0xD6, (at >> 8) & 0x7F, at & 0xFF, data + done, chunk, 0, what, NULL, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* One directory entry change: a single UPDATE BINARY (entries are smaller than one), so that a
 * token pulled out leaves either the old entry or the new one. */
static gboolean
update_entry (PorteurToken  *self,
              GBytes        *dir_path,
              gsize          offset,
              const guint8  *data,
              gsize          n,
              const char    *what,
              GCancellable  *cancellable,
              GError       **error)
{
  gsize size = 0;

  g_assert (n <= WRITE_CHUNK);
  return select_path (self, dir_path, &size, cancellable, error) &&
         update_binary (self, offset, data, n, what, cancellable, error);
}

static gboolean
same_path_fid (GBytes *path,
               guint16 fid)
{
  gsize n;
  const guint8 *p = g_bytes_get_data (path, &n);

  return n >= 2 && p[n - 2] == fid >> 8 && p[n - 1] == (fid & 0xFF);
}

/* The key reference's current entries: the last PrKDF entry for it that has a certificate, else
 * the last one; and that certificate's CDF entry. */
static void
current_entries (PorteurPkcs15            *p15,
                 guint8                    reference,
                 const PorteurPkcs15Key  **key_out,
                 const PorteurPkcs15Cert **cert_out)
{
  const PorteurPkcs15Key *key = NULL;
  const PorteurPkcs15Cert *cert = NULL;

  for (guint i = 0; i < p15->certs->len; i++)
    {
      const PorteurPkcs15Cert *c = g_ptr_array_index (p15->certs, i);
      const PorteurPkcs15Key *k = porteur_pkcs15_find_key (p15, c->id);
      if (k && (k->reference & 0x7F) == (reference & 0x7F))
        key = k, cert = c;
    }
  if (key == NULL)
    for (guint i = 0; i < p15->keys->len; i++)
      {
        const PorteurPkcs15Key *k = g_ptr_array_index (p15->keys, i);
        if ((k->reference & 0x7F) == (reference & 0x7F))
          key = k;
      }
  *key_out = key;
  *cert_out = cert;
}

/* Whether a new entry of @n bytes replaces @old in place rather than being appended: only when
 * it has the same length and either @old is the file's first entry (which is never zeroed, see
 * remove_entry) or there is no room left after the last entry. Appending is preferred: until the
 * old entry is removed, the old pair stays whole. */
static gboolean
in_place (gsize old_offset,
          gsize old_length,
          gsize n,
          gsize end,
          gsize size)
{
  return old_length == n && (old_offset == 0 || end + n > size);
}

/* Puts @entry in the directory at @dir_path: in place over the old entry (see in_place), else
 * appended after the last entry (@end), within the file's size. */
static gboolean
place_entry (PorteurToken  *self,
             GBytes        *dir_path,
             GBytes        *contents,
             gsize          end,
             gsize          old_offset,
             gsize          old_length,
             GBytes        *entry,
             gsize         *placed_at,
             const char    *what,
             GCancellable  *cancellable,
             GError       **error)
{
  gsize n, size;
  const guint8 *e = g_bytes_get_data (entry, &n);
  const guint8 *c = g_bytes_get_data (contents, &size);

  if (old_length == n && old_offset + n <= size && memcmp (c + old_offset, e, n) == 0)
    {
      *placed_at = old_offset;
      return TRUE;   /* already there */
    }
  *placed_at = old_length && in_place (old_offset, old_length, n, end, size) ? old_offset : end;
  return update_entry (self, dir_path, *placed_at, e, n, what, cancellable, error);
}

/* Removes a replaced entry (a run of 00). Not when it is the file's first entry: OpenSC stops
 * reading a directory that starts with 00, so that one stays; Porteur ignores it (the later
 * entry for the same key wins). */
static gboolean
remove_entry (PorteurToken  *self,
              GBytes        *dir_path,
              gsize          offset,
              gsize          length,
              const char    *what,
              GCancellable  *cancellable,
              GError       **error)
{
  guint8 zeros[WRITE_CHUNK] = { 0 };

  if (offset == 0 || length == 0 || length > WRITE_CHUNK)
    return TRUE;
  return update_entry (self, dir_path, offset, zeros, length, what, cancellable, error);
}

/* Certificate files not named by the CDF, in the profile's range (3401…340F under the
 * application), large enough for @n bytes. */
static gboolean
find_free_file (PorteurToken   *self,
                PorteurPkcs15  *p15,
                GBytes         *app_path,
                gsize           n,
                GBytes        **out,
                GCancellable   *cancellable,
                GError        **error)
{
  for (guint16 fid = 0x3401; fid <= 0x340F; fid++)
    {
      gboolean used = FALSE;
      g_autoptr(GByteArray) path = g_byte_array_new ();
      g_autoptr(GBytes) candidate = NULL;
      g_autoptr(GError) local = NULL;
      guint8 f[2] = { fid >> 8, fid & 0xFF };
      gsize size = 0;

      for (guint i = 0; i < p15->certs->len && !used; i++)
        used = same_path_fid (((PorteurPkcs15Cert *) g_ptr_array_index (p15->certs, i))->path, fid);
      if (used)
        continue;
      g_byte_array_append (path, g_bytes_get_data (app_path, NULL), g_bytes_get_size (app_path));
      g_byte_array_append (path, f, 2);
      candidate = g_byte_array_free_to_bytes (g_steal_pointer (&path));
      if (!select_path (self, candidate, &size, cancellable, &local))
        {
          if (g_error_matches (local, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND))
            return TRUE;   /* the range ends at the first missing file */
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (size >= n)
        {
          /* Free means empty (00 or FF) or holding a certificate (30 82 … 30 82: a certificate's
           * TBSCertificate) the CDF no longer names: never a file another object may use (a
           * public key, a data object) that the CDF does not know about. */
          g_autoptr(GBytes) head = NULL;
          const guint8 *h;
          gsize hn;
          if (!command (self, 0xB0, 0x00, 0x00, NULL, 0, 8, "Reading a certificate file", &head, cancellable, &local))
            {
              if (local->domain != PORTEUR_TOKEN_ERROR || local->code == PORTEUR_TOKEN_ERROR_REMOVED ||
                  local->code == PORTEUR_TOKEN_ERROR_RESET)
                {
                  g_propagate_error (error, g_steal_pointer (&local));
                  return FALSE;
                }
              continue;
            }
          h = g_bytes_get_data (head, &hn);
          if (hn == 0 || h[0] == 0x00 || h[0] == 0xFF ||
              (hn >= 6 && h[0] == 0x30 && h[1] == 0x82 && h[4] == 0x30 && h[5] == 0x82))
            {
              *out = g_steal_pointer (&candidate);
              return TRUE;
            }
        }
    }
  return TRUE;
}

static GBytes *
public_key_template (PorteurToken  *self,
                     guint8         key_reference,
                     GCancellable  *cancellable,
                     GError       **error)
{
  guint8 query[] = { 0x4D, 0x08, 0x70, 0x06, 0xBF, 0xA0, key_reference & 0x7F, 0x03, 0x7F, 0x49, 0x80, 0x00 };
  GBytes *template = NULL;

  if (!command (self, 0xCB, 0x3F, 0xFF, query, sizeof query, 256, "Reading a public key", &template, cancellable, error))
    return NULL;
  return template;
}

/*
 * Writes the certificate of key @key_reference and its PKCS#15 entries. Order, so that a token
 * pulled out at any APDU leaves a directory Porteur (and OpenSC) read consistently:
 *  1. the certificate into a certificate file the CDF does not name (invisible until step 3);
 *  2. the key's PrKDF entry (label, ID = SHA-1 of the public key, usage from keyUsage, key
 *     reference): in place when same-sized, else appended after the last entry;
 *  3. the certificate's CDF entry, likewise: from here the new pair is what everyone reads;
 *  4. the replaced CDF entry, then the replaced PrKDF entry, become 00 runs.
 * Each directory change is one UPDATE BINARY. Interrupted: before 3, an unused file or a key
 * entry without a certificate (ignored when listing; reused by the next write); between 3 and 4,
 * two certificates for one key, and the later one wins (read_certificates).
 */
gboolean
porteur_token_write_certificate (PorteurToken    *self,
                                 guint8           key_reference,
                                 GBytes          *der,
                                 PorteurSecret   *pin,
                                 PorteurPinFlags  flags,
                                 GCancellable    *cancellable,
                                 GError         **error)
{
  const PorteurTokenCert *key;
  gsize n;
  const guint8 *d = g_bytes_get_data (der, &n);
  g_autoptr(X509) x = NULL;
  g_autoptr(GBytes) id = NULL, template = NULL, prkdf = NULL, cdf = NULL, target = NULL;
  g_autoptr(GBytes) key_entry = NULL, cert_entry = NULL, app_path = NULL, auth_id = NULL;
  g_autoptr(PorteurPkcs15) fresh = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *label = NULL;
  const PorteurPkcs15Key *old_key = NULL;
  const PorteurPkcs15Cert *old_cert = NULL;
  EVP_PKEY *pub;
  gsize key_at = 0, cert_at = 0;
  gboolean ok;

  {
    const guint8 *p = d;
    x = d2i_X509 (NULL, &p, (long) n);
    if (x == NULL || (gsize) (p - d) != n || !(pub = X509_get0_pubkey (x)) || !(id = key_id_of (pub)))
      {
        g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED, "Not a DER certificate");
        return FALSE;
      }
  }
  if (!(key = find_key (self, key_reference, error)))
    return FALSE;
  if (self->p15->prkdf_path == NULL || self->p15->cdf_path == NULL)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "The token has no key or certificate directory");
      return FALSE;
    }
  if (!begin (self, cancellable, error))
    return FALSE;
  /* Whatever happens next, the description this process or another cached is not to be trusted
   * without reading (it is revalidated by content anyway; this drops it outright). */
  porteur_token_cache_forget (self->atr_hex);
  ok = select_application (self, cancellable, error) && verify_for_key (self, key, pin, flags, cancellable, error);

  /* The certificate must be for the key the slot holds now. */
  if (ok && (template = public_key_template (self, key->key_reference, cancellable, &local)))
    {
      EVP_PKEY *on_token = parse_public_key (template, FALSE, error);
      ok = on_token != NULL;
      if (ok && EVP_PKEY_eq (on_token, pub) != 1)
        {
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
                       "The certificate is not for the key %02X on the token", key_reference & 0x7F);
          ok = FALSE;
        }
      EVP_PKEY_free (on_token);
    }
  else if (ok && (local->domain != PORTEUR_TOKEN_ERROR || local->code == PORTEUR_TOKEN_ERROR_REMOVED ||
                  local->code == PORTEUR_TOKEN_ERROR_RESET || local->code == PORTEUR_TOKEN_ERROR_MALFORMED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      ok = FALSE;
    }

  /* The directories as they are now (another application may have written them). */
  if (ok)
    {
      fresh = porteur_pkcs15_new ();
      ok = (prkdf = read_path (self, self->p15->prkdf_path, cancellable, error)) &&
           porteur_pkcs15_parse_prkdf (fresh, g_bytes_get_data (prkdf, NULL), g_bytes_get_size (prkdf), error) &&
           (cdf = read_path (self, self->p15->cdf_path, cancellable, error)) &&
           porteur_pkcs15_parse_cdf (fresh, g_bytes_get_data (cdf, NULL), g_bytes_get_size (cdf), error);
    }
  if (ok)
    {
      const PorteurPkcs15Pin *user = porteur_pkcs15_find_pin (self->p15, key->pin_reference);
      gsize pn;
      const guint8 *pp = g_bytes_get_data (self->p15->cdf_path, &pn);

      current_entries (fresh, key->key_reference, &old_key, &old_cert);
      app_path = g_bytes_new (pp, pn >= 2 ? pn - 2 : 0);
      label = old_key && old_key->label[0] ? g_strdup (old_key->label) : label_of (x);
      auth_id = old_key && old_key->auth_id ? g_bytes_ref (old_key->auth_id) :
                user && user->auth_id ? g_bytes_ref (user->auth_id) : NULL;
      key_entry = porteur_pkcs15_encode_key (label, id, auth_id, usage_of (x),
                                             old_key ? old_key->reference : (0x80 | (key->key_reference & 0x7F)),
                                             EVP_PKEY_get_base_id (pub) == EVP_PKEY_EC, EVP_PKEY_get_bits (pub), app_path);
      ok = find_free_file (self, fresh, app_path, n, &target, cancellable, error);
    }
  if (ok && target == NULL)
    {
      /* No free file: the slot's own file, overwritten in place (an interruption leaves a
       * damaged certificate, listed as such until written again). */
      gsize size = 0;
      if (old_cert)
        target = g_bytes_ref (old_cert->path);
      ok = target && select_path (self, target, &size, cancellable, error) && (size == 0 || size >= n);
      if (!ok && (error == NULL || *error == NULL))
        g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
                     "The token has no certificate file large enough (%" G_GSIZE_FORMAT " bytes)", n);
    }
  if (ok)
    {
      cert_entry = porteur_pkcs15_encode_cert (label, id, target);
      /* Room for both entries is checked before anything is written. */
      if (g_bytes_get_size (key_entry) > WRITE_CHUNK || g_bytes_get_size (cert_entry) > WRITE_CHUNK ||
          (!(old_key && in_place (old_key->offset, old_key->length, g_bytes_get_size (key_entry),
                                  fresh->prkdf_end, g_bytes_get_size (prkdf))) &&
           fresh->prkdf_end + g_bytes_get_size (key_entry) > g_bytes_get_size (prkdf)) ||
          (!(old_cert && in_place (old_cert->offset, old_cert->length, g_bytes_get_size (cert_entry),
                                   fresh->cdf_end, g_bytes_get_size (cdf))) &&
           fresh->cdf_end + g_bytes_get_size (cert_entry) > g_bytes_get_size (cdf)))
        {
          g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
                       "The token's key or certificate directory is full");
          ok = FALSE;
        }
    }
  /* 1. The certificate. */
  if (ok)
    {
      gsize size = 0;
      ok = select_path (self, target, &size, cancellable, error) &&
           update_binary (self, 0, d, n, "Writing the certificate", cancellable, error);
    }
  /* 2. and 3. The entries. */
  if (ok)
    ok = place_entry (self, self->p15->prkdf_path, prkdf, fresh->prkdf_end,
                      old_key ? old_key->offset : 0, old_key ? old_key->length : 0,
                      key_entry, &key_at, "Writing the key's entry", cancellable, error) &&
         place_entry (self, self->p15->cdf_path, cdf, fresh->cdf_end,
                      old_cert ? old_cert->offset : 0, old_cert ? old_cert->length : 0,
                      cert_entry, &cert_at, "Writing the certificate's entry", cancellable, error);
  /* 4. The replaced entries. */
  if (ok && old_cert && old_cert->offset != cert_at)
    ok = remove_entry (self, self->p15->cdf_path, old_cert->offset, old_cert->length,
                       "Removing the replaced certificate's entry", cancellable, error);
  if (ok && old_key && old_key->offset != key_at)
    ok = remove_entry (self, self->p15->prkdf_path, old_key->offset, old_key->length,
                       "Removing the replaced key's entry", cancellable, error);
  /* Read back what the token now holds. */
  if (ok)
    {
      ok = read_contents (self, cancellable, error) && read_certificates (self, cancellable, error);
      for (guint i = 0; ok && i < self->certs->len; i++)
        {
          PorteurTokenCert *c = g_ptr_array_index (self->certs, i);
          if ((c->key_reference & 0x7F) == (key_reference & 0x7F) && !c->loaded)
            ok = load_certificate (self, c, cancellable, error);
        }
    }
  end (self, FALSE);
  return ok;
}

/* --- Async ----------------------------------------------------------------------------------- */

typedef enum { OP_STATUS, OP_VERIFY, OP_CHANGE, OP_UNBLOCK, OP_SIGN, OP_VERIFY_PINPAD, OP_CHANGE_PINPAD, OP_UNBLOCK_CA, OP_GENERATE, OP_WRITE } OpKind;

typedef struct
{
  OpKind           kind;
  guint8           reference;
  PorteurSecret   *a;
  PorteurSecret   *b;
  PorteurPinFlags  flags;
  char            *digest_name;
  GBytes          *digest;      /* also: the certificate to write */
  PorteurCryptogramFunc cryptogram_func;
  gpointer         cryptogram_data;
} Op;

static void
op_free (Op *op)
{
  porteur_secret_free (op->a);
  porteur_secret_free (op->b);
  g_free (op->digest_name);
  g_clear_pointer (&op->digest, g_bytes_unref);
  g_free (op);
}

static PorteurSecret *
secret_copy (PorteurSecret *secret)
{
  gsize n;
  const char *v;

  if (secret == NULL)
    return NULL;
  v = porteur_secret_get (secret, &n);
  return porteur_secret_new (v, n);
}

static void
op_thread (GTask        *task,
           gpointer      source,
           gpointer      task_data,
           GCancellable *cancellable)
{
  PorteurToken *self = source;
  Op *op = task_data;
  GError *error = NULL;

  switch (op->kind)
    {
    case OP_STATUS:
      {
        PorteurPinStatus *status = NULL;
        if (porteur_token_get_pin_status (self, op->reference, &status, cancellable, &error))
          g_task_return_pointer (task, status, (GDestroyNotify) porteur_pin_status_free);
        else
          g_task_return_error (task, error);
        return;
      }
    case OP_VERIFY:
      if (porteur_token_verify_pin (self, op->reference, op->a, op->flags, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_CHANGE:
      if (porteur_token_change_pin (self, op->reference, op->a, op->b, op->flags, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_UNBLOCK:
      if (porteur_token_unblock_pin (self, op->reference, op->a, op->b, op->flags, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_SIGN:
      {
        gsize n;
        const guint8 *d = g_bytes_get_data (op->digest, &n);
        GBytes *signature = porteur_token_sign (self, op->reference, op->a, op->flags, op->digest_name, d, n, cancellable, &error);
        if (signature)
          g_task_return_pointer (task, signature, (GDestroyNotify) g_bytes_unref);
        else
          g_task_return_error (task, error);
      }
      break;
    case OP_VERIFY_PINPAD:
    case OP_CHANGE_PINPAD:
      if (op->kind == OP_VERIFY_PINPAD ? porteur_token_verify_pin_pinpad (self, op->reference, op->flags, cancellable, &error)
                                       : porteur_token_change_pin_pinpad (self, op->reference, op->flags, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_UNBLOCK_CA:
      if (porteur_token_unblock_pin_with_ca (self, op->reference, op->b, op->cryptogram_func, op->cryptogram_data, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    case OP_GENERATE:
      {
        EVP_PKEY *key = porteur_token_generate_key (self, op->reference, op->a, op->flags, cancellable, &error);
        if (key)
          g_task_return_pointer (task, key, (GDestroyNotify) EVP_PKEY_free);
        else
          g_task_return_error (task, error);
      }
      break;
    case OP_WRITE:
      if (porteur_token_write_certificate (self, op->reference, op->digest, op->a, op->flags, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;
    default:
      g_assert_not_reached ();
    }
  /* Wipe the secrets as soon as the operation is over, not when the task is freed. */
  g_clear_pointer (&op->a, porteur_secret_free);
  g_clear_pointer (&op->b, porteur_secret_free);
}

static void
run_op (PorteurToken       *self,
        Op                 *op,
        gpointer            source_tag,
        GCancellable       *cancellable,
        GAsyncReadyCallback callback,
        gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_run_in_thread (task, op_thread);
}

void
porteur_token_get_pin_status_async (PorteurToken        *self,
                                    guint8               reference,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_STATUS;
  op->reference = reference;
  run_op (self, op, porteur_token_get_pin_status_async, cancellable, callback, user_data);
}

PorteurPinStatus *
porteur_token_get_pin_status_finish (PorteurToken  *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
porteur_token_verify_pin_async (PorteurToken        *self,
                                guint8               reference,
                                PorteurSecret       *pin,
                                PorteurPinFlags      flags,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_VERIFY;
  op->reference = reference;
  op->a = secret_copy (pin);
  op->flags = flags;
  run_op (self, op, porteur_token_verify_pin_async, cancellable, callback, user_data);
}

void
porteur_token_change_pin_async (PorteurToken        *self,
                                guint8               reference,
                                PorteurSecret       *old_pin,
                                PorteurSecret       *new_pin,
                                PorteurPinFlags      flags,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_CHANGE;
  op->reference = reference;
  op->a = secret_copy (old_pin);
  op->b = secret_copy (new_pin);
  op->flags = flags;
  run_op (self, op, porteur_token_change_pin_async, cancellable, callback, user_data);
}

void
porteur_token_unblock_pin_async (PorteurToken        *self,
                                 guint8               reference,
                                 PorteurSecret       *puk,
                                 PorteurSecret       *new_pin,
                                 PorteurPinFlags      flags,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_UNBLOCK;
  op->reference = reference;
  op->a = secret_copy (puk);
  op->b = secret_copy (new_pin);
  op->flags = flags;
  run_op (self, op, porteur_token_unblock_pin_async, cancellable, callback, user_data);
}

gboolean
porteur_token_pin_operation_finish (PorteurToken  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
porteur_token_sign_async (PorteurToken        *self,
                          guint8               key_reference,
                          PorteurSecret       *pin,
                          PorteurPinFlags      flags,
                          const char          *digest_name,
                          GBytes              *digest,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_SIGN;
  op->reference = key_reference;
  op->a = secret_copy (pin);
  op->flags = flags;
  op->digest_name = g_strdup (digest_name);
  op->digest = g_bytes_ref (digest);
  run_op (self, op, porteur_token_sign_async, cancellable, callback, user_data);
}

GBytes *
porteur_token_sign_finish (PorteurToken  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
porteur_token_verify_pin_pinpad_async (PorteurToken        *self,
                                       guint8               reference,
                                       PorteurPinFlags      flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_VERIFY_PINPAD;
  op->reference = reference;
  op->flags = flags;
  run_op (self, op, porteur_token_verify_pin_pinpad_async, cancellable, callback, user_data);
}

void
porteur_token_change_pin_pinpad_async (PorteurToken        *self,
                                       guint8               reference,
                                       PorteurPinFlags      flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_CHANGE_PINPAD;
  op->reference = reference;
  op->flags = flags;
  run_op (self, op, porteur_token_change_pin_pinpad_async, cancellable, callback, user_data);
}

/* @cryptogram_func runs in the worker thread (it may block on the network). */
void
porteur_token_unblock_pin_with_ca_async (PorteurToken          *self,
                                         guint8                 reference,
                                         PorteurSecret         *new_pin,
                                         PorteurCryptogramFunc  cryptogram_func,
                                         gpointer               cryptogram_data,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_UNBLOCK_CA;
  op->reference = reference;
  op->b = secret_copy (new_pin);
  op->cryptogram_func = cryptogram_func;
  op->cryptogram_data = cryptogram_data;
  run_op (self, op, porteur_token_unblock_pin_with_ca_async, cancellable, callback, user_data);
}

void
porteur_token_generate_key_async (PorteurToken        *self,
                                  guint8               key_reference,
                                  PorteurSecret       *pin,
                                  PorteurPinFlags      flags,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_GENERATE;
  op->reference = key_reference;
  op->a = secret_copy (pin);
  op->flags = flags;
  run_op (self, op, porteur_token_generate_key_async, cancellable, callback, user_data);
}

EVP_PKEY *
porteur_token_generate_key_finish (PorteurToken  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
porteur_token_write_certificate_async (PorteurToken        *self,
                                       guint8               key_reference,
                                       GBytes              *der,
                                       PorteurSecret       *pin,
                                       PorteurPinFlags      flags,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_WRITE;
  op->reference = key_reference;
  op->digest = g_bytes_ref (der);
  op->a = secret_copy (pin);
  op->flags = flags;
  run_op (self, op, porteur_token_write_certificate_async, cancellable, callback, user_data);
}
