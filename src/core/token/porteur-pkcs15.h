/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * PKCS#15 (ISO/IEC 7816-15) as tokens carry it: EF.DIR, ODF, TokenInfo, AODF (PINs), PrKDF
 * (private keys) and CDF (certificates). Parsers only: the token reads the files. Everything the
 * card says is bounded and checked; a malformed file is an error, never a crash.
 */

typedef enum
{
  PORTEUR_PKCS15_PIN_BCD,
  PORTEUR_PKCS15_PIN_ASCII_NUMERIC,
  PORTEUR_PKCS15_PIN_UTF8,
} PorteurPkcs15PinType;

typedef struct
{
  char                 *label;
  GBytes               *auth_id;        /* this PIN's identifier */
  GBytes               *unblocked_by;   /* authId of the PUK that unblocks it, when given */
  guint8                reference;      /* pinReference as the card wants it in P2 */
  PorteurPkcs15PinType  type;
  guint                 min_length;
  guint                 max_length;     /* 0: not given */
  guint                 stored_length;  /* 0: not given */
  guint8                pad_char;
  gboolean              needs_padding;
  gboolean              is_puk;         /* unblockingPin */
  gboolean              is_so_pin;
  gboolean              local;
} PorteurPkcs15Pin;

/* PKCS#15 key usage bits. */
typedef enum
{
  PORTEUR_PKCS15_USAGE_ENCRYPT          = 1 << 0,
  PORTEUR_PKCS15_USAGE_DECRYPT          = 1 << 1,
  PORTEUR_PKCS15_USAGE_SIGN             = 1 << 2,
  PORTEUR_PKCS15_USAGE_SIGN_RECOVER     = 1 << 3,
  PORTEUR_PKCS15_USAGE_WRAP             = 1 << 4,
  PORTEUR_PKCS15_USAGE_UNWRAP           = 1 << 5,
  PORTEUR_PKCS15_USAGE_VERIFY           = 1 << 6,
  PORTEUR_PKCS15_USAGE_VERIFY_RECOVER   = 1 << 7,
  PORTEUR_PKCS15_USAGE_DERIVE           = 1 << 8,
  PORTEUR_PKCS15_USAGE_NON_REPUDIATION  = 1 << 9,
} PorteurPkcs15Usage;

typedef struct
{
  char    *label;
  GBytes  *id;
  GBytes  *auth_id;        /* the PIN that protects it */
  guint8   reference;      /* keyReference, as the card numbers it */
  guint    usage;          /* PorteurPkcs15Usage */
  gboolean is_ec;
  guint    bits;           /* modulus or field length; 0 when not given */
  gsize    offset;         /* where the entry lies in the PrKDF, and its encoded length */
  gsize    length;
} PorteurPkcs15Key;

typedef struct
{
  char    *label;
  GBytes  *id;
  GBytes  *path;           /* file path on the card (2-byte FIDs), from the MF */
  gboolean authority;
  gsize    offset;         /* where the entry lies in the CDF, and its encoded length */
  gsize    length;
} PorteurPkcs15Cert;

typedef struct
{
  /* EF.DIR */
  GBytes    *aid;
  char      *app_label;
  /* ODF: paths of the directory files */
  GBytes    *aodf_path;
  GBytes    *prkdf_path;
  GBytes    *cdf_path;
  /* TokenInfo */
  char      *serial;
  char      *manufacturer;
  char      *label;
  /* Objects */
  GPtrArray *pins;          /* PorteurPkcs15Pin */
  GPtrArray *keys;          /* PorteurPkcs15Key */
  GPtrArray *certs;         /* PorteurPkcs15Cert */
  /* End of the last entry in the PrKDF and the CDF: new entries are appended there. */
  gsize      prkdf_end;
  gsize      cdf_end;
} PorteurPkcs15;

PorteurPkcs15 *porteur_pkcs15_new           (void);
void           porteur_pkcs15_free          (PorteurPkcs15 *p15);

gboolean porteur_pkcs15_parse_dir       (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);
gboolean porteur_pkcs15_parse_odf       (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);
gboolean porteur_pkcs15_parse_tokeninfo (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);
gboolean porteur_pkcs15_parse_aodf      (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);
gboolean porteur_pkcs15_parse_prkdf     (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);
gboolean porteur_pkcs15_parse_cdf       (PorteurPkcs15 *p15, const guint8 *data, gsize length, GError **error);

const PorteurPkcs15Pin *porteur_pkcs15_find_pin       (PorteurPkcs15 *p15, guint8 reference);
const PorteurPkcs15Pin *porteur_pkcs15_find_pin_by_id (PorteurPkcs15 *p15, GBytes *auth_id);
const PorteurPkcs15Pin *porteur_pkcs15_find_puk_for   (PorteurPkcs15 *p15, const PorteurPkcs15Pin *pin);
const PorteurPkcs15Key *porteur_pkcs15_find_key       (PorteurPkcs15 *p15, GBytes *id);

/* DER encodings of one directory entry, in the layout IAS-ECC profiles use (the parsers above
 * read them back). @auth_id may be NULL; @bits is the modulus length (RSA) or field size (EC). */
GBytes *porteur_pkcs15_encode_key  (const char *label,
                                    GBytes     *id,
                                    GBytes     *auth_id,
                                    guint       usage,
                                    guint8      reference,
                                    gboolean    is_ec,
                                    guint       bits,
                                    GBytes     *app_path);
GBytes *porteur_pkcs15_encode_cert (const char *label,
                                    GBytes     *id,
                                    GBytes     *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPkcs15, porteur_pkcs15_free)

G_END_DECLS
