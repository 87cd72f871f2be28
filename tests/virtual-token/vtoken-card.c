/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "vtoken-card.h"

/*
 * Profiles are tables of data (ATR, files, PINs, keys), not code branches. Keys and the holder's
 * certificates are made at first start by a test CA inside the card's state, so no private key is
 * ever committed; the state (counters, PIN values, keys, certificate files) survives removal and
 * can be saved to and loaded from a JSON file.
 */

#define MAX_FILES 24
#define IAS_ECC_AID "A000000077010800070000FE00000100"
#define AWP_AID "E828BD080FF2504F5420415750"

typedef struct
{
  guint16     fid;
  guint16     parent;       /* 0 for the MF */
  gboolean    is_df;
  guint8      sfi;
  const char *aid;          /* hex, DFs only */
  const char *hex;          /* static contents */
  int         cert_of_key;  /* contents = the certificate of this key ref, 0 = none */
  guint8      write_pin;    /* PIN ref needed for UPDATE BINARY, 0 = never */
  gsize       alloc;        /* allocated size (the FCP's 80), unused bytes are 00; 0 = contents */
} FileSpec;

typedef struct
{
  guint8      ref;
  const char *label;
  const char *initial;
  guint       stored_length;
  guint       tries;
} PinSpec;

typedef struct
{
  guint8      ref;
  const char *type;         /* "RSA" or "EC" */
  guint8      pin_ref;      /* PIN that must be verified to use it */
  const char *label;
  gboolean    non_repudiation;
  gboolean    spare;        /* an empty slot: no key, no certificate, no PKCS#15 entry */
} KeySpec;

typedef struct
{
  const char     *name;
  const char     *atr;
  const char     *serial;
  const FileSpec *files;
  const PinSpec  *pins;
  const KeySpec  *keys;
  guint8          puk_ref;
  guint8          user_pin_ref;
} Profile;

/* Oberthur Cosmo v7 IAS-ECC as ChamberSign personalises it (AWP application). */
static const FileSpec iasecc_files[] = {
  { 0x3F00, 0, TRUE, 0, IAS_ECC_AID, NULL, 0, 0 },
  { 0x2F00, 0x3F00, FALSE, 0x1E, NULL, "61174F0DE828BD080FF2504F54204157505006415750204543", 0, 0 },      /* EF.DIR */
  { 0x2F01, 0x3F00, FALSE, 0x1D, NULL, "4604B0ECC1104703940180E01002020100020201000202010002020100", 0, 0 },    /* EF.ATR */
  { 0xD003, 0x3F00, FALSE, 0x1C, NULL, NULL, 0, 0 },                                                    /* EF.SN */
  { 0x5000, 0x3F00, TRUE, 0, AWP_AID, NULL, 0, 0 },
  /* PKCS#15 (ISO/IEC 7816-15): ODF, TokenInfo, AODF, PrKDF, CDF */
  { 0x5031, 0x5000, FALSE, 0, NULL, "A80A300804063F0050004401A00A300804063F0050004402A40A300804063F0050004404", 0, 0 },
  /* TokenInfo with supportedAlgorithms [2]: AlgorithmInfo { reference, PKCS#11 mechanism,
   * parameters, supportedOperations, algRef = the card's algorithm byte in MSE's 80 }:
   * CKM_RSA_PKCS sign 02 (INTERNAL AUTHENTICATE), CKM_RSA_PKCS decipher 0A, CKM_SHA256_RSA_PKCS
   * sign 42 (PSO CDS), CKM_SHA256 hash 40, CKM_SHA_1 hash 10, CKM_SHA1_RSA_PKCS sign 12,
   * CKM_ECDSA on P-256 sign 04. OpenSC's IAS-ECC driver takes MSE's algorithm from here. */
  { 0x5032, 0x5000, FALSE, 0, NULL, "3081B602010004081C0B1A2D3E4F50610C07506F72746575728015506F7274657572207669727475616C20746F6B656E03020102"
                                    "A28182300F020101020101050003020640020102300F02010202010105000302020402010A"
                                    "300F020103020140050003020640020142301002010402020250050003020102020140"
                                    "301002010502020220050003020102020110300F020106020106050003020640020112"
                                    "30180201070202104106082A8648CE3D03010703020640020104", 0, 0 },
  { 0x4401, 0x5000, FALSE, 0, NULL, "303A30110C08557365722050494E030206C00401023003040101A120301E0302028C0A01010201040201080201088001010401FF300604043F005000"
                                    "303230090C0350554B030206C03003040102A120301E0302018E0A01010201080201080201088001020401FF300604043F005000", 0, 0 },
  { 0x4402, 0x5000, FALSE, 0, NULL, "303930170C0E41757468656E7469636174696F6E03020780040101300E040101030205200101FF02020081A10E300C300604043F00500002020800"
                                    "303F301C0C135175616C6966696564207369676E617475726503020780040101300F04010203030600400101FF02020082A10E300C300604043F00500002020800"
                                    "A03D301B0C124543432061757468656E7469636174696F6E03020780040101300E040103030205200101FF02020083A10E300C300604043F00500002020100", 0, 0x01, 0x200 },
  { 0x4404, 0x5000, FALSE, 0, NULL, "302530100C0E41757468656E7469636174696F6E3003040101A10C300A300804063F0050003401"
                                    "302A30150C135175616C6966696564207369676E61747572653003040102A10C300A300804063F0050003402"
                                    "302930140C124543432061757468656E7469636174696F6E3003040103A10C300A300804063F0050003403", 0, 0x01, 0x200 },
  { 0x3401, 0x5000, FALSE, 0, NULL, NULL, 1, 0x01, 0x800 },                                            /* authentication certificate */
  { 0x3402, 0x5000, FALSE, 0, NULL, NULL, 2, 0x01, 0x800 },                                            /* signature certificate */
  { 0x3403, 0x5000, FALSE, 0, NULL, NULL, 3, 0x01, 0x800 },                                            /* ECC certificate */
  /* Spare certificate files, created empty at personalisation (for new keys and renewals). */
  { 0x3404, 0x5000, FALSE, 0, NULL, NULL, 0, 0x01, 0x800 },
  { 0x3405, 0x5000, FALSE, 0, NULL, NULL, 0, 0x01, 0x800 },
  { 0 }
};
static const PinSpec iasecc_pins[] = {
  { 0x01, "User PIN", "1234", 8, 3 },
  { 0x02, "PUK", "12345678", 8, 10 },
  { 0 }
};
static const KeySpec iasecc_keys[] = {
  { 0x01, "RSA", 0x01, "Authentication", FALSE },
  { 0x02, "RSA", 0x01, "Qualified signature", TRUE },
  { 0x03, "EC", 0x01, "ECC authentication", FALSE },
  { 0x04, "RSA", 0x01, NULL, FALSE, TRUE },   /* a spare key slot, for a second certificate */
  { 0 }
};
static const FileSpec unknown_files[] = {
  { 0x3F00, 0, TRUE, 0, NULL, NULL, 0, 0 },
  { 0 }
};
static const PinSpec no_pins[] = { { 0 } };
static const KeySpec no_keys[] = { { 0 } };

static const Profile profiles[] = {
  { "oberthur-iasecc", "3BDD18008131FE4580F9A000000077010800079000FE", "1C0B1A2D3E4F5061", iasecc_files, iasecc_pins, iasecc_keys, 0x02, 0x01 },
  { "chambersign-gemalto", "3BDB960080B1FE451F830031C0641A71010007900033", "2A3B4C5D6E7F8091", iasecc_files, iasecc_pins, iasecc_keys, 0x02, 0x01 },
  { "unknown", "3B8F8001804F0CA000000306030001000000006A", "0000000000000000", unknown_files, no_pins, no_keys, 0, 0 },
};

static const char *profile_names[] = { "oberthur-iasecc", "chambersign-gemalto", "unknown", NULL };

/* The test issuer key of the CA-driven unblock: cryptogram = HMAC-SHA256(key, challenge)[0..15]. */
static const guint8 issuer_key[32] = "porteur-virtual-token-issuer-key";

typedef struct
{
  guint8   ref;
  char     value[32];
  guint    stored_length;
  guint    tries_max;
  guint    tries_left;
  gboolean verified;
} Pin;

struct _VtokenCard
{
  const Profile *profile;
  GBytes        *atr;
  Pin            pins[4];
  guint          n_pins;
  EVP_PKEY      *keys[8];       /* by key ref */
  GBytes        *certs[8];      /* by key ref */
  GBytes        *data[MAX_FILES]; /* written contents of the other writable files, by index */
  guint16        current_df;
  gint           current_ef;    /* index in profile files, -1 none */
  guint8         se_key;
  guint8         challenge[8];
  gboolean       challenge_valid;
  gboolean       role_authenticated;
  guint8         role_key;      /* issuer key chosen by MSE SET AT (81 A4, algorithm 1C), 0 none */
  gboolean       exponent_ready[8]; /* PUT DATA of the public exponent done, by key ref */
  GBytes        *hash;          /* set by PSO HASH */
  GBytes        *pending;       /* the rest of a long response (GET RESPONSE) */
};

const char *const *
vtoken_card_list_profiles (void)
{
  return profile_names;
}

static GBytes *
hex_to_bytes (const char *hex)
{
  GByteArray *array = g_byte_array_new ();

  for (const char *p = hex; p[0] && p[1];)
    {
      if (!g_ascii_isxdigit (p[0]))
        {
          p++;
          continue;
        }
      guint8 b = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
      g_byte_array_append (array, &b, 1);
      p += 2;
    }
  return g_byte_array_free_to_bytes (array);
}

static char *
bytes_to_hex (const guint8 *data,
              gsize         length)
{
  GString *s = g_string_sized_new (length * 2);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (s, "%02X", data[i]);
  return g_string_free (s, FALSE);
}

static EVP_PKEY *
generate_key (const char *type)
{
  if (g_str_equal (type, "EC"))
    return EVP_EC_gen ("P-256");
  return EVP_RSA_gen (2048);
}

static GBytes *
make_certificate (EVP_PKEY   *key,
                  EVP_PKEY   *ca_key,
                  const char *cn,
                  gboolean    non_repudiation,
                  int         serial)
{
  X509 *cert = X509_new ();
  X509_NAME *subject = X509_NAME_new ();
  X509_NAME *issuer = X509_NAME_new ();
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  unsigned char *der = NULL;
  int length;
  GBytes *result;

  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), serial);
  X509_gmtime_adj (X509_getm_notBefore (cert), -86400);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3L * 365 * 86400);
  X509_NAME_add_entry_by_txt (subject, "C", MBSTRING_ASC, (const unsigned char *) "FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt (subject, "O", MBSTRING_UTF8, (const unsigned char *) "COMMUNE DE RENNES", -1, -1, 0);
  X509_NAME_add_entry_by_txt (subject, "organizationIdentifier", MBSTRING_ASC, (const unsigned char *) "NTRFR-21350238800019", -1, -1, 0);
  X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt (subject, "emailAddress", MBSTRING_ASC, (const unsigned char *) "anne.legoff@example.fr", -1, -1, 0);
  X509_NAME_add_entry_by_txt (issuer, "C", MBSTRING_ASC, (const unsigned char *) "FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt (issuer, "CN", MBSTRING_ASC, (const unsigned char *) "Porteur Virtual Token Test CA", -1, -1, 0);
  X509_set_subject_name (cert, subject);
  X509_set_issuer_name (cert, issuer);
  X509_set_pubkey (cert, key);
  X509V3_set_ctx (&ctx, NULL, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_key_usage,
                             non_repudiation ? "critical,nonRepudiation" : "critical,digitalSignature");
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  X509_sign (cert, ca_key, EVP_sha256 ());
  length = i2d_X509 (cert, &der);
  result = g_bytes_new (der, length);
  OPENSSL_free (der);
  X509_NAME_free (subject);
  X509_NAME_free (issuer);
  X509_free (cert);
  return result;
}

static const FileSpec *
file_spec (VtokenCard *card,
           gint        index)
{
  return index >= 0 ? &card->profile->files[index] : NULL;
}

static GBytes *
padded (GBytes *contents,
        gsize   alloc)
{
  GByteArray *a;
  gsize n = g_bytes_get_size (contents);

  if (alloc == 0 || n >= alloc)
    return contents;
  a = g_byte_array_sized_new (alloc);
  g_byte_array_append (a, g_bytes_get_data (contents, NULL), n);
  g_byte_array_set_size (a, alloc);
  memset (a->data + n, 0, alloc - n);
  g_bytes_unref (contents);
  return g_byte_array_free_to_bytes (a);
}

/* A file as the card holds it: written data, else its personalised contents, padded with 00 to
 * its allocated size (a real EF has a fixed size). */
static GBytes *
file_contents (VtokenCard     *card,
               const FileSpec *spec)
{
  gint index = spec - card->profile->files;

  if (spec->cert_of_key)
    return padded (card->certs[spec->cert_of_key] ? g_bytes_ref (card->certs[spec->cert_of_key]) : g_bytes_new (NULL, 0),
                   spec->alloc);
  if (index >= 0 && index < MAX_FILES && card->data[index])
    return g_bytes_ref (card->data[index]);
  if (spec->alloc)
    return padded (hex_to_bytes (spec->hex ? spec->hex : ""), spec->alloc);
  if (spec->fid == 0xD003)
    {
      g_autoptr(GBytes) serial = hex_to_bytes (card->profile->serial);
      GByteArray *a = g_byte_array_new ();
      guint8 head[2] = { 0x5A, (guint8) g_bytes_get_size (serial) };
      g_byte_array_append (a, head, 2);
      g_byte_array_append (a, g_bytes_get_data (serial, NULL), g_bytes_get_size (serial));
      return g_byte_array_free_to_bytes (a);
    }
  return hex_to_bytes (spec->hex ? spec->hex : "");
}

static VtokenCard *card_new (const char *profile, gboolean generate, GError **error);

VtokenCard *
vtoken_card_new (const char  *profile,
                 GError     **error)
{
  return card_new (profile, TRUE, error);
}

/* A card whose keys and certificates come from a saved state (no key generation: fast). */
VtokenCard *
vtoken_card_new_from_state (const char  *profile,
                            const char  *json,
                            GError     **error)
{
  VtokenCard *card = card_new (profile, FALSE, error);

  if (card && !vtoken_card_load_state (card, json, error))
    g_clear_pointer (&card, vtoken_card_free);
  return card;
}

static VtokenCard *
card_new (const char  *profile,
          gboolean     generate,
          GError     **error)
{
  VtokenCard *card;
  const Profile *found = NULL;
  EVP_PKEY *ca_key;

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    if (g_str_equal (profiles[i].name, profile))
      found = &profiles[i];
  if (found == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No profile named %s", profile);
      return NULL;
    }

  card = g_new0 (VtokenCard, 1);
  card->profile = found;
  card->atr = hex_to_bytes (found->atr);
  for (const PinSpec *p = found->pins; p->ref; p++)
    {
      Pin *pin = &card->pins[card->n_pins++];
      pin->ref = p->ref;
      g_strlcpy (pin->value, p->initial, sizeof pin->value);
      pin->stored_length = p->stored_length;
      pin->tries_max = pin->tries_left = p->tries;
    }
  ca_key = found->keys[0].ref && generate ? EVP_RSA_gen (2048) : NULL;
  for (const KeySpec *k = found->keys; k->ref && generate; k++)
    {
      if (k->spare)
        continue;
      card->keys[k->ref] = generate_key (k->type);
      card->certs[k->ref] = make_certificate (card->keys[k->ref], ca_key, "Anne Le Goff", k->non_repudiation, k->ref);
    }
  EVP_PKEY_free (ca_key);
  vtoken_card_reset (card);
  return card;
}

void
vtoken_card_free (VtokenCard *card)
{
  if (card == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (card->keys); i++)
    {
      EVP_PKEY_free (card->keys[i]);
      g_clear_pointer (&card->certs[i], g_bytes_unref);
    }
  for (guint i = 0; i < MAX_FILES; i++)
    g_clear_pointer (&card->data[i], g_bytes_unref);
  g_clear_pointer (&card->atr, g_bytes_unref);
  g_clear_pointer (&card->hash, g_bytes_unref);
  g_clear_pointer (&card->pending, g_bytes_unref);
  OPENSSL_cleanse (card->pins, sizeof card->pins);
  g_free (card);
}

GBytes *
vtoken_card_get_atr (VtokenCard *card)
{
  return g_bytes_ref (card->atr);
}

/* Power cycle: security state is lost, stored data is kept (like a card's memory). */
void
vtoken_card_reset (VtokenCard *card)
{
  for (guint i = 0; i < card->n_pins; i++)
    card->pins[i].verified = FALSE;
  card->current_df = 0x3F00;
  card->current_ef = -1;
  card->se_key = 0;
  card->challenge_valid = FALSE;
  card->role_authenticated = FALSE;
  card->role_key = 0;
  memset (card->exponent_ready, 0, sizeof card->exponent_ready);
  g_clear_pointer (&card->hash, g_bytes_unref);
  g_clear_pointer (&card->pending, g_bytes_unref);
}

static Pin *
find_pin (VtokenCard *card,
          guint8      ref)
{
  ref &= 0x7F;
  for (guint i = 0; i < card->n_pins; i++)
    if (card->pins[i].ref == ref)
      return &card->pins[i];
  return NULL;
}

static GBytes *
respond (const guint8 *data,
         gsize         length,
         guint16       sw)
{
  GByteArray *a = g_byte_array_sized_new (length + 2);
  guint8 tail[2] = { sw >> 8, sw & 0xFF };

  if (length)
    g_byte_array_append (a, data, length);
  g_byte_array_append (a, tail, 2);
  return g_byte_array_free_to_bytes (a);
}

#define SW(x) respond (NULL, 0, (x))

/* Long answers come in chunks of 256 with 61xx, like a T=0 card. */
static GBytes *
respond_data (VtokenCard   *card,
              const guint8 *data,
              gsize         length)
{
  if (length > 256)
    {
      g_clear_pointer (&card->pending, g_bytes_unref);
      card->pending = g_bytes_new (data + 256, length - 256);
      return respond (data, 256, 0x6100 | MIN (length - 256, 0xFF));
    }
  return respond (data, length, 0x9000);
}

/* PIN in the APDU: padded with 0xFF up to its stored length. */
static char *
unpad (const guint8 *data,
       gsize         length)
{
  gsize n = length;

  while (n > 0 && data[n - 1] == 0xFF)
    n--;
  return g_strndup ((const char *) data, n);
}

static guint16
check_pin (Pin          *pin,
           const guint8 *data,
           gsize         length)
{
  g_autofree char *given = NULL;
  gboolean ok;

  if (pin->tries_left == 0)
    return 0x6983;
  given = unpad (data, length);
  ok = strlen (given) == strlen (pin->value) && CRYPTO_memcmp (given, pin->value, strlen (given)) == 0;
  OPENSSL_cleanse (given, strlen (given));
  if (ok)
    {
      pin->tries_left = pin->tries_max;
      pin->verified = TRUE;
      return 0x9000;
    }
  pin->verified = FALSE;
  pin->tries_left--;
  return pin->tries_left == 0 ? 0x6983 : 0x63C0 | pin->tries_left;
}

static GBytes *
select_file (VtokenCard   *card,
             guint8        p1,
             guint8        p2,
             const guint8 *data,
             gsize         length)
{
  const FileSpec *files = card->profile->files;
  gint found = -1;

  if (p1 == 0x04)
    {
      g_autofree char *aid = bytes_to_hex (data, length);
      for (gint i = 0; files[i].fid; i++)
        if (files[i].aid && g_ascii_strncasecmp (files[i].aid, aid, strlen (aid)) == 0 && length > 0)
          found = i;
    }
  else if ((p1 == 0x00 || p1 == 0x01 || p1 == 0x02 || p1 == 0x08 || p1 == 0x09) && length >= 2)
    {
      guint16 fid = data[length - 2] << 8 | data[length - 1];
      for (gint i = 0; files[i].fid; i++)
        if (files[i].fid == fid)
          found = i;
    }
  else if (p1 == 0x00 && length == 0)
    found = 0;
  if (found < 0)
    return SW (0x6A82);

  if (files[found].is_df)
    {
      card->current_df = files[found].fid;
      card->current_ef = -1;
    }
  else
    card->current_ef = found;

  if ((p2 & 0x0C) == 0x0C)
    return SW (0x9000);
  {
    /* FCP: type, FID, size, life cycle, and the access rules OpenSC expects (A1/8C: AM 7B =
     * delete, terminate, activate, deactivate, update, read). An EF that may be written takes
     * UPDATE BINARY after the user PIN (SCB 1x: user authentication in SE x); others never. */
    g_autoptr(GBytes) contents = files[found].is_df ? g_bytes_new (NULL, 0) : file_contents (card, &files[found]);
    gsize size = g_bytes_get_size (contents);
    guint8 update = files[found].write_pin ? 0x10 | files[found].write_pin : 0xFF;
    guint8 fcp[] = { 0x62, 0x19,
                     0x80, 0x02, size >> 8, size & 0xFF,
                     0x82, 0x01, files[found].is_df ? 0x38 : 0x01,
                     0x83, 0x02, files[found].fid >> 8, files[found].fid & 0xFF,
                     0x8A, 0x01, 0x05,
                     0xA1, 0x09, 0x8C, 0x07, 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, files[found].is_df ? 0xFF : update, 0x00 };
    return respond (fcp, sizeof fcp, 0x9000);
  }
}

static GBytes *
read_binary (VtokenCard *card,
             guint8      p1,
             guint8      p2,
             gsize       le)
{
  const FileSpec *files = card->profile->files;
  g_autoptr(GBytes) contents = NULL;
  gsize offset, size;
  const guint8 *data;

  if (p1 & 0x80)
    {
      guint8 sfi = p1 & 0x1F;
      gint found = -1;
      for (gint i = 0; files[i].fid; i++)
        if (!files[i].is_df && files[i].sfi == sfi)
          found = i;
      if (found < 0)
        return SW (0x6A82);
      card->current_ef = found;
      offset = p2;
    }
  else
    offset = (p1 << 8) | p2;
  if (card->current_ef < 0)
    return SW (0x6986);

  contents = file_contents (card, file_spec (card, card->current_ef));
  data = g_bytes_get_data (contents, &size);
  if (offset > size)
    return SW (0x6B00);
  if (le == 0)
    le = 256;
  /* 6282: the end of the file came before Le bytes. */
  {
    gsize n = MIN (le, size - offset);
    return respond (data + offset, n, n < le ? 0x6282 : 0x9000);
  }
}

static GBytes *
sign (VtokenCard   *card,
      guint8        ref,
      const guint8 *input,
      gsize         length)
{
  EVP_PKEY *key = ref < G_N_ELEMENTS (card->keys) ? card->keys[ref] : NULL;
  const KeySpec *spec = NULL;
  EVP_PKEY_CTX *ctx;
  guint8 out[1024];
  gsize out_length = sizeof out;
  Pin *pin;

  for (const KeySpec *k = card->profile->keys; k->ref; k++)
    if (k->ref == ref)
      spec = k;
  if (key == NULL || spec == NULL)
    return SW (0x6A88);
  pin = find_pin (card, spec->pin_ref);
  if (pin == NULL || !pin->verified)
    return SW (0x6982);

  ctx = EVP_PKEY_CTX_new (key, NULL);
  if (EVP_PKEY_get_base_id (key) == EVP_PKEY_EC)
    {
      /* ECDSA over the hash; the card answers r || s. */
      guint8 der[128];
      gsize der_length = sizeof der;
      const guint8 *p = der;
      ECDSA_SIG *sig;
      const BIGNUM *r, *s;

      if (EVP_PKEY_sign_init (ctx) <= 0 || EVP_PKEY_sign (ctx, der, &der_length, input, length) <= 0)
        {
          EVP_PKEY_CTX_free (ctx);
          return SW (0x6F00);
        }
      sig = d2i_ECDSA_SIG (NULL, &p, (long) der_length);
      ECDSA_SIG_get0 (sig, &r, &s);
      BN_bn2binpad (r, out, 32);
      BN_bn2binpad (s, out + 32, 32);
      out_length = 64;
      ECDSA_SIG_free (sig);
    }
  else
    {
      /* RSA PKCS#1 v1.5 over a DigestInfo (a bare SHA-256 is wrapped first). */
      static const guint8 sha256_prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                              0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
      guint8 digest_info[128];
      gsize n = length;

      if (length == 32)
        {
          memcpy (digest_info, sha256_prefix, sizeof sha256_prefix);
          memcpy (digest_info + sizeof sha256_prefix, input, 32);
          n = sizeof sha256_prefix + 32;
        }
      else if (length <= sizeof digest_info)
        memcpy (digest_info, input, length);
      else
        {
          EVP_PKEY_CTX_free (ctx);
          return SW (0x6700);
        }
      if (EVP_PKEY_sign_init (ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) <= 0 ||
          EVP_PKEY_sign (ctx, out, &out_length, digest_info, n) <= 0)
        {
          EVP_PKEY_CTX_free (ctx);
          return SW (0x6F00);
        }
    }
  EVP_PKEY_CTX_free (ctx);
  return respond (out, out_length, 0x9000);
}

static GBytes *
public_key_template (EVP_PKEY *key)
{
  GByteArray *a = g_byte_array_new ();
  guint8 buffer[600];

  if (EVP_PKEY_get_base_id (key) == EVP_PKEY_EC)
    {
      gsize n = 0;
      EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, buffer, sizeof buffer, &n);
      guint8 head[] = { 0x7F, 0x49, n + 2, 0x86, n };
      g_byte_array_append (a, head, sizeof head);
      g_byte_array_append (a, buffer, n);
    }
  else
    {
      BIGNUM *n = NULL, *e = NULL;
      int nl, el;
      EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_RSA_E, &e);
      nl = BN_num_bytes (n);
      el = BN_num_bytes (e);
      guint8 head[] = { 0x7F, 0x49, 0x82, (4 + nl + 2 + el) >> 8, (4 + nl + 2 + el) & 0xFF, 0x81, 0x82, nl >> 8, nl & 0xFF };
      g_byte_array_append (a, head, sizeof head);
      BN_bn2bin (n, buffer);
      g_byte_array_append (a, buffer, nl);
      guint8 ehead[] = { 0x82, el };
      g_byte_array_append (a, ehead, 2);
      BN_bn2bin (e, buffer);
      g_byte_array_append (a, buffer, el);
      BN_free (n);
      BN_free (e);
    }
  return g_byte_array_free_to_bytes (a);
}

/*
 * GET DATA on an RSA private key SDO (class 10, tag BF 90 ref), as an IAS-ECC card answers it:
 * the private components (7F 48) never leave the card (6A80: OpenSC then asks for the DOCP), the
 * DOCP (A0) gives the key size in bytes (80) and its access rules (A1/8C: AMB, then one SCB per
 * bit from 0x40 down). An authentication key allows INTERNAL AUTHENTICATE (AMB 20) and PSO
 * DECIPHER (10), the qualified signature key PSO COMPUTE DIGITAL SIGNATURE (40) only; both
 * after the key's PIN (SCB 1x: user authentication, PIN ref as the SE number), and both allow
 * key generation (08) and PUT DATA (02) after the same PIN. The spare slot, personalised for a key
 * whose use is not known yet (a renewal, a second certificate), allows both signature commands.
 * The card enforces these rules.
 */
static guint8
key_amb (const KeySpec *spec)
{
  if (spec->spare)
    return 0x7A;
  return spec->non_repudiation ? 0x4A : 0x3A;
}

static GBytes *
private_key_sdo (VtokenCard   *card,
                 guint8        ref,
                 const guint8 *rest,
                 gsize         length)
{
  const KeySpec *spec = NULL;
  guint8 amb, scb, out[64];
  gsize n = 0, acl_at;

  for (const KeySpec *k = card->profile->keys; k->ref; k++)
    if (k->ref == ref && g_str_equal (k->type, "RSA"))
      spec = k;
  if (spec == NULL)
    return SW (0x6A88);
  /* rest: length, then the tag asked for (7F 48 private key, A0 DOCP), then 80. */
  if (length >= 3 && rest[1] == 0x7F && rest[2] == 0x48)
    return SW (0x6A80);
  if (length < 2 || rest[1] != 0xA0)
    return SW (0x6A80);
  amb = key_amb (spec);
  scb = 0x10 | spec->pin_ref;
  out[n++] = 0xBF, out[n++] = 0x90, out[n++] = ref, out[n++] = 0;
  out[n++] = 0xA0, out[n++] = 0;
  out[n++] = 0x80, out[n++] = 0x02, out[n++] = 0x01, out[n++] = 0x00;   /* 256 bytes: RSA-2048 */
  out[n++] = 0xA1, out[n++] = 0, out[n++] = 0x8C, out[n++] = 0;
  acl_at = n;
  out[n++] = amb;
  for (guint8 bit = 0x40; bit; bit >>= 1)
    if (amb & bit)
      out[n++] = scb;
  out[acl_at - 1] = n - acl_at;
  out[acl_at - 3] = n - acl_at + 2;
  out[5] = n - 6;
  out[3] = n - 4;
  return respond (out, n, 0x9000);
}

/* Whether the key's access rules allow this operation (AMB bit 40: PSO CDS, 20: INTERNAL
 * AUTHENTICATE). Keys that are not RSA SDOs (the ECC key) allow both. */
static gboolean
key_allows (VtokenCard *card,
            guint8      ref,
            guint8      operation)
{
  for (const KeySpec *k = card->profile->keys; k->ref; k++)
    if (k->ref == ref && g_str_equal (k->type, "RSA"))
      return (key_amb (k) & operation) != 0;
  return TRUE;
}

/**
 * vtoken_card_process:
 *
 * Returns: the response APDU (data + SW1 SW2).
 */
GBytes *
vtoken_card_process (VtokenCard   *card,
                     const guint8 *apdu,
                     gsize         length)
{
  guint8 cla, ins, p1, p2;
  const guint8 *data = NULL;
  gsize lc = 0, le = 0;

  if (length < 4)
    return SW (0x6700);
  cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
  if (cla & 0x80)
    return SW (0x6E00);
  if (length == 5)
    le = apdu[4];
  else if (length > 5)
    {
      if (apdu[4] == 0 && length >= 7)
        {
          /* Extended length. */
          lc = apdu[5] << 8 | apdu[6];
          if (7 + lc > length)
            return SW (0x6700);
          data = apdu + 7;
        }
      else
        {
          lc = apdu[4];
          if (5 + lc > length)
            return SW (0x6700);
          data = apdu + 5;
          if (5 + lc + 1 == length)
            le = apdu[5 + lc];
        }
    }

  if (ins != 0xC0)
    g_clear_pointer (&card->pending, g_bytes_unref);

  switch (ins)
    {
    case 0xA4:
      return select_file (card, p1, p2, data, lc);

    case 0xB0:
      return read_binary (card, p1, p2, le);

    case 0xD6:
      {
        const FileSpec *spec = file_spec (card, card->current_ef);
        Pin *pin = spec ? find_pin (card, spec->write_pin) : NULL;
        gsize offset = (p1 << 8) | p2;
        g_autoptr(GBytes) old = NULL;
        GByteArray *a;

        if (p1 & 0x80)
          return SW (0x6A86);
        if (spec == NULL)
          return SW (0x6986);
        if (spec->write_pin == 0 || pin == NULL || !pin->verified)
          return SW (0x6982);
        if (lc == 0)
          return SW (0x6700);
        old = file_contents (card, spec);
        if (spec->alloc && offset + lc > spec->alloc)
          return SW (0x6B00);
        a = g_byte_array_new ();
        g_byte_array_append (a, g_bytes_get_data (old, NULL), g_bytes_get_size (old));
        if (a->len < offset + lc)
          g_byte_array_set_size (a, offset + lc);
        memcpy (a->data + offset, data, lc);
        if (spec->cert_of_key)
          {
            g_clear_pointer (&card->certs[spec->cert_of_key], g_bytes_unref);
            card->certs[spec->cert_of_key] = g_byte_array_free_to_bytes (a);
          }
        else
          {
            gint index = card->current_ef;
            g_clear_pointer (&card->data[index], g_bytes_unref);
            card->data[index] = g_byte_array_free_to_bytes (a);
          }
        return SW (0x9000);
      }

    case 0x20:
      {
        Pin *pin;

        if (p1 == 0xFF)
          {
            if ((pin = find_pin (card, p2)))
              pin->verified = FALSE;
            return SW (pin ? 0x9000 : 0x6A88);
          }
        if (!(pin = find_pin (card, p2)))
          return SW (0x6A88);
        if (lc == 0)
          {
            /* Status: tries left, nothing consumed. */
            if (pin->tries_left == 0)
              return SW (0x6983);
            return SW (pin->verified ? 0x9000 : 0x63C0 | pin->tries_left);
          }
        return SW (check_pin (pin, data, lc));
      }

    case 0x24:
      {
        Pin *pin = find_pin (card, p2);
        guint16 sw;
        g_autofree char *fresh = NULL;

        if (!pin)
          return SW (0x6A88);
        if (lc != 2 * pin->stored_length)
          return SW (0x6700);
        sw = check_pin (pin, data, pin->stored_length);
        if (sw != 0x9000)
          return SW (sw);
        fresh = unpad (data + pin->stored_length, pin->stored_length);
        if (strlen (fresh) < 4)
          return SW (0x6A80);
        g_strlcpy (pin->value, fresh, sizeof pin->value);
        OPENSSL_cleanse (fresh, strlen (fresh));
        return SW (0x9000);
      }

    case 0x2C:
      {
        Pin *pin = find_pin (card, p2);
        Pin *puk = find_pin (card, card->profile->puk_ref);

        if (!pin)
          return SW (0x6A88);
        /* The role authentication counts for the PIN whose issuer key was used. */
        if (!((puk && puk->verified) || (card->role_authenticated && card->role_key == pin->ref)))
          return SW (0x6982);
        if (p1 == 0x02 || p1 == 0x00)
          {
            g_autofree char *fresh = NULL;
            if (lc == 0)
              return SW (0x6700);
            fresh = unpad (data, lc);
            g_strlcpy (pin->value, fresh, sizeof pin->value);
            OPENSSL_cleanse (fresh, strlen (fresh));
          }
        pin->tries_left = pin->tries_max;
        if (puk)
          puk->verified = FALSE;
        card->role_authenticated = FALSE;
        card->role_key = 0;
        return SW (0x9000);
      }

    case 0x84:
      RAND_bytes (card->challenge, sizeof card->challenge);
      card->challenge_valid = TRUE;
      return respond (card->challenge, 8, 0x9000);

    case 0x82:
      {
        guint8 mac[32];
        unsigned int mac_length = 0;

        /* Like an IAS-ECC card: EXTERNAL AUTHENTICATE needs the issuer key chosen first by
         * MSE SET AT (00 22 81 A4 … 80 01 1C 83 01 keyref) and a fresh challenge. */
        if (!card->challenge_valid || card->role_key == 0)
          return SW (0x6985);
        card->challenge_valid = FALSE;
        HMAC (EVP_sha256 (), issuer_key, sizeof issuer_key, card->challenge, 8, mac, &mac_length);
        if (lc != 16 || CRYPTO_memcmp (mac, data, 16) != 0)
          return SW (0x6300);
        card->role_authenticated = TRUE;
        return SW (0x9000);
      }

    case 0x22:
      if (p1 == 0x81 && p2 == 0xA4)
        {
          guint8 algorithm = 0, key = 0;
          for (gsize i = 0; data && i + 2 < lc + 1 && i + 2 + data[i + 1] <= lc; i += 2 + data[i + 1])
            {
              if (data[i] == 0x80 && data[i + 1] == 1)
                algorithm = data[i + 2];
              else if (data[i] == 0x83 && data[i + 1] == 1)
                key = data[i + 2] & 0x7F;
            }
          card->role_authenticated = FALSE;
          card->role_key = 0;
          if (algorithm != 0x1C || find_pin (card, key) == NULL)
            return SW (0x6A80);
          card->role_key = key;
          return SW (0x9000);
        }
      for (gsize i = 0; i + 2 < lc + 1 && data; i += 2 + data[i + 1])
        if (data[i] == 0x84 && data[i + 1] == 1 && i + 2 < lc)
          card->se_key = data[i + 2] & 0x7F;
      return SW (0x9000);

    case 0x2A:
      if (p1 == 0x90 && p2 == 0xA0)
        {
          g_clear_pointer (&card->hash, g_bytes_unref);
          if (lc >= 2 && data[0] == 0x90 && data[1] + 2u <= lc)
            card->hash = g_bytes_new (data + 2, data[1]);
          return SW (card->hash ? 0x9000 : 0x6A80);
        }
      if (p1 == 0x9E && p2 == 0x9A)
        {
          if (!key_allows (card, card->se_key, 0x40))
            return SW (0x6982);
          if (lc > 0)
            return sign (card, card->se_key, data, lc);
          if (card->hash)
            {
              gsize n;
              const guint8 *h = g_bytes_get_data (card->hash, &n);
              return sign (card, card->se_key, h, n);
            }
          return SW (0x6985);
        }
      return SW (0x6A86);

    case 0x88:
      if (!key_allows (card, card->se_key ? card->se_key : 1, 0x20))
        return SW (0x6982);
      return sign (card, card->se_key ? card->se_key : 1, data, lc);

    case 0x47:
      {
        guint8 ref = lc >= 5 && data[0] == 0x70 ? data[4] & 0x7F : 0;
        const KeySpec *spec = NULL;
        g_autoptr(GBytes) pub = NULL;
        Pin *pin;

        for (const KeySpec *k = card->profile->keys; k->ref; k++)
          if (k->ref == ref)
            spec = k;
        if (!spec)
          return SW (0x6A88);
        pin = find_pin (card, spec->pin_ref);
        if (!pin || !pin->verified)
          return SW (0x6982);
        /* RSA: the public exponent must have been put first (PUT DATA on BF A0 ref). */
        if (g_str_equal (spec->type, "RSA") && !card->exponent_ready[ref])
          return SW (0x6985);
        card->exponent_ready[ref] = FALSE;
        EVP_PKEY_free (card->keys[ref]);
        card->keys[ref] = generate_key (spec->type);
        pub = public_key_template (card->keys[ref]);
        return respond_data (card, g_bytes_get_data (pub, NULL), g_bytes_get_size (pub));
      }

    case 0xDB:
      {
        /* PUT DATA of a public key's exponent: 70 0C BF A0 ref 08 7F 49 05 82 03 01 00 01. */
        static const guint8 e65537[] = { 0x7F, 0x49, 0x05, 0x82, 0x03, 0x01, 0x00, 0x01 };
        const KeySpec *spec = NULL;
        guint8 ref;
        Pin *pin;

        if (p1 != 0x3F || p2 != 0xFF || lc != 14 || data[0] != 0x70 || data[1] != 0x0C ||
            data[2] != 0xBF || data[3] != 0xA0 || data[5] != 0x08)
          return SW (0x6A80);
        ref = data[4] & 0x7F;
        for (const KeySpec *k = card->profile->keys; k->ref; k++)
          if (k->ref == ref)
            spec = k;
        if (!spec || !g_str_equal (spec->type, "RSA"))
          return SW (0x6A88);
        pin = find_pin (card, spec->pin_ref);
        if (!pin || !pin->verified)
          return SW (0x6982);
        if (memcmp (data + 6, e65537, sizeof e65537) != 0)
          return SW (0x6A80);
        card->exponent_ready[ref] = TRUE;
        return SW (0x9000);
      }

    case 0xCB:
      {
        /* GET DATA on a CHV SDO (BF 81 ref), a key's public part (BF A0 ref) or an RSA private
         * key SDO (BF 90 ref). */
        for (gsize i = 0; data && i + 2 < lc; i++)
          {
            if (data[i] == 0xBF && data[i + 1] == 0x90)
              return private_key_sdo (card, data[i + 2] & 0x7F, data + i + 3, lc - i - 3);
            if (data[i] == 0xBF && data[i + 1] == 0x81)
              {
                Pin *pin = find_pin (card, data[i + 2]);
                if (!pin)
                  return SW (0x6A88);
                /* DOCP: 9A tries max, 9B tries left, 80 length, A1/8C access rules for change,
                 * verify and reset (AMB 0x70): change and verify always, reset after the PUK
                 * (user authentication in security environment 2). */
                guint8 out[] = { 0xBF, 0x81, pin->ref, 0x13, 0xA0, 0x11, 0x9A, 0x01, pin->tries_max,
                                 0x9B, 0x01, pin->tries_left, 0x80, 0x01, pin->stored_length,
                                 0xA1, 0x06, 0x8C, 0x04, 0x70, 0x00, 0x00, 0x12 };
                return respond (out, sizeof out, 0x9000);
              }
            if (data[i] == 0xBF && data[i + 1] == 0xA0)
              {
                guint8 ref = data[i + 2] & 0x7F;
                g_autoptr(GBytes) pub = NULL;
                if (ref >= G_N_ELEMENTS (card->keys) || !card->keys[ref])
                  return SW (0x6A88);
                pub = public_key_template (card->keys[ref]);
                return respond_data (card, g_bytes_get_data (pub, NULL), g_bytes_get_size (pub));
              }
          }
        return SW (0x6A88);
      }

    case 0xCA:
      return SW (0x6A88);

    case 0xC0:
      if (card->pending)
        {
          g_autoptr(GBytes) rest = g_steal_pointer (&card->pending);
          gsize n;
          const guint8 *d = g_bytes_get_data (rest, &n);
          return respond_data (card, d, n);
        }
      return SW (0x6985);

    default:
      return SW (0x6D00);
    }
}

/* State: everything a card keeps across power cycles. */
char *
vtoken_card_save_state (VtokenCard *card)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) g = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "profile");
  json_builder_add_string_value (b, card->profile->name);
  json_builder_set_member_name (b, "pins");
  json_builder_begin_array (b);
  for (guint i = 0; i < card->n_pins; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ref");
      json_builder_add_int_value (b, card->pins[i].ref);
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, card->pins[i].value);
      json_builder_set_member_name (b, "tries_left");
      json_builder_add_int_value (b, card->pins[i].tries_left);
      json_builder_set_member_name (b, "tries_max");
      json_builder_add_int_value (b, card->pins[i].tries_max);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "keys");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (card->keys); i++)
    {
      BIO *bio;
      char *pem = NULL;
      long n;
      g_autofree char *cert = NULL;

      if (!card->keys[i])
        continue;
      bio = BIO_new (BIO_s_mem ());
      PEM_write_bio_PrivateKey (bio, card->keys[i], NULL, NULL, 0, NULL, NULL);
      n = BIO_get_mem_data (bio, &pem);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ref");
      json_builder_add_int_value (b, i);
      json_builder_set_member_name (b, "key");
      {
        g_autofree char *text = g_strndup (pem, n);
        json_builder_add_string_value (b, text);
      }
      if (card->certs[i])
        cert = bytes_to_hex (g_bytes_get_data (card->certs[i], NULL), g_bytes_get_size (card->certs[i]));
      json_builder_set_member_name (b, "certificate");
      json_builder_add_string_value (b, cert ? cert : "");
      json_builder_end_object (b);
      BIO_free (bio);
    }
  json_builder_end_array (b);
  /* Written files (PKCS#15 directories, spare certificate files). A state may also rewrite a
   * read-only file: that is how tests re-personalise a token or play another application. */
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < MAX_FILES; i++)
    {
      g_autofree char *contents = NULL;

      if (!card->data[i])
        continue;
      contents = bytes_to_hex (g_bytes_get_data (card->data[i], NULL), g_bytes_get_size (card->data[i]));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "fid");
      json_builder_add_int_value (b, card->profile->files[i].fid);
      json_builder_set_member_name (b, "contents");
      json_builder_add_string_value (b, contents);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  return json_generator_to_data (g, NULL);
}

gboolean
vtoken_card_load_state (VtokenCard  *card,
                        const char  *json,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *pins, *keys, *files;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  root = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (root, "profile", ""), card->profile->name) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The state is for another profile");
      return FALSE;
    }
  pins = json_object_get_array_member (root, "pins");
  for (guint i = 0; pins && i < json_array_get_length (pins); i++)
    {
      JsonObject *o = json_array_get_object_element (pins, i);
      Pin *pin = find_pin (card, json_object_get_int_member (o, "ref"));
      if (pin)
        {
          g_strlcpy (pin->value, json_object_get_string_member (o, "value"), sizeof pin->value);
          pin->tries_left = json_object_get_int_member (o, "tries_left");
          pin->tries_max = json_object_get_int_member (o, "tries_max");
        }
    }
  keys = json_object_get_array_member (root, "keys");
  for (guint i = 0; keys && i < json_array_get_length (keys); i++)
    {
      JsonObject *o = json_array_get_object_element (keys, i);
      guint ref = json_object_get_int_member (o, "ref");
      const char *pem = json_object_get_string_member (o, "key");
      BIO *bio;

      if (ref >= G_N_ELEMENTS (card->keys))
        continue;
      bio = BIO_new_mem_buf (pem, -1);
      EVP_PKEY_free (card->keys[ref]);
      card->keys[ref] = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
      BIO_free (bio);
      g_clear_pointer (&card->certs[ref], g_bytes_unref);
      card->certs[ref] = hex_to_bytes (json_object_get_string_member_with_default (o, "certificate", ""));
    }
  files = json_object_has_member (root, "files") ? json_object_get_array_member (root, "files") : NULL;
  for (guint f = 0; files && f < MAX_FILES; f++)
    g_clear_pointer (&card->data[f], g_bytes_unref);
  for (guint i = 0; files && i < json_array_get_length (files); i++)
    {
      JsonObject *o = json_array_get_object_element (files, i);
      gint64 fid = json_object_get_int_member_with_default (o, "fid", 0);

      for (guint f = 0; f < MAX_FILES && card->profile->files[f].fid; f++)
        if (card->profile->files[f].fid == fid && !card->profile->files[f].is_df && !card->profile->files[f].cert_of_key &&
            card->profile->files[f].fid != 0xD003)
          {
            g_clear_pointer (&card->data[f], g_bytes_unref);
            card->data[f] = hex_to_bytes (json_object_get_string_member_with_default (o, "contents", ""));
          }
    }
  return TRUE;
}

gboolean
vtoken_card_save_to_file (VtokenCard  *card,
                          const char  *path,
                          GError     **error)
{
  g_autofree char *json = vtoken_card_save_state (card);

  return g_file_set_contents_full (path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* A summary for tests and logs: counters, never PIN values. */
char *
vtoken_card_dump (VtokenCard *card)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "profile=%s", card->profile->name);
  for (guint i = 0; i < card->n_pins; i++)
    g_string_append_printf (s, " pin%u=%u/%u%s", card->pins[i].ref, card->pins[i].tries_left,
                            card->pins[i].tries_max, card->pins[i].verified ? ",verified" : "");
  return g_string_free (s, FALSE);
}
