/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

#define PORTEUR_CERT_ERROR (porteur_cert_error_quark ())

typedef enum
{
  PORTEUR_CERT_ERROR_INVALID,
  PORTEUR_CERT_ERROR_TRUST_STORE,
} PorteurCertError;

/* What eIDAS says of a certificate, read from its QC statements and policies. */
typedef enum
{
  PORTEUR_EIDAS_UNKNOWN,
  PORTEUR_EIDAS_ADVANCED,            /* not qualified, but a known advanced-signature policy */
  PORTEUR_EIDAS_QUALIFIED_SIGNATURE, /* QcCompliance + QcType esign (or no QcType) */
  PORTEUR_EIDAS_QUALIFIED_SEAL,      /* QcCompliance + QcType eseal */
  PORTEUR_EIDAS_QUALIFIED_WEB,       /* QcCompliance + QcType web */
} PorteurEidasLevel;

typedef enum
{
  PORTEUR_KEY_USAGE_DIGITAL_SIGNATURE = 1 << 0,
  PORTEUR_KEY_USAGE_NON_REPUDIATION   = 1 << 1,
  PORTEUR_KEY_USAGE_KEY_ENCIPHERMENT  = 1 << 2,
  PORTEUR_KEY_USAGE_KEY_CERT_SIGN     = 1 << 5,
  PORTEUR_KEY_USAGE_CRL_SIGN          = 1 << 6,
} PorteurKeyUsage;

/* The facts a holder reads about a certificate. All strings UTF-8, never NULL ("" when absent). */
typedef struct
{
  char              *subject_dn;
  char              *common_name;
  char              *given_name;
  char              *surname;
  char              *organisation;
  char              *organisation_identifier;  /* e.g. NTRFR-213502388 (SIREN) */
  char              *email;
  char              *issuer_dn;
  char              *issuer_common_name;
  char              *serial_hex;
  char              *sha256_fingerprint;       /* colon-separated upper-case hex */
  GDateTime         *not_before;
  GDateTime         *not_after;
  char              *key_type;                 /* "RSA", "EC", "Ed25519"… */
  guint              key_bits;
  guint              key_usage;                /* PorteurKeyUsage flags; 0 when the extension is absent */
  gboolean           has_key_usage;
  GStrv              policies;                 /* certificate policy OIDs */
  gboolean           qc_compliance;
  gboolean           qc_sscd;                  /* the private key is in a QSCD */
  PorteurEidasLevel  eidas_level;
} PorteurCertInfo;

GQuark            porteur_cert_error_quark       (void);

PorteurCertInfo  *porteur_cert_info_new          (X509            *cert);
PorteurCertInfo  *porteur_cert_info_new_from_der (GBytes          *der,
                                                  GError         **error);
void              porteur_cert_info_free         (PorteurCertInfo *info);
const char       *porteur_eidas_level_to_string  (PorteurEidasLevel level);
gboolean          porteur_cert_is_valid_at       (X509            *cert,
                                                  GDateTime       *when);
GDateTime        *porteur_asn1_time_to_datetime  (const ASN1_TIME *time);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurCertInfo, porteur_cert_info_free)

G_END_DECLS
