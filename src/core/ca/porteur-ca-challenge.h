/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/porteur-ca-client.h"
#include "ca/porteur-ca-model.h"

G_BEGIN_DECLS

/*
 * §3.8 test challenges (docs/ca-api.md): the CA's "test your certificate"
 * page. The holder signs the CA's nonce with the certificate's key and the CA
 * says whether the signature and the certificate are good.
 *
 * What is signed: the nonce's bytes (32 from the CA), hashed with SHA-256 by
 * the signer — an ordinary signature over the nonce.
 */

#define PORTEUR_CA_TEST_RSA_PKCS1_SHA256 "rsa-pkcs1-sha256"
#define PORTEUR_CA_TEST_RSA_PSS_SHA256   "rsa-pss-sha256"
#define PORTEUR_CA_TEST_ECDSA_SHA256     "ecdsa-sha256"

#define PORTEUR_CA_TEST_ERROR (porteur_ca_test_error_quark ())
GQuark porteur_ca_test_error_quark (void);

/* Errors of the signing step (the CA's errors are PORTEUR_CA_ERROR, a token's
 * PORTEUR_TOKEN_ERROR: a refused PIN stays a token error). */
typedef enum {
  PORTEUR_CA_TEST_ERROR_UNSUPPORTED_KEY,  /* neither RSA nor EC */
  PORTEUR_CA_TEST_ERROR_SIGNING,          /* the key could not sign */
} PorteurCaTestError;

/* POST /test-challenges {} → the nonce to sign. */
void                    porteur_ca_client_open_test_challenge_async    (PorteurCaClient      *self,
                                                                        const char           *idempotency_key,
                                                                        GCancellable         *cancellable,
                                                                        GAsyncReadyCallback   callback,
                                                                        gpointer              user_data);
PorteurCaTestChallenge *porteur_ca_client_open_test_challenge_finish   (PorteurCaClient      *self,
                                                                        GAsyncResult         *result,
                                                                        GError              **error);

/* POST /test-challenges/{id}/response {certificate, signature, algorithm} →
 * the verdict, once: a second answer gives PORTEUR_CA_ERROR_GONE (also once
 * expired), malformed input PORTEUR_CA_ERROR_VALIDATION with field codes. */
void                    porteur_ca_client_answer_test_challenge_async  (PorteurCaClient      *self,
                                                                        const char           *challenge_id,
                                                                        GBytes               *certificate_der,
                                                                        GBytes               *signature,
                                                                        const char           *algorithm,
                                                                        const char           *idempotency_key,
                                                                        GCancellable         *cancellable,
                                                                        GAsyncReadyCallback   callback,
                                                                        gpointer              user_data);
PorteurCaTestVerdict   *porteur_ca_client_answer_test_challenge_finish (PorteurCaClient      *self,
                                                                        GAsyncResult         *result,
                                                                        GError              **error);

/* The algorithm name for @key's type (RSA → rsa-pkcs1-sha256, EC →
 * ecdsa-sha256), or NULL for other keys. */
const char *porteur_ca_test_algorithm_for_key (EVP_PKEY *key);

/* Signs @data with @key (SHA-256; @algorithm as above), blocking: for worker
 * threads. Token keys (porteur_token_get_evp_pkey) sign in the token
 * provider's library context, and their errors (PIN refused…) come back as
 * PORTEUR_TOKEN_ERROR. */
GBytes *porteur_ca_test_sign (EVP_PKEY     *key,
                              const char   *algorithm,
                              GBytes       *data,
                              GError      **error);

/* The steps of porteur_ca_test_signature_async, reported in the caller's main context. */
typedef enum {
  PORTEUR_CA_TEST_STEP_CHALLENGE,  /* asking the CA for a nonce */
  PORTEUR_CA_TEST_STEP_SIGNING,    /* signing it (a token may take seconds, or wait for a pinpad) */
  PORTEUR_CA_TEST_STEP_VERDICT,    /* sending the signature, waiting for the verdict */
} PorteurCaTestStep;

typedef void (*PorteurCaTestProgressFunc) (PorteurCaTestStep step,
                                           gpointer          user_data);

/* The whole test: gets a challenge, signs its nonce with @key in a worker
 * thread (never the main thread: a token signature takes seconds), sends it
 * with @certificate and returns the CA's verdict. Cancelling returns at once
 * with G_IO_ERROR_CANCELLED (a signature under way finishes in its thread
 * and is dropped). @progress may be NULL. */
void                  porteur_ca_test_signature_async  (PorteurCaClient           *client,
                                                        X509                      *certificate,
                                                        EVP_PKEY                  *key,
                                                        PorteurCaTestProgressFunc  progress,
                                                        gpointer                   progress_data,
                                                        GDestroyNotify             progress_destroy,
                                                        GCancellable              *cancellable,
                                                        GAsyncReadyCallback        callback,
                                                        gpointer                   user_data);
PorteurCaTestVerdict *porteur_ca_test_signature_finish (GAsyncResult              *result,
                                                        GError                   **error);

/* A translated sentence for a failure code of a verdict, or NULL for a code
 * this version does not know (show the code itself then). */
const char *porteur_ca_test_failure_describe   (const char                 *code);
/* A translated word for a certificate status ("good", "revoked"…). */
const char *porteur_ca_certificate_status_describe (PorteurCaCertificateStatus status);

G_END_DECLS
