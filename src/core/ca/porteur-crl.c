/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-crl.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert/porteur-cert.h"
#include "porteur-pki-http.h"

#define CRL_MAX_SIZE (32 * 1024 * 1024)
#define CRL_CLOCK_SKEW 300

G_DEFINE_QUARK (porteur-crl-error-quark, porteur_crl_error)

/* ---- PorteurCrlResult ---- */

struct _PorteurCrlResult
{
  GObject            parent_instance;
  PorteurCertStatus  status;
  int                reason;
  GDateTime         *revocation_time;
  GDateTime         *this_update;
  GDateTime         *next_update;
  char              *source;
  guint              n_entries;
  GDateTime         *cert_not_before;
  GDateTime         *cert_not_after;
  gboolean           cert_time_valid;
};

G_DEFINE_FINAL_TYPE (PorteurCrlResult, porteur_crl_result, G_TYPE_OBJECT)

static void
porteur_crl_result_finalize (GObject *object)
{
  PorteurCrlResult *self = PORTEUR_CRL_RESULT (object);

  g_clear_pointer (&self->revocation_time, g_date_time_unref);
  g_clear_pointer (&self->this_update, g_date_time_unref);
  g_clear_pointer (&self->next_update, g_date_time_unref);
  g_clear_pointer (&self->cert_not_before, g_date_time_unref);
  g_clear_pointer (&self->cert_not_after, g_date_time_unref);
  g_free (self->source);

  G_OBJECT_CLASS (porteur_crl_result_parent_class)->finalize (object);
}

static void
porteur_crl_result_class_init (PorteurCrlResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_crl_result_finalize;
}

static void
porteur_crl_result_init (PorteurCrlResult *self)
{
  self->reason = -1;
}

PorteurCertStatus
porteur_crl_result_get_status (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), PORTEUR_CERT_STATUS_UNKNOWN);
  return self->status;
}

int
porteur_crl_result_get_revocation_reason (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), -1);
  return self->reason;
}

GDateTime *
porteur_crl_result_get_revocation_time (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->revocation_time;
}

GDateTime *
porteur_crl_result_get_this_update (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->this_update;
}

GDateTime *
porteur_crl_result_get_next_update (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->next_update;
}

const char *
porteur_crl_result_get_source (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->source;
}

guint
porteur_crl_result_get_n_entries (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), 0);
  return self->n_entries;
}

GDateTime *
porteur_crl_result_get_cert_not_before (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->cert_not_before;
}

GDateTime *
porteur_crl_result_get_cert_not_after (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), NULL);
  return self->cert_not_after;
}

gboolean
porteur_crl_result_get_cert_time_valid (PorteurCrlResult *self)
{
  g_return_val_if_fail (PORTEUR_IS_CRL_RESULT (self), FALSE);
  return self->cert_time_valid;
}

/* ---- checking a CRL in hand ---- */

PorteurCrlResult *
porteur_crl_check_crl (X509_CRL    *crl,
                       X509        *cert,
                       X509        *issuer,
                       const char  *source,
                       GError     **error)
{
  g_autoptr(PorteurCrlResult) result = NULL;
  const ASN1_TIME *this_update, *next_update;
  EVP_PKEY *key;
  X509_REVOKED *entry = NULL;
  int found;

  g_return_val_if_fail (crl != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (cert == NULL || issuer == NULL)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_INVALID_ARGUMENT,
                   "a CRL check needs the certificate and its issuer");
      return NULL;
    }
  if (X509_check_issued (issuer, cert) != X509_V_OK)
    {
      ERR_clear_error ();
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_INVALID_ARGUMENT,
                   "the certificate was not issued by the issuer given");
      return NULL;
    }
  if (X509_NAME_cmp (X509_CRL_get_issuer (crl), X509_get_subject_name (issuer)) != 0)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_WRONG_ISSUER,
                   "the CRL was issued by someone else than the certificate's issuer");
      return NULL;
    }
  /* An issuer that states its key usages must allow CRL signing. */
  if ((X509_get_extension_flags (issuer) & EXFLAG_KUSAGE) && !(X509_get_key_usage (issuer) & KU_CRL_SIGN))
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_BAD_SIGNATURE,
                   "the issuer's key may not sign CRLs");
      return NULL;
    }
  key = X509_get0_pubkey (issuer);
  if (key == NULL || X509_CRL_verify (crl, key) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_BAD_SIGNATURE,
                   "the CRL is not signed by the certificate's issuer");
      return NULL;
    }
  if (X509_CRL_get_ext_by_NID (crl, NID_delta_crl, -1) >= 0)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_MALFORMED,
                   "a delta CRL alone cannot tell the status of a certificate");
      return NULL;
    }

  /* Freshness, checked by us. RFC 5280 requires nextUpdate. */
  this_update = X509_CRL_get0_lastUpdate (crl);
  next_update = X509_CRL_get0_nextUpdate (crl);
  if (this_update == NULL || next_update == NULL)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_STALE,
                   "the CRL has no thisUpdate or no nextUpdate");
      return NULL;
    }
  {
    time_t skewed = time (NULL) + CRL_CLOCK_SKEW;

    if (X509_cmp_time (this_update, &skewed) > 0)
      {
        g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_STALE, "the CRL is dated in the future");
        return NULL;
      }
  }
  if (X509_cmp_current_time (next_update) < 0)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_STALE,
                   "the CRL is out of date (its next update was due)");
      return NULL;
    }

  result = g_object_new (PORTEUR_TYPE_CRL_RESULT, NULL);
  found = X509_CRL_get0_by_cert (crl, &entry, cert);
  if (found == 1 && entry)
    {
      int critical = 0;
      ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i (entry, NID_crl_reason, &critical, NULL);

      result->reason = reason ? (int) ASN1_ENUMERATED_get (reason) : -1;
      ASN1_ENUMERATED_free (reason);
      if (result->reason == 8) /* removeFromCRL: listed to say it is back */
        {
          result->status = PORTEUR_CERT_STATUS_GOOD;
          result->reason = -1;
        }
      else
        {
          result->status = PORTEUR_CERT_STATUS_REVOKED;
          result->revocation_time = porteur_asn1_time_to_datetime (X509_REVOKED_get0_revocationDate (entry));
        }
    }
  else
    result->status = PORTEUR_CERT_STATUS_GOOD;
  result->this_update = porteur_asn1_time_to_datetime (this_update);
  result->next_update = porteur_asn1_time_to_datetime (next_update);
  result->source = g_strdup (source ? source : "");
  result->n_entries = X509_CRL_get_REVOKED (crl) ? (guint) sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)) : 0;
  result->cert_not_before = porteur_asn1_time_to_datetime (X509_get0_notBefore (cert));
  result->cert_not_after = porteur_asn1_time_to_datetime (X509_get0_notAfter (cert));
  result->cert_time_valid = X509_cmp_current_time (X509_get0_notBefore (cert)) < 0 &&
                            X509_cmp_current_time (X509_get0_notAfter (cert)) > 0;
  ERR_clear_error ();
  return g_steal_pointer (&result);
}

static X509_CRL *
parse_crl (GBytes  *data,
           GError **error)
{
  gsize length = 0;
  const unsigned char *start = g_bytes_get_data (data, &length);
  const unsigned char *p = start;
  X509_CRL *crl = NULL;

  if (length > 0 && length <= G_MAXINT)
    {
      crl = d2i_X509_CRL (NULL, &p, (long) length);
      if (crl && p != start + length)
        g_clear_pointer (&crl, X509_CRL_free);
      if (crl == NULL)
        {
          BIO *bio = BIO_new_mem_buf (start, (int) length);

          crl = PEM_read_bio_X509_CRL (bio, NULL, NULL, NULL);
          BIO_free (bio);
        }
    }
  ERR_clear_error ();
  if (crl == NULL)
    g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_MALFORMED, "the data is not a CRL (DER or PEM)");
  return crl;
}

PorteurCrlResult *
porteur_crl_check_data (GBytes      *data,
                        X509        *cert,
                        X509        *issuer,
                        const char  *source,
                        GError     **error)
{
  X509_CRL *crl;
  PorteurCrlResult *result;

  g_return_val_if_fail (data != NULL, NULL);

  crl = parse_crl (data, error);
  if (crl == NULL)
    return NULL;
  result = porteur_crl_check_crl (crl, cert, issuer, source, error);
  X509_CRL_free (crl);
  return result;
}

char **
porteur_crl_get_distribution_points (X509 *cert)
{
  STACK_OF (DIST_POINT) *points = X509_get_ext_d2i (cert, NID_crl_distribution_points, NULL, NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (int i = 0; points && i < sk_DIST_POINT_num (points); i++)
    {
      DIST_POINT *point = sk_DIST_POINT_value (points, i);

      /* Full names only; a CRL split by reasons does not cover every revocation. */
      if (!point->distpoint || point->distpoint->type != 0 || point->reasons)
        continue;
      for (int j = 0; j < sk_GENERAL_NAME_num (point->distpoint->name.fullname); j++)
        {
          GENERAL_NAME *name = sk_GENERAL_NAME_value (point->distpoint->name.fullname, j);
          g_autofree char *url = NULL;

          if (name->type != GEN_URI)
            continue;
          url = g_strndup ((const char *) ASN1_STRING_get0_data (name->d.uniformResourceIdentifier),
                           ASN1_STRING_length (name->d.uniformResourceIdentifier));
          if (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"))
            g_strv_builder_add (builder, url);
        }
    }
  sk_DIST_POINT_pop_free (points, DIST_POINT_free);
  ERR_clear_error ();
  return g_strv_builder_end (builder);
}

/* ---- PorteurCrlClient ---- */

struct _PorteurCrlClient
{
  GObject       parent_instance;
  GTlsDatabase *tls_database;
  guint         timeout;
};

G_DEFINE_FINAL_TYPE (PorteurCrlClient, porteur_crl_client, G_TYPE_OBJECT)

static void
porteur_crl_client_dispose (GObject *object)
{
  PorteurCrlClient *self = PORTEUR_CRL_CLIENT (object);

  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (porteur_crl_client_parent_class)->dispose (object);
}

static void
porteur_crl_client_class_init (PorteurCrlClientClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = porteur_crl_client_dispose;
}

static void
porteur_crl_client_init (PorteurCrlClient *self)
{
  self->timeout = 15;
}

PorteurCrlClient *
porteur_crl_client_new (void)
{
  return g_object_new (PORTEUR_TYPE_CRL_CLIENT, NULL);
}

void
porteur_crl_client_set_tls_database (PorteurCrlClient *self,
                                     GTlsDatabase     *database)
{
  g_return_if_fail (PORTEUR_IS_CRL_CLIENT (self));
  g_set_object (&self->tls_database, database);
}

void
porteur_crl_client_set_timeout (PorteurCrlClient *self,
                                guint             seconds)
{
  g_return_if_fail (PORTEUR_IS_CRL_CLIENT (self));
  self->timeout = seconds ? seconds : 15;
}

static GBytes *
load (PorteurCrlClient  *self,
      SoupSession      **session,
      const char        *source,
      GCancellable      *cancellable,
      GError           **error)
{
  g_autoptr(GError) local = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (g_str_has_prefix (source, "http://") || g_str_has_prefix (source, "https://"))
    {
      if (*session == NULL)
        *session = porteur_pki_http_session_new (self->timeout, self->tls_database);
      /* A CRL is signed: redirects (e.g. to HTTPS or a mirror) may be followed. */
      return porteur_pki_http_exchange (*session, source, NULL, NULL, NULL, FALSE, TRUE, CRL_MAX_SIZE,
                                        PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_TRANSPORT, cancellable, error);
    }
  if (!g_file_get_contents (source, &contents, &length, &local))
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_TRANSPORT, "%s", local->message);
      return NULL;
    }
  return g_bytes_new_take (contents, length);
}

PorteurCrlResult *
porteur_crl_client_check_sync (PorteurCrlClient  *self,
                               X509              *cert,
                               X509              *issuer,
                               const char        *source,
                               GCancellable      *cancellable,
                               GError           **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_auto(GStrv) points = NULL;
  g_autoptr(GError) last = NULL;

  g_return_val_if_fail (PORTEUR_IS_CRL_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (cert == NULL || issuer == NULL)
    {
      g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_INVALID_ARGUMENT,
                   "a CRL check needs the certificate and its issuer");
      return NULL;
    }
  if (source)
    {
      g_autoptr(GBytes) data = load (self, &session, source, cancellable, error);

      return data ? porteur_crl_check_data (data, cert, issuer, source, error) : NULL;
    }

  points = porteur_crl_get_distribution_points (cert);
  for (guint i = 0; points[i]; i++)
    {
      g_autoptr(GBytes) data = NULL;
      PorteurCrlResult *result;

      g_clear_error (&last);
      data = load (self, &session, points[i], cancellable, &last);
      if (g_error_matches (last, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        break;
      if (data && (result = porteur_crl_check_data (data, cert, issuer, points[i], &last)))
        return result;
    }
  if (last)
    g_propagate_error (error, g_steal_pointer (&last));
  else
    g_set_error (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_NO_DISTRIBUTION_POINT,
                 "the certificate names no HTTP CRL distribution point");
  return NULL;
}

void
porteur_crl_client_check_async (PorteurCrlClient    *self,
                                X509                *cert,
                                X509                *issuer,
                                const char          *source,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CRL_CLIENT (self));

  porteur_pki_check_in_thread (self, (PorteurPkiCheckFunc) porteur_crl_client_check_sync,
                               porteur_crl_client_check_async, cert, issuer, source,
                               cancellable, callback, user_data);
}

PorteurCrlResult *
porteur_crl_client_check_finish (PorteurCrlClient  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
