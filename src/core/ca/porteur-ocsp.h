/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* OCSP client (RFC 6960): the request (SHA-1 CertID + nonce) is built with
 * OpenSSL and POSTed with libsoup (application/ocsp-request) to the URL given
 * or the certificate's AIA responder. The answer is accepted only when
 *  - it is a successful basic response carrying our nonce (a response
 *    without a nonce is accepted only when the client allows it),
 *  - its signature verifies (OCSP_basic_verify) with our trust anchors, by
 *    the issuer itself or by a responder certificate issued by the issuer
 *    with the OCSPSigning extended key usage,
 *  - it speaks of our certificate and is current (OCSP_check_validity, 5
 *    minutes of clock skew, nextUpdate honoured).
 * Good/revoked/unknown is a result, not an error. An OCSP "good" says
 * nothing of the certificate's own validity: the result also reports the
 * certificate's notBefore/notAfter, checked by us against the clock.
 *
 * OCSP responses are signed objects, so plain HTTP (the norm for OCSP) is
 * allowed; HTTPS is verified with the client's TLS database. */

#define PORTEUR_OCSP_ERROR (porteur_ocsp_error_quark ())
GQuark porteur_ocsp_error_quark (void);

typedef enum {
  PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,   /* no certificate, no issuer, or issuer did not issue it */
  PORTEUR_OCSP_ERROR_NO_RESPONDER,       /* no URL given and no AIA OCSP URL in the certificate */
  PORTEUR_OCSP_ERROR_TRANSPORT,          /* network, TLS, HTTP status, content type */
  PORTEUR_OCSP_ERROR_MALFORMED,          /* not a DER OCSPResponse, or not a basic response */
  PORTEUR_OCSP_ERROR_RESPONDER_ERROR,    /* responseStatus other than successful (tryLater, unauthorized…) */
  PORTEUR_OCSP_ERROR_BAD_NONCE,          /* nonce missing or different from ours */
  PORTEUR_OCSP_ERROR_BAD_SIGNATURE,      /* signature does not verify / signer not trusted */
  PORTEUR_OCSP_ERROR_UNAUTHORIZED,       /* signer neither the issuer nor an OCSPSigning delegate of it */
  PORTEUR_OCSP_ERROR_NOT_FOUND,          /* the response does not speak of our certificate */
  PORTEUR_OCSP_ERROR_STALE,              /* thisUpdate in the future or nextUpdate past */
} PorteurOcspError;

typedef enum {
  PORTEUR_CERT_STATUS_GOOD,
  PORTEUR_CERT_STATUS_REVOKED,
  PORTEUR_CERT_STATUS_UNKNOWN,           /* the responder does not know the certificate */
} PorteurCertStatus;

/* ---- the result ---- */

#define PORTEUR_TYPE_OCSP_RESULT (porteur_ocsp_result_get_type ())
G_DECLARE_FINAL_TYPE (PorteurOcspResult, porteur_ocsp_result, PORTEUR, OCSP_RESULT, GObject)

PorteurCertStatus  porteur_ocsp_result_get_status            (PorteurOcspResult *self);
/* CRLReason code (RFC 5280) when revoked with a reason, else -1. */
int                porteur_ocsp_result_get_revocation_reason (PorteurOcspResult *self);
GDateTime         *porteur_ocsp_result_get_revocation_time   (PorteurOcspResult *self);
GDateTime         *porteur_ocsp_result_get_this_update       (PorteurOcspResult *self);
/* NULL when the responder gave no nextUpdate. */
GDateTime         *porteur_ocsp_result_get_next_update       (PorteurOcspResult *self);
GDateTime         *porteur_ocsp_result_get_produced_at       (PorteurOcspResult *self);
/* The responder certificate's subject, one line (RFC 2253). */
const char        *porteur_ocsp_result_get_responder         (PorteurOcspResult *self);
/* The URL asked, NULL for a response given as bytes. */
const char        *porteur_ocsp_result_get_url               (PorteurOcspResult *self);
/* The certificate's own validity, and whether "now" lies inside it. */
GDateTime         *porteur_ocsp_result_get_cert_not_before   (PorteurOcspResult *self);
GDateTime         *porteur_ocsp_result_get_cert_not_after    (PorteurOcspResult *self);
gboolean           porteur_ocsp_result_get_cert_time_valid   (PorteurOcspResult *self);

const char        *porteur_cert_status_to_string             (PorteurCertStatus  status);
/* "keyCompromise", … ; "unspecified" for unknown codes, NULL for -1. */
const char        *porteur_crl_reason_to_string              (int                reason);

/* ---- the client ---- */

#define PORTEUR_TYPE_OCSP_CLIENT (porteur_ocsp_client_get_type ())
G_DECLARE_FINAL_TYPE (PorteurOcspClient, porteur_ocsp_client, PORTEUR, OCSP_CLIENT, GObject)

PorteurOcspClient *porteur_ocsp_client_new                   (void);
/* Trust anchors for the responses' signatures (PEM file, may hold several). */
gboolean           porteur_ocsp_client_add_trust_file        (PorteurOcspClient *self,
                                                              const char        *pem_path,
                                                              GError           **error);
void               porteur_ocsp_client_add_trust_cert        (PorteurOcspClient *self,
                                                              X509              *cert);
/* TLS trust for HTTPS responders; NULL = system trust. */
void               porteur_ocsp_client_set_tls_database      (PorteurOcspClient *self,
                                                              GTlsDatabase      *database);
/* Network timeout in seconds (default 15). */
void               porteur_ocsp_client_set_timeout           (PorteurOcspClient *self,
                                                              guint              seconds);
/* Accept responses without a nonce (some CDN-cached responders); default FALSE. */
void               porteur_ocsp_client_set_allow_no_nonce    (PorteurOcspClient *self,
                                                              gboolean           allow);

/* Asks the responder at @url (NULL: the certificate's AIA) about @cert,
 * issued by @issuer. Blocking: call from a worker thread. */
PorteurOcspResult *porteur_ocsp_client_check_sync            (PorteurOcspClient *self,
                                                              X509              *cert,
                                                              X509              *issuer,
                                                              const char        *url,
                                                              GCancellable      *cancellable,
                                                              GError           **error);
void               porteur_ocsp_client_check_async           (PorteurOcspClient *self,
                                                              X509              *cert,
                                                              X509              *issuer,
                                                              const char        *url,
                                                              GCancellable      *cancellable,
                                                              GAsyncReadyCallback callback,
                                                              gpointer           user_data);
PorteurOcspResult *porteur_ocsp_client_check_finish          (PorteurOcspClient *self,
                                                              GAsyncResult      *result,
                                                              GError           **error);

/* Checks a DER OCSPResponse obtained elsewhere (stapled, embedded in a PDF,
 * or fuzzed) with every rule above except the nonce, which is checked only
 * when @request is given. No I/O. */
PorteurOcspResult *porteur_ocsp_client_read_response         (PorteurOcspClient *self,
                                                              X509              *cert,
                                                              X509              *issuer,
                                                              GBytes            *response,
                                                              OCSP_REQUEST      *request,
                                                              GError           **error);

/* The certificate's first AIA OCSP URL, or NULL. */
char              *porteur_ocsp_get_responder_url            (X509              *cert);

G_END_DECLS
