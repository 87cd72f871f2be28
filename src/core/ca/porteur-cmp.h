/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* CMP (RFC 4210/9480) client: OpenSSL 3.0's OSSL_CMP_CTX carried over libsoup
 * (application/pkixcmp, one connection per message).
 *
 * A PorteurCmpRequest describes one transaction (IR, P10CR, KUR or RR) and the
 * credentials that protect it; a PorteurCmpClient knows the server (URL, TLS
 * trust, trust in the CMP server's message protection) and runs requests,
 * either synchronously from a worker thread or with _async/_finish (a GTask
 * worker). While the registration office has not validated the request the
 * server answers "waiting": the client polls with OSSL_CMP_try_certreq,
 * honouring the server's checkAfter, and a cancellation stops the wait at
 * once (the transaction is then aborted towards the server when possible).
 *
 * Secrets (PBM one-time secret) are copied into the request, never logged,
 * and wiped with OPENSSL_cleanse when the request is finalized or once the
 * transaction is over. Keys are EVP_PKEYs: a software key or a token key from
 * our OpenSSL provider. */

#define PORTEUR_CMP_ERROR (porteur_cmp_error_quark ())
GQuark porteur_cmp_error_quark (void);

typedef enum {
  PORTEUR_CMP_ERROR_INVALID_ARGUMENT,  /* request incomplete or inconsistent */
  PORTEUR_CMP_ERROR_TRANSPORT,         /* network, TLS, HTTP status, content type */
  PORTEUR_CMP_ERROR_REJECTED,          /* PKIStatus "rejection": message carries status and failInfo */
  PORTEUR_CMP_ERROR_BAD_SECRET,        /* PBM reference/secret refused by the server, or its MAC does not verify */
  PORTEUR_CMP_ERROR_UNTRUSTED_SERVER,  /* the server's message protection does not verify against our trust */
  PORTEUR_CMP_ERROR_PROTOCOL,          /* malformed or unexpected CMP message */
  PORTEUR_CMP_ERROR_TIMEOUT,           /* still waiting after the maximum polling time */
  PORTEUR_CMP_ERROR_FAILED,            /* anything else reported by OpenSSL */
} PorteurCmpError;

typedef enum {
  PORTEUR_CMP_REQUEST_IR,     /* initialization request: new certificate for a new key */
  PORTEUR_CMP_REQUEST_P10CR,  /* PKCS#10 request carried by CMP */
  PORTEUR_CMP_REQUEST_KUR,    /* key update (renewal) signed with the current certificate and key */
  PORTEUR_CMP_REQUEST_RR,     /* revocation request */
} PorteurCmpRequestType;

/* ---- the request ---- */

#define PORTEUR_TYPE_CMP_REQUEST (porteur_cmp_request_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCmpRequest, porteur_cmp_request, PORTEUR, CMP_REQUEST, GObject)

PorteurCmpRequest     *porteur_cmp_request_new                   (PorteurCmpRequestType  type);
PorteurCmpRequestType  porteur_cmp_request_get_request_type      (PorteurCmpRequest     *self);

/* Protection by password-based MAC: the order's enrollment reference and its
 * one-time secret. @secret is copied (and wiped later); pass its length so a
 * secret read from a file descriptor needs no NUL. */
void                   porteur_cmp_request_set_pbm               (PorteurCmpRequest     *self,
                                                                  const char            *reference,
                                                                  const char            *secret,
                                                                  gsize                  secret_len);
/* Protection by signature with the current certificate and its key (KUR, RR,
 * or IR/P10CR by an already certified entity). */
void                   porteur_cmp_request_set_signer            (PorteurCmpRequest     *self,
                                                                  X509                  *cert,
                                                                  EVP_PKEY              *key);
/* The key to certify (IR, KUR). For KUR the subject defaults to the old certificate's. */
void                   porteur_cmp_request_set_new_key           (PorteurCmpRequest     *self,
                                                                  EVP_PKEY              *key);
/* Subject asked for, e.g. "/C=FR/O=Mairie/CN=Anne Le Gall" (IR). */
gboolean               porteur_cmp_request_set_subject           (PorteurCmpRequest     *self,
                                                                  const char            *subject,
                                                                  GError               **error);
/* P10CR: the signed PKCS#10 request; the request keeps its own copy, made from its bytes (so a
 * CSR whose key lives on the token, which OpenSSL cannot duplicate, is taken too). */
void                   porteur_cmp_request_set_csr               (PorteurCmpRequest     *self,
                                                                  X509_REQ              *csr);
X509_REQ              *porteur_cmp_request_get_csr               (PorteurCmpRequest     *self);   /* borrowed */
/* KUR/RR: the certificate to renew or revoke (defaults to the signer's certificate). */
void                   porteur_cmp_request_set_old_cert          (PorteurCmpRequest     *self,
                                                                  X509                  *cert);
/* RR: CRLReason code (RFC 5280 §5.3.1; 0 unspecified, 1 keyCompromise, …);
 * -1 (the default) sends no reason. */
void                   porteur_cmp_request_set_revocation_reason (PorteurCmpRequest     *self,
                                                                  int                    reason);

/* ---- the result ---- */

#define PORTEUR_TYPE_CMP_RESULT (porteur_cmp_result_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCmpResult, porteur_cmp_result, PORTEUR, CMP_RESULT, GObject)

/* The issued certificate (IR, P10CR, KUR), NULL for RR. Owned by the result. */
X509                  *porteur_cmp_result_get_certificate        (PorteurCmpResult      *self);
/* The CA certificates sent by the server (caPubs), possibly empty. Owned by the result. */
STACK_OF (X509)       *porteur_cmp_result_get_ca_certs           (PorteurCmpResult      *self);
/* The other certificates the server sent (extraCerts: usually the issuing CA's chain),
 * possibly empty. Owned by the result. */
STACK_OF (X509)       *porteur_cmp_result_get_extra_certs        (PorteurCmpResult      *self);
/* PKIStatus as sent by the server (0 accepted, 1 grantedWithMods). */
int                    porteur_cmp_result_get_status             (PorteurCmpResult      *self);
/* Human-readable PKIStatus, e.g. "PKIStatus: accepted" (for logs). */
const char            *porteur_cmp_result_get_status_text        (PorteurCmpResult      *self);
/* How many times the client had to wait for the registration office. */
guint                  porteur_cmp_result_get_n_polls            (PorteurCmpResult      *self);

/* ---- the client ---- */

#define PORTEUR_TYPE_CMP_CLIENT (porteur_cmp_client_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCmpClient, porteur_cmp_client, PORTEUR, CMP_CLIENT, GObject)

/* @url: the CMP endpoint, e.g. "https://ca.example/pkix/". Checked with
 * porteur_ca_config_parse_url(): HTTPS, or plain HTTP to loopback only when
 * @allow_loopback_http. */
PorteurCmpClient      *porteur_cmp_client_new                    (const char            *url,
                                                                  gboolean               allow_loopback_http,
                                                                  GError               **error);
const char            *porteur_cmp_client_get_url                (PorteurCmpClient      *self);
/* TLS trust for an HTTPS endpoint (pinned CA database); NULL = system trust. */
void                   porteur_cmp_client_set_tls_database       (PorteurCmpClient      *self,
                                                                  GTlsDatabase          *database);
/* Trust anchors that must verify the server's signature-protected messages. */
gboolean               porteur_cmp_client_set_trust_file         (PorteurCmpClient      *self,
                                                                  const char            *pem_path,
                                                                  GError               **error);
/* Or: the one certificate the server must sign with (pinned). */
void                   porteur_cmp_client_set_server_cert        (PorteurCmpClient      *self,
                                                                  X509                  *cert);
/* Per-message network timeout in seconds (default 30). */
void                   porteur_cmp_client_set_timeout            (PorteurCmpClient      *self,
                                                                  guint                  seconds);
/* Longest total wait for the registration office, in seconds (default 0 =
 * until cancelled). */
void                   porteur_cmp_client_set_max_poll_time      (PorteurCmpClient      *self,
                                                                  guint                  seconds);

/* Runs @request to completion (polling included). Blocking: call from a
 * worker thread. A cancelled @cancellable gives G_IO_ERROR_CANCELLED. */
PorteurCmpResult      *porteur_cmp_client_execute_sync           (PorteurCmpClient      *self,
                                                                  PorteurCmpRequest     *request,
                                                                  GCancellable          *cancellable,
                                                                  GError               **error);
void                   porteur_cmp_client_execute_async          (PorteurCmpClient      *self,
                                                                  PorteurCmpRequest     *request,
                                                                  GCancellable          *cancellable,
                                                                  GAsyncReadyCallback    callback,
                                                                  gpointer               user_data);
PorteurCmpResult      *porteur_cmp_client_execute_finish         (PorteurCmpClient      *self,
                                                                  GAsyncResult          *result,
                                                                  GError               **error);

/* Signal "waiting" (guint check_after_seconds): the server asked to poll again
 * later. Emitted in the thread-default main context of the caller of _async,
 * or in the calling thread for _sync. */

const char            *porteur_cmp_request_type_to_string        (PorteurCmpRequestType  type);

G_END_DECLS
