/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ca-sim-cmp.h"

/* The CMP endpoint at /pkix/ (RFC 4210/9480 over HTTP, application/pkixcmp), on
 * OpenSSL 3.0's server API: one OSSL_CMP_SRV_CTX per transaction (keyed by
 * transactionID), with our process_cert_request / process_rr / process_pollReq /
 * process_certConf callbacks.
 *  - IR and P10CR: protected by PBM with an order's enrollment reference
 *    (senderKID) and one-time secret; issued only when the order is validated
 *    (or has its delivery appointment), answered "waiting" from submission
 *    until then (pollRep with the time left before the validation is due,
 *    at most MAX_CHECK_AFTER), refused with the office's reason when it
 *    rejects the order; the subject is the one the CA certifies for the dossier.
 *  - KUR: signed with a current certificate of this CA; the old certificate
 *    (oldCertID) must be good; same subject, new key.
 *  - RR: signed with a current certificate of this CA; revokes with the
 *    CRLReason of the request.
 * Issued certificates go to the certificates table (OCSP and CRL see them). */

#define CMP_MEDIA_TYPE "application/pkixcmp"
#define TRANSACTION_LIFETIME (15 * 60)
/* The longest checkAfter of a pollRep: a client polls again before the
 * transaction expires. */
#define MAX_CHECK_AFTER (10 * 60)

/* PKIBody choices (RFC 4210 §5.1.2); OpenSSL 3.0 keeps these names private. */
enum {
  BODY_IR = 0, BODY_IP = 1, BODY_CR = 2, BODY_CP = 3, BODY_P10CR = 4, BODY_KUR = 7, BODY_KUP = 8,
  BODY_RR = 11, BODY_RP = 12, BODY_PKICONF = 19, BODY_GENM = 21, BODY_ERROR = 23, BODY_CERTCONF = 24,
  BODY_POLLREQ = 25,
};

typedef struct
{
  CaSim            *sim;
  OSSL_CMP_SRV_CTX *srv;
  char             *number;    /* the order (PBM transactions) */
  OSSL_CMP_MSG     *pending;   /* the request answered "waiting", replayed once validated */
  char             *issued;    /* serial (hex) of the certificate issued in this transaction */
  gint64            last_used;
  gboolean          done;
} Transaction;

static void
transaction_free (Transaction *tr)
{
  OSSL_CMP_SRV_CTX_free (tr->srv);
  OSSL_CMP_MSG_free (tr->pending);
  g_free (tr->number);
  g_free (tr->issued);
  g_free (tr);
}

/* ---- DER walking for what OpenSSL 3.0 does not expose ---- */

typedef struct
{
  const unsigned char *tlv;
  long                 tlv_len;
  const unsigned char *content;
  long                 len;
  int                  tag;
  int                  cls;
} Der;

static gboolean
der_read (const unsigned char **p,
          const unsigned char  *end,
          Der                  *out)
{
  const unsigned char *start = *p;
  long len = 0;
  int tag, cls, flags;

  if (start >= end)
    return FALSE;
  flags = ASN1_get_object (p, &len, &tag, &cls, end - start);
  if ((flags & 0x80) || flags == 0x21 || len > end - *p)
    {
      ERR_clear_error ();
      return FALSE;
    }
  out->tlv = start;
  out->content = *p;
  out->len = len;
  out->tag = tag;
  out->cls = cls;
  out->tlv_len = (*p - start) + len;
  *p += len;
  return TRUE;
}

/* The @index-th child of @parent, or its child with context tag @tag when @index < 0. */
static gboolean
der_child (const Der *parent,
           int        index,
           int        tag,
           Der       *out)
{
  const unsigned char *p = parent->content;
  const unsigned char *end = parent->content + parent->len;

  for (int i = 0; der_read (&p, end, out); i++)
    {
      if (index >= 0 && i == index)
        return TRUE;
      if (index < 0 && out->cls == V_ASN1_CONTEXT_SPECIFIC && out->tag == tag)
        return TRUE;
    }
  return FALSE;
}

static gboolean
der_top (const unsigned char *der,
         long                 len,
         Der                 *out)
{
  const unsigned char *p = der;

  return der_read (&p, der + len, out);
}

/* The header's senderKID ([2] EXPLICIT KeyIdentifier), or NULL. */
static char *
sender_kid (const OSSL_CMP_MSG *msg)
{
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_PKIHEADER (OSSL_CMP_MSG_get0_header (msg), &der);
  Der header, tagged, octets;
  char *kid = NULL;

  if (len > 0 && der_top (der, len, &header) && der_child (&header, -1, 2, &tagged) &&
      der_child (&tagged, 0, 0, &octets) && octets.cls == V_ASN1_UNIVERSAL && octets.tag == V_ASN1_OCTET_STRING)
    kid = g_strndup ((const char *) octets.content, octets.len);
  OPENSSL_free (der);
  return kid;
}

/* The certificate template's public key ([6] IMPLICIT SubjectPublicKeyInfo). */
static EVP_PKEY *
template_key (const OSSL_CRMF_MSG *crm)
{
  unsigned char *der = NULL;
  int len = i2d_OSSL_CRMF_CERTTEMPLATE (OSSL_CRMF_MSG_get0_tmpl (crm), &der);
  EVP_PKEY *key = NULL;
  Der tmpl, spki;

  if (len > 0 && der_top (der, len, &tmpl) && der_child (&tmpl, -1, 6, &spki) && spki.tlv_len > 2)
    {
      unsigned char *copy = g_memdup2 (spki.tlv, spki.tlv_len);
      const unsigned char *p = copy;

      copy[0] = 0x30;  /* the SEQUENCE the implicit tag stands for */
      key = d2i_PUBKEY (NULL, &p, spki.tlv_len);
      g_free (copy);
    }
  OPENSSL_free (der);
  ERR_clear_error ();
  return key;
}

/* The CRLReason of the first RevDetails of an RR, or 0 (unspecified). */
static int
rr_reason (const OSSL_CMP_MSG *msg)
{
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG (msg, &der);
  Der message, body, details_seq, details, exts_der;
  int reason = 0;

  if (len > 0 && der_top (der, len, &message) && der_child (&message, 1, 0, &body) &&
      der_child (&body, 0, 0, &details_seq) && der_child (&details_seq, 0, 0, &details) &&
      der_child (&details, 1, 0, &exts_der))
    {
      const unsigned char *p = exts_der.tlv;
      STACK_OF (X509_EXTENSION) *exts = d2i_X509_EXTENSIONS (NULL, &p, exts_der.tlv_len);
      ASN1_ENUMERATED *code = exts ? X509V3_get_d2i (exts, NID_crl_reason, NULL, NULL) : NULL;

      if (code)
        reason = (int) ASN1_ENUMERATED_get (code);
      ASN1_ENUMERATED_free (code);
      sk_X509_EXTENSION_pop_free (exts, X509_EXTENSION_free);
    }
  OPENSSL_free (der);
  ERR_clear_error ();
  return reason;
}

/* ---- callbacks ---- */

static OSSL_CMP_PKISI *
refuse (int         fail_info,
        const char *text)
{
  g_debug ("CMP: refused: %s", text);
  return OSSL_CMP_STATUSINFO_new (OSSL_CMP_PKISTATUS_rejection, 1 << fail_info, text);
}

static gboolean
write_db (CaSim    *sim,
          gboolean (*func) (CaSimDb *, const char *, gpointer, GError **),
          const char *arg,
          gpointer  data,
          GError  **error)
{
  if (!ca_sim_db_begin (sim->db, error))
    return FALSE;
  if (!func (sim->db, arg, data, error) || !ca_sim_db_commit (sim->db, error))
    {
      ca_sim_db_rollback (sim->db);
      return FALSE;
    }
  return TRUE;
}

static gboolean
db_record (CaSimDb *db, const char *number, gpointer cert, GError **error)
{
  return ca_sim_db_record_certificate (db, number, cert, error);
}

static gboolean
db_revoke (CaSimDb *db, const char *serial, gpointer reason, GError **error)
{
  return ca_sim_db_revoke (db, serial, GPOINTER_TO_INT (reason), error);
}

static OSSL_CMP_PKISI *
issue (Transaction      *tr,
       EVP_PKEY         *key,
       X509_NAME        *subject,
       X509            **cert_out,
       STACK_OF (X509) **chain_out,
       STACK_OF (X509) **ca_pubs)
{
  CaSim *sim = tr->sim;
  g_autoptr(GError) error = NULL;
  X509 *cert = ca_sim_pki_issue (sim->pki, key, subject, sim->base_url, 3 * 365, &error);

  if (cert == NULL || !write_db (sim, db_record, tr->number, cert, &error))
    {
      g_warning ("CMP: cannot issue: %s", error ? error->message : "unknown error");
      X509_free (cert);
      return refuse (OSSL_CMP_PKIFAILUREINFO_systemFailure, "the certificate could not be issued");
    }
  g_free (tr->issued);
  tr->issued = ca_sim_serial_hex (X509_get0_serialNumber (cert));
  *cert_out = cert;
  *chain_out = sk_X509_new_null ();
  X509_up_ref (sim->pki->issuing);
  sk_X509_push (*chain_out, sim->pki->issuing);
  *ca_pubs = sk_X509_new_null ();
  X509_up_ref (sim->pki->root);
  sk_X509_push (*ca_pubs, sim->pki->root);
  g_debug ("CMP: issued %s for order %s", tr->issued, tr->number ? tr->number : "(key update)");
  return OSSL_CMP_STATUSINFO_new (OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

/* The old certificate of a KUR, from the certificates table, if good. */
static X509 *
good_certificate (CaSim               *sim,
                  const ASN1_INTEGER  *serial,
                  const char         **problem)
{
  g_autofree char *hex = ca_sim_serial_hex (serial);
  sqlite3 *handle = ca_sim_db_get_handle (sim->db);
  sqlite3_stmt *stmt = NULL;
  X509 *cert = NULL;

  switch (ca_sim_db_cert_status (sim->db, hex, NULL, NULL))
    {
    case CA_SIM_CERT_GOOD:
      break;
    case CA_SIM_CERT_REVOKED:
      *problem = "the certificate to renew is revoked";
      return NULL;
    default:
      *problem = "the certificate to renew is unknown";
      return NULL;
    }
  if (sqlite3_prepare_v2 (handle, "SELECT der FROM certificates WHERE serial = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, hex, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const unsigned char *p = sqlite3_column_blob (stmt, 0);

          cert = d2i_X509 (NULL, &p, sqlite3_column_bytes (stmt, 0));
        }
    }
  sqlite3_finalize (stmt);
  if (cert == NULL)
    *problem = "the certificate to renew is not in the database";
  return cert;
}

static OSSL_CMP_PKISI *
process_cert_request (OSSL_CMP_SRV_CTX    *srv,
                      const OSSL_CMP_MSG  *req,
                      int                  cert_req_id,
                      const OSSL_CRMF_MSG *crm,
                      const X509_REQ      *p10cr,
                      X509               **cert_out,
                      STACK_OF (X509)    **chain_out,
                      STACK_OF (X509)    **ca_pubs)
{
  Transaction *tr = OSSL_CMP_SRV_CTX_get0_custom_ctx (srv);
  int type = OSSL_CMP_MSG_get_bodytype (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimEnrollment) enrollment = NULL;
  EVP_PKEY *key = NULL;
  OSSL_CMP_PKISI *si;

  if (type == BODY_KUR)
    {
      const char *problem = NULL;
      OSSL_CRMF_CERTID *old_id = crm ? OSSL_CRMF_MSG_get0_regCtrl_oldCertID (crm) : NULL;
      X509 *old;

      if (tr->number)
        return refuse (OSSL_CMP_PKIFAILUREINFO_notAuthorized, "a key update must be signed with the current certificate");
      if (old_id == NULL ||
          X509_NAME_cmp (OSSL_CRMF_CERTID_get0_issuer (old_id), X509_get_subject_name (tr->sim->pki->issuing)) != 0)
        return refuse (OSSL_CMP_PKIFAILUREINFO_badCertId, "the certificate to renew is not one of this CA");
      if (!(old = good_certificate (tr->sim, OSSL_CRMF_CERTID_get0_serialNumber (old_id), &problem)))
        return refuse (OSSL_CMP_PKIFAILUREINFO_badCertId, problem);
      if (!(key = template_key (crm)))
        {
          X509_free (old);
          return refuse (OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the request carries no public key");
        }
      si = issue (tr, key, X509_get_subject_name (old), cert_out, chain_out, ca_pubs);
      X509_free (old);
      EVP_PKEY_free (key);
      return si;
    }

  /* IR, CR, P10CR: only for an order, by its reference and one-time secret. */
  if (tr->number == NULL)
    return refuse (OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                   "a first certificate is requested with the order's reference and secret");
  if (!(enrollment = ca_sim_db_lookup_order_enrollment (tr->sim->db, tr->number, &error)))
    return refuse (OSSL_CMP_PKIFAILUREINFO_badRequest, error->message);
  if (g_str_equal (enrollment->status, CA_SIM_WAITING_DOCUMENTS) ||
      g_str_equal (enrollment->status, CA_SIM_DOCUMENTS_COMPLETE))
    {
      /* The registration office has not validated yet: answer "waiting", replay on pollReq. */
      OSSL_CMP_MSG_free (tr->pending);
      tr->pending = OSSL_CMP_MSG_dup (req);
      return OSSL_CMP_STATUSINFO_new (OSSL_CMP_PKISTATUS_waiting, 0,
                                      g_str_equal (enrollment->status, CA_SIM_WAITING_DOCUMENTS)
                                      ? "the registration office is waiting for the signed documents"
                                      : "the registration office is validating the order");
    }
  if (g_str_equal (enrollment->status, CA_SIM_REJECTED))
    {
      g_autoptr(CaSimOrder) order = ca_sim_db_get_order (tr->sim->db, tr->number, NULL);
      g_autofree char *text = g_strdup_printf ("the registration office rejected the order: %s",
                                               order && order->reason ? order->reason : "no reason given");

      return refuse (OSSL_CMP_PKIFAILUREINFO_notAuthorized, text);
    }
  if (!g_str_equal (enrollment->status, CA_SIM_VALIDATED) && !g_str_equal (enrollment->status, CA_SIM_APPOINTMENT))
    {
      g_autofree char *text = g_strdup_printf ("the order is %s", enrollment->status);

      return refuse (OSSL_CMP_PKIFAILUREINFO_notAuthorized, text);
    }
  if (p10cr)
    {
      if (X509_REQ_verify ((X509_REQ *) p10cr, X509_REQ_get0_pubkey ((X509_REQ *) p10cr)) != 1)
        {
          ERR_clear_error ();
          return refuse (OSSL_CMP_PKIFAILUREINFO_badPOP, "the PKCS#10 signature does not verify");
        }
      key = X509_REQ_get0_pubkey ((X509_REQ *) p10cr);
      EVP_PKEY_up_ref (key);
    }
  else if (!crm || !(key = template_key (crm)))
    return refuse (OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "the request carries no public key");
  si = issue (tr, key, enrollment->subject, cert_out, chain_out, ca_pubs);
  EVP_PKEY_free (key);
  return si;
}

static OSSL_CMP_PKISI *
process_rr (OSSL_CMP_SRV_CTX    *srv,
            const OSSL_CMP_MSG  *req,
            const X509_NAME     *issuer,
            const ASN1_INTEGER  *serial)
{
  Transaction *tr = OSSL_CMP_SRV_CTX_get0_custom_ctx (srv);
  g_autofree char *hex = NULL;
  g_autoptr(GError) error = NULL;
  int reason;

  if (tr->number)
    return refuse (OSSL_CMP_PKIFAILUREINFO_notAuthorized, "a revocation must be signed with a current certificate");
  if (issuer == NULL || serial == NULL || X509_NAME_cmp (issuer, X509_get_subject_name (tr->sim->pki->issuing)) != 0)
    return refuse (OSSL_CMP_PKIFAILUREINFO_badCertId, "the certificate is not one of this CA");
  hex = ca_sim_serial_hex (serial);
  switch (ca_sim_db_cert_status (tr->sim->db, hex, NULL, NULL))
    {
    case CA_SIM_CERT_GOOD:
      break;
    case CA_SIM_CERT_REVOKED:
      return refuse (OSSL_CMP_PKIFAILUREINFO_certRevoked, "the certificate is already revoked");
    default:
      return refuse (OSSL_CMP_PKIFAILUREINFO_badCertId, "the certificate is unknown");
    }
  reason = rr_reason (req);
  if (reason < 0 || reason > 10 || reason == 7)
    reason = 0;
  if (!write_db (tr->sim, db_revoke, hex, GINT_TO_POINTER (reason), &error))
    {
      g_warning ("CMP: cannot revoke %s: %s", hex, error->message);
      return refuse (OSSL_CMP_PKIFAILUREINFO_systemFailure, "the revocation could not be recorded");
    }
  g_debug ("CMP: revoked %s (reason %d)", hex, reason);
  return OSSL_CMP_STATUSINFO_new (OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

static int
process_pollReq (OSSL_CMP_SRV_CTX    *srv,
                 const OSSL_CMP_MSG  *req,
                 int                  cert_req_id,
                 OSSL_CMP_MSG       **cert_req,
                 int64_t             *check_after)
{
  Transaction *tr = OSSL_CMP_SRV_CTX_get0_custom_ctx (srv);
  g_autoptr(CaSimOrder) order = NULL;

  *cert_req = NULL;
  if (tr->pending == NULL || tr->number == NULL ||
      !(order = ca_sim_db_get_order (tr->sim->db, tr->number, NULL)))
    return 0;
  if (g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE) || g_str_equal (order->status, CA_SIM_WAITING_DOCUMENTS))
    {
      /* Ask again when the validation is due: the time left, or the whole
       * validation delay while the documents are still awaited. Capped below
       * the transaction's lifetime, and the office may validate earlier. */
      gint64 left = g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE)
                    ? order->validation_due - ca_sim_db_now (tr->sim->db)
                    : tr->sim->validation_delay;

      *check_after = CLAMP (left, 1, MAX_CHECK_AFTER);
      return 1;
    }
  /* Validated (or refused): process the request again. */
  *cert_req = tr->pending;
  tr->pending = NULL;
  return 1;
}

static int
process_certConf (OSSL_CMP_SRV_CTX        *srv,
                  const OSSL_CMP_MSG      *req,
                  int                      cert_req_id,
                  const ASN1_OCTET_STRING *cert_hash,
                  const OSSL_CMP_PKISI    *si)
{
  Transaction *tr = OSSL_CMP_SRV_CTX_get0_custom_ctx (srv);
  char text[256];

  if (si && tr->issued && OSSL_CMP_snprint_PKIStatusInfo (si, text, sizeof text) && strstr (text, "rejection"))
    {
      /* The holder did not accept the certificate: it must not stay valid. */
      g_debug ("CMP: certificate %s refused by the client (%s): revoking it", tr->issued, text);
      write_db (tr->sim, db_revoke, tr->issued, GINT_TO_POINTER (0), NULL);
    }
  tr->done = TRUE;
  return 1;
}

static void
process_error (OSSL_CMP_SRV_CTX           *srv,
               const OSSL_CMP_MSG         *req,
               const OSSL_CMP_PKISI       *status,
               const ASN1_INTEGER         *code,
               const OSSL_CMP_PKIFREETEXT *details)
{
  Transaction *tr = OSSL_CMP_SRV_CTX_get0_custom_ctx (srv);

  g_debug ("CMP: the client abandoned the transaction");
  tr->done = TRUE;
}

static int
log_cb (const char *func, const char *file, int line, OSSL_CMP_severity level, const char *msg)
{
  g_debug ("CMP server %s: %s", func ? func : "", msg);
  return 1;
}

/* ---- the HTTP side ---- */

static Transaction *
transaction_new (CaSim              *sim,
                 const OSSL_CMP_MSG *req)
{
  Transaction *tr = g_new0 (Transaction, 1);
  g_autofree char *kid = sender_kid (req);
  g_autoptr(CaSimEnrollment) enrollment = NULL;
  OSSL_CMP_CTX *ctx;

  tr->sim = sim;
  tr->srv = OSSL_CMP_SRV_CTX_new (NULL, NULL);
  ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx (tr->srv);
  OSSL_CMP_CTX_set_log_cb (ctx, log_cb);
  OSSL_CMP_SRV_CTX_init (tr->srv, tr, process_cert_request, process_rr, NULL, process_error,
                         process_certConf, process_pollReq);
  OSSL_CMP_SRV_CTX_set_accept_unprotected (tr->srv, 0);
  OSSL_CMP_SRV_CTX_set_send_unprotected_errors (tr->srv, 0);

  if (kid && (enrollment = ca_sim_db_lookup_enrollment (sim->db, kid, NULL)))
    {
      /* An order's reference: PBM both ways with its one-time secret. */
      tr->number = g_strdup (enrollment->number);
      OSSL_CMP_CTX_set1_referenceValue (ctx, (const unsigned char *) enrollment->reference,
                                        strlen (enrollment->reference));
      OSSL_CMP_CTX_set1_secretValue (ctx, (const unsigned char *) enrollment->secret,
                                     strlen (enrollment->secret));
    }
  else
    {
      /* Signed by a holder's certificate of this CA; we answer signed by the RA. */
      X509_STORE *store = X509_STORE_new ();
      STACK_OF (X509) *untrusted = sk_X509_new_null ();

      X509_STORE_add_cert (store, sim->pki->root);
      sk_X509_push (untrusted, sim->pki->issuing);
      OSSL_CMP_CTX_set0_trustedStore (ctx, store);
      OSSL_CMP_CTX_set1_untrusted (ctx, untrusted);
      sk_X509_free (untrusted);
      OSSL_CMP_CTX_set1_cert (ctx, sim->pki->cmp);
      OSSL_CMP_CTX_set1_pkey (ctx, sim->pki->cmp_key);
      /* A qualified signature certificate has nonRepudiation only: accept it to sign the
       * KUR and RR of its holder (OpenSSL asks for digitalSignature otherwise). */
      OSSL_CMP_CTX_set_option (ctx, OSSL_CMP_OPT_IGNORE_KEYUSAGE, 1);
    }
  ERR_clear_error ();
  return tr;
}

static char *
transaction_key (const OSSL_CMP_MSG *msg)
{
  ASN1_OCTET_STRING *id = OSSL_CMP_HDR_get0_transactionID (OSSL_CMP_MSG_get0_header (msg));
  char *hex, *key;

  if (id == NULL || !(hex = OPENSSL_buf2hexstr (ASN1_STRING_get0_data (id), ASN1_STRING_length (id))))
    return NULL;
  key = g_strdup (hex);
  OPENSSL_free (hex);
  return key;
}

static gboolean
expired (gpointer key, gpointer value, gpointer data)
{
  Transaction *tr = value;

  return tr->done || g_get_monotonic_time () - tr->last_used > TRANSACTION_LIFETIME * G_USEC_PER_SEC;
}

static void
cmp_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  CaSim *sim = user_data;
  GHashTable *transactions = g_object_get_data (G_OBJECT (server), "ca-sim-cmp-transactions");
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  g_autofree char *fault = ca_sim_db_take_fault (sim->db, soup_server_message_get_method (msg), path);
  g_autoptr(GBytes) body = NULL;
  char *key = NULL;
  const unsigned char *p;
  unsigned char *der = NULL;
  OSSL_CMP_MSG *req = NULL, *rsp = NULL;
  Transaction *tr;
  gsize length = 0;
  int der_length, body_type;

  if (fault)
    {
      ca_sim_apply_fault (sim, msg, fault);
      return;
    }
  if (!g_str_equal (path, "/pkix/") && !g_str_equal (path, "/pkix"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (type == NULL || g_ascii_strcasecmp (type, CMP_MEDIA_TYPE) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, NULL);
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  p = g_bytes_get_data (body, &length);
  if (length == 0 || length > 1024 * 1024 || !(req = d2i_OSSL_CMP_MSG (NULL, &p, (long) length)) ||
      !(key = transaction_key (req)))
    {
      OSSL_CMP_MSG_free (req);
      ERR_clear_error ();
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }

  g_hash_table_foreach_remove (transactions, expired, NULL);
  body_type = OSSL_CMP_MSG_get_bodytype (req);
  tr = g_hash_table_lookup (transactions, key);
  if (tr == NULL || body_type == BODY_IR || body_type == BODY_CR || body_type == BODY_P10CR ||
      body_type == BODY_KUR || body_type == BODY_RR || body_type == BODY_GENM)
    {
      tr = transaction_new (sim, req);
      g_hash_table_replace (transactions, key, tr);
    }
  else
    g_free (key);
  tr->last_used = g_get_monotonic_time ();

  rsp = OSSL_CMP_SRV_process_request (tr->srv, req);
  ERR_clear_error ();
  OSSL_CMP_MSG_free (req);
  if (rsp == NULL || (der_length = i2d_OSSL_CMP_MSG (rsp, &der)) <= 0)
    {
      OSSL_CMP_MSG_free (rsp);
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  body_type = OSSL_CMP_MSG_get_bodytype (rsp);
  if (body_type == BODY_PKICONF || body_type == BODY_RP || body_type == BODY_ERROR)
    tr->done = TRUE;
  OSSL_CMP_MSG_free (rsp);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, CMP_MEDIA_TYPE, SOUP_MEMORY_COPY, (const char *) der, der_length);
  OPENSSL_free (der);
}

void
ca_sim_cmp_register (SoupServer *server,
                     CaSim      *sim)
{
  GHashTable *transactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                    (GDestroyNotify) transaction_free);

  g_object_set_data_full (G_OBJECT (server), "ca-sim-cmp-transactions", transactions,
                          (GDestroyNotify) g_hash_table_unref);
  soup_server_add_handler (server, "/pkix", cmp_handler, sim, NULL);
}
