/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-ocsp.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert/porteur-cert.h"
#include "porteur-pki-http.h"

#define OCSP_MAX_RESPONSE (1024 * 1024)
#define OCSP_CLOCK_SKEW 300

G_DEFINE_QUARK (porteur-ocsp-error-quark, porteur_ocsp_error)

/* ---- names ---- */

const char *
porteur_cert_status_to_string (PorteurCertStatus status)
{
  switch (status)
    {
    case PORTEUR_CERT_STATUS_GOOD:
      return "good";
    case PORTEUR_CERT_STATUS_REVOKED:
      return "revoked";
    case PORTEUR_CERT_STATUS_UNKNOWN:
    default:
      return "unknown";
    }
}

const char *
porteur_crl_reason_to_string (int reason)
{
  static const char *const names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
    "aACompromise",
  };

  if (reason < 0)
    return NULL;
  if (reason < (int) G_N_ELEMENTS (names) && names[reason])
    return names[reason];
  return "unspecified";
}

/* ---- PorteurOcspResult ---- */

struct _PorteurOcspResult
{
  GObject            parent_instance;
  PorteurCertStatus  status;
  int                reason;
  GDateTime         *revocation_time;
  GDateTime         *this_update;
  GDateTime         *next_update;
  GDateTime         *produced_at;
  char              *responder;
  char              *url;
  GDateTime         *cert_not_before;
  GDateTime         *cert_not_after;
  gboolean           cert_time_valid;
};

G_DEFINE_FINAL_TYPE (PorteurOcspResult, porteur_ocsp_result, G_TYPE_OBJECT)

static void
porteur_ocsp_result_finalize (GObject *object)
{
  PorteurOcspResult *self = PORTEUR_OCSP_RESULT (object);

  g_clear_pointer (&self->revocation_time, g_date_time_unref);
  g_clear_pointer (&self->this_update, g_date_time_unref);
  g_clear_pointer (&self->next_update, g_date_time_unref);
  g_clear_pointer (&self->produced_at, g_date_time_unref);
  g_clear_pointer (&self->cert_not_before, g_date_time_unref);
  g_clear_pointer (&self->cert_not_after, g_date_time_unref);
  g_free (self->responder);
  g_free (self->url);

  G_OBJECT_CLASS (porteur_ocsp_result_parent_class)->finalize (object);
}

static void
porteur_ocsp_result_class_init (PorteurOcspResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ocsp_result_finalize;
}

static void
porteur_ocsp_result_init (PorteurOcspResult *self)
{
  self->reason = -1;
}

PorteurCertStatus
porteur_ocsp_result_get_status (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), PORTEUR_CERT_STATUS_UNKNOWN);
  return self->status;
}

int
porteur_ocsp_result_get_revocation_reason (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), -1);
  return self->reason;
}

GDateTime *
porteur_ocsp_result_get_revocation_time (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->revocation_time;
}

GDateTime *
porteur_ocsp_result_get_this_update (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->this_update;
}

GDateTime *
porteur_ocsp_result_get_next_update (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->next_update;
}

GDateTime *
porteur_ocsp_result_get_produced_at (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->produced_at;
}

const char *
porteur_ocsp_result_get_responder (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->responder;
}

const char *
porteur_ocsp_result_get_url (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->url;
}

GDateTime *
porteur_ocsp_result_get_cert_not_before (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->cert_not_before;
}

GDateTime *
porteur_ocsp_result_get_cert_not_after (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), NULL);
  return self->cert_not_after;
}

gboolean
porteur_ocsp_result_get_cert_time_valid (PorteurOcspResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_RESULT (self), FALSE);
  return self->cert_time_valid;
}

/* ---- PorteurOcspClient ---- */

struct _PorteurOcspClient
{
  GObject          parent_instance;
  GMutex           mutex;          /* guards anchors: checks run in worker threads */
  STACK_OF (X509) *anchors;
  GTlsDatabase    *tls_database;
  guint            timeout;
  gboolean         allow_no_nonce;
};

G_DEFINE_FINAL_TYPE (PorteurOcspClient, porteur_ocsp_client, G_TYPE_OBJECT)

static void
porteur_ocsp_client_dispose (GObject *object)
{
  PorteurOcspClient *self = PORTEUR_OCSP_CLIENT (object);

  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (porteur_ocsp_client_parent_class)->dispose (object);
}

static void
porteur_ocsp_client_finalize (GObject *object)
{
  PorteurOcspClient *self = PORTEUR_OCSP_CLIENT (object);

  sk_X509_pop_free (self->anchors, X509_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (porteur_ocsp_client_parent_class)->finalize (object);
}

static void
porteur_ocsp_client_class_init (PorteurOcspClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = porteur_ocsp_client_dispose;
  object_class->finalize = porteur_ocsp_client_finalize;
}

static void
porteur_ocsp_client_init (PorteurOcspClient *self)
{
  g_mutex_init (&self->mutex);
  self->anchors = sk_X509_new_null ();
  self->timeout = 15;
}

PorteurOcspClient *
porteur_ocsp_client_new (void)
{
  return g_object_new (PORTEUR_TYPE_OCSP_CLIENT, NULL);
}

void
porteur_ocsp_client_add_trust_cert (PorteurOcspClient *self,
                                    X509              *cert)
{
  g_return_if_fail (PORTEUR_IS_OCSP_CLIENT (self));
  g_return_if_fail (cert != NULL);

  X509_up_ref (cert);
  g_mutex_lock (&self->mutex);
  sk_X509_push (self->anchors, cert);
  g_mutex_unlock (&self->mutex);
}

gboolean
porteur_ocsp_client_add_trust_file (PorteurOcspClient  *self,
                                    const char         *pem_path,
                                    GError            **error)
{
  STACK_OF (X509_INFO) *infos;
  BIO *bio;
  guint n = 0;

  g_return_val_if_fail (PORTEUR_IS_OCSP_CLIENT (self), FALSE);

  bio = BIO_new_file (pem_path, "r");
  infos = bio ? PEM_X509_INFO_read_bio (bio, NULL, NULL, NULL) : NULL;
  BIO_free (bio);
  for (int i = 0; infos && i < sk_X509_INFO_num (infos); i++)
    {
      X509_INFO *info = sk_X509_INFO_value (infos, i);

      if (info->x509)
        {
          porteur_ocsp_client_add_trust_cert (self, info->x509);
          n++;
        }
    }
  sk_X509_INFO_pop_free (infos, X509_INFO_free);
  ERR_clear_error ();
  if (n == 0)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,
                   "%s holds no PEM certificate", pem_path);
      return FALSE;
    }
  return TRUE;
}

void
porteur_ocsp_client_set_tls_database (PorteurOcspClient *self,
                                      GTlsDatabase      *database)
{
  g_return_if_fail (PORTEUR_IS_OCSP_CLIENT (self));
  g_set_object (&self->tls_database, database);
}

void
porteur_ocsp_client_set_timeout (PorteurOcspClient *self,
                                 guint              seconds)
{
  g_return_if_fail (PORTEUR_IS_OCSP_CLIENT (self));
  self->timeout = seconds ? seconds : 15;
}

void
porteur_ocsp_client_set_allow_no_nonce (PorteurOcspClient *self,
                                        gboolean           allow)
{
  g_return_if_fail (PORTEUR_IS_OCSP_CLIENT (self));
  self->allow_no_nonce = !!allow;
}

char *
porteur_ocsp_get_responder_url (X509 *cert)
{
  STACK_OF (OPENSSL_STRING) *urls = X509_get1_ocsp (cert);
  char *url = NULL;

  for (int i = 0; urls && i < sk_OPENSSL_STRING_num (urls) && url == NULL; i++)
    {
      const char *candidate = sk_OPENSSL_STRING_value (urls, i);

      if (g_str_has_prefix (candidate, "http://") || g_str_has_prefix (candidate, "https://"))
        url = g_strdup (candidate);
    }
  X509_email_free (urls);
  return url;
}

static X509_STORE *
make_store (PorteurOcspClient *self)
{
  X509_STORE *store = X509_STORE_new ();

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_num (self->anchors); i++)
    X509_STORE_add_cert (store, sk_X509_value (self->anchors, i));
  g_mutex_unlock (&self->mutex);
  return store;
}

static char *
openssl_reason (void)
{
  unsigned long code = ERR_peek_last_error ();
  const char *reason = code ? ERR_reason_error_string (code) : NULL;

  return g_strdup (reason ? reason : "unknown reason");
}

/* The checks shared by the network and the in-hand paths. @id is the CertID we asked about. */
static PorteurOcspResult *
read_response (PorteurOcspClient  *self,
               X509               *cert,
               X509               *issuer,
               GBytes             *der,
               OCSP_REQUEST       *request,
               GError            **error)
{
  g_autoptr(PorteurOcspResult) result = NULL;
  OCSP_RESPONSE *response = NULL;
  OCSP_BASICRESP *basic = NULL;
  OCSP_CERTID *id = NULL;
  X509_STORE *store = NULL;
  STACK_OF (X509) *extra = NULL;
  X509 *signer = NULL;
  ASN1_GENERALIZEDTIME *revoked_at = NULL, *this_update = NULL, *next_update = NULL;
  const unsigned char *p;
  gsize length = 0;
  int status, reason = -1, response_status, verified;

  ERR_clear_error ();
  p = g_bytes_get_data (der, &length);
  if (length == 0 || length > G_MAXLONG ||
      !(response = d2i_OCSP_RESPONSE (NULL, &p, (long) length)) ||
      p != (const unsigned char *) g_bytes_get_data (der, NULL) + length)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_MALFORMED, "the answer is not an OCSP response");
      goto out;
    }
  response_status = OCSP_response_status (response);
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_RESPONDER_ERROR,
                   "the OCSP responder answered “%s”", OCSP_response_status_str (response_status));
      goto out;
    }
  basic = OCSP_response_get1_basic (response);
  if (basic == NULL)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_MALFORMED,
                   "the OCSP response is not a basic response");
      goto out;
    }

  if (request)
    {
      int nonce = OCSP_check_nonce (request, basic);

      if (nonce == 0 || nonce == 3 || (nonce == -1 && !self->allow_no_nonce))
        {
          g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_NONCE,
                       nonce == 0 ? "the OCSP response carries another nonce than ours (replayed?)"
                                  : "the OCSP response does not carry our nonce");
          goto out;
        }
    }

  /* Signature, signer chain to our anchors, and the signer's authority:
   * the issuer itself, or a certificate of the issuer with OCSPSigning. */
  store = make_store (self);
  extra = sk_X509_new_null ();
  sk_X509_push (extra, issuer);
  ERR_clear_error ();
  verified = OCSP_basic_verify (basic, extra, store, 0);
  if (verified != 1)
    {
      g_autofree char *why = openssl_reason ();
      gboolean no_usage = FALSE, untrusted_root = FALSE;
      unsigned long code;

      while ((code = ERR_get_error ()) != 0)
        if (ERR_GET_LIB (code) == ERR_LIB_OCSP)
          {
            no_usage |= ERR_GET_REASON (code) == OCSP_R_MISSING_OCSPSIGNING_USAGE;
            untrusted_root |= ERR_GET_REASON (code) == OCSP_R_ROOT_CA_NOT_TRUSTED;
          }
      if (no_usage || untrusted_root)
        g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_UNAUTHORIZED,
                     "the OCSP response is signed by a certificate that is neither the issuer "
                     "nor one of its OCSP responders (%s)", no_usage ? "missing OCSPSigning usage" : why);
      else
        g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_BAD_SIGNATURE,
                     "the OCSP response's signature does not verify (%s)", why);
      goto out;
    }

  id = OCSP_cert_to_id (NULL, cert, issuer);
  if (id == NULL || !OCSP_resp_find_status (basic, id, &status, &reason, &revoked_at, &this_update, &next_update))
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NOT_FOUND,
                   "the OCSP response does not speak of this certificate");
      goto out;
    }
  if (this_update == NULL || !OCSP_check_validity (this_update, next_update, OCSP_CLOCK_SKEW, -1))
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_STALE,
                   "the OCSP response is not current (thisUpdate in the future or nextUpdate past)");
      goto out;
    }

  result = g_object_new (PORTEUR_TYPE_OCSP_RESULT, NULL);
  switch (status)
    {
    case V_OCSP_CERTSTATUS_GOOD:
      result->status = PORTEUR_CERT_STATUS_GOOD;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      result->status = PORTEUR_CERT_STATUS_REVOKED;
      result->reason = reason >= 0 ? reason : -1;
      result->revocation_time = revoked_at ? porteur_asn1_time_to_datetime (revoked_at) : NULL;
      break;
    default:
      result->status = PORTEUR_CERT_STATUS_UNKNOWN;
    }
  result->this_update = porteur_asn1_time_to_datetime (this_update);
  result->next_update = next_update ? porteur_asn1_time_to_datetime (next_update) : NULL;
  result->produced_at = porteur_asn1_time_to_datetime (OCSP_resp_get0_produced_at (basic));
  if (OCSP_resp_get0_signer (basic, &signer, extra) == 1 && signer)
    {
      BIO *bio = BIO_new (BIO_s_mem ());
      char *text = NULL;
      long n;

      X509_NAME_print_ex (bio, X509_get_subject_name (signer), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
      n = BIO_get_mem_data (bio, &text);
      result->responder = g_strndup (text, n);
      BIO_free (bio);
    }
  result->cert_not_before = porteur_asn1_time_to_datetime (X509_get0_notBefore (cert));
  result->cert_not_after = porteur_asn1_time_to_datetime (X509_get0_notAfter (cert));
  result->cert_time_valid = X509_cmp_current_time (X509_get0_notBefore (cert)) < 0 &&
                            X509_cmp_current_time (X509_get0_notAfter (cert)) > 0;

out:
  ERR_clear_error ();
  OCSP_CERTID_free (id);
  sk_X509_free (extra);
  X509_STORE_free (store);
  OCSP_BASICRESP_free (basic);
  OCSP_RESPONSE_free (response);
  return g_steal_pointer (&result);
}

static gboolean
check_pair (X509    *cert,
            X509    *issuer,
            GError **error)
{
  if (cert == NULL || issuer == NULL)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,
                   "OCSP needs the certificate and its issuer");
      return FALSE;
    }
  if (X509_check_issued (issuer, cert) != X509_V_OK)
    {
      ERR_clear_error ();
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,
                   "the certificate was not issued by the issuer given");
      return FALSE;
    }
  return TRUE;
}

PorteurOcspResult *
porteur_ocsp_client_read_response (PorteurOcspClient  *self,
                                   X509               *cert,
                                   X509               *issuer,
                                   GBytes             *response,
                                   OCSP_REQUEST       *request,
                                   GError            **error)
{
  g_return_val_if_fail (PORTEUR_IS_OCSP_CLIENT (self), NULL);
  g_return_val_if_fail (response != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_pair (cert, issuer, error))
    return NULL;
  return read_response (self, cert, issuer, response, request, error);
}

PorteurOcspResult *
porteur_ocsp_client_check_sync (PorteurOcspClient  *self,
                                X509               *cert,
                                X509               *issuer,
                                const char         *url,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *aia = NULL;
  PorteurOcspResult *result = NULL;
  OCSP_REQUEST *request = NULL;
  OCSP_CERTID *id = NULL;
  unsigned char *der = NULL;
  int der_length;

  g_return_val_if_fail (PORTEUR_IS_OCSP_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_pair (cert, issuer, error))
    return NULL;
  if (url == NULL)
    url = aia = porteur_ocsp_get_responder_url (cert);
  if (url == NULL)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NO_RESPONDER,
                   "the certificate names no OCSP responder");
      return NULL;
    }
  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NO_RESPONDER,
                   "“%s” is not an HTTP or HTTPS responder address", url);
      return NULL;
    }

  id = OCSP_cert_to_id (NULL, cert, issuer);
  request = OCSP_REQUEST_new ();
  if (id == NULL || request == NULL || OCSP_request_add0_id (request, id) == NULL)
    {
      OCSP_CERTID_free (id);  /* not taken by the request */
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,
                   "could not build the OCSP request");
      goto out;
    }
  if (!OCSP_request_add1_nonce (request, NULL, -1) || (der_length = i2d_OCSP_REQUEST (request, &der)) <= 0)
    {
      g_set_error (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_INVALID_ARGUMENT,
                   "could not build the OCSP request");
      goto out;
    }
  body = g_bytes_new (der, der_length);
  OPENSSL_free (der);

  session = porteur_pki_http_session_new (self->timeout, self->tls_database);
  answer = porteur_pki_http_exchange (session, url, "application/ocsp-request", body,
                                      "application/ocsp-response", FALSE, FALSE, OCSP_MAX_RESPONSE,
                                      PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_TRANSPORT, cancellable, error);
  if (answer == NULL)
    goto out;
  result = read_response (self, cert, issuer, answer, request, error);
  if (result)
    result->url = g_strdup (url);

out:
  ERR_clear_error ();
  OCSP_REQUEST_free (request);
  return result;
}

void
porteur_ocsp_client_check_async (PorteurOcspClient   *self,
                                 X509                *cert,
                                 X509                *issuer,
                                 const char          *url,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_OCSP_CLIENT (self));

  porteur_pki_check_in_thread (self, (PorteurPkiCheckFunc) porteur_ocsp_client_check_sync,
                               porteur_ocsp_client_check_async, cert, issuer, url,
                               cancellable, callback, user_data);
}

PorteurOcspResult *
porteur_ocsp_client_check_finish (PorteurOcspClient  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
