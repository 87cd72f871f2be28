/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "porteur-pdf.h"

/*
 * The verdict on each signature: our digest of the signed ranges against the CMS's
 * messageDigest, the signature value with OpenSSL, the chain to our trust store at the time of
 * signing and now, revocation, timestamp, algorithms and eIDAS level. Poppler is not consulted.
 */

#define MAX_FILE_SIZE (G_GINT64_CONSTANT (4) * 1024 * 1024 * 1024)

typedef struct
{
  int                      fd;
  const guint8            *data;
  gsize                    length;
  PorteurPdfSignature     *signature;
  PorteurPdfDss           *dss;
  PorteurPdfVerifyOptions *options;
  GCancellable            *cancellable;
} Job;

/* Adobe's revocationInfoArchival signed attribute (1.2.840.113583.1.1.8):
 * SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CertificateList OPTIONAL,
 *            ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
 *            otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL } */
typedef struct
{
  STACK_OF (X509_CRL)   *crl;
  STACK_OF (ASN1_TYPE)  *ocsp;    /* kept as DER, decoded by porteur-trust */
  STACK_OF (ASN1_TYPE)  *other;
} RevocationInfoArchival;

ASN1_SEQUENCE (RevocationInfoArchival) = {
  ASN1_EXP_SEQUENCE_OF_OPT (RevocationInfoArchival, crl, X509_CRL, 0),
  ASN1_EXP_SEQUENCE_OF_OPT (RevocationInfoArchival, ocsp, ASN1_ANY, 1),
  ASN1_EXP_SEQUENCE_OF_OPT (RevocationInfoArchival, other, ASN1_ANY, 2),
} static_ASN1_SEQUENCE_END (RevocationInfoArchival)

static void
problem (PorteurPdfSignature *signature,
         PorteurPdfProblem    flag,
         const char          *detail)
{
  signature->problems |= flag;
  if (signature->detail == NULL)
    signature->detail = g_strdup (detail);
}

#define HASH_CHUNK (256 * 1024)

/* Hashes the signed ranges with pread() into a small buffer rather than through the mapping: no
 * page faults, nothing of a large document stays resident, and the buffer stays in the CPU's
 * cache between the copy and the hash. */
static gboolean
digest_range (EVP_MD_CTX *ctx,
              int         fd,
              guint8     *buffer,
              gint64      offset,
              gint64      length)
{
  while (length > 0)
    {
      ssize_t n = pread (fd, buffer, MIN (length, HASH_CHUNK), offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || !EVP_DigestUpdate (ctx, buffer, n))
        return FALSE;
      offset += n;
      length -= n;
    }
  return TRUE;
}

static gboolean
digest_ranges (const EVP_MD        *md,
               int                  fd,
               PorteurPdfSignature *signature,
               unsigned char       *out,
               unsigned int        *out_length)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  g_autofree guint8 *buffer = g_malloc (HASH_CHUNK);

  posix_fadvise (fd, signature->byte_range[2], signature->byte_range[3], POSIX_FADV_SEQUENTIAL);
  gboolean ok = ctx &&
    EVP_DigestInit_ex (ctx, md, NULL) &&
    digest_range (ctx, fd, buffer, signature->byte_range[0], signature->byte_range[1]) &&
    digest_range (ctx, fd, buffer, signature->byte_range[2], signature->byte_range[3]) &&
    EVP_DigestFinal_ex (ctx, out, out_length);

  EVP_MD_CTX_free (ctx);
  return ok;
}

/* The timestamp token (RFC 3161) in the unsigned attributes (id-aa-signatureTimeStampToken): its
 * imprint must be the hash of the signature value, its signature must verify, and its
 * authority (a certificate for time stamping only) must chain to our trust store now, with the
 * token's time inside the authority's validity. Then, and only then, the token's time is the
 * signing time. */
static void
check_timestamp (PorteurPdfSignature     *signature,
                 CMS_SignerInfo          *si,
                 PorteurPdfVerifyOptions *options)
{
  int index = CMS_unsigned_get_attr_by_NID (si, NID_id_smime_aa_timeStampToken, -1);
  X509_ATTRIBUTE *attr;
  ASN1_TYPE *value;
  const unsigned char *p;
  PKCS7 *token = NULL;
  TS_TST_INFO *info = NULL;
  TS_VERIFY_CTX *ctx = NULL;
  ASN1_OCTET_STRING *sig_value;
  X509_STORE *store = NULL;
  STACK_OF (X509) *chain = NULL;
  STACK_OF (X509) *certs;
  X509 *tsa;
  const ASN1_OCTET_STRING *imprint;
  const EVP_MD *md;
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_length = 0;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) gen_time = NULL;

  if (index < 0)
    return;
  signature->has_timestamp = TRUE;
  attr = CMS_unsigned_get_attr (si, index);
  value = X509_ATTRIBUTE_get0_type (attr, 0);
  if (!value || value->type != V_ASN1_SEQUENCE)
    goto unreadable;
  p = value->value.sequence->data;
  token = d2i_PKCS7 (NULL, &p, value->value.sequence->length);
  if (!token || !PKCS7_type_is_signed (token) || !(info = PKCS7_to_TS_TST_INFO (token)))
    goto unreadable;
  gen_time = porteur_asn1_time_to_datetime (TS_TST_INFO_get_time (info));
  if (gen_time == NULL)
    goto unreadable;

  /* What was timestamped: the hash of this signature's value, nothing else. */
  sig_value = CMS_SignerInfo_get0_signature (si);
  md = EVP_get_digestbyobj (TS_MSG_IMPRINT_get_algo (TS_TST_INFO_get_msg_imprint (info))->algorithm);
  imprint = TS_MSG_IMPRINT_get_msg (TS_TST_INFO_get_msg_imprint (info));
  if (!md || !EVP_Digest (ASN1_STRING_get0_data (sig_value), ASN1_STRING_length (sig_value), hash, &hash_length, md, NULL))
    goto unreadable;
  if ((unsigned int) ASN1_STRING_length (imprint) != hash_length ||
      memcmp (ASN1_STRING_get0_data (imprint), hash, hash_length) != 0)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID, "the timestamp was made for other data than this signature");
      goto out;
    }

  /* Who timestamped: the authority's certificate must chain to our anchors now. */
  certs = token->d.sign ? token->d.sign->cert : NULL;
  tsa = NULL;
  {
    STACK_OF (PKCS7_SIGNER_INFO) *signers = PKCS7_get_signer_info (token);
    PKCS7_SIGNER_INFO *tsi = signers && sk_PKCS7_SIGNER_INFO_num (signers) == 1 ? sk_PKCS7_SIGNER_INFO_value (signers, 0) : NULL;

    for (int i = 0; tsi && certs && i < sk_X509_num (certs) && !tsa; i++)
      {
        X509 *candidate = sk_X509_value (certs, i);
        if (X509_NAME_cmp (X509_get_issuer_name (candidate), tsi->issuer_and_serial->issuer) == 0 &&
            ASN1_INTEGER_cmp (X509_get0_serialNumber (candidate), tsi->issuer_and_serial->serial) == 0)
          tsa = candidate;
      }
  }
  if (tsa == NULL)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID, "the timestamp does not carry its authority's certificate");
      goto out;
    }
  if (porteur_trust_verify (options->trust, tsa, certs, now, &chain, NULL) != PORTEUR_CHAIN_TRUSTED)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED, "the time-stamping authority is not trusted");
      goto out;
    }
  if (!porteur_cert_is_valid_at (tsa, gen_time))
    {
      problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID, "the timestamp's time is outside its authority's validity");
      goto out;
    }

  /* The token's signature, its signing-certificate attribute and the authority's timeStamping
   * extended key usage, by OpenSSL. */
  ctx = TS_VERIFY_CTX_new ();
  store = X509_STORE_new ();
  X509_STORE_add_cert (store, sk_X509_value (chain, sk_X509_num (chain) - 1));
  TS_VERIFY_CTX_set_flags (ctx, TS_VFY_IMPRINT | TS_VFY_SIGNATURE | TS_VFY_VERSION);
  TS_VERIFY_CTX_set_imprint (ctx, OPENSSL_memdup (hash, hash_length), hash_length);
  TS_VERIFY_CTX_set_store (ctx, store);
  store = NULL;
  if (TS_RESP_verify_token (ctx, token) != 1)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID, "the timestamp's signature does not verify");
      goto out;
    }
  signature->timestamp_valid = TRUE;
  signature->timestamp_time = g_steal_pointer (&gen_time);
  goto out;

unreadable:
  problem (signature, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID, "the timestamp token cannot be read");
out:
  ERR_clear_error ();
  sk_X509_pop_free (chain, X509_free);
  X509_STORE_free (store);
  TS_VERIFY_CTX_free (ctx);
  TS_TST_INFO_free (info);
  PKCS7_free (token);
}

/* The revocation data a signature or its document carries: the signed revocationInfoArchival
 * attribute and the document's DSS (the CMS's own CRLs and certificates are already there). */
static void
add_embedded_data (CMS_SignerInfo      *si,
                   PorteurPdfDss       *dss,
                   STACK_OF (X509)     *certs,
                   STACK_OF (X509_CRL) *crls,
                   GPtrArray           *ocsps)
{
  ASN1_OBJECT *oid = OBJ_txt2obj ("1.2.840.113583.1.1.8", 1);
  int index = CMS_signed_get_attr_by_OBJ (si, oid, -1);

  ASN1_OBJECT_free (oid);
  if (index >= 0)
    {
      ASN1_TYPE *value = X509_ATTRIBUTE_get0_type (CMS_signed_get_attr (si, index), 0);
      const unsigned char *p;
      RevocationInfoArchival *archive = NULL;

      if (value && value->type == V_ASN1_SEQUENCE)
        {
          p = value->value.sequence->data;
          archive = (RevocationInfoArchival *) ASN1_item_d2i (NULL, &p, value->value.sequence->length,
                                                              ASN1_ITEM_rptr (RevocationInfoArchival));
        }
      for (int i = 0; archive && i < sk_X509_CRL_num (archive->crl); i++)
        {
          X509_CRL *crl = sk_X509_CRL_value (archive->crl, i);
          X509_CRL_up_ref (crl);
          sk_X509_CRL_push (crls, crl);
        }
      for (int i = 0; archive && i < sk_ASN1_TYPE_num (archive->ocsp); i++)
        {
          ASN1_TYPE *any = sk_ASN1_TYPE_value (archive->ocsp, i);
          unsigned char *der = NULL;
          int length = i2d_ASN1_TYPE (any, &der);

          if (length > 0)
            g_ptr_array_add (ocsps, g_bytes_new (der, length));
          OPENSSL_free (der);
        }
      ASN1_item_free ((ASN1_VALUE *) archive, ASN1_ITEM_rptr (RevocationInfoArchival));
    }

  for (guint i = 0; dss && i < dss->crls->len; i++)
    {
      gsize length = 0;
      const unsigned char *p = g_bytes_get_data (g_ptr_array_index (dss->crls, i), &length);
      X509_CRL *crl = d2i_X509_CRL (NULL, &p, (long) MIN (length, G_MAXLONG));

      if (crl)
        sk_X509_CRL_push (crls, crl);
    }
  for (guint i = 0; dss && i < dss->certs->len; i++)
    {
      gsize length = 0;
      const unsigned char *p = g_bytes_get_data (g_ptr_array_index (dss->certs, i), &length);
      X509 *cert = d2i_X509 (NULL, &p, (long) MIN (length, G_MAXLONG));

      if (cert)
        sk_X509_push (certs, cert);
    }
  for (guint i = 0; dss && i < dss->ocsps->len; i++)
    g_ptr_array_add (ocsps, g_bytes_ref (g_ptr_array_index (dss->ocsps, i)));
  ERR_clear_error ();
}

static void
verify_signature (Job *job)
{
  PorteurPdfSignature *signature = job->signature;
  PorteurPdfVerifyOptions *options = job->options;
  const guint8 *der;
  gsize der_length = 0;
  CMS_ContentInfo *cms = NULL;
  STACK_OF (CMS_SignerInfo) *infos;
  CMS_SignerInfo *si;
  X509 *signer = NULL;
  X509 *issuer = NULL;
  EVP_PKEY *key = NULL;
  X509_ALGOR *digest_alg = NULL, *sig_alg = NULL;
  STACK_OF (X509) *certs = NULL;
  STACK_OF (X509_CRL) *crls = NULL;
  STACK_OF (X509) *chain = NULL;
  const EVP_MD *md;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  int index;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GPtrArray) ocsps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GDateTime *signing_time;
  gboolean sha1_subfilter;

  if (signature->contents == NULL)
    goto verdict;

  der = g_bytes_get_data (signature->contents, &der_length);
  cms = d2i_CMS_ContentInfo (NULL, &der, (long) der_length);
  if (cms == NULL || OBJ_obj2nid (CMS_get0_type (cms)) != NID_pkcs7_signed)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "/Contents is not a CMS SignedData");
      goto verdict;
    }
  infos = CMS_get0_SignerInfos (cms);
  if (!infos || sk_CMS_SignerInfo_num (infos) != 1)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "the CMS must hold exactly one signer");
      goto verdict;
    }
  si = sk_CMS_SignerInfo_value (infos, 0);

  certs = CMS_get1_certs (cms);
  crls = CMS_get1_crls (cms);
  if (certs == NULL)
    certs = sk_X509_new_null ();
  if (crls == NULL)
    crls = sk_X509_CRL_new_null ();
  if (CMS_set1_signers_certs (cms, NULL, 0) <= 0)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "the signer's certificate is not in the signature");
      goto verdict;
    }
  CMS_SignerInfo_get0_algs (si, &key, &signer, &digest_alg, &sig_alg);
  if (signer == NULL)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "the signer's certificate is not in the signature");
      goto verdict;
    }
  signature->signer = porteur_cert_info_new (signer);

  md = EVP_get_digestbyobj (digest_alg->algorithm);
  if (md == NULL)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "the digest algorithm is unknown");
      goto verdict;
    }
  g_free (signature->digest_name);
  signature->digest_name = g_strdup (EVP_MD_get0_name (md));
  if (EVP_MD_get_type (md) == NID_sha1 || EVP_MD_get_type (md) == NID_md5)
    problem (signature, PORTEUR_PDF_PROBLEM_WEAK_DIGEST, "the digest algorithm is too weak");
  if (signature->signer->key_type && g_str_equal (signature->signer->key_type, "RSA") && signature->signer->key_bits < 2048)
    problem (signature, PORTEUR_PDF_PROBLEM_WEAK_KEY, "the signer's RSA key is shorter than 2048 bits");

  /* Integrity: our digest of the ranges against what was signed. */
  sha1_subfilter = g_strcmp0 (signature->sub_filter, "adbe.pkcs7.sha1") == 0;
  {
    ASN1_OCTET_STRING **econtent = CMS_get0_content (cms);
    const EVP_MD *range_md = sha1_subfilter ? EVP_sha1 () : md;
    unsigned char range_digest[EVP_MAX_MD_SIZE];
    unsigned int range_digest_length = 0;

    if (!digest_ranges (range_md, job->fd, signature, range_digest, &range_digest_length))
      {
        problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "cannot compute the digest");
        goto verdict;
      }

    if (sha1_subfilter)
      {
        problem (signature, PORTEUR_PDF_PROBLEM_WEAK_DIGEST, "adbe.pkcs7.sha1 signs a SHA-1 digest");
        if (!econtent || !*econtent || (unsigned int) ASN1_STRING_length (*econtent) != range_digest_length ||
            memcmp (ASN1_STRING_get0_data (*econtent), range_digest, range_digest_length) != 0)
          {
            problem (signature, PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH, "the signed bytes were changed");
            goto chain;
          }
        /* The signed content is the digest itself. */
        if (!EVP_Digest (range_digest, range_digest_length, digest, &digest_length, md, NULL))
          goto verdict;
      }
    else
      {
        memcpy (digest, range_digest, range_digest_length);
        digest_length = range_digest_length;
      }
  }

  index = CMS_signed_get_attr_by_NID (si, NID_pkcs9_messageDigest, -1);
  if (index < 0)
    {
      /* PAdES and adbe.pkcs7.detached always sign attributes; without them we cannot bind the
       * signature to our digest without copying the document. */
      problem (signature, PORTEUR_PDF_PROBLEM_MALFORMED, "the signature has no signed attributes");
      goto chain;
    }
  {
    X509_ATTRIBUTE *attr = CMS_signed_get_attr (si, index);
    ASN1_TYPE *value = X509_ATTRIBUTE_get0_type (attr, 0);

    if (!value || value->type != V_ASN1_OCTET_STRING ||
        (unsigned int) ASN1_STRING_length (value->value.octet_string) != digest_length ||
        memcmp (ASN1_STRING_get0_data (value->value.octet_string), digest, digest_length) != 0)
      {
        problem (signature, PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH, "the signed bytes were changed");
        goto chain;
      }
  }
  if (CMS_SignerInfo_verify (si) != 1)
    {
      problem (signature, PORTEUR_PDF_PROBLEM_BAD_SIGNATURE, "the signature value does not verify with the signer's key");
      goto chain;
    }

  index = CMS_signed_get_attr_by_NID (si, NID_pkcs9_signingTime, -1);
  if (index >= 0)
    {
      ASN1_TYPE *value = X509_ATTRIBUTE_get0_type (CMS_signed_get_attr (si, index), 0);

      if (value && (value->type == V_ASN1_UTCTIME || value->type == V_ASN1_GENERALIZEDTIME))
        {
          GDateTime *t = porteur_asn1_time_to_datetime ((ASN1_TIME *) value->value.asn1_string);
          if (t)
            {
              g_clear_pointer (&signature->claimed_time, g_date_time_unref);
              signature->claimed_time = t;
            }
        }
    }
  check_timestamp (signature, si, options);

chain:
  add_embedded_data (si, job->dss, certs, crls, ocsps);
  if (signature->signer->has_key_usage &&
      !(signature->signer->key_usage & (PORTEUR_KEY_USAGE_DIGITAL_SIGNATURE | PORTEUR_KEY_USAGE_NON_REPUDIATION)))
    problem (signature, PORTEUR_PDF_PROBLEM_KEY_USAGE, "the signer's certificate is not for signatures");

  signing_time = signature->timestamp_valid ? signature->timestamp_time : signature->claimed_time;
  if (signing_time == NULL)
    signing_time = now;
  if (!porteur_cert_is_valid_at (signer, signing_time))
    problem (signature, PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING, "the signer's certificate was not valid when the document was signed");

  signature->chain_status = porteur_trust_verify (options->trust, signer, certs, signing_time, &chain, NULL);
  signature->chain_status_now = porteur_trust_verify (options->trust, signer, certs, now, NULL, NULL);
  if (chain)
    {
      for (int i = 0; i < sk_X509_num (chain); i++)
        g_ptr_array_add (signature->chain, porteur_cert_info_new (sk_X509_value (chain, i)));
      if (sk_X509_num (chain) > 1)
        issuer = sk_X509_value (chain, 1);
      else
        issuer = sk_X509_value (chain, 0);
    }

  switch (signature->chain_status)
    {
    case PORTEUR_CHAIN_TRUSTED:
      break;
    case PORTEUR_CHAIN_UNKNOWN_ISSUER:
      problem (signature, PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER, "the signer's certificate does not chain to a trusted authority");
      break;
    case PORTEUR_CHAIN_EXPIRED:
    case PORTEUR_CHAIN_NOT_YET_VALID:
      problem (signature, PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING, "a certificate of the chain was not valid when the document was signed");
      break;
    default:
      problem (signature, PORTEUR_PDF_PROBLEM_CHAIN_INVALID, "the signer's certificate chain is not valid");
    }
  /* Expired since: not a problem when a trusted timestamp proves the signature was made while
   * the certificate was valid (checked above at the timestamp's time). */
  if (signature->chain_status == PORTEUR_CHAIN_TRUSTED && signature->chain_status_now == PORTEUR_CHAIN_EXPIRED &&
      !signature->timestamp_valid)
    problem (signature, PORTEUR_PDF_PROBLEM_EXPIRED, "the signer's certificate has expired since");

  if (signature->chain_status == PORTEUR_CHAIN_TRUSTED)
    {
      PorteurEmbeddedRevocation embedded = { crls, ocsps, certs, signature->timestamp_valid ? signature->timestamp_time : NULL };

      signature->revocation = porteur_trust_check_revocation_full (options->trust, signer, issuer, &embedded,
                                                                   options->use_network, job->cancellable);
      switch (signature->revocation->status)
        {
        case PORTEUR_REVOCATION_GOOD:
          break;
        case PORTEUR_REVOCATION_REVOKED:
          problem (signature, PORTEUR_PDF_PROBLEM_REVOKED, "the signer's certificate is revoked");
          break;
        case PORTEUR_REVOCATION_UNKNOWN:
          problem (signature, PORTEUR_PDF_PROBLEM_REVOCATION_UNKNOWN, "the revocation status could not be established");
          break;
        case PORTEUR_REVOCATION_NOT_CHECKED:
        default:
          problem (signature, PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED, "the revocation status was not checked");
        }
    }

verdict:
  {
    const guint invalid = PORTEUR_PDF_PROBLEM_MALFORMED | PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH |
                          PORTEUR_PDF_PROBLEM_BAD_SIGNATURE | PORTEUR_PDF_PROBLEM_MODIFIED_AFTER |
                          PORTEUR_PDF_PROBLEM_REVOKED | PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING |
                          PORTEUR_PDF_PROBLEM_KEY_USAGE | PORTEUR_PDF_PROBLEM_CHAIN_INVALID;
    guint unproven = PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER | PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED |
                     PORTEUR_PDF_PROBLEM_REVOCATION_UNKNOWN | PORTEUR_PDF_PROBLEM_WEAK_DIGEST |
                     PORTEUR_PDF_PROBLEM_WEAK_KEY | PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID |
                     PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED | PORTEUR_PDF_PROBLEM_EXPIRED;

    if (signature->problems & invalid)
      signature->verdict = PORTEUR_PDF_VERDICT_INVALID;
    else if (signature->problems & unproven)
      signature->verdict = PORTEUR_PDF_VERDICT_INDETERMINATE;
    else
      signature->verdict = PORTEUR_PDF_VERDICT_VALID;
  }

  ERR_clear_error ();
  sk_X509_pop_free (chain, X509_free);
  sk_X509_pop_free (certs, X509_free);
  sk_X509_CRL_pop_free (crls, X509_CRL_free);
  CMS_ContentInfo_free (cms);
}

static gpointer
verify_thread (gpointer data)
{
  verify_signature (data);
  return NULL;
}

void
porteur_pdf_report_free (PorteurPdfReport *report)
{
  if (report == NULL)
    return;
  g_free (report->path);
  g_clear_pointer (&report->signatures, g_ptr_array_unref);
  g_clear_pointer (&report->dss, porteur_pdf_dss_free);
  g_free (report);
}

/**
 * porteur_pdf_verify_file:
 *
 * Blocking: maps @path and verifies every signature, independent signatures in parallel.
 * Errors are for files that cannot be read at all; a malformed signature is a finding in the
 * report.
 */
PorteurPdfReport *
porteur_pdf_verify_file (const char               *path,
                         PorteurPdfVerifyOptions  *options,
                         GCancellable             *cancellable,
                         GError                  **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  PorteurPdfReport *report;
  const guint8 *data;
  gsize length;
  g_autofree Job *jobs = NULL;
  g_autofree GThread **threads = NULL;
  guint n, max_threads;
  int fd;

  g_return_val_if_fail (options != NULL && options->trust != NULL, NULL);

  if (!(mapped = g_mapped_file_new (path, FALSE, &local_error)))
    {
      g_set_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_IO, "Cannot read %s: %s", path, local_error->message);
      return NULL;
    }
  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  length = g_mapped_file_get_length (mapped);
  if ((gint64) length > MAX_FILE_SIZE)
    {
      g_set_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_TOO_LARGE, "%s is too large", path);
      return NULL;
    }
  if (length < 8 || memcmp (data, "%PDF-", 5) != 0)
    {
      g_set_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_NOT_PDF, "%s is not a PDF document", path);
      return NULL;
    }

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_IO, "Cannot read %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  report = g_new0 (PorteurPdfReport, 1);
  report->path = g_strdup (path);
  report->size = length;
  report->signatures = porteur_pdf_scan_mapped_file (data, length, &report->n_revisions, &report->encrypted, &report->dss);

  n = report->signatures->len;
  jobs = g_new0 (Job, MAX (n, 1));
  threads = g_new0 (GThread *, MAX (n, 1));
  max_threads = MAX (1, g_get_num_processors ());
  for (guint i = 0; i < n; i++)
    {
      jobs[i] = (Job) { fd, data, length, g_ptr_array_index (report->signatures, i), report->dss, options, cancellable };
      if (n > 1)
        threads[i] = g_thread_new ("porteur-pdf-verify", verify_thread, &jobs[i]);
      else
        verify_signature (&jobs[i]);
      if (n > 1 && (i + 1) % max_threads == 0)
        for (guint j = i + 1 - max_threads; j <= i; j++)
          g_clear_pointer (&threads[j], g_thread_join);
    }
  for (guint i = 0; i < n; i++)
    if (threads[i])
      g_thread_join (threads[i]);
  close (fd);

  if (n == 0)
    report->verdict = PORTEUR_PDF_VERDICT_UNSIGNED;
  else
    {
      report->verdict = PORTEUR_PDF_VERDICT_VALID;
      for (guint i = 0; i < n; i++)
        {
          PorteurPdfSignature *signature = g_ptr_array_index (report->signatures, i);
          report->verdict = MAX (report->verdict, signature->verdict);
        }
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      porteur_pdf_report_free (report);
      return NULL;
    }
  return report;
}

typedef struct
{
  char                    *path;
  PorteurTrust            *trust;
  gboolean                 use_network;
} AsyncData;

static void
async_data_free (AsyncData *data)
{
  g_free (data->path);
  porteur_trust_unref (data->trust);
  g_free (data);
}

static void
verify_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  AsyncData *data = task_data;
  PorteurPdfVerifyOptions options = { data->trust, data->use_network };
  GError *error = NULL;
  PorteurPdfReport *report = porteur_pdf_verify_file (data->path, &options, cancellable, &error);

  if (report)
    g_task_return_pointer (task, report, (GDestroyNotify) porteur_pdf_report_free);
  else
    g_task_return_error (task, error);
}

void
porteur_pdf_verify_file_async (const char               *path,
                               PorteurPdfVerifyOptions  *options,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  AsyncData *data = g_new0 (AsyncData, 1);

  data->path = g_strdup (path);
  data->trust = porteur_trust_ref (options->trust);
  data->use_network = options->use_network;
  g_task_set_source_tag (task, porteur_pdf_verify_file_async);
  g_task_set_task_data (task, data, (GDestroyNotify) async_data_free);
  g_task_run_in_thread (task, verify_in_thread);
}

PorteurPdfReport *
porteur_pdf_verify_file_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * porteur_pdf_extract_revision:
 *
 * Writes bytes [0, @length) of @path, the revision a signature signed, to @destination.
 */
gboolean
porteur_pdf_extract_revision (const char  *path,
                              gint64       length,
                              const char  *destination,
                              GError     **error)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, error);

  if (mapped == NULL)
    return FALSE;
  if (length <= 0 || (gsize) length > g_mapped_file_get_length (mapped))
    {
      g_set_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_IO, "No such revision in %s", path);
      return FALSE;
    }
  return g_file_set_contents_full (destination, g_mapped_file_get_contents (mapped), length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

const char *
porteur_pdf_verdict_to_string (PorteurPdfVerdict verdict)
{
  switch (verdict)
    {
    case PORTEUR_PDF_VERDICT_VALID: return "valid";
    case PORTEUR_PDF_VERDICT_INDETERMINATE: return "indeterminate";
    case PORTEUR_PDF_VERDICT_INVALID: return "invalid";
    case PORTEUR_PDF_VERDICT_UNSIGNED:
    default: return "unsigned";
    }
}

const char *
porteur_pdf_coverage_to_string (PorteurPdfCoverage coverage)
{
  switch (coverage)
    {
    case PORTEUR_PDF_COVERAGE_WHOLE: return "whole-document";
    case PORTEUR_PDF_COVERAGE_LATER_SIGNATURES: return "later-signatures-added";
    case PORTEUR_PDF_COVERAGE_VALIDATION_DATA: return "validation-data-added";
    case PORTEUR_PDF_COVERAGE_MODIFIED:
    default: return "modified-after-signing";
    }
}

const char *
porteur_pdf_problem_to_string (PorteurPdfProblem problem)
{
  switch (problem)
    {
    case PORTEUR_PDF_PROBLEM_MALFORMED: return "malformed";
    case PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH: return "digest-mismatch";
    case PORTEUR_PDF_PROBLEM_BAD_SIGNATURE: return "bad-signature";
    case PORTEUR_PDF_PROBLEM_MODIFIED_AFTER: return "modified-after-signing";
    case PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER: return "unknown-issuer";
    case PORTEUR_PDF_PROBLEM_CHAIN_INVALID: return "chain-invalid";
    case PORTEUR_PDF_PROBLEM_EXPIRED: return "expired";
    case PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING: return "not-valid-at-signing-time";
    case PORTEUR_PDF_PROBLEM_REVOKED: return "revoked";
    case PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED: return "revocation-not-checked";
    case PORTEUR_PDF_PROBLEM_REVOCATION_UNKNOWN: return "revocation-unknown";
    case PORTEUR_PDF_PROBLEM_WEAK_DIGEST: return "weak-digest";
    case PORTEUR_PDF_PROBLEM_WEAK_KEY: return "weak-key";
    case PORTEUR_PDF_PROBLEM_KEY_USAGE: return "key-usage";
    case PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID: return "timestamp-invalid";
    case PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED: return "timestamp-untrusted";
    default: return "unknown";
    }
}
