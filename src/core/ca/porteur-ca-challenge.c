/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "ca/porteur-ca-challenge.h"
#include "ca/porteur-ca-client-private.h"
#include "token/porteur-token-provider.h"

G_DEFINE_QUARK (porteur-ca-test-error-quark, porteur_ca_test_error)

/* The calls ------------------------------------------------------------------ */

void
porteur_ca_client_open_test_challenge_async (PorteurCaClient     *self,
                                             const char          *idempotency_key,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(JsonObject) empty = json_object_new ();

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  porteur_ca_client_start_call (self, FALSE, porteur_ca_client_open_test_challenge_async, "POST", "/test-challenges",
                                empty, idempotency_key, NULL, (PorteurCaParseFunc) porteur_ca_test_challenge_new_from_json,
                                cancellable, callback, user_data);
}

static gpointer
finish (PorteurCaClient *self,
        GAsyncResult    *result,
        gpointer         source_tag,
        GError         **error)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

PorteurCaTestChallenge *
porteur_ca_client_open_test_challenge_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_open_test_challenge_async, error);
}

void
porteur_ca_client_answer_test_challenge_async (PorteurCaClient     *self,
                                               const char          *challenge_id,
                                               GBytes              *certificate_der,
                                               GBytes              *signature,
                                               const char          *algorithm,
                                               const char          *idempotency_key,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *escaped = NULL, *path = NULL;
  char *certificate_b64, *signature_b64;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (challenge_id != NULL && certificate_der != NULL && signature != NULL && algorithm != NULL);
  certificate_b64 = g_base64_encode (g_bytes_get_data (certificate_der, NULL), g_bytes_get_size (certificate_der));
  signature_b64 = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  json_object_set_string_member (body, "certificate", certificate_b64);
  json_object_set_string_member (body, "signature", signature_b64);
  json_object_set_string_member (body, "algorithm", algorithm);
  g_free (certificate_b64);
  g_free (signature_b64);
  escaped = g_uri_escape_string (challenge_id, NULL, FALSE);
  path = g_strconcat ("/test-challenges/", escaped, "/response", NULL);
  porteur_ca_client_start_call (self, FALSE, porteur_ca_client_answer_test_challenge_async, "POST", path, body,
                                idempotency_key, NULL, (PorteurCaParseFunc) porteur_ca_test_verdict_new_from_json,
                                cancellable, callback, user_data);
}

PorteurCaTestVerdict *
porteur_ca_client_answer_test_challenge_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_answer_test_challenge_async, error);
}

/* Signing -------------------------------------------------------------------- */

const char *
porteur_ca_test_algorithm_for_key (EVP_PKEY *key)
{
  g_return_val_if_fail (key != NULL, NULL);
  if (EVP_PKEY_is_a (key, "RSA"))
    return PORTEUR_CA_TEST_RSA_PKCS1_SHA256;
  if (EVP_PKEY_is_a (key, "EC"))
    return PORTEUR_CA_TEST_ECDSA_SHA256;
  return NULL;
}

/* Token keys live in the token provider's library context; others in OpenSSL's default one. */
static OSSL_LIB_CTX *
libctx_of (EVP_PKEY *key)
{
  const OSSL_PROVIDER *provider = EVP_PKEY_get0_provider (key);

  if (provider && g_strcmp0 (OSSL_PROVIDER_get0_name (provider), "porteur-token") == 0)
    return porteur_token_provider_get_libctx ();
  return NULL;
}

GBytes *
porteur_ca_test_sign (EVP_PKEY    *key,
                      const char  *algorithm,
                      GBytes      *data,
                      GError     **error)
{
  EVP_MD_CTX *md;
  EVP_PKEY_CTX *pctx = NULL;
  guchar *signature = NULL;
  size_t length = 0;
  gboolean rsa;
  gboolean ok;

  g_return_val_if_fail (key != NULL && algorithm != NULL && data != NULL, NULL);
  md = EVP_MD_CTX_new ();
  rsa = g_str_has_prefix (algorithm, "rsa-");
  if ((rsa && !EVP_PKEY_is_a (key, "RSA")) || (g_str_equal (algorithm, PORTEUR_CA_TEST_ECDSA_SHA256) && !EVP_PKEY_is_a (key, "EC")) ||
      (!rsa && !g_str_equal (algorithm, PORTEUR_CA_TEST_ECDSA_SHA256)))
    {
      EVP_MD_CTX_free (md);
      g_set_error (error, PORTEUR_CA_TEST_ERROR, PORTEUR_CA_TEST_ERROR_UNSUPPORTED_KEY,
                   "A %s key cannot make a %s signature", EVP_PKEY_get0_type_name (key), algorithm);
      return NULL;
    }
  ok = EVP_DigestSignInit_ex (md, &pctx, "SHA256", libctx_of (key), NULL, key, NULL) == 1 &&
       (!g_str_equal (algorithm, PORTEUR_CA_TEST_RSA_PSS_SHA256) ||
        (EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen (pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
       EVP_DigestSign (md, NULL, &length, g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1;
  if (ok)
    {
      signature = g_malloc (length);
      ok = EVP_DigestSign (md, signature, &length, g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1;
    }
  EVP_MD_CTX_free (md);
  if (!ok)
    {
      unsigned long e = ERR_peek_last_error ();
      char text[256] = "";

      if (e)
        ERR_error_string_n (e, text, sizeof text);
      ERR_clear_error ();
      g_free (signature);
      if (!porteur_token_provider_take_error (error))
        g_set_error (error, PORTEUR_CA_TEST_ERROR, PORTEUR_CA_TEST_ERROR_SIGNING, "The key could not sign%s%s",
                     *text ? ": " : "", text);
      return NULL;
    }
  return g_bytes_new_take (signature, length);
}

/* The whole test ------------------------------------------------------------- */

typedef struct {
  PorteurCaClient           *client;
  GBytes                    *certificate;
  EVP_PKEY                  *key;
  const char                *algorithm;
  PorteurCaTestChallenge    *challenge;
  PorteurCaTestProgressFunc  progress;
  gpointer                   progress_data;
  GDestroyNotify             progress_destroy;
} TestRun;

static void
test_run_free (TestRun *run)
{
  g_clear_object (&run->client);
  g_clear_pointer (&run->certificate, g_bytes_unref);
  EVP_PKEY_free (run->key);
  g_clear_object (&run->challenge);
  if (run->progress_destroy)
    run->progress_destroy (run->progress_data);
  g_free (run);
}

static void
report (TestRun *run, PorteurCaTestStep step)
{
  if (run->progress)
    run->progress (step, run->progress_data);
}

/* The worker's own data: the key and nonce outlive a cancelled run. */
typedef struct {
  EVP_PKEY   *key;
  const char *algorithm;
  GBytes     *nonce;
} SignJob;

static void
sign_job_free (SignJob *job)
{
  EVP_PKEY_free (job->key);
  g_bytes_unref (job->nonce);
  g_free (job);
}

static void
sign_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SignJob *job = task_data;
  GError *error = NULL;
  GBytes *signature;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  signature = porteur_ca_test_sign (job->key, job->algorithm, job->nonce, &error);
  if (signature)
    g_task_return_pointer (task, signature, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

static void
on_verdict (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  PorteurCaTestVerdict *verdict = porteur_ca_client_answer_test_challenge_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (verdict)
    g_task_return_pointer (task, verdict, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
on_signed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TestRun *run = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) signature = g_task_propagate_pointer (G_TASK (result), &error);

  if (signature == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  report (run, PORTEUR_CA_TEST_STEP_VERDICT);
  porteur_ca_client_answer_test_challenge_async (run->client, porteur_ca_test_challenge_get_id (run->challenge),
                                                 run->certificate, signature, run->algorithm, NULL,
                                                 g_task_get_cancellable (task), on_verdict, g_object_ref (task));
}

static void
on_challenge (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TestRun *run = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GTask) sign = NULL;
  SignJob *job;

  run->challenge = porteur_ca_client_open_test_challenge_finish (PORTEUR_CA_CLIENT (source), result, &error);
  if (run->challenge == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  report (run, PORTEUR_CA_TEST_STEP_SIGNING);
  job = g_new0 (SignJob, 1);
  job->key = run->key;
  EVP_PKEY_up_ref (job->key);
  job->algorithm = run->algorithm;
  job->nonce = g_bytes_ref (porteur_ca_test_challenge_get_nonce (run->challenge));
  sign = g_task_new (NULL, g_task_get_cancellable (task), on_signed, g_object_ref (task));
  g_task_set_source_tag (sign, on_challenge);
  g_task_set_task_data (sign, job, (GDestroyNotify) sign_job_free);
  /* A token signature cannot be interrupted: a cancel returns now, the thread ends on its own. */
  g_task_set_return_on_cancel (sign, TRUE);
  g_task_run_in_thread (sign, sign_thread);
}

void
porteur_ca_test_signature_async (PorteurCaClient           *client,
                                 X509                      *certificate,
                                 EVP_PKEY                  *key,
                                 PorteurCaTestProgressFunc  progress,
                                 gpointer                   progress_data,
                                 GDestroyNotify             progress_destroy,
                                 GCancellable              *cancellable,
                                 GAsyncReadyCallback        callback,
                                 gpointer                   user_data)
{
  GTask *task;
  TestRun *run;
  unsigned char *der = NULL;
  int der_len;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (client));
  g_return_if_fail (certificate != NULL && key != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, porteur_ca_test_signature_async);
  run = g_new0 (TestRun, 1);
  run->client = g_object_ref (client);
  run->key = key;
  EVP_PKEY_up_ref (key);
  run->progress = progress;
  run->progress_data = progress_data;
  run->progress_destroy = progress_destroy;
  g_task_set_task_data (task, run, (GDestroyNotify) test_run_free);

  if ((der_len = i2d_X509 (certificate, &der)) <= 0)
    {
      ERR_clear_error ();
      g_task_return_new_error (task, PORTEUR_CA_TEST_ERROR, PORTEUR_CA_TEST_ERROR_SIGNING, "The certificate cannot be encoded");
      g_object_unref (task);
      return;
    }
  run->certificate = g_bytes_new (der, der_len);
  OPENSSL_free (der);
  if ((run->algorithm = porteur_ca_test_algorithm_for_key (key)) == NULL)
    {
      g_task_return_new_error (task, PORTEUR_CA_TEST_ERROR, PORTEUR_CA_TEST_ERROR_UNSUPPORTED_KEY,
                               "Only RSA and EC keys can be tested (this one is %s)", EVP_PKEY_get0_type_name (key));
      g_object_unref (task);
      return;
    }
  report (run, PORTEUR_CA_TEST_STEP_CHALLENGE);
  porteur_ca_client_open_test_challenge_async (client, NULL, cancellable, on_challenge, task);
}

PorteurCaTestVerdict *
porteur_ca_test_signature_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == porteur_ca_test_signature_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Words ---------------------------------------------------------------------- */

const char *
porteur_ca_test_failure_describe (const char *code)
{
  static const struct { const char *code; const char *text; } sentences[] = {
    { "bad-signature", N_("The signature does not match the certificate: it was not made with the certificate’s key") },
    { "wrong-algorithm-for-key", N_("The signature algorithm does not suit the certificate’s key") },
    { "not-this-ca", N_("The certificate was not issued by this certification authority") },
    { "untrusted-chain", N_("The certificate does not lead to the authority’s root certificate") },
    { "unknown-certificate", N_("The certification authority has no record of this certificate") },
    { "revoked", N_("The certificate is revoked") },
    { "expired", N_("The certificate has expired") },
    { "not-yet-valid", N_("The certificate is not valid yet") },
    { "no-qc-statements", N_("The certificate is not qualified: it lacks the qualified-certificate statements (QcCompliance and QcSSCD)") },
  };

  g_return_val_if_fail (code != NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sentences); i++)
    if (g_str_equal (code, sentences[i].code))
      return _(sentences[i].text);
  return NULL;
}

const char *
porteur_ca_certificate_status_describe (PorteurCaCertificateStatus status)
{
  switch (status)
    {
    case PORTEUR_CA_CERTIFICATE_GOOD: return _("valid");
    case PORTEUR_CA_CERTIFICATE_REVOKED: return _("revoked");
    case PORTEUR_CA_CERTIFICATE_UNKNOWN: return _("unknown to the authority");
    case PORTEUR_CA_CERTIFICATE_EXPIRED: return _("expired");
    case PORTEUR_CA_CERTIFICATE_UNTRUSTED: return _("not trusted");
    default: return _("unknown to the authority");
    }
}
