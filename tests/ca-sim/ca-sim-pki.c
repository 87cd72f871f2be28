/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gstdio.h>

#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca-sim-pki.h"

static gboolean
pki_fail (GError **error, const char *what)
{
  unsigned long e = ERR_get_error ();
  char buffer[256] = "";

  if (e)
    ERR_error_string_n (e, buffer, sizeof buffer);
  ERR_clear_error ();
  g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "%s%s%s", what, *buffer ? ": " : "", buffer);
  return FALSE;
}

void
ca_sim_pki_free (CaSimPki *pki)
{
  if (pki == NULL)
    return;
  g_free (pki->dir);
  X509_free (pki->root);
  EVP_PKEY_free (pki->root_key);
  X509_free (pki->issuing);
  EVP_PKEY_free (pki->issuing_key);
  X509_free (pki->ocsp);
  EVP_PKEY_free (pki->ocsp_key);
  X509_free (pki->tls);
  EVP_PKEY_free (pki->tls_key);
  X509_free (pki->cmp);
  EVP_PKEY_free (pki->cmp_key);
  g_free (pki);
}

gboolean
ca_sim_write_pem_cert (const char *path, X509 *cert, GError **error)
{
  FILE *f = fopen (path, "w");
  gboolean ok;

  if (f == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot write %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  ok = PEM_write_X509 (f, cert) == 1;
  ok = (fclose (f) == 0) && ok;
  if (!ok)
    return pki_fail (error, path);
  return TRUE;
}

gboolean
ca_sim_write_pem_key (const char *path, EVP_PKEY *key, GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FILE *f = fd >= 0 ? fdopen (fd, "w") : NULL;
  gboolean ok;

  if (f == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot write %s: %s", path, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  ok = PEM_write_PrivateKey (f, key, NULL, NULL, 0, NULL, NULL) == 1;
  ok = (fclose (f) == 0) && ok;
  if (!ok)
    return pki_fail (error, path);
  return TRUE;
}

static gboolean
set_random_serial (X509 *cert)
{
  unsigned char bytes[16];
  BIGNUM *bn;
  gboolean ok;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    return FALSE;
  bytes[0] = (bytes[0] & 0x7f) | 0x40;   /* positive, 16 bytes */
  bn = BN_bin2bn (bytes, sizeof bytes, NULL);
  ok = bn && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) != NULL;
  BN_free (bn);
  return ok;
}

static gboolean
add_ext (X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx (&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

/* qcStatements: QcCompliance, QcSSCD, QcType { id-etsi-qct-esign } (ETSI EN 319 412-5) */
static const unsigned char qc_statements_der[] = {
  0x30, 0x29,
  0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x01,
  0x30, 0x08, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x04,
  0x30, 0x13, 0x06, 0x06, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06,
  0x30, 0x09, 0x06, 0x07, 0x04, 0x00, 0x8e, 0x46, 0x01, 0x06, 0x01,
};

static gboolean
add_qc_statements (X509 *cert)
{
  ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new ();
  ASN1_OBJECT *oid = OBJ_txt2obj ("1.3.6.1.5.5.7.1.3", 1);
  X509_EXTENSION *ext = NULL;
  gboolean ok = FALSE;

  if (data && oid && ASN1_OCTET_STRING_set (data, qc_statements_der, sizeof qc_statements_der))
    ext = X509_EXTENSION_create_by_OBJ (NULL, oid, 0, data);
  if (ext)
    ok = X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  ASN1_OBJECT_free (oid);
  ASN1_OCTET_STRING_free (data);
  return ok;
}

/* certificatePolicies from a comma-separated list of OIDs (X509V3_EXT_conf_nid
 * would need a configuration database for them). */
static gboolean
add_policies (X509 *cert, const char *oids)
{
  g_auto(GStrv) list = g_strsplit (oids, ",", -1);
  CERTIFICATEPOLICIES *policies = sk_POLICYINFO_new_null ();
  gboolean ok = policies != NULL;

  for (guint i = 0; ok && list[i]; i++)
    {
      POLICYINFO *info = POLICYINFO_new ();

      ok = info != NULL;
      if (ok)
        {
          ASN1_OBJECT_free (info->policyid);
          info->policyid = OBJ_txt2obj (list[i], 1);
          ok = info->policyid != NULL && sk_POLICYINFO_push (policies, info) > 0;
        }
      if (!ok)
        POLICYINFO_free (info);
    }
  ok = ok && X509_add1_ext_i2d (cert, NID_certificate_policies, policies, 0, 0) == 1;
  sk_POLICYINFO_pop_free (policies, POLICYINFO_free);
  return ok;
}

typedef struct {
  int         nid;
  const char *value;
} Ext;

static X509 *
make_cert (X509_NAME  *subject,
           EVP_PKEY   *pubkey,
           X509       *issuer,       /* NULL: self-signed */
           EVP_PKEY   *issuer_key,
           int         days,
           const Ext  *exts,
           guint       n_exts,
           gboolean    qualified,
           GError    **error)
{
  X509 *cert = X509_new ();

  if (cert == NULL || X509_set_version (cert, 2) != 1 || !set_random_serial (cert) ||
      X509_set_subject_name (cert, subject) != 1 ||
      X509_set_issuer_name (cert, issuer ? X509_get_subject_name (issuer) : subject) != 1 ||
      X509_gmtime_adj (X509_getm_notBefore (cert), -300) == NULL ||
      X509_gmtime_adj (X509_getm_notAfter (cert), (long) days * 86400) == NULL ||
      X509_set_pubkey (cert, pubkey) != 1)
    goto fail;
  if (!add_ext (cert, issuer, NID_subject_key_identifier, "hash") ||
      !add_ext (cert, issuer, NID_authority_key_identifier, "keyid:always"))
    goto fail;
  for (guint i = 0; i < n_exts; i++)
    {
      if (exts[i].nid == NID_certificate_policies ? !add_policies (cert, exts[i].value)
                                                   : !add_ext (cert, issuer, exts[i].nid, exts[i].value))
        goto fail;
    }
  if (qualified && !add_qc_statements (cert))
    goto fail;
  if (X509_sign (cert, issuer_key, EVP_sha256 ()) <= 0)
    goto fail;
  return cert;

fail:
  X509_free (cert);
  pki_fail (error, "Cannot make a certificate");
  return NULL;
}

static X509_NAME *
simple_name (const char *cn, const char *ou)
{
  X509_NAME *name = X509_NAME_new ();

  X509_NAME_add_entry_by_txt (name, "C", MBSTRING_UTF8, (const unsigned char *) "FR", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) "Porteur Test PKI (simulated, not trusted)", -1, -1, 0);
  if (ou)
    X509_NAME_add_entry_by_txt (name, "OU", MBSTRING_UTF8, (const unsigned char *) ou, -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  return name;
}

static gboolean
create_pki (CaSimPki *pki, GError **error)
{
  X509_NAME *name;
  const Ext root_exts[] = {
    { NID_basic_constraints, "critical,CA:TRUE" },
    { NID_key_usage, "critical,keyCertSign,cRLSign" },
  };
  const Ext issuing_exts[] = {
    { NID_basic_constraints, "critical,CA:TRUE,pathlen:0" },
    { NID_key_usage, "critical,keyCertSign,cRLSign" },
    { NID_certificate_policies, CA_SIM_POLICY_QCP_N_QSCD "," CA_SIM_POLICY_RGS2_TEST },
  };
  const Ext ocsp_exts[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,digitalSignature" },
    { NID_ext_key_usage, "OCSPSigning" },
    { NID_id_pkix_OCSP_noCheck, "ignored" },
  };
  const Ext tls_exts[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,digitalSignature,keyEncipherment" },
    { NID_ext_key_usage, "serverAuth" },
    { NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost" },
  };
  const Ext cmp_exts[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,digitalSignature" },
  };

  if ((pki->root_key = EVP_RSA_gen (3072)) == NULL ||
      (pki->issuing_key = EVP_RSA_gen (3072)) == NULL ||
      (pki->ocsp_key = EVP_EC_gen ("P-256")) == NULL ||
      (pki->tls_key = EVP_EC_gen ("P-256")) == NULL ||
      (pki->cmp_key = EVP_EC_gen ("P-256")) == NULL)
    return pki_fail (error, "Cannot generate the PKI's keys");

  name = simple_name ("Porteur Test Root CA", NULL);
  pki->root = make_cert (name, pki->root_key, NULL, pki->root_key, 3650, root_exts, G_N_ELEMENTS (root_exts), FALSE, error);
  X509_NAME_free (name);
  if (pki->root == NULL)
    return FALSE;
  name = simple_name ("Porteur Test Qualified Signature CA", "0002 000000000");
  pki->issuing = make_cert (name, pki->issuing_key, pki->root, pki->root_key, 3000, issuing_exts, G_N_ELEMENTS (issuing_exts), FALSE, error);
  X509_NAME_free (name);
  if (pki->issuing == NULL)
    return FALSE;
  name = simple_name ("Porteur Test OCSP Responder", NULL);
  pki->ocsp = make_cert (name, pki->ocsp_key, pki->issuing, pki->issuing_key, 1000, ocsp_exts, G_N_ELEMENTS (ocsp_exts), FALSE, error);
  X509_NAME_free (name);
  if (pki->ocsp == NULL)
    return FALSE;
  name = simple_name ("localhost", NULL);
  pki->tls = make_cert (name, pki->tls_key, pki->root, pki->root_key, 825, tls_exts, G_N_ELEMENTS (tls_exts), FALSE, error);
  X509_NAME_free (name);
  if (pki->tls == NULL)
    return FALSE;
  name = simple_name ("Porteur Test CMP RA", NULL);
  pki->cmp = make_cert (name, pki->cmp_key, pki->root, pki->root_key, 1000, cmp_exts, G_N_ELEMENTS (cmp_exts), FALSE, error);
  X509_NAME_free (name);
  return pki->cmp != NULL;
}

static const char *const parts[] = { "root", "issuing", "ocsp", "tls", "cmp" };

static X509 **
part_cert (CaSimPki *pki, guint i)
{
  X509 **certs[] = { &pki->root, &pki->issuing, &pki->ocsp, &pki->tls, &pki->cmp };
  return certs[i];
}

static EVP_PKEY **
part_key (CaSimPki *pki, guint i)
{
  EVP_PKEY **keys[] = { &pki->root_key, &pki->issuing_key, &pki->ocsp_key, &pki->tls_key, &pki->cmp_key };
  return keys[i];
}

static gboolean
load_pki (CaSimPki *pki, const char *dir, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.pem", parts[i]);
      g_autofree char *key_name = g_strdup_printf ("%s.key", parts[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *key_path = g_build_filename (dir, key_name, NULL);
      FILE *f;

      if ((f = fopen (path, "r")) == NULL)
        {
          g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot read %s: %s", path, g_strerror (errno));
          return FALSE;
        }
      *part_cert (pki, i) = PEM_read_X509 (f, NULL, NULL, NULL);
      fclose (f);
      if ((f = fopen (key_path, "r")) == NULL)
        {
          g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot read %s: %s", key_path, g_strerror (errno));
          return FALSE;
        }
      *part_key (pki, i) = PEM_read_PrivateKey (f, NULL, NULL, NULL);
      fclose (f);
      if (*part_cert (pki, i) == NULL || *part_key (pki, i) == NULL)
        return pki_fail (error, path);
    }
  return TRUE;
}

static gboolean
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return TRUE;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  return g_rmdir (dir) == 0;
}

CaSimPki *
ca_sim_pki_load_or_create (const char *state_dir, GError **error)
{
  g_autoptr(CaSimPki) pki = g_new0 (CaSimPki, 1);
  g_autofree char *tmp = g_build_filename (state_dir, "pki.new", NULL);

  pki->dir = g_build_filename (state_dir, "pki", NULL);
  if (g_file_test (pki->dir, G_FILE_TEST_IS_DIR))
    return load_pki (pki, pki->dir, error) ? g_steal_pointer (&pki) : NULL;

  rm_rf (tmp);
  if (g_mkdir_with_parents (tmp, 0700) != 0)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot create %s: %s", tmp, g_strerror (errno));
      return NULL;
    }
  if (!create_pki (pki, error))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.pem", parts[i]);
      g_autofree char *key_name = g_strdup_printf ("%s.key", parts[i]);
      g_autofree char *path = g_build_filename (tmp, name, NULL);
      g_autofree char *key_path = g_build_filename (tmp, key_name, NULL);

      if (!ca_sim_write_pem_cert (path, *part_cert (pki, i), error) ||
          !ca_sim_write_pem_key (key_path, *part_key (pki, i), error))
        return NULL;
    }
  if (g_rename (tmp, pki->dir) != 0)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot rename %s: %s", tmp, g_strerror (errno));
      return NULL;
    }
  return g_steal_pointer (&pki);
}

X509 *
ca_sim_pki_issue (CaSimPki   *pki,
                  EVP_PKEY   *pubkey,
                  X509_NAME  *subject,
                  const char *base_url,
                  int         days,
                  GError    **error)
{
  g_autofree char *aia = g_strdup_printf ("OCSP;URI:%s/ocsp", base_url);
  g_autofree char *cdp = g_strdup_printf ("URI:%s/crl/issuing.crl", base_url);
  const Ext exts[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,nonRepudiation" },
    { NID_certificate_policies, CA_SIM_POLICY_QCP_N_QSCD "," CA_SIM_POLICY_RGS2_TEST },
    { NID_info_access, aia },
    { NID_crl_distribution_points, cdp },
  };

  return make_cert (subject, pubkey, pki->issuing, pki->issuing_key, days, exts, G_N_ELEMENTS (exts), TRUE, error);
}

GBytes *
ca_sim_pki_ocsp_respond (CaSimPki *pki,
                         CaSimDb  *db,
                         GBytes   *request)
{
  const unsigned char *p = g_bytes_get_data (request, NULL);
  OCSP_REQUEST *req = d2i_OCSP_REQUEST (NULL, &p, (long) g_bytes_get_size (request));
  OCSP_BASICRESP *bs = NULL;
  OCSP_RESPONSE *resp = NULL;
  STACK_OF(X509) *chain = NULL;
  unsigned char *der = NULL;
  GBytes *result = NULL;
  int len, n;

  if (req == NULL || (n = OCSP_request_onereq_count (req)) <= 0)
    {
      resp = OCSP_response_create (OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, NULL);
      goto out;
    }
  bs = OCSP_BASICRESP_new ();
  for (int i = 0; i < n; i++)
    {
      OCSP_CERTID *id = OCSP_onereq_get0_id (OCSP_request_onereq_get0 (req, i));
      ASN1_OBJECT *md_obj = NULL;
      ASN1_INTEGER *serial = NULL;
      const EVP_MD *md;
      OCSP_CERTID *ours = NULL;
      ASN1_TIME *this_update = X509_gmtime_adj (NULL, 0);
      ASN1_TIME *next_update = X509_gmtime_adj (NULL, 3600);
      int status = V_OCSP_CERTSTATUS_UNKNOWN, reason = 0;
      ASN1_TIME *revoked = NULL;

      OCSP_id_get0_info (NULL, &md_obj, NULL, &serial, id);
      md = EVP_get_digestbyobj (md_obj);
      if (md)
        ours = OCSP_cert_to_id (md, NULL, pki->issuing);
      if (ours && OCSP_id_issuer_cmp (ours, id) == 0)
        {
          g_autofree char *hex = ca_sim_serial_hex (serial);
          gint64 revoked_at = 0;

          switch (ca_sim_db_cert_status (db, hex, &revoked_at, &reason))
            {
            case CA_SIM_CERT_GOOD:
              status = V_OCSP_CERTSTATUS_GOOD;
              break;
            case CA_SIM_CERT_REVOKED:
              status = V_OCSP_CERTSTATUS_REVOKED;
              revoked = ASN1_TIME_set (NULL, (time_t) revoked_at);
              break;
            case CA_SIM_CERT_UNKNOWN:
            default:
              break;
            }
        }
      OCSP_basic_add1_status (bs, id, status, status == V_OCSP_CERTSTATUS_REVOKED ? reason : -1,
                              revoked, this_update, next_update);
      ASN1_TIME_free (revoked);
      ASN1_TIME_free (this_update);
      ASN1_TIME_free (next_update);
      OCSP_CERTID_free (ours);
    }
  OCSP_copy_nonce (bs, req);
  chain = sk_X509_new_null ();
  sk_X509_push (chain, pki->issuing);
  if (OCSP_basic_sign (bs, pki->ocsp, pki->ocsp_key, EVP_sha256 (), chain, 0) != 1)
    resp = OCSP_response_create (OCSP_RESPONSE_STATUS_INTERNALERROR, NULL);
  else
    resp = OCSP_response_create (OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);

out:
  len = resp ? i2d_OCSP_RESPONSE (resp, &der) : -1;
  if (len > 0)
    result = g_bytes_new (der, len);
  OPENSSL_free (der);
  sk_X509_free (chain);
  OCSP_RESPONSE_free (resp);
  OCSP_BASICRESP_free (bs);
  OCSP_REQUEST_free (req);
  ERR_clear_error ();
  return result;
}

typedef struct {
  X509_CRL *crl;
  gboolean  ok;
} CrlBuild;

static void
add_revoked (const char *serial_hex, gint64 revoked_at, int reason, gpointer data)
{
  CrlBuild *build = data;
  X509_REVOKED *entry = X509_REVOKED_new ();
  BIGNUM *bn = NULL;
  ASN1_INTEGER *serial = NULL;
  ASN1_TIME *when = ASN1_TIME_set (NULL, (time_t) revoked_at);
  ASN1_ENUMERATED *code = ASN1_ENUMERATED_new ();

  if (BN_hex2bn (&bn, serial_hex) == 0 || (serial = BN_to_ASN1_INTEGER (bn, NULL)) == NULL ||
      X509_REVOKED_set_serialNumber (entry, serial) != 1 ||
      X509_REVOKED_set_revocationDate (entry, when) != 1 ||
      ASN1_ENUMERATED_set (code, reason) != 1 ||
      (reason != 0 && X509_REVOKED_add1_ext_i2d (entry, NID_crl_reason, code, 0, 0) != 1) ||
      X509_CRL_add0_revoked (build->crl, entry) != 1)
    {
      build->ok = FALSE;
      X509_REVOKED_free (entry);
    }
  ASN1_ENUMERATED_free (code);
  ASN1_TIME_free (when);
  ASN1_INTEGER_free (serial);
  BN_free (bn);
}

GBytes *
ca_sim_pki_crl (CaSimPki *pki,
                CaSimDb  *db,
                GError  **error)
{
  CrlBuild build = { X509_CRL_new (), TRUE };
  ASN1_TIME *last = X509_gmtime_adj (NULL, 0);
  ASN1_TIME *next = X509_gmtime_adj (NULL, 86400);
  ASN1_INTEGER *number = ASN1_INTEGER_new ();
  X509V3_CTX ctx;
  X509_EXTENSION *aki = NULL;
  unsigned char *der = NULL;
  GBytes *result = NULL;
  int len;

  ca_sim_db_foreach_revoked (db, add_revoked, &build);
  /* The CRL number grows with time: one CRL per second at most. */
  ASN1_INTEGER_set_int64 (number, g_get_real_time () / G_USEC_PER_SEC);
  X509V3_set_ctx (&ctx, pki->issuing, NULL, NULL, build.crl, 0);
  aki = X509V3_EXT_conf_nid (NULL, &ctx, NID_authority_key_identifier, "keyid:always");
  if (build.ok && aki &&
      X509_CRL_set_version (build.crl, 1) == 1 &&
      X509_CRL_set_issuer_name (build.crl, X509_get_subject_name (pki->issuing)) == 1 &&
      X509_CRL_set1_lastUpdate (build.crl, last) == 1 &&
      X509_CRL_set1_nextUpdate (build.crl, next) == 1 &&
      X509_CRL_add1_ext_i2d (build.crl, NID_crl_number, number, 0, 0) == 1 &&
      X509_CRL_add_ext (build.crl, aki, -1) == 1 &&
      X509_CRL_sort (build.crl) == 1 &&
      X509_CRL_sign (build.crl, pki->issuing_key, EVP_sha256 ()) > 0 &&
      (len = i2d_X509_CRL (build.crl, &der)) > 0)
    result = g_bytes_new (der, len);
  else
    pki_fail (error, "Cannot make the CRL");
  OPENSSL_free (der);
  X509_EXTENSION_free (aki);
  ASN1_INTEGER_free (number);
  ASN1_TIME_free (last);
  ASN1_TIME_free (next);
  X509_CRL_free (build.crl);
  return result;
}
