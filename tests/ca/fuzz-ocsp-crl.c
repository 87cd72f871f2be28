/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/pem.h>

#include "ca/porteur-crl.h"
#include "ca/porteur-ocsp.h"

/* libFuzzer target: untrusted bytes read as an OCSP response and as a CRL about a fixed
 * certificate and its issuer (a test root and holder certificate valid for a century, made
 * with make-pki.sh). Seeds: real answers of `openssl ocsp` and `openssl ca -gencrl`. */

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

static const char root_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBzzCCAXSgAwIBAgIUNf/rOGibXs21TM/L0A53oL70Nt0wCgYIKoZIzj0EAwIw\n"
  "RDELMAkGA1UEBhMCRlIxGTAXBgNVBAoMEFBvcnRldXIgVGVzdCBQS0kxGjAYBgNV\n"
  "BAMMEVBvcnRldXIgVGVzdCBSb290MCAXDTI2MTEyNTA5MzQzMFoYDzIxMjYxMTAx\n"
  "MDkzNDMwWjBEMQswCQYDVQQGEwJGUjEZMBcGA1UECgwQUG9ydGV1ciBUZXN0IFBL\n"
  "STEaMBgGA1UEAwwRUG9ydGV1ciBUZXN0IFJvb3QwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAARe6awT3i5zvjNWWRMz3msucED94U/+G+TBdJeSFSY6KttB8hgBXrZY\n"
  "QHudV5BVAfC20jjYKGAOsmzoZqmx60Iho0IwQDAPBgNVHRMBAf8EBTADAQH/MA4G\n"
  "A1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUdDvyoMt3PG4FMH4odtyDfA08VVAwCgYI\n"
  "KoZIzj0EAwIDSQAwRgIhAM/xGMkR6QE5e3q0t3oNTocRVOXSZJR2jF2Xq+KVuVTL\n"
  "AiEAqIACoBx/Tlpa0/rsnN38cQQ6kQznhO0qyXb2gDGGBWM=\n"
  "-----END CERTIFICATE-----\n";

static const char holder_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIICOTCCAd+gAwIBAgICEAEwCgYIKoZIzj0EAwIwRDELMAkGA1UEBhMCRlIxGTAX\n"
  "BgNVBAoMEFBvcnRldXIgVGVzdCBQS0kxGjAYBgNVBAMMEVBvcnRldXIgVGVzdCBS\n"
  "b290MCAXDTI2MTEyNTA5MzQzMFoYDzIxMjYxMTAxMDkzNDMwWjA9MQswCQYDVQQG\n"
  "EwJGUjEXMBUGA1UECgwOTWFpcmllIGRlIFRlc3QxFTATBgNVBAMMDEFubmUgTGUg\n"
  "R2FsbDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABADvh/nCHWsDWUCQedBDZr94\n"
  "ZaniWiAh+V/VPZmOiZjDFQAHSazuvGYc6yYI7QZiqznQDR3K4K16BbPxSCjRkpqj\n"
  "gcUwgcIwCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCBsAwHQYDVR0OBBYEFFIWkx7C\n"
  "AvH9umAcXbQuZW6sTjyXMB8GA1UdIwQYMBaAFHQ78qDLdzxuBTB+KHbcg3wNPFVQ\n"
  "MDMGCCsGAQUFBwEBBCcwJTAjBggrBgEFBQcwAYYXaHR0cDovLzEyNy4wLjAuMTox\n"
  "ODg4OC8wMAYDVR0fBCkwJzAloCOgIYYfaHR0cDovLzEyNy4wLjAuMToxODg4OS9y\n"
  "b290LmNybDAKBggqhkjOPQQDAgNIADBFAiEAmukymZ2PzVCRvZ0nny3eziaBY3IL\n"
  "XpDyQIs2N+l2eXYCID+Ls7ohWCd2RHPvvb3+3qdv68aAG61kJsz0MjZ+7GPa\n"
  "-----END CERTIFICATE-----\n";

static X509 *
read_pem (const char *pem)
{
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

  BIO_free (bio);
  return cert;
}

int
LLVMFuzzerTestOneInput (const unsigned char *data,
                        size_t               size)
{
  static X509 *root, *holder;
  static PorteurOcspClient *client;
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(PorteurOcspResult) ocsp = NULL;
  g_autoptr(PorteurCrlResult) crl = NULL;

  if (client == NULL)
    {
      root = read_pem (root_pem);
      holder = read_pem (holder_pem);
      g_assert (root && holder);
      client = porteur_ocsp_client_new ();
      porteur_ocsp_client_add_trust_cert (client, root);
    }
  if (size == 0)
    return 0;
  ocsp = porteur_ocsp_client_read_response (client, holder, root, bytes, NULL, NULL);
  crl = porteur_crl_check_data (bytes, holder, root, "fuzz", NULL);
  return 0;
}
