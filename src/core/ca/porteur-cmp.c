/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-cmp.h"

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "porteur-ca-config.h"
#include "porteur-pki-http.h"

/* One OSSL_CMP_CTX per transaction, made and freed in the worker thread. The
 * transfer callback carries each message with libsoup, with "Connection:
 * close" (OpenSSL's mock server serves one connection at a time, and a CMP
 * transaction is a few messages). Polling is ours: OSSL_CMP_try_certreq
 * returns at once with the server's checkAfter, and we wait on the
 * cancellable for that long. */

#define CMP_MEDIA_TYPE "application/pkixcmp"
#define CMP_MAX_MESSAGE (1024 * 1024)
#define ABORT_TIMEOUT 5
/* PKIBody choice of pollReq (RFC 4210 §5.1.2); OpenSSL 3.0 keeps its name private. */
#define CMP_BODY_POLLREQ 25

G_DEFINE_QUARK (porteur-cmp-error-quark, porteur_cmp_error)

/* ---- PorteurCmpRequest ---- */

struct _PorteurCmpRequest
{
  GObject                parent_instance;
  PorteurCmpRequestType  type;
  char                  *reference;
  unsigned char         *secret;
  gsize                  secret_len;
  X509                  *signer_cert;
  EVP_PKEY              *signer_key;
  EVP_PKEY              *new_key;
  X509_NAME             *subject;
  X509_REQ              *csr;
  X509                  *old_cert;
  int                    reason;
};

G_DEFINE_FINAL_TYPE (PorteurCmpRequest, porteur_cmp_request, G_TYPE_OBJECT)

static void
wipe_secret (PorteurCmpRequest *self)
{
  if (self->secret)
    {
      OPENSSL_cleanse (self->secret, self->secret_len);
      g_free (self->secret);
      self->secret = NULL;
      self->secret_len = 0;
    }
}

static void
porteur_cmp_request_finalize (GObject *object)
{
  PorteurCmpRequest *self = PORTEUR_CMP_REQUEST (object);

  wipe_secret (self);
  g_free (self->reference);
  X509_free (self->signer_cert);
  EVP_PKEY_free (self->signer_key);
  EVP_PKEY_free (self->new_key);
  X509_NAME_free (self->subject);
  X509_REQ_free (self->csr);
  X509_free (self->old_cert);

  G_OBJECT_CLASS (porteur_cmp_request_parent_class)->finalize (object);
}

static void
porteur_cmp_request_class_init (PorteurCmpRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_cmp_request_finalize;
}

static void
porteur_cmp_request_init (PorteurCmpRequest *self)
{
  self->reason = -1;
}

PorteurCmpRequest *
porteur_cmp_request_new (PorteurCmpRequestType type)
{
  PorteurCmpRequest *self = g_object_new (PORTEUR_TYPE_CMP_REQUEST, NULL);

  self->type = type;
  return self;
}

PorteurCmpRequestType
porteur_cmp_request_get_request_type (PorteurCmpRequest *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_REQUEST (self), PORTEUR_CMP_REQUEST_IR);
  return self->type;
}

void
porteur_cmp_request_set_pbm (PorteurCmpRequest *self,
                             const char        *reference,
                             const char        *secret,
                             gsize              secret_len)
{
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));

  wipe_secret (self);
  g_clear_pointer (&self->reference, g_free);
  if (reference == NULL || secret == NULL)
    return;
  self->reference = g_strdup (reference);
  self->secret = g_malloc (MAX (secret_len, 1));
  memcpy (self->secret, secret, secret_len);
  self->secret_len = secret_len;
}

void
porteur_cmp_request_set_signer (PorteurCmpRequest *self,
                                X509              *cert,
                                EVP_PKEY          *key)
{
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));

  if (cert)
    X509_up_ref (cert);
  if (key)
    EVP_PKEY_up_ref (key);
  X509_free (self->signer_cert);
  EVP_PKEY_free (self->signer_key);
  self->signer_cert = cert;
  self->signer_key = key;
}

void
porteur_cmp_request_set_new_key (PorteurCmpRequest *self,
                                 EVP_PKEY          *key)
{
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));

  if (key)
    EVP_PKEY_up_ref (key);
  EVP_PKEY_free (self->new_key);
  self->new_key = key;
}

gboolean
porteur_cmp_request_set_subject (PorteurCmpRequest  *self,
                                 const char         *subject,
                                 GError            **error)
{
  X509_NAME *name = NULL;

  g_return_val_if_fail (PORTEUR_IS_CMP_REQUEST (self), FALSE);

  if (subject)
    {
      /* "/C=FR/O=…/CN=…", the form of `openssl -subj`. Escapes with "\/" are
       * not needed for the names we ask for. */
      g_auto(GStrv) parts = NULL;

      if (subject[0] != '/' || subject[1] == '\0')
        goto bad;
      parts = g_strsplit (subject + 1, "/", -1);
      name = X509_NAME_new ();
      for (guint i = 0; parts[i]; i++)
        {
          char *equal = strchr (parts[i], '=');

          if (equal == NULL || equal == parts[i] || equal[1] == '\0')
            goto bad;
          *equal = '\0';
          if (!X509_NAME_add_entry_by_txt (name, parts[i], MBSTRING_UTF8,
                                           (const unsigned char *) equal + 1, -1, -1, 0))
            goto bad;
        }
    }
  X509_NAME_free (self->subject);
  self->subject = name;
  return TRUE;

bad:
  ERR_clear_error ();
  X509_NAME_free (name);
  g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT,
               "“%s” is not a subject of the form /C=FR/O=…/CN=…", subject);
  return FALSE;
}

void
porteur_cmp_request_set_csr (PorteurCmpRequest *self,
                             X509_REQ          *csr)
{
  guint8 *der = NULL;
  const guint8 *p;
  int length;

  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));

  X509_REQ_free (self->csr);
  self->csr = NULL;
  if (!csr)
    return;
  /* X509_REQ_dup () would duplicate the key too, which a token key (our provider's, see
   * porteur-token-provider.c) cannot be; the request needs only the signed bytes. */
  if ((length = i2d_X509_REQ (csr, &der)) <= 0)
    return;
  p = der;
  self->csr = d2i_X509_REQ (NULL, &p, length);
  OPENSSL_free (der);
}

X509_REQ *
porteur_cmp_request_get_csr (PorteurCmpRequest *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_REQUEST (self), NULL);
  return self->csr;
}

void
porteur_cmp_request_set_old_cert (PorteurCmpRequest *self,
                                  X509              *cert)
{
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));

  if (cert)
    X509_up_ref (cert);
  X509_free (self->old_cert);
  self->old_cert = cert;
}

void
porteur_cmp_request_set_revocation_reason (PorteurCmpRequest *self,
                                           int                reason)
{
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (self));
  self->reason = reason;
}

const char *
porteur_cmp_request_type_to_string (PorteurCmpRequestType type)
{
  switch (type)
    {
    case PORTEUR_CMP_REQUEST_IR:
      return "ir";
    case PORTEUR_CMP_REQUEST_P10CR:
      return "p10cr";
    case PORTEUR_CMP_REQUEST_KUR:
      return "kur";
    case PORTEUR_CMP_REQUEST_RR:
      return "rr";
    default:
      return "unknown";
    }
}

/* ---- PorteurCmpResult ---- */

struct _PorteurCmpResult
{
  GObject          parent_instance;
  X509            *certificate;
  STACK_OF (X509) *ca_certs;
  STACK_OF (X509) *extra_certs;
  int              status;
  char            *status_text;
  guint            n_polls;
};

G_DEFINE_FINAL_TYPE (PorteurCmpResult, porteur_cmp_result, G_TYPE_OBJECT)

static void
porteur_cmp_result_finalize (GObject *object)
{
  PorteurCmpResult *self = PORTEUR_CMP_RESULT (object);

  X509_free (self->certificate);
  sk_X509_pop_free (self->ca_certs, X509_free);
  sk_X509_pop_free (self->extra_certs, X509_free);
  g_free (self->status_text);

  G_OBJECT_CLASS (porteur_cmp_result_parent_class)->finalize (object);
}

static void
porteur_cmp_result_class_init (PorteurCmpResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_cmp_result_finalize;
}

static void
porteur_cmp_result_init (PorteurCmpResult *self)
{
  self->ca_certs = sk_X509_new_null ();
  self->extra_certs = sk_X509_new_null ();
}

X509 *
porteur_cmp_result_get_certificate (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), NULL);
  return self->certificate;
}

STACK_OF (X509) *
porteur_cmp_result_get_ca_certs (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), NULL);
  return self->ca_certs;
}

STACK_OF (X509) *
porteur_cmp_result_get_extra_certs (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), NULL);
  return self->extra_certs;
}

int
porteur_cmp_result_get_status (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), -1);
  return self->status;
}

const char *
porteur_cmp_result_get_status_text (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), NULL);
  return self->status_text;
}

guint
porteur_cmp_result_get_n_polls (PorteurCmpResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_RESULT (self), 0);
  return self->n_polls;
}

/* ---- PorteurCmpClient ---- */

struct _PorteurCmpClient
{
  GObject       parent_instance;
  char         *url;
  GTlsDatabase *tls_database;
  X509_STORE   *trust;
  X509         *server_cert;
  guint         timeout;
  guint         max_poll_time;
};

enum {
  SIGNAL_WAITING,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PorteurCmpClient, porteur_cmp_client, G_TYPE_OBJECT)

static void
porteur_cmp_client_dispose (GObject *object)
{
  PorteurCmpClient *self = PORTEUR_CMP_CLIENT (object);

  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (porteur_cmp_client_parent_class)->dispose (object);
}

static void
porteur_cmp_client_finalize (GObject *object)
{
  PorteurCmpClient *self = PORTEUR_CMP_CLIENT (object);

  g_free (self->url);
  X509_STORE_free (self->trust);
  X509_free (self->server_cert);

  G_OBJECT_CLASS (porteur_cmp_client_parent_class)->finalize (object);
}

static void
porteur_cmp_client_class_init (PorteurCmpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = porteur_cmp_client_dispose;
  object_class->finalize = porteur_cmp_client_finalize;

  signals[SIGNAL_WAITING] = g_signal_new ("waiting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
porteur_cmp_client_init (PorteurCmpClient *self)
{
  self->timeout = 30;
}

PorteurCmpClient *
porteur_cmp_client_new (const char  *url,
                        gboolean     allow_loopback_http,
                        GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local = NULL;
  PorteurCmpClient *self;

  uri = porteur_ca_config_parse_url (url, allow_loopback_http, &local);
  if (uri == NULL)
    {
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT, "%s", local->message);
      return NULL;
    }
  self = g_object_new (PORTEUR_TYPE_CMP_CLIENT, NULL);
  self->url = g_uri_to_string (uri);
  return self;
}

const char *
porteur_cmp_client_get_url (PorteurCmpClient *self)
{
  g_return_val_if_fail (PORTEUR_IS_CMP_CLIENT (self), NULL);
  return self->url;
}

void
porteur_cmp_client_set_tls_database (PorteurCmpClient *self,
                                     GTlsDatabase     *database)
{
  g_return_if_fail (PORTEUR_IS_CMP_CLIENT (self));
  g_set_object (&self->tls_database, database);
}

gboolean
porteur_cmp_client_set_trust_file (PorteurCmpClient  *self,
                                   const char        *pem_path,
                                   GError           **error)
{
  X509_STORE *store;
  STACK_OF (X509_INFO) *infos;
  BIO *bio;
  guint n = 0;

  g_return_val_if_fail (PORTEUR_IS_CMP_CLIENT (self), FALSE);

  bio = BIO_new_file (pem_path, "r");
  infos = bio ? PEM_X509_INFO_read_bio (bio, NULL, NULL, NULL) : NULL;
  BIO_free (bio);
  store = X509_STORE_new ();
  for (int i = 0; infos && i < sk_X509_INFO_num (infos); i++)
    {
      X509_INFO *info = sk_X509_INFO_value (infos, i);

      if (info->x509 && X509_STORE_add_cert (store, info->x509))
        n++;
    }
  sk_X509_INFO_pop_free (infos, X509_INFO_free);
  ERR_clear_error ();
  if (n == 0)
    {
      X509_STORE_free (store);
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT,
                   "%s holds no PEM certificate", pem_path);
      return FALSE;
    }
  X509_STORE_free (self->trust);
  self->trust = store;
  return TRUE;
}

void
porteur_cmp_client_set_server_cert (PorteurCmpClient *self,
                                    X509             *cert)
{
  g_return_if_fail (PORTEUR_IS_CMP_CLIENT (self));

  if (cert)
    X509_up_ref (cert);
  X509_free (self->server_cert);
  self->server_cert = cert;
}

void
porteur_cmp_client_set_timeout (PorteurCmpClient *self,
                                guint             seconds)
{
  g_return_if_fail (PORTEUR_IS_CMP_CLIENT (self));
  self->timeout = seconds ? seconds : 30;
}

void
porteur_cmp_client_set_max_poll_time (PorteurCmpClient *self,
                                      guint             seconds)
{
  g_return_if_fail (PORTEUR_IS_CMP_CLIENT (self));
  self->max_poll_time = seconds;
}

/* ---- one transaction ---- */

typedef struct
{
  PorteurCmpClient  *client;       /* owned */
  PorteurCmpRequest *request;      /* owned */
  GMainContext      *context;      /* where "waiting" is emitted; NULL = directly */
  /* snapshot of the client's settings, taken in the caller's thread */
  char              *url;
  GTlsDatabase      *tls_database;
  X509_STORE        *trust;
  X509              *server_cert;
  guint              timeout;
  guint              max_poll_time;
  /* during the transaction */
  SoupSession       *session;
  GCancellable      *cancellable;
  GError            *transport_error;
  gboolean           aborting;
  guint              n_poll_requests;
  gboolean           received;     /* the last exchange brought a CMP message */
  char              *last_log[2];  /* OpenSSL's last two log lines, for errors it does not queue */
} Transaction;

/* OpenSSL's CMP log callback has no user data: the transaction running in this thread. */
static __thread Transaction *current_transaction;

static void
transaction_free (Transaction *tr)
{
  g_clear_object (&tr->client);
  g_clear_object (&tr->request);
  g_clear_pointer (&tr->context, g_main_context_unref);
  g_free (tr->url);
  g_clear_object (&tr->tls_database);
  X509_STORE_free (tr->trust);
  X509_free (tr->server_cert);
  g_clear_object (&tr->session);
  g_clear_error (&tr->transport_error);
  g_free (tr->last_log[0]);
  g_free (tr->last_log[1]);
  g_free (tr);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Transaction, transaction_free)

static Transaction *
transaction_new (PorteurCmpClient  *client,
                 PorteurCmpRequest *request,
                 GMainContext      *context)
{
  Transaction *tr = g_new0 (Transaction, 1);

  tr->client = g_object_ref (client);
  tr->request = g_object_ref (request);
  tr->context = context ? g_main_context_ref (context) : NULL;
  tr->url = g_strdup (client->url);
  tr->tls_database = client->tls_database ? g_object_ref (client->tls_database) : NULL;
  if (client->trust && X509_STORE_up_ref (client->trust))
    tr->trust = client->trust;
  if (client->server_cert && X509_up_ref (client->server_cert))
    tr->server_cert = client->server_cert;
  tr->timeout = client->timeout;
  tr->max_poll_time = client->max_poll_time;
  return tr;
}

static int
log_cb (const char        *func,
        const char        *file,
        int                line,
        OSSL_CMP_severity  level,
        const char        *msg)
{
  /* OpenSSL's CMP log never holds the PBM secret. */
  Transaction *tr = current_transaction;

  g_debug ("CMP %s: %s", func ? func : "", msg);
  if (tr)
    {
      g_free (tr->last_log[0]);
      tr->last_log[0] = tr->last_log[1];
      tr->last_log[1] = g_strdup (msg);
    }
  return 1;
}

static OSSL_CMP_MSG *
transfer_cb (OSSL_CMP_CTX       *ctx,
             const OSSL_CMP_MSG *req)
{
  Transaction *tr = OSSL_CMP_CTX_get_transfer_cb_arg (ctx);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(SoupSession) abort_session = NULL;
  unsigned char *der = NULL;
  const unsigned char *p;
  OSSL_CMP_MSG *response;
  gsize length = 0;
  int der_length;

  g_clear_error (&tr->transport_error);
  tr->received = FALSE;
  if (OSSL_CMP_MSG_get_bodytype (req) == CMP_BODY_POLLREQ)
    tr->n_poll_requests++;
  der_length = i2d_OSSL_CMP_MSG (req, &der);
  if (der_length <= 0)
    {
      g_set_error (&tr->transport_error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_FAILED,
                   "could not encode the CMP message");
      return NULL;
    }
  body = g_bytes_new (der, der_length);
  OPENSSL_free (der);

  if (tr->aborting)
    {
      /* The transaction is being abandoned (cancelled): tell the server,
       * briefly and without the cancelled cancellable. */
      abort_session = porteur_pki_http_session_new (ABORT_TIMEOUT, tr->tls_database);
      answer = porteur_pki_http_exchange (abort_session, tr->url, CMP_MEDIA_TYPE, body, CMP_MEDIA_TYPE,
                                          TRUE, FALSE, CMP_MAX_MESSAGE, PORTEUR_CMP_ERROR,
                                          PORTEUR_CMP_ERROR_TRANSPORT, NULL, &tr->transport_error);
    }
  else
    answer = porteur_pki_http_exchange (tr->session, tr->url, CMP_MEDIA_TYPE, body, CMP_MEDIA_TYPE,
                                        TRUE, FALSE, CMP_MAX_MESSAGE, PORTEUR_CMP_ERROR,
                                        PORTEUR_CMP_ERROR_TRANSPORT, tr->cancellable, &tr->transport_error);
  if (answer == NULL)
    return NULL;

  p = g_bytes_get_data (answer, &length);
  response = d2i_OSSL_CMP_MSG (NULL, &p, (long) length);
  if (response == NULL || p != (const unsigned char *) g_bytes_get_data (answer, NULL) + length)
    {
      OSSL_CMP_MSG_free (response);
      g_set_error (&tr->transport_error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_PROTOCOL,
                   "%s did not answer a CMP message", tr->url);
      return NULL;
    }
  tr->received = TRUE;
  return response;
}

/* Every reason in OpenSSL's error queue, for the error message (never holds secrets). */
static char *
openssl_errors (int *out_last_reason)
{
  g_autoptr(GString) text = g_string_new (NULL);
  unsigned long code;
  const char *data = NULL;
  int flags = 0;

  *out_last_reason = 0;
  while ((code = ERR_get_error_all (NULL, NULL, NULL, &data, &flags)) != 0)
    {
      const char *reason = ERR_reason_error_string (code);

      if (ERR_GET_LIB (code) == ERR_LIB_CMP && *out_last_reason == 0)
        *out_last_reason = ERR_GET_REASON (code);
      if (text->len)
        g_string_append (text, "; ");
      g_string_append (text, reason ? reason : "error");
      if (data && (flags & ERR_TXT_STRING) && *data)
        g_string_append_printf (text, " (%s)", data);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
set_transaction_error (Transaction  *tr,
                       OSSL_CMP_CTX *ctx,
                       GError      **error)
{
  g_autofree char *details = NULL;
  char status_text[512] = "";
  int reason = 0;
  int status = OSSL_CMP_CTX_get_status (ctx);
  int fail_info = OSSL_CMP_CTX_get_failInfoCode (ctx);
  gboolean pbm = tr->request->reference != NULL;

  details = openssl_errors (&reason);
  if (tr->transport_error)
    {
      g_propagate_error (error, g_steal_pointer (&tr->transport_error));
      return;
    }
  if (status >= 0)
    OSSL_CMP_CTX_snprint_PKIStatus (ctx, status_text, sizeof status_text);

  if (status == OSSL_CMP_PKISTATUS_rejection || reason == CMP_R_RECEIVED_ERROR ||
      reason == CMP_R_REQUEST_REJECTED_BY_SERVER)
    {
      if (pbm && fail_info > 0 && (fail_info & (1 << OSSL_CMP_PKIFAILUREINFO_badMessageCheck)))
        g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_BAD_SECRET,
                     "the CA refused the reference or the secret (%s)", status_text);
      else
        g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED,
                     "the CA rejected the request: %s", *status_text ? status_text : details);
      return;
    }
  if (reason == 0 && tr->received && tr->last_log[1])
    {
      /* OpenSSL 3.0 refuses some answers (e.g. not from the pinned server)
       * without queuing an error: only its log says why. */
      g_free (details);
      details = g_strdup_printf ("%s%s%s", tr->last_log[0] ? tr->last_log[0] : "",
                                 tr->last_log[0] ? "; " : "", tr->last_log[1]);
      g_strstrip (details);
      reason = CMP_R_ERROR_VALIDATING_PROTECTION;
    }
  switch (reason)
    {
    case CMP_R_WRONG_PBM_VALUE:
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_BAD_SECRET,
                   "the CA's answer is not protected with our secret: the reference or the secret is wrong (%s)",
                   details);
      return;
    case CMP_R_ERROR_VALIDATING_PROTECTION:
    case CMP_R_ERROR_VALIDATING_SIGNATURE:
    case CMP_R_NO_SUITABLE_SENDER_CERT:
    case CMP_R_SRVCERT_DOES_NOT_VALIDATE_MSG:
    case CMP_R_MISSING_TRUST_STORE:
    case CMP_R_MISSING_TRUST_ANCHOR:
    case CMP_R_MISSING_PROTECTION:
      g_set_error (error, PORTEUR_CMP_ERROR,
                   pbm ? PORTEUR_CMP_ERROR_BAD_SECRET : PORTEUR_CMP_ERROR_UNTRUSTED_SERVER,
                   pbm ? "the CA's answer does not verify with our secret: the reference or the secret is wrong (%s)"
                       : "the CA's answer is not signed by a trusted server (%s)",
                   details);
      return;
    case CMP_R_UNEXPECTED_PKIBODY:
    case CMP_R_TRANSACTIONID_UNMATCHED:
    case CMP_R_RECIPNONCE_UNMATCHED:
    case CMP_R_UNEXPECTED_PVNO:
    case CMP_R_PKIBODY_ERROR:
    case CMP_R_CERTRESPONSE_NOT_FOUND:
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_PROTOCOL,
                   "the CA's answer does not follow CMP (%s)", details);
      return;
    default:
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_FAILED, "CMP %s failed: %s",
                   porteur_cmp_request_type_to_string (tr->request->type),
                   *details ? details : (*status_text ? status_text : "unknown error"));
    }
}

static gboolean
check_request (PorteurCmpRequest  *request,
               GError            **error)
{
  const char *problem = NULL;
  gboolean has_auth = request->reference != NULL || (request->signer_cert && request->signer_key);

  if (request->signer_cert && !request->signer_key)
    problem = "the signer's private key is missing";
  else if (!has_auth)
    problem = "the request is neither protected by a reference and secret nor by a signer";
  else
    switch (request->type)
      {
      case PORTEUR_CMP_REQUEST_IR:
        if (request->new_key == NULL)
          problem = "an initialization request needs the new key";
        else if (request->subject == NULL)
          problem = "an initialization request needs the subject";
        break;
      case PORTEUR_CMP_REQUEST_P10CR:
        if (request->csr == NULL)
          problem = "a PKCS#10 request needs the CSR";
        break;
      case PORTEUR_CMP_REQUEST_KUR:
        if (request->signer_cert == NULL)
          problem = "a key update must be signed with the current certificate";
        else if (request->new_key == NULL)
          problem = "a key update needs the new key";
        break;
      case PORTEUR_CMP_REQUEST_RR:
        if (request->old_cert == NULL && request->signer_cert == NULL)
          problem = "a revocation request needs the certificate to revoke";
        else if (request->reason < -1 || request->reason > 10 || request->reason == 7)
          problem = "the revocation reason is not a CRLReason code";
        break;
      default:
        problem = "unknown request type";
      }
  if (problem)
    {
      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT, "%s", problem);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  PorteurCmpClient *client;
  guint             check_after;
} WaitingSignal;

static gboolean
emit_waiting_cb (gpointer data)
{
  WaitingSignal *ws = data;

  g_signal_emit (ws->client, signals[SIGNAL_WAITING], 0, ws->check_after);
  g_object_unref (ws->client);
  g_free (ws);
  return G_SOURCE_REMOVE;
}

static void
emit_waiting (Transaction *tr,
              guint        check_after)
{
  WaitingSignal *ws = g_new0 (WaitingSignal, 1);

  ws->client = g_object_ref (tr->client);
  ws->check_after = check_after;
  if (tr->context)
    g_main_context_invoke (tr->context, emit_waiting_cb, ws);
  else
    emit_waiting_cb (ws);
}

/* Sleeps @seconds unless @cancellable fires first. Returns FALSE when cancelled. */
static gboolean
wait_cancellable (GCancellable *cancellable,
                  guint         seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  GPollFD fd;

  if (cancellable == NULL || !g_cancellable_make_pollfd (cancellable, &fd))
    {
      g_usleep ((gulong) seconds * G_USEC_PER_SEC);
      return TRUE;
    }
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();

      if (g_cancellable_is_cancelled (cancellable) || now >= deadline)
        break;
      g_poll (&fd, 1, (gint) MIN ((deadline - now + 999) / 1000, G_MAXINT));
    }
  g_cancellable_release_fd (cancellable);
  return !g_cancellable_is_cancelled (cancellable);
}

static gboolean
setup_context (Transaction   *tr,
               OSSL_CMP_CTX  *ctx,
               GError       **error)
{
  PorteurCmpRequest *request = tr->request;
  gboolean ok = TRUE;

  ok &= OSSL_CMP_CTX_set_log_cb (ctx, log_cb);
  ok &= OSSL_CMP_CTX_set_log_verbosity (ctx, OSSL_CMP_LOG_INFO);
  ok &= OSSL_CMP_CTX_set_transfer_cb (ctx, transfer_cb);
  ok &= OSSL_CMP_CTX_set_transfer_cb_arg (ctx, tr);
  ok &= OSSL_CMP_CTX_set_option (ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 0);

  if (tr->trust && X509_STORE_up_ref (tr->trust))
    {
      if (!OSSL_CMP_CTX_set0_trustedStore (ctx, tr->trust))
        {
          X509_STORE_free (tr->trust);
          ok = FALSE;
        }
      /* The issued certificate must chain to the same anchors before we confirm it. */
      ok &= OSSL_CMP_CTX_set_certConf_cb (ctx, OSSL_CMP_certConf_cb);
      ok &= OSSL_CMP_CTX_set_certConf_cb_arg (ctx, tr->trust);
    }
  if (tr->server_cert)
    ok &= OSSL_CMP_CTX_set1_srvCert (ctx, tr->server_cert);

  if (request->reference)
    {
      ok &= OSSL_CMP_CTX_set1_referenceValue (ctx, (const unsigned char *) request->reference,
                                              strlen (request->reference));
      ok &= OSSL_CMP_CTX_set1_secretValue (ctx, request->secret, (int) request->secret_len);
    }
  if (request->signer_cert)
    {
      ok &= OSSL_CMP_CTX_set1_cert (ctx, request->signer_cert);
      ok &= OSSL_CMP_CTX_set1_pkey (ctx, request->signer_key);
    }
  if (request->new_key && EVP_PKEY_up_ref (request->new_key))
    {
      if (!OSSL_CMP_CTX_set0_newPkey (ctx, 1, request->new_key))
        {
          EVP_PKEY_free (request->new_key);
          ok = FALSE;
        }
    }
  if (request->subject)
    ok &= OSSL_CMP_CTX_set1_subjectName (ctx, request->subject);
  if (request->csr)
    ok &= OSSL_CMP_CTX_set1_p10CSR (ctx, request->csr);
  if (request->type == PORTEUR_CMP_REQUEST_KUR || request->type == PORTEUR_CMP_REQUEST_RR)
    ok &= OSSL_CMP_CTX_set1_oldCert (ctx, request->old_cert ? request->old_cert : request->signer_cert);
  if (request->type == PORTEUR_CMP_REQUEST_RR)
    ok &= OSSL_CMP_CTX_set_option (ctx, OSSL_CMP_OPT_REVOCATION_REASON, request->reason);

  if (!ok)
    {
      int reason;
      g_autofree char *details = openssl_errors (&reason);

      g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_INVALID_ARGUMENT,
                   "could not prepare the CMP request: %s", details);
    }
  return ok;
}

static PorteurCmpResult *
run_transaction (Transaction   *tr,
                 GCancellable  *cancellable,
                 GError       **error)
{
  PorteurCmpRequest *request = tr->request;
  g_autoptr(PorteurCmpResult) result = NULL;
  OSSL_CMP_CTX *ctx = NULL;
  char status_text[512] = "";
  gint64 started = g_get_monotonic_time ();

  if (!check_request (request, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  ERR_clear_error ();
  ctx = OSSL_CMP_CTX_new (NULL, NULL);
  tr->session = porteur_pki_http_session_new (tr->timeout, tr->tls_database);
  tr->cancellable = cancellable;
  current_transaction = tr;
  if (ctx == NULL || !setup_context (tr, ctx, error))
    goto out;

  if (request->type == PORTEUR_CMP_REQUEST_RR)
    {
      if (OSSL_CMP_exec_RR_ses (ctx) != 1)
        {
          set_transaction_error (tr, ctx, error);
          goto out;
        }
    }
  else
    {
      int body_type = request->type == PORTEUR_CMP_REQUEST_IR ? OSSL_CMP_IR
                    : request->type == PORTEUR_CMP_REQUEST_P10CR ? OSSL_CMP_P10CR : OSSL_CMP_KUR;

      for (;;)
        {
          int check_after = 0;
          int done = OSSL_CMP_try_certreq (ctx, body_type, NULL, &check_after);
          guint wait;

          if (done == 1)
            break;
          if (done != -1)
            {
              set_transaction_error (tr, ctx, error);
              goto out;
            }
          /* The registration office has not validated the request yet. */
          wait = (guint) CLAMP (check_after, 1, 24 * 3600);
          g_debug ("CMP %s waiting, polling again in %u s", porteur_cmp_request_type_to_string (request->type), wait);
          emit_waiting (tr, wait);
          if (tr->max_poll_time &&
              (g_get_monotonic_time () - started) / G_USEC_PER_SEC + wait > tr->max_poll_time)
            {
              tr->aborting = TRUE;
              OSSL_CMP_try_certreq (ctx, -1, NULL, NULL);
              ERR_clear_error ();
              g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_TIMEOUT,
                           "the CA is still waiting for the registration office after %u s", tr->max_poll_time);
              goto out;
            }
          if (!wait_cancellable (cancellable, wait))
            {
              tr->aborting = TRUE;
              OSSL_CMP_try_certreq (ctx, -1, NULL, NULL);
              ERR_clear_error ();
              g_cancellable_set_error_if_cancelled (cancellable, error);
              goto out;
            }
        }
    }

  result = g_object_new (PORTEUR_TYPE_CMP_RESULT, NULL);
  result->status = OSSL_CMP_CTX_get_status (ctx);
  if (OSSL_CMP_CTX_snprint_PKIStatus (ctx, status_text, sizeof status_text))
    result->status_text = g_strdup (status_text);
  else
    result->status_text = g_strdup ("");
  result->n_polls = tr->n_poll_requests;
  if (request->type != PORTEUR_CMP_REQUEST_RR)
    {
      X509 *cert = OSSL_CMP_CTX_get0_newCert (ctx);
      STACK_OF (X509) *ca_pubs = OSSL_CMP_CTX_get1_caPubs (ctx);
      STACK_OF (X509) *extra = OSSL_CMP_CTX_get1_extraCertsIn (ctx);

      if (extra)
        {
          sk_X509_pop_free (result->extra_certs, X509_free);
          result->extra_certs = extra;
        }
      if (cert == NULL || !X509_up_ref (cert))
        {
          sk_X509_pop_free (ca_pubs, X509_free);
          g_clear_object (&result);
          g_set_error (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_PROTOCOL,
                       "the CA accepted the request but sent no certificate");
          goto out;
        }
      result->certificate = cert;
      if (ca_pubs)
        {
          sk_X509_pop_free (result->ca_certs, X509_free);
          result->ca_certs = ca_pubs;
        }
    }

out:
  ERR_clear_error ();
  OSSL_CMP_CTX_free (ctx);  /* cleanses its copy of the secret */
  tr->cancellable = NULL;
  current_transaction = NULL;
  /* The one-time secret has been used: wipe our copy too. */
  wipe_secret (request);
  return g_steal_pointer (&result);
}

PorteurCmpResult *
porteur_cmp_client_execute_sync (PorteurCmpClient   *self,
                                 PorteurCmpRequest  *request,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  g_autoptr(Transaction) tr = NULL;

  g_return_val_if_fail (PORTEUR_IS_CMP_CLIENT (self), NULL);
  g_return_val_if_fail (PORTEUR_IS_CMP_REQUEST (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  tr = transaction_new (self, request, NULL);
  return run_transaction (tr, cancellable, error);
}

static void
execute_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Transaction *tr = task_data;
  GError *error = NULL;
  PorteurCmpResult *result = run_transaction (tr, cancellable, &error);

  if (result)
    g_task_return_pointer (task, result, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
porteur_cmp_client_execute_async (PorteurCmpClient    *self,
                                  PorteurCmpRequest   *request,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (PORTEUR_IS_CMP_CLIENT (self));
  g_return_if_fail (PORTEUR_IS_CMP_REQUEST (request));

  context = g_main_context_ref_thread_default ();
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, porteur_cmp_client_execute_async);
  g_task_set_task_data (task, transaction_new (self, request, context), (GDestroyNotify) transaction_free);
  g_task_run_in_thread (task, execute_thread);
}

PorteurCmpResult *
porteur_cmp_client_execute_finish (PorteurCmpClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
