/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/x509.h>

#include "porteur-ocsp.h"

G_BEGIN_DECLS

/* CRL client (RFC 5280): a CRL is taken from a file, a URL, or the
 * certificate's CRL distribution points (HTTP or HTTPS, with libsoup), parsed
 * from DER or PEM, and accepted only when it was issued and signed by the
 * certificate's issuer and is current (thisUpdate not in the future,
 * nextUpdate not past, both checked by us against the clock). The
 * certificate is then looked up (serial number): good or revoked, with
 * reason and date. The result also reports the certificate's own validity.
 *
 * CRLs are signed objects, so plain HTTP (the norm for distribution points)
 * is allowed; HTTPS is verified with the client's TLS database. */

#define PORTEUR_CRL_ERROR (porteur_crl_error_quark ())
GQuark porteur_crl_error_quark (void);

typedef enum {
  PORTEUR_CRL_ERROR_INVALID_ARGUMENT,   /* no certificate or issuer */
  PORTEUR_CRL_ERROR_NO_DISTRIBUTION_POINT, /* no source given and none usable in the certificate */
  PORTEUR_CRL_ERROR_TRANSPORT,          /* network, TLS, HTTP status, unreadable file */
  PORTEUR_CRL_ERROR_MALFORMED,          /* neither DER nor PEM CRL */
  PORTEUR_CRL_ERROR_WRONG_ISSUER,       /* the CRL's issuer is not the certificate's issuer */
  PORTEUR_CRL_ERROR_BAD_SIGNATURE,      /* not signed by the issuer's key */
  PORTEUR_CRL_ERROR_STALE,              /* nextUpdate past, or thisUpdate in the future */
} PorteurCrlError;

/* ---- the result ---- */

#define PORTEUR_TYPE_CRL_RESULT (porteur_crl_result_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCrlResult, porteur_crl_result, PORTEUR, CRL_RESULT, GObject)

/* GOOD or REVOKED (a CRL never says "unknown"). */
PorteurCertStatus  porteur_crl_result_get_status            (PorteurCrlResult  *self);
int                porteur_crl_result_get_revocation_reason (PorteurCrlResult  *self);
GDateTime         *porteur_crl_result_get_revocation_time   (PorteurCrlResult  *self);
GDateTime         *porteur_crl_result_get_this_update       (PorteurCrlResult  *self);
GDateTime         *porteur_crl_result_get_next_update       (PorteurCrlResult  *self);
/* Where the CRL came from (URL or file path). */
const char        *porteur_crl_result_get_source            (PorteurCrlResult  *self);
/* Number of entries in the CRL. */
guint              porteur_crl_result_get_n_entries         (PorteurCrlResult  *self);
GDateTime         *porteur_crl_result_get_cert_not_before   (PorteurCrlResult  *self);
GDateTime         *porteur_crl_result_get_cert_not_after    (PorteurCrlResult  *self);
gboolean           porteur_crl_result_get_cert_time_valid   (PorteurCrlResult  *self);

/* ---- the client ---- */

#define PORTEUR_TYPE_CRL_CLIENT (porteur_crl_client_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCrlClient, porteur_crl_client, PORTEUR, CRL_CLIENT, GObject)

PorteurCrlClient  *porteur_crl_client_new                   (void);
void               porteur_crl_client_set_tls_database      (PorteurCrlClient  *self,
                                                             GTlsDatabase      *database);
/* Network timeout in seconds (default 15). */
void               porteur_crl_client_set_timeout           (PorteurCrlClient  *self,
                                                             guint              seconds);

/* Checks @cert (issued by @issuer) against the CRL at @source: an http(s)
 * URL, a file path, or NULL for the certificate's distribution points (each
 * tried in turn until one gives a valid CRL). Blocking: worker thread. */
PorteurCrlResult  *porteur_crl_client_check_sync            (PorteurCrlClient  *self,
                                                             X509              *cert,
                                                             X509              *issuer,
                                                             const char        *source,
                                                             GCancellable      *cancellable,
                                                             GError           **error);
void               porteur_crl_client_check_async           (PorteurCrlClient  *self,
                                                             X509              *cert,
                                                             X509              *issuer,
                                                             const char        *source,
                                                             GCancellable      *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer           user_data);
PorteurCrlResult  *porteur_crl_client_check_finish          (PorteurCrlClient  *self,
                                                             GAsyncResult      *result,
                                                             GError           **error);

/* Checks @cert against a CRL already in hand (DER or PEM bytes, or a parsed
 * X509_CRL via porteur_crl_check_crl). No I/O; used for embedded CRLs and fuzzing. */
PorteurCrlResult  *porteur_crl_check_data                   (GBytes            *data,
                                                             X509              *cert,
                                                             X509              *issuer,
                                                             const char        *source,
                                                             GError           **error);
PorteurCrlResult  *porteur_crl_check_crl                    (X509_CRL          *crl,
                                                             X509              *cert,
                                                             X509              *issuer,
                                                             const char        *source,
                                                             GError           **error);

/* The certificate's http(s) distribution point URLs (NULL-terminated, maybe empty). */
char             **porteur_crl_get_distribution_points      (X509              *cert);

G_END_DECLS
