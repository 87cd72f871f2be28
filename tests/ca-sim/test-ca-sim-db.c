/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <openssl/ocsp.h>
#include <openssl/rsa.h>

#include "ca-sim-db.h"
#include "ca-sim-pki.h"

/* The simulator's state and PKI in-process: the interface the CMP endpoint
 * (branch ca-pki) builds on — enrollment lookup, recording, revocation —
 * and the OCSP and CRL answers, parsed back with OpenSSL. */

static const char dossier[] =
  "{\"siret\":\"21350238800019\",\"organisation\":{\"name\":\"COMMUNE DE RENNES\"},"
  "\"holder\":{\"given_name\":\"Anne\",\"family_name\":\"Le Goff\"}}";

static char *state_dir;
static CaSimPki *pki;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static int
ocsp_status (CaSimDb *db, X509 *cert, int *reason)
{
  OCSP_REQUEST *req = OCSP_REQUEST_new ();
  OCSP_CERTID *id = OCSP_cert_to_id (NULL, cert, pki->issuing);
  unsigned char *der = NULL;
  int len, status = -1;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) answer = NULL;
  const unsigned char *p;
  OCSP_RESPONSE *resp;
  OCSP_BASICRESP *basic;
  X509_STORE *store = X509_STORE_new ();
  STACK_OF(X509) *untrusted = sk_X509_new_null ();

  OCSP_request_add0_id (req, OCSP_CERTID_dup (id));
  OCSP_request_add1_nonce (req, NULL, -1);
  len = i2d_OCSP_REQUEST (req, &der);
  request = g_bytes_new (der, len);
  OPENSSL_free (der);
  answer = ca_sim_pki_ocsp_respond (pki, db, request);
  g_assert_nonnull (answer);
  p = g_bytes_get_data (answer, NULL);
  resp = d2i_OCSP_RESPONSE (NULL, &p, g_bytes_get_size (answer));
  g_assert_nonnull (resp);
  g_assert_cmpint (OCSP_response_status (resp), ==, OCSP_RESPONSE_STATUS_SUCCESSFUL);
  basic = OCSP_response_get1_basic (resp);
  g_assert_cmpint (OCSP_check_nonce (req, basic), ==, 1);
  X509_STORE_add_cert (store, pki->root);
  sk_X509_push (untrusted, pki->issuing);
  g_assert_cmpint (OCSP_basic_verify (basic, untrusted, store, 0), ==, 1);
  g_assert_cmpint (OCSP_resp_find_status (basic, id, &status, reason, NULL, NULL, NULL), ==, 1);
  sk_X509_free (untrusted);
  X509_STORE_free (store);
  OCSP_BASICRESP_free (basic);
  OCSP_RESPONSE_free (resp);
  OCSP_CERTID_free (id);
  OCSP_REQUEST_free (req);
  return status;
}

static void
test_lifecycle (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimDb) db = ca_sim_db_open (state_dir, &error);
  g_autofree char *token = NULL;
  g_autofree char *number = NULL;
  g_autoptr(CaSimEnrollment) early = NULL;
  g_autoptr(CaSimEnrollment) enrollment = NULL;
  g_autoptr(CaSimEnrollment) by_reference = NULL;
  g_autoptr(CaSimOrder) order = NULL;
  g_autoptr(GBytes) crl_der = NULL;
  g_autofree char *serial = NULL;
  char subject[256];
  EVP_PKEY *key = EVP_RSA_gen (2048);
  X509 *cert;
  X509_CRL *crl;
  const unsigned char *p;
  X509_REVOKED *revoked = NULL;
  int reason = -1;

  g_assert_no_error (error);
  number = ca_sim_db_create_order (db, dossier, &token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);

  /* No enrollment before validation. */
  early = ca_sim_db_lookup_order_enrollment (db, number, &error);
  g_assert_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE);
  g_assert_null (early);
  g_clear_error (&error);
  g_assert_false (ca_sim_db_documents_received (db, number, 0, &error));
  g_assert_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE);
  g_clear_error (&error);

  g_assert_true (ca_sim_db_set_status (db, number, CA_SIM_WAITING_DOCUMENTS, NULL, ca_sim_db_now (db), &error));
  g_assert_true (ca_sim_db_documents_received (db, number, 0, &error));
  order = ca_sim_db_get_order (db, number, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (order->status, ==, CA_SIM_VALIDATED);

  enrollment = ca_sim_db_lookup_order_enrollment (db, number, &error);
  g_assert_no_error (error);
  by_reference = ca_sim_db_lookup_enrollment (db, enrollment->reference, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_reference->number, ==, number);
  g_assert_cmpstr (by_reference->secret, ==, enrollment->secret);
  g_assert_cmpstr (by_reference->status, ==, CA_SIM_VALIDATED);
  X509_NAME_oneline (by_reference->subject, subject, sizeof subject);
  g_assert_nonnull (strstr (subject, "/CN=Anne Le Goff"));
  g_assert_nonnull (strstr (subject, "NTRFR-213502388"));

  cert = ca_sim_pki_issue (pki, key, by_reference->subject, "https://127.0.0.1:1", 30, &error);
  g_assert_no_error (error);
  g_assert_true (ca_sim_db_record_certificate (db, number, cert, &error));
  g_clear_pointer (&order, ca_sim_order_free);
  order = ca_sim_db_get_order (db, number, &error);
  g_assert_cmpstr (order->status, ==, CA_SIM_ISSUED);
  serial = ca_sim_serial_hex (X509_get0_serialNumber (cert));
  g_assert_cmpstr (order->serial, ==, serial);

  g_assert_cmpint (ocsp_status (db, cert, &reason), ==, V_OCSP_CERTSTATUS_GOOD);
  g_assert_true (ca_sim_db_revoke (db, serial, 4 /* superseded */, &error));
  g_assert_false (ca_sim_db_revoke (db, serial, 4, &error));
  g_assert_error (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (ocsp_status (db, cert, &reason), ==, V_OCSP_CERTSTATUS_REVOKED);
  g_assert_cmpint (reason, ==, 4);

  crl_der = ca_sim_pki_crl (pki, db, &error);
  g_assert_no_error (error);
  p = g_bytes_get_data (crl_der, NULL);
  crl = d2i_X509_CRL (NULL, &p, g_bytes_get_size (crl_der));
  g_assert_nonnull (crl);
  g_assert_cmpint (X509_CRL_verify (crl, X509_get0_pubkey (pki->issuing)), ==, 1);
  g_assert_cmpint (X509_CRL_get0_by_cert (crl, &revoked, cert), ==, 1);

  X509_CRL_free (crl);
  X509_free (cert);
  EVP_PKEY_free (key);
}

static void
test_faults_and_idempotency (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimDb) db = ca_sim_db_open (state_dir, &error);
  g_autoptr(CaSimStoredAnswer) answer = NULL;
  g_autofree char *first = NULL;
  g_autofree char *none = NULL;

  g_assert_no_error (error);
  g_assert_false (ca_sim_db_add_fault (db, "GET", "/x", "explode", 1, &error));
  g_assert_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE);
  g_clear_error (&error);
  g_assert_true (ca_sim_db_add_fault (db, "*", "/api/v1/orders", "http-500", 1, &error));
  g_assert_null (ca_sim_db_take_fault (db, "GET", "/api/v1/products"));
  first = ca_sim_db_take_fault (db, "POST", "/api/v1/orders/PO-1/submit");
  g_assert_cmpstr (first, ==, "http-500");
  none = ca_sim_db_take_fault (db, "POST", "/api/v1/orders");
  g_assert_null (none);

  g_assert_true (ca_sim_db_put_idempotent (db, "k", "h", 201, "/api/v1/orders/PO-1", "{}", &error));
  answer = ca_sim_db_get_idempotent (db, "k");
  g_assert_cmpuint (answer->status, ==, 201);
  g_assert_cmpstr (answer->location, ==, "/api/v1/orders/PO-1");
  g_assert_false (ca_sim_db_put_idempotent (db, "k", "h2", 201, NULL, "{}", &error));
  g_assert_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  state_dir = g_dir_make_tmp ("porteur-ca-sim-db-XXXXXX", NULL);
  pki = ca_sim_pki_load_or_create (state_dir, &error);
  g_assert_no_error (error);
  g_test_add_func ("/ca-sim/db/lifecycle", test_lifecycle);
  g_test_add_func ("/ca-sim/db/faults-and-idempotency", test_faults_and_idempotency);
  status = g_test_run ();
  ca_sim_pki_free (pki);
  rm_rf (state_dir);
  g_free (state_dir);
  return status;
}
