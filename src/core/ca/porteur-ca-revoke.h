/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/porteur-ca-client.h"

G_BEGIN_DECLS

/*
 * RA API §3.7 revocation requests and DELETE /orders/{number}/appointment
 * (docs/ca-api.md), on PorteurCaClient.
 *
 * A holder proves a revocation request with the security answers set at
 * delivery, or with a signature by the key of the certificate to revoke
 * over the canonical request (porteur_ca_revocation_canonical_request ())
 * and a nonce of the CA; a legal representative names the order and the
 * e-mail of its dossier, then confirms with the code the CA mails.
 */

typedef enum {
  PORTEUR_CA_PROOF_ANSWERS,               /* holder: the security answers */
  PORTEUR_CA_PROOF_SIGNATURE,             /* holder: CMS detached signature over the canonical request */
  PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE,  /* the legal representative: order + e-mail, confirmed by mail */
} PorteurCaProofType;

typedef struct {
  PorteurCaProofType             type;
  /* PORTEUR_CA_PROOF_ANSWERS (every copy the client makes of them — the JSON
   * body's strings and its text — is wiped; see docs/DESIGN.md ## ca for
   * the copy GIO keeps) */
  const PorteurCaSecurityAnswer *answers;
  guint                          n_answers;
  /* PORTEUR_CA_PROOF_SIGNATURE */
  const char                    *nonce;
  GBytes                        *signature;   /* DER CMS, see porteur_ca_revocation_sign () */
  /* PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE */
  const char                    *order;
  const char                    *email;
} PorteurCaRevocationProof;

/* The bytes a signature proof signs (docs/ca-api.md §3.7), ASCII:
 *   porteur-revocation-request/1\n serial=HEX\n reason=R\n requester=holder\n nonce=N\n
 * HEX in uppercase without leading zeros. NULL when an argument cannot be
 * carried (not hex, a line break, an unknown reason). */
GBytes *porteur_ca_revocation_canonical_request (const char *serial_hex,
                                                 const char *reason,
                                                 const char *requester,
                                                 const char *nonce);

/* A CMS detached SignedData (DER) over @data by @key, @cert included, made
 * with CMS_sign_ex in @libctx/@propq (NULL for OpenSSL's defaults; give
 * porteur_token_provider_get_libctx () for a token key; when the token
 * refuses, porteur_token_provider_take_error () tells why). Fails with
 * PORTEUR_CA_ERROR_SIGNATURE, also when @key is not @cert's. May block on a
 * token: call it from a worker thread in a UI. */
GBytes *porteur_ca_revocation_sign (GBytes        *data,
                                    EVP_PKEY      *key,
                                    X509          *cert,
                                    OSSL_LIB_CTX  *libctx,
                                    const char    *propq,
                                    GError       **error);

/* POST /revocation-requests/nonce {} → a nonce for one signature proof. */
void                      porteur_ca_client_get_revocation_nonce_async  (PorteurCaClient     *self,
                                                                         const char          *idempotency_key,
                                                                         GCancellable        *cancellable,
                                                                         GAsyncReadyCallback  callback,
                                                                         gpointer             user_data);
PorteurCaRevocationNonce *porteur_ca_client_get_revocation_nonce_finish (PorteurCaClient     *self,
                                                                         GAsyncResult        *result,
                                                                         GError             **error);

/* POST /revocation-requests {serial, reason, requester, proof} → the request
 * (with its token: an answer without it is PORTEUR_CA_ERROR_INVALID_RESPONSE,
 * although the CA may have acted; the same key gets its stored answer). Wrong proof: PORTEUR_CA_ERROR_FORBIDDEN (also for an
 * unknown serial); 5 wrong answers for a certificate: RATE_LIMITED; already
 * revoked: CONFLICT. Calling again with the same key returns the same request. */
void                        porteur_ca_client_request_revocation_async  (PorteurCaClient                *self,
                                                                         const char                     *serial_hex,
                                                                         const char                     *reason,
                                                                         const PorteurCaRevocationProof *proof,
                                                                         const char                     *idempotency_key,
                                                                         GCancellable                   *cancellable,
                                                                         GAsyncReadyCallback             callback,
                                                                         gpointer                        user_data);
PorteurCaRevocationRequest *porteur_ca_client_request_revocation_finish (PorteurCaClient                *self,
                                                                         GAsyncResult                   *result,
                                                                         GError                        **error);

/* GET /revocation-requests/{id} with the request's token (NOT_FOUND for an
 * unknown id or a wrong token). */
void                        porteur_ca_client_get_revocation_async  (PorteurCaClient     *self,
                                                                     const char          *id,
                                                                     const char          *token,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
PorteurCaRevocationRequest *porteur_ca_client_get_revocation_finish (PorteurCaClient     *self,
                                                                     GAsyncResult        *result,
                                                                     GError             **error);

/* POST /revocation-requests/{id}/confirm {code}: the legal representative's
 * confirmation (code from the mailed link) → the request, accepted. Wrong
 * code: FORBIDDEN; confirmed already, rejected or expired: GONE. */
void                        porteur_ca_client_confirm_revocation_async  (PorteurCaClient     *self,
                                                                         const char          *id,
                                                                         const char          *code,
                                                                         const char          *idempotency_key,
                                                                         GCancellable        *cancellable,
                                                                         GAsyncReadyCallback  callback,
                                                                         gpointer             user_data);
PorteurCaRevocationRequest *porteur_ca_client_confirm_revocation_finish (PorteurCaClient     *self,
                                                                         GAsyncResult        *result,
                                                                         GError             **error);

/* DELETE /orders/{number}/appointment → the order, back in validated (its
 * slot free again). CONFLICT when no appointment is booked or the delivery
 * took place. */
void            porteur_ca_client_cancel_appointment_async  (PorteurCaClient     *self,
                                                             const char          *number,
                                                             const char          *access_token,
                                                             const char          *idempotency_key,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
PorteurCaOrder *porteur_ca_client_cancel_appointment_finish (PorteurCaClient     *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

G_END_DECLS
