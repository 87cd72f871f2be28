/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>

#include "porteur-apdu.h"
#include "porteur-pkcs15.h"
#include "porteur-secret.h"
#include "porteur-transport.h"

G_BEGIN_DECLS

/*
 * One token in one reader: what it is (ATR table, AID probing, EF.ATR, serial), what it holds
 * (PKCS#15: certificates with their keys, PINs) and what the holder does with it (PIN status,
 * verify, change, unblock with the PUK or through the CA, signatures, key generation, writing a
 * certificate). The methods without _async block (PC/SC): call them from worker threads, or use
 * the _async/_finish pairs. Operations are serialised; each runs in one PC/SC transaction and
 * re-selects the application first. No operation ever retries a PIN by itself.
 */

#define PORTEUR_TYPE_TOKEN (porteur_token_get_type ())
G_DECLARE_FINAL_TYPE (PorteurToken, porteur_token, PORTEUR, TOKEN, GObject)

typedef enum
{
  PORTEUR_TOKEN_FAMILY_UNKNOWN,
  PORTEUR_TOKEN_FAMILY_IAS_ECC,
  PORTEUR_TOKEN_FAMILY_IAS_CLASSIC,
} PorteurTokenFamily;

typedef enum
{
  PORTEUR_PIN_FLAGS_NONE               = 0,
  /* The holder was told this is the last try and confirmed: only then is it spent. */
  PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED = 1 << 0,
} PorteurPinFlags;

typedef struct
{
  char     *label;
  guint8    reference;
  gboolean  is_puk;
  gint      tries_left;     /* -1: unknown */
  gint      tries_max;      /* -1: unknown */
  gboolean  blocked;
  gboolean  verified;
  guint     min_length;
  guint     max_length;
} PorteurPinStatus;

typedef enum
{
  PORTEUR_TOKEN_OPEN_FULL              = 0,
  /* Certificates are listed but read when first needed (porteur_token_load_certificate). */
  PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES = 1 << 0,
  /* No EF.ATR, serial, TokenInfo or PIN statuses at opening: for a quick operation. */
  PORTEUR_TOKEN_OPEN_SKIP_DETAILS      = 1 << 1,
  /* The PINs only (no keys, no certificates): for a PIN operation. */
  PORTEUR_TOKEN_OPEN_PINS_ONLY         = 1 << 2,
  /* The PINs and keys, described by the AODF and the PrKDF; the CDF is not read (no certificate
   * is listed): for a signature. The later PrKDF entry of a key reference wins, as in the CDF. */
  PORTEUR_TOKEN_OPEN_KEYS_ONLY         = 1 << 3,
} PorteurTokenOpenFlags;

typedef struct
{
  char     *label;
  char     *id_hex;
  gboolean  loaded;         /* der was read (it may still be NULL: an empty file) */
  GBytes   *der;            /* the certificate */
  guint8    key_reference;  /* 0: no key on the token for it */
  char     *key_label;
  gboolean  is_ec;
  guint     key_bits;
  gboolean  non_repudiation;
  guint8    pin_reference;  /* the PIN the key needs */
} PorteurTokenCert;

PorteurPinStatus *porteur_pin_status_copy (const PorteurPinStatus *status);
void              porteur_pin_status_free (PorteurPinStatus       *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPinStatus, porteur_pin_status_free)
void              porteur_token_cert_free (PorteurTokenCert       *cert);

const char *porteur_token_family_to_string (PorteurTokenFamily family);

/* Identifies the token and reads its PKCS#15 contents; takes ownership of @transport. */
PorteurToken *porteur_token_open           (PorteurTransport  *transport,
                                            GCancellable      *cancellable,
                                            GError           **error);
PorteurToken *porteur_token_open_with_flags (PorteurTransport     *transport,
                                             PorteurTokenOpenFlags flags,
                                             GCancellable         *cancellable,
                                             GError              **error);
gboolean      porteur_token_load_certificate (PorteurToken      *self,
                                              PorteurTokenCert  *cert,
                                              GCancellable      *cancellable,
                                              GError           **error);
void          porteur_token_open_async     (const char        *reader,
                                            GCancellable      *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer           user_data);
PorteurToken *porteur_token_open_finish    (GAsyncResult      *result,
                                            GError           **error);

const char   *porteur_token_get_reader     (PorteurToken *self);
const char   *porteur_token_get_atr_hex    (PorteurToken *self);
PorteurTokenFamily porteur_token_get_family (PorteurToken *self);
const char   *porteur_token_get_model      (PorteurToken *self);   /* from our ATR table, or NULL */
const char   *porteur_token_get_atr_label  (PorteurToken *self);   /* from smartcard_list.txt, or NULL */
const char   *porteur_token_get_serial     (PorteurToken *self);
const char   *porteur_token_get_label      (PorteurToken *self);
const char   *porteur_token_get_chip       (PorteurToken *self);   /* from EF.ATR, or NULL */
gboolean      porteur_token_is_supported   (PorteurToken *self);
/* PorteurTokenCert; borrowed. */
GPtrArray    *porteur_token_get_certificates (PorteurToken *self);
/* The PINs as last reported (PorteurPinStatus); borrowed, updated after each PIN operation. */
GPtrArray    *porteur_token_get_pins       (PorteurToken *self);
guint8        porteur_token_get_user_pin_reference (PorteurToken *self);
guint         porteur_token_get_apdu_count (PorteurToken *self);
PorteurTransport *porteur_token_get_transport (PorteurToken *self);

/* PIN status: asks the token (VERIFY without data), consumes no try. */
gboolean porteur_token_get_pin_status   (PorteurToken      *self,
                                         guint8             reference,
                                         PorteurPinStatus **out,
                                         GCancellable      *cancellable,
                                         GError           **error);
gboolean porteur_token_verify_pin       (PorteurToken      *self,
                                         guint8             reference,
                                         PorteurSecret     *pin,
                                         PorteurPinFlags    flags,
                                         GCancellable      *cancellable,
                                         GError           **error);
gboolean porteur_token_change_pin       (PorteurToken      *self,
                                         guint8             reference,
                                         PorteurSecret     *old_pin,
                                         PorteurSecret     *new_pin,
                                         PorteurPinFlags    flags,
                                         GCancellable      *cancellable,
                                         GError           **error);
/* Unblocks @reference with its PUK; @new_pin NULL keeps the current PIN. */
gboolean porteur_token_unblock_pin      (PorteurToken      *self,
                                         guint8             reference,
                                         PorteurSecret     *puk,
                                         PorteurSecret     *new_pin,
                                         PorteurPinFlags    flags,
                                         GCancellable      *cancellable,
                                         GError           **error);

/* Pinpad readers: the holder types the PIN on the reader's keypad; it never reaches Porteur. */
gboolean porteur_token_has_pinpad       (PorteurToken      *self,
                                         GCancellable      *cancellable,
                                         GError           **error);
gboolean porteur_token_verify_pin_pinpad (PorteurToken     *self,
                                          guint8            reference,
                                          PorteurPinFlags   flags,
                                          GCancellable     *cancellable,
                                          GError          **error);
gboolean porteur_token_change_pin_pinpad (PorteurToken     *self,
                                          guint8            reference,
                                          PorteurPinFlags   flags,
                                          GCancellable     *cancellable,
                                          GError          **error);

/*
 * Unblock by the CA: the token's challenge goes to @cryptogram_func (which asks the CA; it runs
 * in the calling thread, inside the token's transaction), its answer goes back to the token
 * (EXTERNAL AUTHENTICATE), then the retry counter is reset, with @new_pin when given.
 */
typedef GBytes *(*PorteurCryptogramFunc) (GBytes        *challenge,
                                          gpointer       user_data,
                                          GCancellable  *cancellable,
                                          GError       **error);
gboolean porteur_token_unblock_pin_with_ca (PorteurToken        *self,
                                            guint8               reference,
                                            PorteurSecret       *new_pin,
                                            PorteurCryptogramFunc cryptogram_func,
                                            gpointer             user_data,
                                            GCancellable        *cancellable,
                                            GError             **error);

/*
 * Signs @digest (computed off-card with @digest_name: "SHA256", "SHA384", "SHA512") with the
 * key @key_reference; @pin (may be NULL when already verified) is verified in the same
 * transaction. RSA: PKCS#1 v1.5 signature; EC: DER ECDSA-Sig-Value.
 */
GBytes  *porteur_token_sign             (PorteurToken      *self,
                                         guint8             key_reference,
                                         PorteurSecret     *pin,
                                         PorteurPinFlags    flags,
                                         const char        *digest_name,
                                         const guint8      *digest,
                                         gsize              digest_length,
                                         GCancellable      *cancellable,
                                         GError           **error);
/* porteur_token_sign, then the signature is checked with the key's public key as the token holds
 * it (GET DATA in the same transaction; the certificate's when the token does not answer it):
 * a signature that does not check out is an error (PORTEUR_TOKEN_ERROR_MALFORMED), never
 * returned. @public_key (may be NULL) receives the key it was checked with. */
GBytes  *porteur_token_sign_checked     (PorteurToken      *self,
                                         guint8             key_reference,
                                         PorteurSecret     *pin,
                                         PorteurPinFlags    flags,
                                         const char        *digest_name,
                                         const guint8      *digest,
                                         gsize              digest_length,
                                         EVP_PKEY         **public_key,
                                         GCancellable      *cancellable,
                                         GError           **error);
/* Generates a new key pair in @key_reference's slot; returns its public key. */
EVP_PKEY *porteur_token_generate_key    (PorteurToken      *self,
                                         guint8             key_reference,
                                         PorteurSecret     *pin,
                                         PorteurPinFlags    flags,
                                         GCancellable      *cancellable,
                                         GError           **error);
/* The public key of a token key (from its certificate, else from the token). */
EVP_PKEY *porteur_token_get_public_key  (PorteurToken      *self,
                                         guint8             key_reference,
                                         GCancellable      *cancellable,
                                         GError           **error);
/*
 * Writes @der as the certificate of @key_reference (which may be a slot the directory does not
 * list yet) and adds or replaces its PrKDF and CDF entries: ID = SHA-1 of the public key, label
 * (the key entry's, else the subject's CN), usage from keyUsage. Refused when the certificate is
 * not for the key the slot holds. Written in an order that a removal at any APDU cannot leave
 * inconsistent (see porteur-token.c); then the contents are re-read.
 */
gboolean porteur_token_write_certificate (PorteurToken     *self,
                                          guint8            key_reference,
                                          GBytes           *der,
                                          PorteurSecret    *pin,
                                          PorteurPinFlags   flags,
                                          GCancellable     *cancellable,
                                          GError          **error);

/* Async forms for the UI. Secrets are copied into locked memory for the worker. */
void     porteur_token_get_pin_status_async (PorteurToken *self, guint8 reference, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
PorteurPinStatus *porteur_token_get_pin_status_finish (PorteurToken *self, GAsyncResult *result, GError **error);
void     porteur_token_verify_pin_async    (PorteurToken *self, guint8 reference, PorteurSecret *pin,
                                            PorteurPinFlags flags, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
void     porteur_token_change_pin_async    (PorteurToken *self, guint8 reference, PorteurSecret *old_pin,
                                            PorteurSecret *new_pin, PorteurPinFlags flags,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
void     porteur_token_unblock_pin_async   (PorteurToken *self, guint8 reference, PorteurSecret *puk,
                                            PorteurSecret *new_pin, PorteurPinFlags flags,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
void     porteur_token_verify_pin_pinpad_async (PorteurToken *self, guint8 reference, PorteurPinFlags flags,
                                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                                gpointer user_data);
void     porteur_token_change_pin_pinpad_async (PorteurToken *self, guint8 reference, PorteurPinFlags flags,
                                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                                gpointer user_data);
void     porteur_token_unblock_pin_with_ca_async (PorteurToken *self, guint8 reference, PorteurSecret *new_pin,
                                                  PorteurCryptogramFunc cryptogram_func, gpointer cryptogram_data,
                                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                                  gpointer user_data);
void     porteur_token_write_certificate_async (PorteurToken *self, guint8 key_reference, GBytes *der,
                                                PorteurSecret *pin, PorteurPinFlags flags,
                                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                                gpointer user_data);
/* For verify, change, unblock (PUK, pinpad, CA) and writing a certificate. */
gboolean porteur_token_pin_operation_finish (PorteurToken *self, GAsyncResult *result, GError **error);
void     porteur_token_sign_async          (PorteurToken *self, guint8 key_reference, PorteurSecret *pin,
                                            PorteurPinFlags flags, const char *digest_name, GBytes *digest,
                                            GCancellable *cancellable, GAsyncReadyCallback callback,
                                            gpointer user_data);
GBytes  *porteur_token_sign_finish         (PorteurToken *self, GAsyncResult *result, GError **error);
void     porteur_token_generate_key_async  (PorteurToken *self, guint8 key_reference, PorteurSecret *pin,
                                            PorteurPinFlags flags, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
EVP_PKEY *porteur_token_generate_key_finish (PorteurToken *self, GAsyncResult *result, GError **error);

/* ATR table and smartcard_list.txt (exposed for tests and the diagnosis). */
const char *porteur_token_lookup_atr       (GBytes      *atr,
                                            PorteurTokenFamily *family);
char       *porteur_token_lookup_atr_label (GBytes      *atr,
                                            const char  *smartcard_list_path);

G_END_DECLS
