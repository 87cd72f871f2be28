/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cert/porteur-cert.h"
#include "cert/porteur-trust.h"

G_BEGIN_DECLS

#define PORTEUR_PDF_ERROR (porteur_pdf_error_quark ())

typedef enum
{
  PORTEUR_PDF_ERROR_IO,
  PORTEUR_PDF_ERROR_NOT_PDF,
  PORTEUR_PDF_ERROR_TOO_LARGE,
} PorteurPdfError;

typedef enum
{
  PORTEUR_PDF_VERDICT_VALID,
  PORTEUR_PDF_VERDICT_INDETERMINATE, /* nothing wrong was found, but something could not be proven */
  PORTEUR_PDF_VERDICT_INVALID,
  PORTEUR_PDF_VERDICT_UNSIGNED,      /* document level only: no signature at all */
} PorteurPdfVerdict;

/* Everything that keeps a signature from being plainly valid. Flags: several may apply. */
typedef enum
{
  PORTEUR_PDF_PROBLEM_MALFORMED              = 1 << 0,  /* ByteRange, Contents or CMS unusable */
  PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH        = 1 << 1,  /* the signed bytes were changed */
  PORTEUR_PDF_PROBLEM_BAD_SIGNATURE          = 1 << 2,  /* the signature value does not verify */
  PORTEUR_PDF_PROBLEM_MODIFIED_AFTER         = 1 << 3,  /* a later update changed the document */
  PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER         = 1 << 4,
  PORTEUR_PDF_PROBLEM_CHAIN_INVALID          = 1 << 5,
  PORTEUR_PDF_PROBLEM_EXPIRED                = 1 << 6,  /* the signer's certificate has expired now */
  PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING   = 1 << 7,  /* … or was not valid when it signed */
  PORTEUR_PDF_PROBLEM_REVOKED                = 1 << 8,
  PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED = 1 << 9,
  PORTEUR_PDF_PROBLEM_REVOCATION_UNKNOWN     = 1 << 10,
  PORTEUR_PDF_PROBLEM_WEAK_DIGEST            = 1 << 11, /* SHA-1 or weaker */
  PORTEUR_PDF_PROBLEM_WEAK_KEY               = 1 << 12, /* RSA under 2048 bits */
  PORTEUR_PDF_PROBLEM_KEY_USAGE              = 1 << 13, /* the certificate is not for signing */
  PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID      = 1 << 14, /* unreadable, over other data, bad signature */
  PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED    = 1 << 15, /* its authority does not chain to our anchors */
} PorteurPdfProblem;

typedef enum
{
  PORTEUR_PDF_COVERAGE_WHOLE,            /* the signature covers the whole file */
  PORTEUR_PDF_COVERAGE_LATER_SIGNATURES, /* only later signatures were added after it */
  PORTEUR_PDF_COVERAGE_VALIDATION_DATA,  /* only validation data (DSS) was added after it */
  PORTEUR_PDF_COVERAGE_MODIFIED,         /* other changes were added after it */
} PorteurPdfCoverage;

typedef struct
{
  guint               index;             /* 1-based, in file order */
  gint64              byte_range[4];
  char               *sub_filter;        /* "adbe.pkcs7.detached", "ETSI.CAdES.detached"… or "" */
  char               *digest_name;       /* "SHA256"… or "" */
  char               *signer_name;       /* /Name of the signature dictionary, or "" */
  char               *reason;            /* /Reason, or "" */
  char               *location;          /* /Location, or "" */
  GDateTime          *claimed_time;      /* signingTime attribute, else /M; may be NULL */
  gboolean            has_timestamp;
  gboolean            timestamp_valid;
  GDateTime          *timestamp_time;    /* genTime of a valid timestamp token */
  guint               revision;          /* the revision it signed, 1-based */
  gint64              signed_length;     /* length of that revision: bytes [0, signed_length) */
  PorteurPdfCoverage  coverage;
  PorteurCertInfo    *signer;            /* NULL when the CMS could not be read */
  GPtrArray          *chain;             /* PorteurCertInfo, leaf first; empty when not trusted */
  PorteurChainStatus  chain_status;      /* at the time of signing */
  PorteurChainStatus  chain_status_now;
  PorteurRevocation  *revocation;
  guint               problems;          /* PorteurPdfProblem */
  PorteurPdfVerdict   verdict;
  char               *detail;            /* English, for logs: what went wrong first */
  GBytes             *contents;          /* the DER CMS from /Contents (NULL when malformed) */
} PorteurPdfSignature;

/* The document security store (/DSS): DER data, for revocation checks without the network. */
typedef struct
{
  GPtrArray *certs;                      /* GBytes */
  GPtrArray *crls;                       /* GBytes */
  GPtrArray *ocsps;                      /* GBytes, OCSPResponse */
} PorteurPdfDss;

typedef struct
{
  char              *path;
  gint64             size;
  guint              n_revisions;
  gboolean           encrypted;
  GPtrArray         *signatures;         /* PorteurPdfSignature */
  PorteurPdfVerdict  verdict;
  PorteurPdfDss     *dss;                /* NULL when the document has none */
} PorteurPdfReport;

typedef struct
{
  PorteurTrust *trust;                   /* required */
  gboolean      use_network;             /* fetch OCSP and CRLs */
} PorteurPdfVerifyOptions;

GQuark             porteur_pdf_error_quark            (void);

/* Parsing only (no cryptography): the signatures' byte ranges and dictionaries. */
GPtrArray         *porteur_pdf_scan_signatures        (const guint8             *data,
                                                       gsize                     length,
                                                       guint                    *out_n_revisions);
GPtrArray         *porteur_pdf_scan_mapped_file       (const guint8             *data,
                                                       gsize                     length,
                                                       guint                    *out_n_revisions,
                                                       gboolean                 *out_encrypted,
                                                       PorteurPdfDss           **out_dss);
void               porteur_pdf_signature_free         (PorteurPdfSignature      *signature);
PorteurPdfDss     *porteur_pdf_read_dss               (const guint8             *data,
                                                       gsize                     length);
void               porteur_pdf_dss_free               (PorteurPdfDss            *dss);

PorteurPdfReport  *porteur_pdf_verify_file            (const char               *path,
                                                       PorteurPdfVerifyOptions  *options,
                                                       GCancellable             *cancellable,
                                                       GError                  **error);
void               porteur_pdf_verify_file_async      (const char               *path,
                                                       PorteurPdfVerifyOptions  *options,
                                                       GCancellable             *cancellable,
                                                       GAsyncReadyCallback       callback,
                                                       gpointer                  user_data);
PorteurPdfReport  *porteur_pdf_verify_file_finish     (GAsyncResult             *result,
                                                       GError                  **error);
void               porteur_pdf_report_free            (PorteurPdfReport         *report);

gboolean           porteur_pdf_extract_revision       (const char               *path,
                                                       gint64                    length,
                                                       const char               *destination,
                                                       GError                  **error);

const char        *porteur_pdf_verdict_to_string      (PorteurPdfVerdict         verdict);
const char        *porteur_pdf_coverage_to_string     (PorteurPdfCoverage        coverage);
const char        *porteur_pdf_problem_to_string      (PorteurPdfProblem         problem);

/* Translated sentences for the holder. */
const char        *porteur_pdf_verdict_describe          (PorteurPdfVerdict         verdict);
const char        *porteur_pdf_document_verdict_describe (PorteurPdfVerdict         verdict);
const char        *porteur_pdf_problem_describe          (PorteurPdfProblem         problem);
const char        *porteur_pdf_coverage_describe         (PorteurPdfCoverage        coverage);
const char        *porteur_eidas_level_describe          (PorteurEidasLevel         level);
const char        *porteur_revocation_describe           (PorteurRevocationStatus   status);
char              *porteur_pdf_report_to_text            (PorteurPdfReport         *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPdfReport, porteur_pdf_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPdfSignature, porteur_pdf_signature_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurPdfDss, porteur_pdf_dss_free)

G_END_DECLS
