/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The token's wire: BER-TLV (ISO/IEC 7816-4 and the DER of PKCS#15 share it), command APDUs
 * (short and extended), response APDUs, and the mapping of status words to errors.
 * Nothing here logs data: command and response bodies may carry PINs.
 */

#define PORTEUR_TOKEN_ERROR (porteur_token_error_quark ())

typedef enum
{
  PORTEUR_TOKEN_ERROR_NO_SERVICE,        /* pcscd cannot be reached */
  PORTEUR_TOKEN_ERROR_NO_READER,         /* no reader, or not this one */
  PORTEUR_TOKEN_ERROR_NO_TOKEN,          /* the reader is empty */
  PORTEUR_TOKEN_ERROR_REMOVED,           /* the token went away during the operation */
  PORTEUR_TOKEN_ERROR_RESET,             /* another application reset the token */
  PORTEUR_TOKEN_ERROR_BUSY,              /* another application holds the token */
  PORTEUR_TOKEN_ERROR_UNKNOWN_TOKEN,     /* not a token Porteur knows */
  PORTEUR_TOKEN_ERROR_MALFORMED,         /* the token's answer does not parse */
  PORTEUR_TOKEN_ERROR_PIN_INCORRECT,     /* wrong PIN; tries left in the PIN status */
  PORTEUR_TOKEN_ERROR_PIN_BLOCKED,
  PORTEUR_TOKEN_ERROR_LAST_TRY,          /* one try left and the caller did not confirm it */
  PORTEUR_TOKEN_ERROR_PIN_FORMAT,        /* length or characters outside the PIN's policy */
  PORTEUR_TOKEN_ERROR_SECURITY,          /* security status not satisfied (6982) */
  PORTEUR_TOKEN_ERROR_NOT_FOUND,         /* file, key or object not found */
  PORTEUR_TOKEN_ERROR_NOT_SUPPORTED,
  PORTEUR_TOKEN_ERROR_CRYPTOGRAM,        /* the CA's unblock cryptogram was refused */
  PORTEUR_TOKEN_ERROR_PINPAD_TIMEOUT,
  PORTEUR_TOKEN_ERROR_PINPAD_CANCELLED,
  PORTEUR_TOKEN_ERROR_PINPAD_MISMATCH,   /* the two new PINs typed on the pinpad differ */
  PORTEUR_TOKEN_ERROR_CARD,              /* any other status word */
  PORTEUR_TOKEN_ERROR_PCSC,              /* any other PC/SC failure */
} PorteurTokenError;

GQuark porteur_token_error_quark (void);

/* One TLV. The tag keeps its encoded bytes as a number: 0x30, 0xA1, 0xBF81, 0x7F49. */
typedef struct
{
  guint32       tag;
  gboolean      constructed;
  const guint8 *value;
  gsize         length;
} PorteurTlv;

/* Walks the TLVs that follow one another in a buffer. */
typedef struct
{
  const guint8 *data;
  gsize         length;
  gsize         offset;
} PorteurTlvIter;

void     porteur_tlv_iter_init   (PorteurTlvIter *iter,
                                  const guint8   *data,
                                  gsize           length);
void     porteur_tlv_iter_init_tlv (PorteurTlvIter  *iter,
                                    const PorteurTlv *parent);
/* Returns FALSE at the end (error unset) or on malformed data (error set). Padding bytes 00 and
 * FF between objects end the walk, as PKCS#15 files padded to their size do. */
gboolean porteur_tlv_iter_next   (PorteurTlvIter *iter,
                                  PorteurTlv     *tlv,
                                  GError        **error);
gboolean porteur_tlv_parse       (const guint8   *data,
                                  gsize           length,
                                  PorteurTlv     *tlv,
                                  gsize          *consumed,
                                  GError        **error);
/* The first child of @parent (or TLV of the buffer) with @tag; FALSE when absent or malformed. */
gboolean porteur_tlv_find        (const guint8   *data,
                                  gsize           length,
                                  guint32         tag,
                                  PorteurTlv     *out);
gboolean porteur_tlv_find_child  (const PorteurTlv *parent,
                                  guint32           tag,
                                  PorteurTlv       *out);
/* An unsigned INTEGER / raw big-endian value of up to 4 bytes. */
gboolean porteur_tlv_get_uint    (const PorteurTlv *tlv,
                                  guint32          *value);
void     porteur_tlv_append      (GByteArray     *out,
                                  guint32         tag,
                                  const guint8   *value,
                                  gsize           length);

/* A command APDU. @le: 0 = no Le; 256 (short) or 65536 (extended) = "all". */
typedef struct
{
  guint8        cla;
  guint8        ins;
  guint8        p1;
  guint8        p2;
  const guint8 *data;
  gsize         lc;
  gsize         le;
  gboolean      sensitive;   /* the data carries a PIN or a cryptogram: wiped, never logged */
} PorteurApdu;

/* Writes the encoded APDU into @out (at least 5 + 3 + lc + 2 bytes). */
gboolean porteur_apdu_encode     (const PorteurApdu *apdu,
                                  guint8            *out,
                                  gsize              out_size,
                                  gsize             *out_length,
                                  GError           **error);

/* A response APDU: body and status word. */
typedef struct
{
  GBytes  *data;
  guint16  sw;
} PorteurResponse;

void     porteur_response_clear  (PorteurResponse *response);
/* Fewer than two bytes means the token vanished during the command (vpcd, some CCID readers). */
gboolean porteur_response_parse  (const guint8    *raw,
                                  gsize            length,
                                  PorteurResponse *response,
                                  GError         **error);
/* 9000 (and 62xx warnings) → TRUE; anything else → the matching PorteurTokenError. */
gboolean porteur_sw_check        (guint16          sw,
                                  const char      *what,
                                  GError         **error);
const char *porteur_sw_describe  (guint16          sw);

G_END_DECLS
