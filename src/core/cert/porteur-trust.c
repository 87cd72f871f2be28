/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "porteur-cert.h"
#include "porteur-trust.h"

/*
 * Porteur's own trust store: the certification authority's roots (GSettings ca-trust or
 * PORTEUR_CA_TRUST), the holder's own anchors ($XDG_DATA_HOME/porteur/trust, PEM files) and any file
 * added for one run. Never the system's web PKI: a qualified signature chains to a CA we name.
 * Revocation is checked from embedded or loaded CRLs, then (when the network is allowed) OCSP
 * from the certificate's AIA, then its CRL distribution point. Every answer is verified.
 */

struct _PorteurTrust
{
  gatomicrefcount      ref_count;
  GMutex               mutex;
  STACK_OF (X509)     *anchors;
  STACK_OF (X509_CRL) *crls;
};

PorteurTrust *
porteur_trust_new (void)
{
  PorteurTrust *self = g_new0 (PorteurTrust, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->mutex);
  self->anchors = sk_X509_new_null ();
  self->crls = sk_X509_CRL_new_null ();
  return self;
}

PorteurTrust *
porteur_trust_ref (PorteurTrust *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
porteur_trust_unref (PorteurTrust *self)
{
  if (self && g_atomic_ref_count_dec (&self->ref_count))
    {
      sk_X509_pop_free (self->anchors, X509_free);
      sk_X509_CRL_pop_free (self->crls, X509_CRL_free);
      g_mutex_clear (&self->mutex);
      g_free (self);
    }
}

guint
porteur_trust_get_n_anchors (PorteurTrust *self)
{
  return sk_X509_num (self->anchors);
}

/* Reads certificates and CRLs from a PEM file (or one DER certificate or CRL). */
gboolean
porteur_trust_add_file (PorteurTrust  *self,
                        const char    *path,
                        GError       **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  STACK_OF (X509_INFO) *infos;
  BIO *bio;
  guint added = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  bio = BIO_new_mem_buf (contents, (int) MIN (length, G_MAXINT));
  infos = PEM_X509_INFO_read_bio (bio, NULL, NULL, NULL);
  BIO_free (bio);
  ERR_clear_error ();

  g_mutex_lock (&self->mutex);
  if (infos)
    {
      for (int i = 0; i < sk_X509_INFO_num (infos); i++)
        {
          X509_INFO *info = sk_X509_INFO_value (infos, i);
          if (info->x509)
            {
              X509_up_ref (info->x509);
              sk_X509_push (self->anchors, info->x509);
              added++;
            }
          if (info->crl)
            {
              X509_CRL_up_ref (info->crl);
              sk_X509_CRL_push (self->crls, info->crl);
              added++;
            }
        }
      sk_X509_INFO_pop_free (infos, X509_INFO_free);
    }
  if (added == 0)
    {
      const unsigned char *p = (const unsigned char *) contents;
      X509 *cert = d2i_X509 (NULL, &p, (long) length);
      X509_CRL *crl;

      if (cert)
        {
          sk_X509_push (self->anchors, cert);
          added++;
        }
      else
        {
          p = (const unsigned char *) contents;
          if ((crl = d2i_X509_CRL (NULL, &p, (long) length)))
            {
              sk_X509_CRL_push (self->crls, crl);
              added++;
            }
        }
      ERR_clear_error ();
    }
  g_mutex_unlock (&self->mutex);

  if (added == 0)
    {
      g_set_error (error, PORTEUR_CERT_ERROR, PORTEUR_CERT_ERROR_TRUST_STORE,
                   "%s holds no certificate or CRL", path);
      return FALSE;
    }
  return TRUE;
}

/**
 * porteur_trust_add_defaults:
 *
 * Adds the certification authority's roots (PORTEUR_CA_TRUST, else the `ca-trust` setting when
 * the schema is installed) and the holder's own anchors in $XDG_DATA_HOME/porteur/trust/.
 * Missing sources are not errors; an unreadable file is.
 */
gboolean
porteur_trust_add_defaults (PorteurTrust  *self,
                            GError       **error)
{
  g_autofree char *ca_trust = g_strdup (g_getenv ("PORTEUR_CA_TRUST"));
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "porteur", "trust", NULL);
  g_autoptr(GDir) listing = NULL;
  const char *name;

  if (ca_trust == NULL)
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE) : NULL;

      if (schema)
        {
          g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);
          ca_trust = g_settings_get_string (settings, "ca-trust");
        }
    }
  if (ca_trust && ca_trust[0] && !porteur_trust_add_file (self, ca_trust, error))
    return FALSE;

  if ((listing = g_dir_open (dir, 0, NULL)))
    {
      while ((name = g_dir_read_name (listing)))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);

          if ((g_str_has_suffix (name, ".pem") || g_str_has_suffix (name, ".crt")) &&
              !porteur_trust_add_file (self, path, error))
            return FALSE;
        }
    }
  return TRUE;
}

const char *
porteur_chain_status_to_string (PorteurChainStatus status)
{
  switch (status)
    {
    case PORTEUR_CHAIN_TRUSTED: return "trusted";
    case PORTEUR_CHAIN_UNKNOWN_ISSUER: return "unknown-issuer";
    case PORTEUR_CHAIN_EXPIRED: return "expired";
    case PORTEUR_CHAIN_NOT_YET_VALID: return "not-yet-valid";
    case PORTEUR_CHAIN_BAD_SIGNATURE: return "bad-signature";
    case PORTEUR_CHAIN_REVOKED: return "revoked";
    case PORTEUR_CHAIN_INVALID:
    default: return "invalid";
    }
}

const char *
porteur_revocation_status_to_string (PorteurRevocationStatus status)
{
  switch (status)
    {
    case PORTEUR_REVOCATION_GOOD: return "good";
    case PORTEUR_REVOCATION_REVOKED: return "revoked";
    case PORTEUR_REVOCATION_UNKNOWN: return "unknown";
    case PORTEUR_REVOCATION_NOT_CHECKED:
    default: return "not-checked";
    }
}

/**
 * porteur_trust_verify:
 * @at: the time at which the chain must be valid
 * @out_chain: (out) (optional): the verified chain, leaf first
 *
 * Builds and verifies the chain of @cert to one of our anchors at @at. Revocation is checked
 * separately (porteur_trust_check_revocation()).
 */
PorteurChainStatus
porteur_trust_verify (PorteurTrust     *self,
                      X509             *cert,
                      STACK_OF (X509)  *untrusted,
                      GDateTime        *at,
                      STACK_OF (X509) **out_chain,
                      char            **out_detail)
{
  X509_STORE *store = X509_STORE_new ();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new ();
  PorteurChainStatus status = PORTEUR_CHAIN_INVALID;
  int ok, err;

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_num (self->anchors); i++)
    X509_STORE_add_cert (store, sk_X509_value (self->anchors, i));
  g_mutex_unlock (&self->mutex);
  ERR_clear_error ();

  if (!X509_STORE_CTX_init (ctx, store, cert, untrusted))
    goto out;
  X509_STORE_CTX_set_time (ctx, 0, (time_t) g_date_time_to_unix (at));
  X509_VERIFY_PARAM_set_flags (X509_STORE_CTX_get0_param (ctx), X509_V_FLAG_X509_STRICT);

  ok = X509_verify_cert (ctx);
  err = X509_STORE_CTX_get_error (ctx);
  if (out_detail)
    *out_detail = g_strdup (X509_verify_cert_error_string (err));

  if (ok == 1)
    {
      status = PORTEUR_CHAIN_TRUSTED;
      if (out_chain)
        *out_chain = X509_STORE_CTX_get1_chain (ctx);
    }
  else switch (err)
    {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      status = PORTEUR_CHAIN_UNKNOWN_ISSUER;
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      status = PORTEUR_CHAIN_EXPIRED;
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      status = PORTEUR_CHAIN_NOT_YET_VALID;
      break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      status = PORTEUR_CHAIN_BAD_SIGNATURE;
      break;
    case X509_V_ERR_CERT_REVOKED:
      status = PORTEUR_CHAIN_REVOKED;
      break;
    default:
      status = PORTEUR_CHAIN_INVALID;
    }

out:
  ERR_clear_error ();
  X509_STORE_CTX_free (ctx);
  X509_STORE_free (store);
  return status;
}

void
porteur_revocation_free (PorteurRevocation *revocation)
{
  if (revocation == NULL)
    return;
  g_free (revocation->source);
  g_clear_pointer (&revocation->revocation_time, g_date_time_unref);
  g_free (revocation->detail);
  g_free (revocation);
}

/* Looks @cert up in @crl if @crl is @issuer's, correctly signed and current. Returns FALSE when
 * the CRL says nothing usable about @cert. */
static gboolean
check_crl (X509_CRL          *crl,
           X509              *cert,
           X509              *issuer,
           PorteurRevocation *result)
{
  X509_REVOKED *entry = NULL;
  EVP_PKEY *key = X509_get0_pubkey (issuer);
  const ASN1_TIME *next = X509_CRL_get0_nextUpdate (crl);

  if (X509_NAME_cmp (X509_CRL_get_issuer (crl), X509_get_subject_name (issuer)) != 0)
    return FALSE;
  if (key == NULL || X509_CRL_verify (crl, key) != 1)
    {
      ERR_clear_error ();
      g_free (result->detail);
      result->detail = g_strdup ("a CRL of the issuer has a bad signature");
      return FALSE;
    }
  if (next && X509_cmp_current_time (next) < 0)
    {
      g_free (result->detail);
      result->detail = g_strdup ("the issuer's CRL is out of date");
      return FALSE;
    }

  if (X509_CRL_get0_by_cert (crl, &entry, cert) == 1 && entry)
    {
      int critical = 0;
      ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i (entry, NID_crl_reason, &critical, NULL);

      result->status = PORTEUR_REVOCATION_REVOKED;
      result->revocation_time = porteur_asn1_time_to_datetime (X509_REVOKED_get0_revocationDate (entry));
      result->reason = reason ? (int) ASN1_ENUMERATED_get (reason) : -1;
      ASN1_ENUMERATED_free (reason);
    }
  else
    result->status = PORTEUR_REVOCATION_GOOD;
  return TRUE;
}

static GBytes *
http_fetch (const char   *url,
            const char   *content_type,
            GBytes       *body,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 15, "idle-timeout", 15, NULL);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) response = NULL;

  if (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Unsupported address %s", url);
      return NULL;
    }
  message = soup_message_new (body ? "POST" : "GET", url);
  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Malformed address %s", url);
      return NULL;
    }
  if (body)
    soup_message_set_request_body_from_bytes (message, content_type, body);
  response = soup_session_send_and_read (session, message, cancellable, error);
  if (response == NULL)
    return NULL;
  if (soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s answered HTTP %u", url, soup_message_get_status (message));
      return NULL;
    }
  return g_steal_pointer (&response);
}

static gboolean
check_ocsp (PorteurTrust      *self,
            X509              *cert,
            X509              *issuer,
            GCancellable      *cancellable,
            PorteurRevocation *result)
{
  STACK_OF (OPENSSL_STRING) *urls = X509_get1_ocsp (cert);
  OCSP_CERTID *id = NULL;
  OCSP_REQUEST *request = NULL;
  OCSP_RESPONSE *response = NULL;
  OCSP_BASICRESP *basic = NULL;
  X509_STORE *store = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  unsigned char *der = NULL;
  int der_length, status, reason;
  ASN1_GENERALIZEDTIME *revoked_at = NULL, *this_update = NULL, *next_update = NULL;
  gboolean decided = FALSE;

  if (urls == NULL || sk_OPENSSL_STRING_num (urls) == 0)
    goto out;

  id = OCSP_cert_to_id (NULL, cert, issuer);
  request = OCSP_REQUEST_new ();
  if (!id || !request || !OCSP_request_add0_id (request, OCSP_CERTID_dup (id)))
    goto out;
  OCSP_request_add1_nonce (request, NULL, -1);
  der_length = i2d_OCSP_REQUEST (request, &der);
  if (der_length <= 0)
    goto out;

  {
    g_autoptr(GBytes) body = g_bytes_new (der, der_length);
    answer = http_fetch (sk_OPENSSL_STRING_value (urls, 0), "application/ocsp-request", body, cancellable, &error);
  }
  if (answer == NULL)
    {
      result->detail = g_strdup_printf ("OCSP: %s", error->message);
      goto out;
    }

  {
    gsize length = 0;
    const unsigned char *p = g_bytes_get_data (answer, &length);
    response = d2i_OCSP_RESPONSE (NULL, &p, (long) length);
  }
  if (!response || OCSP_response_status (response) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
      !(basic = OCSP_response_get1_basic (response)))
    {
      result->detail = g_strdup ("OCSP: the responder gave no usable answer");
      goto out;
    }
  if (OCSP_check_nonce (request, basic) == 0)
    {
      result->detail = g_strdup ("OCSP: the answer does not carry our nonce");
      goto out;
    }

  store = X509_STORE_new ();
  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_num (self->anchors); i++)
    X509_STORE_add_cert (store, sk_X509_value (self->anchors, i));
  g_mutex_unlock (&self->mutex);
  {
    STACK_OF (X509) *extra = sk_X509_new_null ();
    sk_X509_push (extra, issuer);
    status = OCSP_basic_verify (basic, extra, store, 0);
    sk_X509_free (extra);
  }
  if (status != 1)
    {
      result->detail = g_strdup ("OCSP: the answer's signature does not verify");
      goto out;
    }
  if (!OCSP_resp_find_status (basic, id, &status, &reason, &revoked_at, &this_update, &next_update))
    {
      result->detail = g_strdup ("OCSP: the answer is about another certificate");
      goto out;
    }
  if (!OCSP_check_validity (this_update, next_update, 300, -1))
    {
      result->detail = g_strdup ("OCSP: the answer is not current");
      goto out;
    }

  g_free (result->source);
  result->source = g_strdup ("ocsp");
  decided = TRUE;
  switch (status)
    {
    case V_OCSP_CERTSTATUS_GOOD:
      result->status = PORTEUR_REVOCATION_GOOD;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      result->status = PORTEUR_REVOCATION_REVOKED;
      result->reason = reason;
      result->revocation_time = porteur_asn1_time_to_datetime (revoked_at);
      break;
    default:
      result->status = PORTEUR_REVOCATION_UNKNOWN;
      result->detail = g_strdup ("OCSP: the responder does not know this certificate");
    }

out:
  ERR_clear_error ();
  OPENSSL_free (der);
  X509_STORE_free (store);
  OCSP_BASICRESP_free (basic);
  OCSP_RESPONSE_free (response);
  OCSP_REQUEST_free (request);
  OCSP_CERTID_free (id);
  X509_email_free (urls);
  return decided;
}

static gboolean
check_distribution_point (X509              *cert,
                          X509              *issuer,
                          GCancellable      *cancellable,
                          PorteurRevocation *result)
{
  STACK_OF (DIST_POINT) *points = X509_get_ext_d2i (cert, NID_crl_distribution_points, NULL, NULL);
  gboolean decided = FALSE;

  for (int i = 0; points && i < sk_DIST_POINT_num (points) && !decided; i++)
    {
      DIST_POINT *point = sk_DIST_POINT_value (points, i);

      if (!point->distpoint || point->distpoint->type != 0)
        continue;
      for (int j = 0; j < sk_GENERAL_NAME_num (point->distpoint->name.fullname) && !decided; j++)
        {
          GENERAL_NAME *name = sk_GENERAL_NAME_value (point->distpoint->name.fullname, j);
          g_autoptr(GBytes) der = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree char *url = NULL;
          const unsigned char *p;
          gsize length = 0;
          X509_CRL *crl;

          if (name->type != GEN_URI)
            continue;
          url = g_strndup ((const char *) ASN1_STRING_get0_data (name->d.uniformResourceIdentifier),
                           ASN1_STRING_length (name->d.uniformResourceIdentifier));
          if (!(der = http_fetch (url, NULL, NULL, cancellable, &error)))
            {
              g_free (result->detail);
              result->detail = g_strdup_printf ("CRL: %s", error->message);
              continue;
            }
          p = g_bytes_get_data (der, &length);
          if ((crl = d2i_X509_CRL (NULL, &p, (long) length)))
            {
              if (check_crl (crl, cert, issuer, result))
                {
                  g_free (result->source);
                  result->source = g_strdup ("crl");
                  decided = TRUE;
                }
              X509_CRL_free (crl);
            }
          ERR_clear_error ();
        }
    }
  sk_DIST_POINT_pop_free (points, DIST_POINT_free);
  return decided;
}

/**
 * porteur_trust_check_revocation:
 * @embedded_crls: (nullable): CRLs carried by the signature or the document
 * @use_network: whether OCSP and CRL distribution points may be queried
 *
 * Blocking: call from a worker thread. "Not checked" is never reported as good.
 */
PorteurRevocation *
porteur_trust_check_revocation (PorteurTrust        *self,
                                X509                *cert,
                                X509                *issuer,
                                STACK_OF (X509_CRL) *embedded_crls,
                                gboolean             use_network,
                                GCancellable        *cancellable)
{
  PorteurRevocation *result = g_new0 (PorteurRevocation, 1);

  result->status = PORTEUR_REVOCATION_NOT_CHECKED;
  result->reason = -1;
  result->source = g_strdup ("");

  if (issuer == NULL)
    {
      result->detail = g_strdup ("the issuer is unknown");
      return result;
    }

  for (int i = 0; embedded_crls && i < sk_X509_CRL_num (embedded_crls); i++)
    {
      if (check_crl (sk_X509_CRL_value (embedded_crls, i), cert, issuer, result))
        {
          g_free (result->source);
          result->source = g_strdup ("embedded-crl");
          return result;
        }
    }

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_CRL_num (self->crls); i++)
    {
      if (check_crl (sk_X509_CRL_value (self->crls, i), cert, issuer, result))
        {
          g_free (result->source);
          result->source = g_strdup ("crl");
          g_mutex_unlock (&self->mutex);
          return result;
        }
    }
  g_mutex_unlock (&self->mutex);

  if (!use_network)
    {
      if (result->detail == NULL)
        result->detail = g_strdup ("no revocation data is embedded and the network was not used");
      return result;
    }

  if (check_ocsp (self, cert, issuer, cancellable, result))
    return result;
  if (check_distribution_point (cert, issuer, cancellable, result))
    return result;

  result->status = PORTEUR_REVOCATION_UNKNOWN;
  if (result->detail == NULL)
    result->detail = g_strdup ("the certificate names no OCSP responder or CRL that answered");
  return result;
}
