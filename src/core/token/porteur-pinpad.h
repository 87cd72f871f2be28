/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Pinpad readers (PC/SC part 10): feature discovery and the PIN_VERIFY / PIN_MODIFY blocks the
 * reader fills with the PIN typed on its keypad (the PIN never reaches the computer).
 */

#define PORTEUR_PINPAD_GET_FEATURE_REQUEST 0x42000D48u   /* SCARD_CTL_CODE (3400) */

typedef struct
{
  guint32 verify_ioctl;       /* FEATURE_VERIFY_PIN_DIRECT (0x06), 0 when absent */
  guint32 modify_ioctl;       /* FEATURE_MODIFY_PIN_DIRECT (0x07) */
  guint32 properties_ioctl;   /* FEATURE_IFD_PIN_PROPERTIES (0x0A) */
  guint32 tlv_properties_ioctl; /* FEATURE_GET_TLV_PROPERTIES (0x12) */
} PorteurPinpadFeatures;

typedef struct
{
  guint8   timeout;           /* seconds; 0 = the reader's default */
  guint    min_length;
  guint    max_length;
  guint    block_size;        /* PIN block in bytes (the stored length); 0 = no padding */
  gboolean ascii;             /* ASCII digits (IAS-ECC), else BCD */
  guint16  lang_id;           /* Windows LANGID for the reader's messages (0x040C = fr-FR) */
} PorteurPinpadParams;

/* Parses the answer to GET_FEATURE_REQUEST (tag, 4, big-endian ioctl)…; FALSE when malformed. */
gboolean    porteur_pinpad_parse_features (const guint8          *data,
                                           gsize                  length,
                                           PorteurPinpadFeatures *features);
/* PIN_VERIFY_STRUCTURE around @apdu (VERIFY with the padded PIN template). */
GByteArray *porteur_pinpad_build_verify   (const PorteurPinpadParams *params,
                                           const guint8              *apdu,
                                           gsize                      apdu_length);
/* PIN_MODIFY_STRUCTURE around @apdu (CHANGE REFERENCE DATA old ‖ new templates): the reader asks
 * for the current PIN, the new one and its confirmation. */
GByteArray *porteur_pinpad_build_modify   (const PorteurPinpadParams *params,
                                           guint8                     offset_old,
                                           guint8                     offset_new,
                                           const guint8              *apdu,
                                           gsize                      apdu_length);
/* The language the reader should speak, from the holder's locale (fr → fr-FR, br → fr-FR). */
guint16     porteur_pinpad_lang_id_for_locale (const char *locale);

G_END_DECLS
