/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "porteur-cert.h"

/*
 * Facts about an X.509 certificate, as a holder reads them: who, which organisation, issued by
 * whom, valid when, what kind of key, and what eIDAS says of it (ETSI EN 319 412-5 QC statements).
 */

G_DEFINE_QUARK (porteur-cert-error-quark, porteur_cert_error)

#define OID_QC_COMPLIANCE "0.4.0.1862.1.1"
#define OID_QC_SSCD       "0.4.0.1862.1.4"
#define OID_QC_TYPE       "0.4.0.1862.1.6"
#define OID_QC_TYPE_ESIGN "0.4.0.1862.1.6.1"
#define OID_QC_TYPE_ESEAL "0.4.0.1862.1.6.2"
#define OID_QC_TYPE_WEB   "0.4.0.1862.1.6.3"

static char *
name_entry (const X509_NAME *name,
            int              nid)
{
  int index = X509_NAME_get_index_by_NID (name, nid, -1);
  X509_NAME_ENTRY *entry;
  unsigned char *utf8 = NULL;
  int length;
  char *result;

  if (index < 0 || !(entry = X509_NAME_get_entry (name, index)))
    return g_strdup ("");
  length = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (entry));
  if (length < 0)
    return g_strdup ("");
  result = g_utf8_make_valid ((const char *) utf8, length);
  OPENSSL_free (utf8);
  return result;
}

static char *
name_to_string (const X509_NAME *name)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;
  char *result;

  X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  length = BIO_get_mem_data (bio, &data);
  result = g_utf8_make_valid (data ? data : "", length);
  BIO_free (bio);
  return result;
}

/**
 * porteur_asn1_time_to_datetime:
 *
 * Returns: (nullable): @time in UTC, or %NULL when it is absent or malformed.
 */
GDateTime *
porteur_asn1_time_to_datetime (const ASN1_TIME *time)
{
  struct tm tm = { 0 };

  if (time == NULL || !ASN1_TIME_to_tm (time, &tm))
    return NULL;
  return g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static char *
oid_to_string (const ASN1_OBJECT *object)
{
  char buffer[128];

  if (OBJ_obj2txt (buffer, sizeof buffer, object, 1) <= 0)
    return g_strdup ("");
  return g_strdup (buffer);
}

/* QCStatements ::= SEQUENCE OF QCStatement; QCStatement ::= SEQUENCE { statementId OID,
 * statementInfo ANY OPTIONAL }. Parsed by hand with d2i primitives, strictly bounded. */
static void
read_qc_statements (X509            *cert,
                    PorteurCertInfo *info,
                    gboolean        *esign,
                    gboolean        *eseal,
                    gboolean        *web)
{
  int index = X509_get_ext_by_NID (cert, NID_qcStatements, -1);
  X509_EXTENSION *ext;
  const ASN1_OCTET_STRING *value;
  const unsigned char *p, *end;
  long length;
  int tag, xclass;

  if (index < 0 || !(ext = X509_get_ext (cert, index)))
    return;
  value = X509_EXTENSION_get_data (ext);
  p = ASN1_STRING_get0_data (value);
  end = p + ASN1_STRING_length (value);

  if ((ASN1_get_object (&p, &length, &tag, &xclass, end - p) & 0x80) || tag != V_ASN1_SEQUENCE)
    return;
  end = p + length;

  while (p < end)
    {
      const unsigned char *statement_end;
      ASN1_OBJECT *id = NULL;
      char *oid;

      if ((ASN1_get_object (&p, &length, &tag, &xclass, end - p) & 0x80) || tag != V_ASN1_SEQUENCE)
        return;
      statement_end = p + length;
      if (!d2i_ASN1_OBJECT (&id, &p, statement_end - p))
        return;
      oid = oid_to_string (id);
      ASN1_OBJECT_free (id);

      if (g_str_equal (oid, OID_QC_COMPLIANCE))
        info->qc_compliance = TRUE;
      else if (g_str_equal (oid, OID_QC_SSCD))
        info->qc_sscd = TRUE;
      else if (g_str_equal (oid, OID_QC_TYPE) && p < statement_end)
        {
          const unsigned char *types_end;

          if (!(ASN1_get_object (&p, &length, &tag, &xclass, statement_end - p) & 0x80) && tag == V_ASN1_SEQUENCE)
            {
              types_end = p + length;
              while (p < types_end)
                {
                  ASN1_OBJECT *type = NULL;
                  char *type_oid;

                  if (!d2i_ASN1_OBJECT (&type, &p, types_end - p))
                    break;
                  type_oid = oid_to_string (type);
                  ASN1_OBJECT_free (type);
                  *esign |= g_str_equal (type_oid, OID_QC_TYPE_ESIGN);
                  *eseal |= g_str_equal (type_oid, OID_QC_TYPE_ESEAL);
                  *web |= g_str_equal (type_oid, OID_QC_TYPE_WEB);
                  g_free (type_oid);
                }
            }
        }
      g_free (oid);
      p = statement_end;
    }
}

/* Policies that mark an advanced (non-qualified) signature certificate: ETSI EN 319 411-1 LCP,
 * NCP and NCP+ policy identifiers, and the French RGS levels when no QC statement says more. */
static const char *advanced_policies[] = {
  "0.4.0.2042.1.1", /* NCP */
  "0.4.0.2042.1.2", /* NCP+ */
  "0.4.0.2042.1.3", /* LCP */
  "0.4.0.194112.1.0", /* QCP-n (also qualified: QC statements decide) */
  "0.4.0.194112.1.2", /* QCP-n-qscd */
  NULL
};

PorteurCertInfo *
porteur_cert_info_new (X509 *cert)
{
  PorteurCertInfo *info = g_new0 (PorteurCertInfo, 1);
  const X509_NAME *subject = X509_get_subject_name (cert);
  const X509_NAME *issuer = X509_get_issuer_name (cert);
  EVP_PKEY *key = X509_get0_pubkey (cert);
  CERTIFICATEPOLICIES *policies;
  STACK_OF (OPENSSL_STRING) *emails;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_length = 0;
  BIGNUM *serial;
  char *hex;
  GPtrArray *policy_list = g_ptr_array_new ();
  gboolean esign = FALSE, eseal = FALSE, web = FALSE;
  gboolean advanced = FALSE;
  uint32_t usage;

  g_return_val_if_fail (cert != NULL, NULL);

  info->subject_dn = name_to_string (subject);
  info->common_name = name_entry (subject, NID_commonName);
  info->given_name = name_entry (subject, NID_givenName);
  info->surname = name_entry (subject, NID_surname);
  info->organisation = name_entry (subject, NID_organizationName);
  info->organisation_identifier = name_entry (subject, NID_organizationIdentifier);
  info->email = name_entry (subject, NID_pkcs9_emailAddress);
  if (info->email[0] == '\0' && (emails = X509_get1_email (cert)))
    {
      if (sk_OPENSSL_STRING_num (emails) > 0)
        {
          g_free (info->email);
          info->email = g_strdup (sk_OPENSSL_STRING_value (emails, 0));
        }
      X509_email_free (emails);
    }
  info->issuer_dn = name_to_string (issuer);
  info->issuer_common_name = name_entry (issuer, NID_commonName);

  serial = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  hex = serial ? BN_bn2hex (serial) : NULL;
  info->serial_hex = g_strdup (hex ? hex : "");
  OPENSSL_free (hex);
  BN_free (serial);

  if (X509_digest (cert, EVP_sha256 (), md, &md_length))
    {
      GString *fp = g_string_new (NULL);
      for (unsigned int i = 0; i < md_length; i++)
        g_string_append_printf (fp, i ? ":%02X" : "%02X", md[i]);
      info->sha256_fingerprint = g_string_free (fp, FALSE);
    }
  else
    info->sha256_fingerprint = g_strdup ("");

  info->not_before = porteur_asn1_time_to_datetime (X509_get0_notBefore (cert));
  info->not_after = porteur_asn1_time_to_datetime (X509_get0_notAfter (cert));

  if (key)
    {
      info->key_type = g_strdup (EVP_PKEY_get0_type_name (key) ? EVP_PKEY_get0_type_name (key) : "");
      info->key_bits = EVP_PKEY_get_bits (key);
    }
  else
    info->key_type = g_strdup ("");

  usage = X509_get_key_usage (cert);
  info->has_key_usage = (X509_get_extension_flags (cert) & EXFLAG_KUSAGE) != 0;
  if (info->has_key_usage)
    {
      if (usage & KU_DIGITAL_SIGNATURE) info->key_usage |= PORTEUR_KEY_USAGE_DIGITAL_SIGNATURE;
      if (usage & KU_NON_REPUDIATION) info->key_usage |= PORTEUR_KEY_USAGE_NON_REPUDIATION;
      if (usage & KU_KEY_ENCIPHERMENT) info->key_usage |= PORTEUR_KEY_USAGE_KEY_ENCIPHERMENT;
      if (usage & KU_KEY_CERT_SIGN) info->key_usage |= PORTEUR_KEY_USAGE_KEY_CERT_SIGN;
      if (usage & KU_CRL_SIGN) info->key_usage |= PORTEUR_KEY_USAGE_CRL_SIGN;
    }

  if ((policies = X509_get_ext_d2i (cert, NID_certificate_policies, NULL, NULL)))
    {
      for (int i = 0; i < sk_POLICYINFO_num (policies); i++)
        {
          char *oid = oid_to_string (sk_POLICYINFO_value (policies, i)->policyid);

          for (guint j = 0; advanced_policies[j]; j++)
            advanced |= g_str_equal (oid, advanced_policies[j]);
          /* RGS (ANSSI) policies are rooted at 1.2.250.1. */
          advanced |= g_str_has_prefix (oid, "1.2.250.1.");
          g_ptr_array_add (policy_list, oid);
        }
      CERTIFICATEPOLICIES_free (policies);
    }
  g_ptr_array_add (policy_list, NULL);
  info->policies = (GStrv) g_ptr_array_free (policy_list, FALSE);

  read_qc_statements (cert, info, &esign, &eseal, &web);
  if (info->qc_compliance)
    {
      if (eseal)
        info->eidas_level = PORTEUR_EIDAS_QUALIFIED_SEAL;
      else if (web && !esign)
        info->eidas_level = PORTEUR_EIDAS_QUALIFIED_WEB;
      else
        info->eidas_level = PORTEUR_EIDAS_QUALIFIED_SIGNATURE;
    }
  else if (advanced)
    info->eidas_level = PORTEUR_EIDAS_ADVANCED;
  else
    info->eidas_level = PORTEUR_EIDAS_UNKNOWN;

  return info;
}

PorteurCertInfo *
porteur_cert_info_new_from_der (GBytes  *der,
                                GError **error)
{
  gsize length = 0;
  const unsigned char *p = g_bytes_get_data (der, &length);
  X509 *cert = d2i_X509 (NULL, &p, (long) length);
  PorteurCertInfo *info;

  if (cert == NULL)
    {
      g_set_error (error, PORTEUR_CERT_ERROR, PORTEUR_CERT_ERROR_INVALID, "Not a DER certificate");
      return NULL;
    }
  info = porteur_cert_info_new (cert);
  X509_free (cert);
  return info;
}

void
porteur_cert_info_free (PorteurCertInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->subject_dn);
  g_free (info->common_name);
  g_free (info->given_name);
  g_free (info->surname);
  g_free (info->organisation);
  g_free (info->organisation_identifier);
  g_free (info->email);
  g_free (info->issuer_dn);
  g_free (info->issuer_common_name);
  g_free (info->serial_hex);
  g_free (info->sha256_fingerprint);
  g_clear_pointer (&info->not_before, g_date_time_unref);
  g_clear_pointer (&info->not_after, g_date_time_unref);
  g_free (info->key_type);
  g_strfreev (info->policies);
  g_free (info);
}

const char *
porteur_eidas_level_to_string (PorteurEidasLevel level)
{
  switch (level)
    {
    case PORTEUR_EIDAS_ADVANCED: return "advanced";
    case PORTEUR_EIDAS_QUALIFIED_SIGNATURE: return "qualified-signature";
    case PORTEUR_EIDAS_QUALIFIED_SEAL: return "qualified-seal";
    case PORTEUR_EIDAS_QUALIFIED_WEB: return "qualified-web";
    case PORTEUR_EIDAS_UNKNOWN:
    default: return "unknown";
    }
}

gboolean
porteur_cert_is_valid_at (X509      *cert,
                          GDateTime *when)
{
  time_t t = (time_t) g_date_time_to_unix (when);

  return X509_cmp_time (X509_get0_notBefore (cert), &t) < 0 &&
         X509_cmp_time (X509_get0_notAfter (cert), &t) > 0;
}
