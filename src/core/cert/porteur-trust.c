/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/porteur-crl.h"
#include "ca/porteur-ocsp.h"
#include "porteur-cert.h"
#include "porteur-trust.h"

/*
 * Porteur's own trust store: the certification authority's roots (GSettings ca-trust or
 * PORTEUR_CA_TRUST), the holder's own anchors ($XDG_DATA_HOME/porteur/trust, PEM files) and any file
 * added for one run. Never the system's web PKI: a qualified signature chains to a CA we name.
 * Revocation is checked from embedded or loaded CRLs, then (when the network is allowed) OCSP
 * from the certificate's AIA, then its CRL distribution point. Every answer is verified, by the
 * one OCSP client and the one CRL client of the application (src/core/ca/porteur-ocsp.c and
 * porteur-crl.c).
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

static void
set_detail (PorteurRevocation *result,
            const char        *prefix,
            const GError      *error)
{
  g_free (result->detail);
  result->detail = g_strdup_printf ("%s%s", prefix, error->message);
}

static void
fill_from_crl (PorteurRevocation *result,
               PorteurCrlResult  *crl,
               const char        *source)
{
  GDateTime *when = porteur_crl_result_get_revocation_time (crl);

  result->status = porteur_crl_result_get_status (crl) == PORTEUR_CERT_STATUS_REVOKED
                   ? PORTEUR_REVOCATION_REVOKED : PORTEUR_REVOCATION_GOOD;
  result->reason = porteur_crl_result_get_revocation_reason (crl);
  g_clear_pointer (&result->revocation_time, g_date_time_unref);
  result->revocation_time = when ? g_date_time_ref (when) : NULL;
  g_free (result->source);
  result->source = g_strdup (source);
}

/* Looks @cert up in @crl if @crl is @issuer's, correctly signed and current. Returns FALSE when
 * the CRL says nothing usable about @cert. */
static gboolean
check_crl (X509_CRL          *crl,
           X509              *cert,
           X509              *issuer,
           const char        *source,
           PorteurRevocation *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCrlResult) answer = porteur_crl_check_crl (crl, cert, issuer, source, &error);

  if (answer == NULL)
    {
      /* another CA's CRL is simply not about this certificate */
      if (!g_error_matches (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_WRONG_ISSUER))
        set_detail (result, "", error);
      return FALSE;
    }
  fill_from_crl (result, answer, source);
  return TRUE;
}

static gboolean
check_ocsp (PorteurTrust      *self,
            X509              *cert,
            X509              *issuer,
            GCancellable      *cancellable,
            PorteurRevocation *result)
{
  g_autoptr(PorteurOcspClient) client = porteur_ocsp_client_new ();
  g_autoptr(PorteurOcspResult) answer = NULL;
  g_autoptr(GError) error = NULL;
  GDateTime *when;

  /* As before the move: many public responders (RFC 5019 profile, CDN caches) answer without
   * the nonce; a different nonce is still refused, and freshness is always checked. */
  porteur_ocsp_client_set_allow_no_nonce (client, TRUE);

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_num (self->anchors); i++)
    porteur_ocsp_client_add_trust_cert (client, sk_X509_value (self->anchors, i));
  g_mutex_unlock (&self->mutex);

  answer = porteur_ocsp_client_check_sync (client, cert, issuer, NULL, cancellable, &error);
  if (answer == NULL)
    {
      if (!g_error_matches (error, PORTEUR_OCSP_ERROR, PORTEUR_OCSP_ERROR_NO_RESPONDER))
        set_detail (result, "OCSP: ", error);
      return FALSE;
    }

  g_free (result->source);
  result->source = g_strdup ("ocsp");
  switch (porteur_ocsp_result_get_status (answer))
    {
    case PORTEUR_CERT_STATUS_GOOD:
      result->status = PORTEUR_REVOCATION_GOOD;
      break;
    case PORTEUR_CERT_STATUS_REVOKED:
      result->status = PORTEUR_REVOCATION_REVOKED;
      result->reason = porteur_ocsp_result_get_revocation_reason (answer);
      when = porteur_ocsp_result_get_revocation_time (answer);
      result->revocation_time = when ? g_date_time_ref (when) : NULL;
      break;
    case PORTEUR_CERT_STATUS_UNKNOWN:
    default:
      result->status = PORTEUR_REVOCATION_UNKNOWN;
      g_free (result->detail);
      result->detail = g_strdup ("OCSP: the responder does not know this certificate");
    }
  return TRUE;
}

static gboolean
check_distribution_point (X509              *cert,
                          X509              *issuer,
                          GCancellable      *cancellable,
                          PorteurRevocation *result)
{
  g_autoptr(PorteurCrlClient) client = porteur_crl_client_new ();
  g_autoptr(PorteurCrlResult) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = porteur_crl_client_check_sync (client, cert, issuer, NULL, cancellable, &error);
  if (answer == NULL)
    {
      if (!g_error_matches (error, PORTEUR_CRL_ERROR, PORTEUR_CRL_ERROR_NO_DISTRIBUTION_POINT))
        set_detail (result, "CRL: ", error);
      return FALSE;
    }
  fill_from_crl (result, answer, "crl");
  return TRUE;
}

/* Whether @when is at or after @proven_time (which a trusted timestamp established). */
static gboolean
produced_after (const ASN1_TIME *when,
                GDateTime       *proven_time)
{
  g_autoptr(GDateTime) t = when ? porteur_asn1_time_to_datetime (when) : NULL;

  return proven_time && t && g_date_time_compare (t, proven_time) >= 0;
}

static X509_STORE *
anchor_store (PorteurTrust *self)
{
  X509_STORE *store = X509_STORE_new ();

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_num (self->anchors); i++)
    X509_STORE_add_cert (store, sk_X509_value (self->anchors, i));
  g_mutex_unlock (&self->mutex);
  return store;
}

/* An OCSP response carried by the document: signed by the issuer or a responder it delegated
 * to (checked by OpenSSL against our anchors), about @cert, and current — or produced after a
 * time a trusted timestamp proved. Returns FALSE when it says nothing usable about @cert. */
static gboolean
check_embedded_ocsp (PorteurTrust      *self,
                     GBytes            *der,
                     X509              *cert,
                     X509              *issuer,
                     STACK_OF (X509)   *certs,
                     GDateTime         *proven_time,
                     PorteurRevocation *result)
{
  gsize length = 0;
  const unsigned char *p = g_bytes_get_data (der, &length);
  OCSP_RESPONSE *response = d2i_OCSP_RESPONSE (NULL, &p, (long) MIN (length, G_MAXLONG));
  OCSP_BASICRESP *basic = NULL;
  X509_STORE *store = NULL;
  STACK_OF (X509) *extra = NULL;
  gboolean decided = FALSE;

  if (!response || OCSP_response_status (response) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
      !(basic = OCSP_response_get1_basic (response)))
    goto out;

  store = anchor_store (self);
  extra = sk_X509_new_null ();
  sk_X509_push (extra, issuer);
  for (int i = 0; certs && i < sk_X509_num (certs); i++)
    sk_X509_push (extra, sk_X509_value (certs, i));
  if (OCSP_basic_verify (basic, extra, store, 0) != 1)
    {
      g_free (result->detail);
      result->detail = g_strdup ("an embedded OCSP response's signature does not verify");
      goto out;
    }

  for (int i = 0; i < OCSP_resp_count (basic) && !decided; i++)
    {
      OCSP_SINGLERESP *single = OCSP_resp_get0 (basic, i);
      const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id (single);
      ASN1_OBJECT *md_oid = NULL;
      const EVP_MD *md;
      OCSP_CERTID *id;
      ASN1_GENERALIZEDTIME *revoked_at = NULL, *this_update = NULL, *next_update = NULL;
      int status, reason = -1;

      OCSP_id_get0_info (NULL, &md_oid, NULL, NULL, (OCSP_CERTID *) cid);
      if (!(md = EVP_get_digestbyobj (md_oid)) || !(id = OCSP_cert_to_id (md, cert, issuer)))
        continue;
      if (OCSP_id_cmp (id, cid) == 0)
        {
          status = OCSP_single_get0_status (single, &reason, &revoked_at, &this_update, &next_update);
          if (!OCSP_check_validity (this_update, next_update, 300, -1) && !produced_after (this_update, proven_time))
            {
              g_free (result->detail);
              result->detail = g_strdup ("an embedded OCSP response is out of date");
            }
          else if (status == V_OCSP_CERTSTATUS_GOOD || status == V_OCSP_CERTSTATUS_REVOKED)
            {
              decided = TRUE;
              result->status = status == V_OCSP_CERTSTATUS_GOOD ? PORTEUR_REVOCATION_GOOD : PORTEUR_REVOCATION_REVOKED;
              if (status == V_OCSP_CERTSTATUS_REVOKED)
                {
                  result->reason = reason;
                  g_clear_pointer (&result->revocation_time, g_date_time_unref);
                  result->revocation_time = porteur_asn1_time_to_datetime (revoked_at);
                }
            }
        }
      OCSP_CERTID_free (id);
    }

out:
  ERR_clear_error ();
  sk_X509_free (extra);
  X509_STORE_free (store);
  OCSP_BASICRESP_free (basic);
  OCSP_RESPONSE_free (response);
  return decided;
}

/* What the embedded data says: revoked as soon as one source says so, good when one says so and
 * none says revoked. CRLs go through the ca CRL client's checks (the issuer's, signed, current). */
static gboolean
check_embedded (PorteurTrust                    *self,
                X509                            *cert,
                X509                            *issuer,
                const PorteurEmbeddedRevocation *embedded,
                PorteurRevocation               *result)
{
  const char *good_source = NULL;

  for (int i = 0; embedded->crls && i < sk_X509_CRL_num (embedded->crls); i++)
    {
      PorteurRevocation probe = { PORTEUR_REVOCATION_NOT_CHECKED, g_strdup (""), NULL, -1, NULL };
      gboolean decided = check_crl (sk_X509_CRL_value (embedded->crls, i), cert, issuer, "embedded-crl", &probe);

      if (decided && probe.status == PORTEUR_REVOCATION_REVOKED)
        {
          g_free (result->source);
          result->source = probe.source;
          result->status = probe.status;
          result->reason = probe.reason;
          result->revocation_time = probe.revocation_time;
          g_free (probe.detail);
          return TRUE;
        }
      if (decided)
        good_source = "embedded-crl";
      else if (probe.detail)
        {
          g_free (result->detail);
          result->detail = g_steal_pointer (&probe.detail);
        }
      g_free (probe.source);
      g_clear_pointer (&probe.revocation_time, g_date_time_unref);
      g_free (probe.detail);
    }
  for (guint i = 0; embedded->ocsp_responses && i < embedded->ocsp_responses->len; i++)
    {
      PorteurRevocation probe = { PORTEUR_REVOCATION_NOT_CHECKED, NULL, NULL, -1, NULL };
      gboolean decided = check_embedded_ocsp (self, g_ptr_array_index (embedded->ocsp_responses, i), cert, issuer,
                                              embedded->certs, embedded->proven_time, &probe);

      if (decided && probe.status == PORTEUR_REVOCATION_REVOKED)
        {
          g_free (result->source);
          result->source = g_strdup ("embedded-ocsp");
          result->status = probe.status;
          result->reason = probe.reason;
          result->revocation_time = probe.revocation_time;
          g_free (probe.detail);
          return TRUE;
        }
      if (decided && good_source == NULL)
        good_source = "embedded-ocsp";
      else if (!decided && probe.detail)
        {
          g_free (result->detail);
          result->detail = g_steal_pointer (&probe.detail);
        }
      g_clear_pointer (&probe.revocation_time, g_date_time_unref);
      g_free (probe.detail);
    }
  if (good_source)
    {
      result->status = PORTEUR_REVOCATION_GOOD;
      g_free (result->source);
      result->source = g_strdup (good_source);
      return TRUE;
    }
  return FALSE;
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
  PorteurEmbeddedRevocation embedded = { embedded_crls, NULL, NULL, NULL };

  return porteur_trust_check_revocation_full (self, cert, issuer, &embedded, use_network, cancellable);
}

/**
 * porteur_trust_check_revocation_full:
 * @embedded: (nullable): revocation data carried by the document or the signature
 * @use_network: whether OCSP and CRL distribution points may be queried
 *
 * Blocking: call from a worker thread. Embedded data first (offline), then the trust store's
 * CRLs, then the network when allowed. "Not checked" is never reported as good.
 */
PorteurRevocation *
porteur_trust_check_revocation_full (PorteurTrust                    *self,
                                     X509                            *cert,
                                     X509                            *issuer,
                                     const PorteurEmbeddedRevocation *embedded,
                                     gboolean                         use_network,
                                     GCancellable                    *cancellable)
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

  if (embedded && check_embedded (self, cert, issuer, embedded, result))
    return result;

  g_mutex_lock (&self->mutex);
  for (int i = 0; i < sk_X509_CRL_num (self->crls); i++)
    {
      if (check_crl (sk_X509_CRL_value (self->crls, i), cert, issuer, "crl", result))
        {
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
