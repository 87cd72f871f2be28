/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert/porteur-cert.h"
#include <string.h>

/* Certificate facts on a PKI made at test time by the openssl command-line
 * tool: a qualified signing certificate (QcCompliance, QcSSCD, QcType esign,
 * RGS policy, organizationIdentifier, e-mail in subjectAltName), an advanced
 * one (EC key, RGS policy, no QC statement), a qualified website certificate
 * (QcType web) and a plain one (no QC statement, no policy). */
static const char leaf_cnf[] =
  "[qualified]\n"
  "basicConstraints = critical,CA:FALSE\n"
  "keyUsage = critical,nonRepudiation\n"
  "extendedKeyUsage = emailProtection\n"
  "subjectAltName = email:anne.legall@quimper.bzh\n"
  "certificatePolicies = 1.2.250.1.96.1.1.2.3.1.1\n"
  "1.3.6.1.5.5.7.1.3 = ASN1:SEQUENCE:qcs\n"
  "[qcs]\n"
  "c = SEQUENCE:qc_compliance\n"
  "s = SEQUENCE:qc_sscd\n"
  "t = SEQUENCE:qc_type\n"
  "[qc_compliance]\n"
  "id = OID:0.4.0.1862.1.1\n"
  "[qc_sscd]\n"
  "id = OID:0.4.0.1862.1.4\n"
  "[qc_type]\n"
  "id = OID:0.4.0.1862.1.6\n"
  "types = SEQUENCE:qc_types\n"
  "[qc_types]\n"
  "t1 = OID:0.4.0.1862.1.6.1\n"
  "[advanced]\n"
  "basicConstraints = critical,CA:FALSE\n"
  "keyUsage = critical,digitalSignature\n"
  "certificatePolicies = 1.2.250.1.96.1.1.2.1.1\n"
  "[plain]\n"
  "keyUsage = critical,digitalSignature\n"
  "[web]\n"
  "keyUsage = critical,digitalSignature,keyEncipherment\n"
  "1.3.6.1.5.5.7.1.3 = ASN1:SEQUENCE:qcs_web\n"
  "[qcs_web]\n"
  "c = SEQUENCE:qc_compliance\n"
  "t = SEQUENCE:qc_type_web\n"
  "[qc_type_web]\n"
  "id = OID:0.4.0.1862.1.6\n"
  "types = SEQUENCE:qc_types_web\n"
  "[qc_types_web]\n"
  "t1 = OID:0.4.0.1862.1.6.3\n";

static const char pki_script[] =
  "set -e\n"
  "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 "
  "  -subj '/CN=Porteur Test Root/O=Porteur Test' "
  "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
  "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 3650 "
  "  -subj '/CN=Unknown Root' "
  "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
  "openssl req -newkey rsa:3072 -nodes -keyout q.key -out q.csr "
  "  -subj '/C=FR/O=Mairie de Quimper/organizationIdentifier=NTRFR-21290232500016/"
  "GN=Anne/SN=Le Gall/CN=Anne Le Gall'\n"
  "openssl x509 -req -in q.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234ABCD -days 365 "
  "  -extfile leaf.cnf -extensions qualified -out qualified.pem\n"
  "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout a.key -out a.csr "
  "  -subj '/CN=Yann Kervella/emailAddress=yann@example.bzh'\n"
  "openssl x509 -req -in a.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 30 "
  "  -extfile leaf.cnf -extensions advanced -outform DER -out advanced.der\n"
  "openssl req -newkey rsa:2048 -nodes -keyout w.key -out w.csr -subj '/CN=www.example.bzh'\n"
  "openssl x509 -req -in w.csr -CA ca.pem -CAkey ca.key -set_serial 8 -days 30 "
  "  -extfile leaf.cnf -extensions web -out web.pem\n"
  "openssl req -newkey rsa:2048 -nodes -keyout u.key -out u.csr -subj '/CN=Stranger'\n"
  "openssl x509 -req -in u.csr -CA other.pem -CAkey other.key -set_serial 9 -days 30 "
  "  -extfile leaf.cnf -extensions plain -out stranger.pem\n";

static char *pki_dir;

static void
make_pki (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cnf = NULL;
  g_autofree char *err_out = NULL;
  const char *argv[] = { "sh", "-c", pki_script, NULL };
  int status = 0;

  pki_dir = g_dir_make_tmp ("porteur-cert-XXXXXX", &error);
  g_assert_no_error (error);
  cnf = g_build_filename (pki_dir, "leaf.cnf", NULL);
  g_assert_true (g_file_set_contents (cnf, leaf_cnf, -1, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (pki_dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, &err_out, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl failed: %s", err_out);
}

static X509 *
load (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (pki_dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  X509 *cert;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  if (g_str_has_suffix (name, ".pem"))
    {
      BIO *bio = BIO_new_mem_buf (data, (int) len);

      cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
      BIO_free (bio);
    }
  else
    {
      const unsigned char *p = (const unsigned char *) data;

      cert = d2i_X509 (NULL, &p, (long) len);
    }
  g_assert_nonnull (cert);
  return cert;
}

static void
test_cert_qualified_facts (void)
{
  X509 *cert = load ("qualified.pem");
  g_autoptr(PorteurCertInfo) info = porteur_cert_info_new (cert);
  g_autoptr(GDateTime) inside = NULL;
  g_autoptr(GDateTime) after = NULL;

  g_assert_cmpstr (info->common_name, ==, "Anne Le Gall");
  g_assert_cmpstr (info->given_name, ==, "Anne");
  g_assert_cmpstr (info->surname, ==, "Le Gall");
  g_assert_cmpstr (info->organisation, ==, "Mairie de Quimper");
  g_assert_cmpstr (info->organisation_identifier, ==, "NTRFR-21290232500016");
  g_assert_cmpstr (info->email, ==, "anne.legall@quimper.bzh");
  g_assert_cmpstr (info->issuer_common_name, ==, "Porteur Test Root");
  g_assert_nonnull (strstr (info->subject_dn, "Anne Le Gall"));
  g_assert_cmpstr (info->serial_hex, ==, "1234ABCD");
  g_assert_cmpstr (info->key_type, ==, "RSA");
  g_assert_cmpuint (info->key_bits, ==, 3072);
  g_assert_true (info->has_key_usage);
  g_assert_cmpuint (info->key_usage, ==, PORTEUR_KEY_USAGE_NON_REPUDIATION);
  g_assert_nonnull (info->policies);
  g_assert_cmpstr (info->policies[0], ==, "1.2.250.1.96.1.1.2.3.1.1");
  g_assert_true (info->qc_compliance);
  g_assert_true (info->qc_sscd);
  g_assert_cmpint (info->eidas_level, ==, PORTEUR_EIDAS_QUALIFIED_SIGNATURE);
  g_assert_cmpint (g_date_time_difference (info->not_after, info->not_before) / G_TIME_SPAN_SECOND,
                   ==, 365 * 24 * 3600);

  inside = g_date_time_add_days (info->not_before, 1);
  after = g_date_time_add_days (info->not_after, 1);
  g_assert_true (porteur_cert_is_valid_at (cert, inside));
  g_assert_false (porteur_cert_is_valid_at (cert, after));
  X509_free (cert);
}

static void
test_cert_levels (void)
{
  X509 *advanced = load ("advanced.der");
  X509 *web = load ("web.pem");
  X509 *plain = load ("stranger.pem");
  g_autoptr(PorteurCertInfo) a = porteur_cert_info_new (advanced);
  g_autoptr(PorteurCertInfo) w = porteur_cert_info_new (web);
  g_autoptr(PorteurCertInfo) p = porteur_cert_info_new (plain);

  /* EC key, e-mail in the legacy emailAddress attribute, RGS policy, no QC statement. */
  g_assert_cmpstr (a->key_type, ==, "EC");
  g_assert_cmpuint (a->key_bits, ==, 256);
  g_assert_cmpstr (a->email, ==, "yann@example.bzh");
  g_assert_cmpstr (a->organisation, ==, "");
  g_assert_false (a->qc_compliance);
  g_assert_cmpint (a->eidas_level, ==, PORTEUR_EIDAS_ADVANCED);

  /* Qualified, but for websites. */
  g_assert_true (w->qc_compliance);
  g_assert_false (w->qc_sscd);
  g_assert_cmpint (w->eidas_level, ==, PORTEUR_EIDAS_QUALIFIED_WEB);

  /* Neither QC statements nor a known policy. */
  g_assert_cmpint (p->eidas_level, ==, PORTEUR_EIDAS_UNKNOWN);
  g_assert_cmpuint (p->key_usage, ==, PORTEUR_KEY_USAGE_DIGITAL_SIGNATURE);

  X509_free (advanced);
  X509_free (web);
  X509_free (plain);
}

static void
test_cert_garbage (void)
{
  static const guint8 garbage[] = { 0x30, 0x82, 0xff, 0xff, 0x01, 0x02 };
  g_autofree char *path = g_build_filename (pki_dir, "advanced.der", NULL);
  g_autofree char *der = NULL;
  gsize len = 0;

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = g_bytes_new_static (garbage, sizeof garbage);

    g_assert_null (porteur_cert_info_new_from_der (bytes, &error));
    g_assert_error (error, PORTEUR_CERT_ERROR, PORTEUR_CERT_ERROR_INVALID);
  }

  /* Every truncation of a real certificate is refused with an error, never a crash. */
  g_assert_true (g_file_get_contents (path, &der, &len, NULL));
  for (gsize cut = 0; cut < len; cut += 7)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = g_bytes_new (der, cut);
      g_autoptr(PorteurCertInfo) info = porteur_cert_info_new_from_der (bytes, &error);

      g_assert_null (info);
      g_assert_error (error, PORTEUR_CERT_ERROR, PORTEUR_CERT_ERROR_INVALID);
    }

  /* The whole certificate reads. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = g_bytes_new (der, len);
    g_autoptr(PorteurCertInfo) info = porteur_cert_info_new_from_der (bytes, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (info->common_name, ==, "Yann Kervella");
  }
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  make_pki ();

  g_test_add_func ("/cert/qualified-facts", test_cert_qualified_facts);
  g_test_add_func ("/cert/levels", test_cert_levels);
  g_test_add_func ("/cert/garbage", test_cert_garbage);

  ret = g_test_run ();
  remove_tree (pki_dir);
  g_free (pki_dir);
  return ret;
}
