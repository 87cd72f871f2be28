/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <libsoup/soup.h>
#include <openssl/rsa.h>

#include "ca/porteur-ca-challenge.h"
#include "ca-test-util.h"

/* The RA API's §3.8 test challenges: our client and porteur-tool against the
 * real simulator over HTTPS, with certificates the simulator issues (RSA from
 * `issue`, EC from `issue-for-key`), one made with openssl by another CA,
 * revocation by the administrator, the office's clock moved forward, faults. */

typedef struct {
  CaTest       ca;
  CaTestHolder rsa;   /* a certificate of the simulator for an RSA software key */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(PorteurCaOrder) order = NULL;

  ca_test_set_up (&f->ca, 0);
  order = ca_test_validated_order (&f->ca);
  ca_test_issue (&f->ca, order, "rsa", &f->rsa);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  ca_test_holder_clear (&f->rsa);
  ca_test_tear_down (&f->ca);
}

/* The whole test through porteur_ca_test_signature_async; the steps seen in @steps.
 * With @cancel_at_verdict, that cancellable is cancelled 300 ms after the verdict is asked for. */
typedef struct {
  GArray       *steps;
  GCancellable *cancel_at_verdict;
} Progress;

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
on_progress (PorteurCaTestStep step, gpointer data)
{
  Progress *progress = data;

  g_array_append_val (progress->steps, step);
  if (step == PORTEUR_CA_TEST_STEP_VERDICT && progress->cancel_at_verdict)
    g_timeout_add (300, cancel_soon, g_object_ref (progress->cancel_at_verdict));
}

static PorteurCaTestVerdict *
run_test_full (Fixture *f, X509 *cert, EVP_PKEY *key, GCancellable *cancellable, gboolean cancel_at_verdict,
               GArray *steps, GError **error)
{
  GAsyncResult *result = NULL;
  Progress progress = { steps, cancel_at_verdict ? cancellable : NULL };
  PorteurCaTestVerdict *verdict;

  porteur_ca_test_signature_async (f->ca.client, cert, key, steps ? on_progress : NULL, &progress, NULL,
                                   cancellable, ca_test_on_done, &result);
  ca_test_await (&result);
  verdict = porteur_ca_test_signature_finish (result, error);
  g_object_unref (result);
  return verdict;
}

static PorteurCaTestVerdict *
run_test (Fixture *f, X509 *cert, EVP_PKEY *key, GCancellable *cancellable, GArray *steps, GError **error)
{
  return run_test_full (f, cert, key, cancellable, FALSE, steps, error);
}

static PorteurCaTestChallenge *
open_challenge (Fixture *f, const char *key, GError **error)
{
  return CA_CALL (porteur_ca_client_open_test_challenge_finish, f->ca.client, error,
                  porteur_ca_client_open_test_challenge_async (f->ca.client, key, CA_ASYNC_ARGS));
}

static PorteurCaTestVerdict *
answer (Fixture *f, const char *id, X509 *cert, GBytes *signature, const char *algorithm, const char *key, GError **error)
{
  unsigned char *der = NULL;
  int len = i2d_X509 (cert, &der);
  g_autoptr(GBytes) bytes = g_bytes_new (der, len);

  OPENSSL_free (der);
  return CA_CALL (porteur_ca_client_answer_test_challenge_finish, f->ca.client, error,
                  porteur_ca_client_answer_test_challenge_async (f->ca.client, id, bytes, signature, algorithm, key, CA_ASYNC_ARGS));
}

static void
assert_failures (PorteurCaTestVerdict *verdict, const char *const *expected)
{
  const char *const *failures = porteur_ca_test_verdict_get_failures (verdict);
  g_autofree char *got = g_strjoinv (",", (char **) failures);
  g_autofree char *want = g_strjoinv (",", (char **) expected);

  g_assert_cmpstr (got, ==, want);
}

/* --- the verdicts ------------------------------------------------------------------ */

static void
test_rsa_valid (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (PorteurCaTestStep));
  g_autoptr(PorteurCaTestVerdict) verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, steps, &error);
  static const char *const none[] = { NULL };

  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_true (porteur_ca_test_verdict_get_certificate_valid (verdict));
  g_assert_cmpint (porteur_ca_test_verdict_get_certificate_status (verdict), ==, PORTEUR_CA_CERTIFICATE_GOOD);
  g_assert_true (porteur_ca_test_verdict_get_qualified (verdict));
  assert_failures (verdict, none);
  g_assert_nonnull (strstr (porteur_ca_test_verdict_get_subject (verdict), "CN=Anne Le Goff"));
  g_assert_cmpstr (porteur_ca_test_verdict_get_serial (verdict), ==, f->rsa.serial);
  g_assert_nonnull (porteur_ca_test_verdict_get_not_after (verdict));
  /* the three steps, in order, in the caller's context */
  g_assert_cmpuint (steps->len, ==, 3);
  g_assert_cmpint (g_array_index (steps, PorteurCaTestStep, 0), ==, PORTEUR_CA_TEST_STEP_CHALLENGE);
  g_assert_cmpint (g_array_index (steps, PorteurCaTestStep, 1), ==, PORTEUR_CA_TEST_STEP_SIGNING);
  g_assert_cmpint (g_array_index (steps, PorteurCaTestStep, 2), ==, PORTEUR_CA_TEST_STEP_VERDICT);
}

static void
test_ec_valid (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  g_autofree char *serial = NULL;
  X509 *cert = ca_test_issue_for_key (&f->ca, key, "ec", &serial);
  g_autoptr(PorteurCaTestVerdict) verdict = run_test (f, cert, key, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_test_algorithm_for_key (key), ==, "ecdsa-sha256");
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_true (porteur_ca_test_verdict_get_certificate_valid (verdict));
  g_assert_true (porteur_ca_test_verdict_get_qualified (verdict));
  g_assert_cmpstr (porteur_ca_test_verdict_get_serial (verdict), ==, serial);
  X509_free (cert);
  EVP_PKEY_free (key);
}

/* What is signed is the nonce's bytes, SHA-256 by the signer: PSS too; the
 * algorithm must suit the key. */
static void
test_algorithms (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestChallenge) c1 = open_challenge (f, NULL, &error);
  g_autoptr(PorteurCaTestChallenge) c2 = NULL;
  g_autoptr(GBytes) pss = NULL, pkcs1 = NULL;
  g_autoptr(PorteurCaTestVerdict) v1 = NULL, v2 = NULL;
  static const char *const wrong_alg[] = { "wrong-algorithm-for-key", NULL };

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (porteur_ca_test_challenge_get_nonce (c1)), ==, 32);
  pss = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PSS_SHA256, porteur_ca_test_challenge_get_nonce (c1), &error);
  g_assert_no_error (error);
  v1 = answer (f, porteur_ca_test_challenge_get_id (c1), f->rsa.cert, pss, PORTEUR_CA_TEST_RSA_PSS_SHA256, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (v1));

  /* an RSA signature called ECDSA */
  c2 = open_challenge (f, NULL, &error);
  g_assert_no_error (error);
  pkcs1 = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, porteur_ca_test_challenge_get_nonce (c2), &error);
  g_assert_no_error (error);
  v2 = answer (f, porteur_ca_test_challenge_get_id (c2), f->rsa.cert, pkcs1, PORTEUR_CA_TEST_ECDSA_SHA256, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (porteur_ca_test_verdict_get_signature_valid (v2));
  g_assert_true (porteur_ca_test_verdict_get_certificate_valid (v2));
  assert_failures (v2, wrong_alg);

  /* our signer refuses an algorithm its key cannot make */
  g_assert_null (porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_ECDSA_SHA256, porteur_ca_test_challenge_get_nonce (c2), &error));
  g_assert_error (error, PORTEUR_CA_TEST_ERROR, PORTEUR_CA_TEST_ERROR_UNSUPPORTED_KEY);
}

static void
test_revoked (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  ca_sim_harness_admin_do (f->ca.sim, "revoke", f->rsa.serial, "1", NULL);
  g_autoptr(PorteurCaTestVerdict) verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, NULL, &error);
  static const char *const revoked[] = { "revoked", NULL };

  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_false (porteur_ca_test_verdict_get_certificate_valid (verdict));
  g_assert_cmpint (porteur_ca_test_verdict_get_certificate_status (verdict), ==, PORTEUR_CA_CERTIFICATE_REVOKED);
  assert_failures (verdict, revoked);
}

/* A CA and a certificate made with openssl: signature good, certificate not this CA's. */
static void
test_other_ca (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_key = g_build_filename (f->ca.dir, "other-ca.key", NULL);
  g_autofree char *ca_cert = g_build_filename (f->ca.dir, "other-ca.pem", NULL);
  g_autofree char *ee_key = g_build_filename (f->ca.dir, "other-ee.key", NULL);
  g_autofree char *ee_csr = g_build_filename (f->ca.dir, "other-ee.csr", NULL);
  g_autofree char *ee_cert = g_build_filename (f->ca.dir, "other-ee.pem", NULL);
  const char *const make_ca[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                  "-nodes", "-keyout", ca_key, "-out", ca_cert, "-subj", "/CN=Porteur Test Root CA",
                                  "-days", "30", NULL };
  const char *const make_csr[] = { "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                   "-nodes", "-keyout", ee_key, "-out", ee_csr, "-subj", "/CN=Anne Le Goff", NULL };
  const char *const sign_csr[] = { "openssl", "x509", "-req", "-in", ee_csr, "-CA", ca_cert, "-CAkey", ca_key,
                                   "-set_serial", "4660", "-days", "30", "-out", ee_cert, NULL };
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL;
  g_autoptr(PorteurCaTestVerdict) verdict = NULL;
  static const char *const other[] = { "not-this-ca", "no-qc-statements", NULL };
  X509 *cert;
  EVP_PKEY *key;
  int status;

  o1 = ca_sim_run (&status, make_ca);
  g_assert_cmpint (status, ==, 0);
  o2 = ca_sim_run (&status, make_csr);
  g_assert_cmpint (status, ==, 0);
  o3 = ca_sim_run (&status, sign_csr);
  g_assert_cmpint (status, ==, 0);
  cert = pki_read_cert (ee_cert);
  key = pki_read_key (ee_key);
  verdict = run_test (f, cert, key, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_false (porteur_ca_test_verdict_get_certificate_valid (verdict));
  g_assert_cmpint (porteur_ca_test_verdict_get_certificate_status (verdict), ==, PORTEUR_CA_CERTIFICATE_UNTRUSTED);
  g_assert_false (porteur_ca_test_verdict_get_qualified (verdict));
  assert_failures (verdict, other);
  X509_free (cert);
  EVP_PKEY_free (key);
}

/* The signature of another key, then of other bytes than the nonce. */
static void
test_bad_signature (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *other = EVP_RSA_gen (2048);
  g_autoptr(PorteurCaTestVerdict) v1 = run_test (f, f->rsa.cert, other, NULL, NULL, &error);
  g_autoptr(PorteurCaTestChallenge) challenge = NULL;
  g_autoptr(PorteurCaTestVerdict) v2 = NULL;
  g_autoptr(GBytes) wrong = NULL, signature = NULL;
  guint8 bytes[32];
  static const char *const bad[] = { "bad-signature", NULL };

  g_assert_no_error (error);
  g_assert_false (porteur_ca_test_verdict_get_signature_valid (v1));
  g_assert_true (porteur_ca_test_verdict_get_certificate_valid (v1));
  assert_failures (v1, bad);

  challenge = open_challenge (f, NULL, &error);
  g_assert_no_error (error);
  memcpy (bytes, g_bytes_get_data (porteur_ca_test_challenge_get_nonce (challenge), NULL), sizeof bytes);
  bytes[0] ^= 1;
  wrong = g_bytes_new (bytes, sizeof bytes);
  signature = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, wrong, &error);
  g_assert_no_error (error);
  v2 = answer (f, porteur_ca_test_challenge_get_id (challenge), f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (porteur_ca_test_verdict_get_signature_valid (v2));
  assert_failures (v2, bad);
  EVP_PKEY_free (other);
}

/* A challenge answers once (a retry with the same key gets the same verdict);
 * an unknown one is 404. */
static void
test_once (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestChallenge) challenge = open_challenge (f, NULL, &error);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(PorteurCaTestVerdict) v1 = NULL, v2 = NULL, v3 = NULL, v4 = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  const char *id;

  g_assert_no_error (error);
  id = porteur_ca_test_challenge_get_id (challenge);
  signature = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, porteur_ca_test_challenge_get_nonce (challenge), &error);
  g_assert_no_error (error);
  v1 = answer (f, id, f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, key, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (v1));
  v2 = answer (f, id, f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, key, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (v2));
  v3 = answer (f, id, f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, &error);
  g_assert_null (v3);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_GONE);
  g_assert_cmpuint (porteur_ca_error_get_problem (error)->status, ==, 410);
  g_clear_error (&error);
  v4 = answer (f, "0123456789abcdef0123456789abcdef", f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, &error);
  g_assert_null (v4);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND);
}

/* Five minutes on the office's clock. */
static void
test_expired_challenge (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestChallenge) challenge = open_challenge (f, NULL, &error);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(PorteurCaTestVerdict) verdict = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *out = NULL;
  GTimeSpan life;

  g_assert_no_error (error);
  life = g_date_time_difference (porteur_ca_test_challenge_get_expires (challenge), now) / G_TIME_SPAN_SECOND;
  g_assert_cmpint (life, >=, 295);
  g_assert_cmpint (life, <=, 300);
  signature = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, porteur_ca_test_challenge_get_nonce (challenge), &error);
  g_assert_no_error (error);
  out = ca_sim_harness_admin (f->ca.sim, FALSE, "advance-time", "301", NULL);
  verdict = answer (f, porteur_ca_test_challenge_get_id (challenge), f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, &error);
  g_assert_null (verdict);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_GONE);
  g_assert_cmpstr (porteur_ca_error_get_problem (error)->detail, ==, "It expired");
}

/* The certificate past its notAfter on the office's clock (3 years + 1 week later). */
static void
test_expired_certificate (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  ca_sim_harness_admin_do (f->ca.sim, "advance-time", "95212800", NULL);
  g_autoptr(PorteurCaTestVerdict) verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, NULL, &error);
  static const char *const expired[] = { "expired", NULL };

  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_false (porteur_ca_test_verdict_get_certificate_valid (verdict));
  g_assert_cmpint (porteur_ca_test_verdict_get_certificate_status (verdict), ==, PORTEUR_CA_CERTIFICATE_EXPIRED);
  assert_failures (verdict, expired);
}

/* --- malformed input: 422 with field codes, the challenge stays open ---------------- */

/* POSTs @body to @path below /api/v1 with our own session: status, problem's codes "field:code,…". */
static guint
raw_post (Fixture *f, const char *path, const char *body, char **codes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (f->ca.sim->root_pem, &error);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("tls-database", db, NULL);
  g_autofree char *url = g_strconcat (f->ca.sim->url, "/api/v1", path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GString) list = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  node = json_from_string (text, NULL);
  if (node && JSON_NODE_HOLDS_OBJECT (node) && json_object_has_member (json_node_get_object (node), "errors"))
    {
      JsonArray *errors = json_object_get_array_member (json_node_get_object (node), "errors");
      for (guint i = 0; i < json_array_get_length (errors); i++)
        {
          JsonObject *e = json_array_get_object_element (errors, i);
          g_string_append_printf (list, "%s%s:%s", i ? "," : "", json_object_get_string_member (e, "field"),
                                  json_object_get_string_member (e, "code"));
        }
    }
  *codes = g_string_free (g_steal_pointer (&list), FALSE);
  return soup_message_get_status (msg);
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestChallenge) challenge = open_challenge (f, NULL, &error);
  g_autofree char *path = NULL, *codes = NULL, *body = NULL, *cert_b64 = NULL;
  g_autoptr(GBytes) signature = NULL, not_der = g_bytes_new_static ("not a certificate", 17);
  g_autoptr(PorteurCaTestVerdict) v1 = NULL, verdict = NULL;
  unsigned char *der = NULL;
  int der_len;
  struct { const char *body; const char *codes; } cases[] = {
    { "{\"certificate\":\"%%%%\",\"signature\":\"AAAA\",\"algorithm\":\"rsa-pkcs1-sha256\"}", "certificate:bad-base64" },
    { "{\"certificate\":\"CERT\",\"signature\":\"AA=A\",\"algorithm\":\"rsa-pkcs1-sha256\"}", "signature:bad-base64" },
    { "{\"certificate\":\"CERT\",\"signature\":\"\",\"algorithm\":\"md5\"}", "signature:empty,algorithm:bad-choice" },
    { "{\"certificate\":\"CERT\",\"signature\":\"AAAA\"}", "algorithm:empty" },
    { "{\"certificate\":\"CERT\",\"signature\":\"AAAA\",\"algorithm\":\"ecdsa-sha256\",\"pin\":\"1234\"}", "pin:unknown-field" },
    { "{\"certificate\":\"bm90IGEgY2VydA==\",\"signature\":\"AAAA\",\"algorithm\":\"ecdsa-sha256\"}", "certificate:bad-der" },
    { "{\"certificate\":1,\"signature\":\"AAAA\",\"algorithm\":\"ecdsa-sha256\"}", "certificate:bad-syntax" },
    { "[]", ":bad-syntax" },
  };

  g_assert_no_error (error);
  path = g_strdup_printf ("/test-challenges/%s/response", porteur_ca_test_challenge_get_id (challenge));
  der_len = i2d_X509 (f->rsa.cert, &der);
  cert_b64 = g_base64_encode (der, der_len);
  OPENSSL_free (der);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) parts = g_strsplit (cases[i].body, "CERT", -1);

      body = (g_free (body), g_strjoinv (cert_b64, parts));
      codes = (g_free (codes), NULL);
      g_assert_cmpuint (raw_post (f, path, body, &codes), ==, 422);
      g_assert_cmpstr (codes, ==, cases[i].codes);
    }
  /* POST /test-challenges takes an empty object only */
  codes = (g_free (codes), NULL);
  g_assert_cmpuint (raw_post (f, "/test-challenges", "{\"nonce\":\"AAAA\"}", &codes), ==, 422);
  g_assert_cmpstr (codes, ==, "nonce:unknown-field");

  /* our client: a certificate that is not DER → the same field code in the problem */
  signature = porteur_ca_test_sign (f->rsa.key, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, porteur_ca_test_challenge_get_nonce (challenge), &error);
  g_assert_no_error (error);
  v1 = CA_CALL (porteur_ca_client_answer_test_challenge_finish, f->ca.client, &error,
                porteur_ca_client_answer_test_challenge_async (f->ca.client, porteur_ca_test_challenge_get_id (challenge), not_der,
                                                               signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, CA_ASYNC_ARGS));
  g_assert_null (v1);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION);
  g_assert_cmpuint (porteur_ca_error_get_problem (error)->errors->len, ==, 1);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (porteur_ca_error_get_problem (error)->errors, 0))->code, ==, "bad-der");
  g_clear_error (&error);

  /* after all these, the challenge still answers */
  verdict = answer (f, porteur_ca_test_challenge_get_id (challenge), f->rsa.cert, signature, PORTEUR_CA_TEST_RSA_PKCS1_SHA256, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_true (porteur_ca_test_verdict_get_certificate_valid (verdict));
}

/* --- faults and cancellation ------------------------------------------------------ */

static void
test_faults (Fixture *f, gconstpointer data)
{
  struct { const char *path; const char *kind; const char *count; PorteurCaError code; } faults[] = {
    { "/api/v1/test-challenges", "http-500", "1", PORTEUR_CA_ERROR_SERVER },
    { "/api/v1/test-challenges", "malformed-json", "1", PORTEUR_CA_ERROR_MALFORMED },
    { "/api/v1/test-challenges", "wrong-content-type", "1", PORTEUR_CA_ERROR_BAD_CONTENT_TYPE },
    { "/api/v1/test-challenges/", "http-500", "1", PORTEUR_CA_ERROR_SERVER },
    { "/api/v1/test-challenges/", "malformed-json", "1", PORTEUR_CA_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(GError) error = NULL;
      ca_sim_harness_admin_do (f->ca.sim, "fault", "POST", faults[i].path, faults[i].kind, faults[i].count, NULL);
      g_autoptr(PorteurCaTestVerdict) verdict = NULL;

      porteur_ca_client_set_max_retries (f->ca.client, 0);
      verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, NULL, &error);
      g_assert_null (verdict);
      g_assert_error (error, PORTEUR_CA_ERROR, (gint) faults[i].code);
    }
  /* a verdict lost on the way (the CA answered, then the connection closed): the retry with the
   * same Idempotency-Key gets the stored verdict, not a 410 */
  {
    g_autoptr(GError) error = NULL;
    ca_sim_harness_admin_do (f->ca.sim, "fault", "POST", "/api/v1/test-challenges/", "lose-answer", "1", NULL);
    g_autoptr(PorteurCaTestVerdict) verdict = NULL;

    porteur_ca_client_set_max_retries (f->ca.client, 3);
    verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (porteur_ca_test_verdict_get_signature_valid (verdict));
    g_assert_true (porteur_ca_test_verdict_get_certificate_valid (verdict));
  }
  /* a 503 is retried: the test then goes through */
  {
    g_autoptr(GError) error = NULL;
    ca_sim_harness_admin_do (f->ca.sim, "fault", "POST", "/api/v1/test-challenges/", "http-503", "1", NULL);
    g_autoptr(PorteurCaTestVerdict) verdict = NULL;

    porteur_ca_client_set_max_retries (f->ca.client, 3);
    verdict = run_test (f, f->rsa.cert, f->rsa.key, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (porteur_ca_test_verdict_get_certificate_valid (verdict));
  }
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ca_sim_harness_admin_do (f->ca.sim, "fault", "POST", "/api/v1/test-challenges/", "delay", "1", NULL);
  g_autoptr(PorteurCaTestVerdict) verdict = NULL;
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (PorteurCaTestStep));
  gint64 start = g_get_monotonic_time ();

  /* the CA holds the answer for 60 s: cancelled while waiting for the verdict (cancelled from
   * the verdict step's report, not after a fixed time, which a loaded machine may not reach) */
  verdict = run_test_full (f, f->rsa.cert, f->rsa.key, cancellable, TRUE, steps, &error);
  g_assert_null (verdict);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (steps->len, ==, 3);
  g_clear_error (&error);

  /* cancelled before anything: nothing is asked */
  g_cancellable_cancel (cancellable);
  g_clear_object (&verdict);
  verdict = run_test (f, f->rsa.cert, f->rsa.key, cancellable, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* --- porteur-tool ------------------------------------------------------------------ */

static void
test_tool (Fixture *f, gconstpointer data)
{
  int status;
  g_autofree char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL, *e4 = NULL;
  g_autofree char *o5 = NULL, *e5 = NULL, *o6 = NULL, *e6 = NULL, *admin = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  o1 = ca_test_tool (&f->ca, NULL, &status, &e1, "ca", "test-signature", "--key-file", f->rsa.key_pem, "--cert", f->rsa.cert_pem, "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  node = json_from_string (o1, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_true (json_object_get_boolean_member (o, "signature_valid"));
  g_assert_true (json_object_get_boolean_member (o, "certificate_valid"));
  g_assert_true (json_object_get_boolean_member (o, "qualified"));
  g_assert_cmpstr (json_object_get_string_member (o, "certificate_status"), ==, "good");
  g_assert_cmpstr (json_object_get_string_member (o, "algorithm"), ==, "rsa-pkcs1-sha256");
  g_assert_cmpstr (json_object_get_string_member (o, "serial"), ==, f->rsa.serial);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "failures")), ==, 0);

  o2 = ca_test_tool (&f->ca, NULL, &status, &e2, "ca", "test-signature", "--key-file", f->rsa.key_pem, "--cert", f->rsa.cert_pem, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (o2, "Signature: valid"));
  g_assert_nonnull (strstr (o2, "The certification authority accepts this signature and this certificate."));
  g_assert_nonnull (strstr (e2, "Signing the challenge…"));

  /* revoked by the holder with a signed CMP RR (the admin's revocation is tested above) */
  admin = ca_test_tool (&f->ca, NULL, &status, &e3, "ca", "cmp", "rr", "--cert", f->rsa.cert_pem, "--key", f->rsa.key_pem, "--reason", "keyCompromise", NULL);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&e3, g_free);
  o3 = ca_test_tool (&f->ca, NULL, &status, &e3, "ca", "test-signature", "--key-file", f->rsa.key_pem, "--cert", f->rsa.cert_pem, NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (o3, "Certificate: revoked"));
  g_assert_nonnull (strstr (o3, "• The certificate is revoked"));

  /* errors: usage, a file that is no certificate, a CA fault */
  o4 = ca_test_tool (&f->ca, NULL, &status, &e4, "ca", "test-signature", "--key-file", f->rsa.key_pem, NULL);
  g_assert_cmpint (status, ==, 2);
  o5 = ca_test_tool (&f->ca, NULL, &status, &e5, "ca", "test-signature", "--key-file", f->rsa.key_pem, "--cert", f->rsa.key_pem, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e5, "is not a certificate"));
  admin = (g_free (admin), ca_sim_harness_admin (f->ca.sim, FALSE, "fault", "POST", "/api/v1/test-challenges", "malformed-json", "1", NULL));
  o6 = ca_test_tool (&f->ca, NULL, &status, &e6, "ca", "test-signature", "--key-file", f->rsa.key_pem, "--cert", f->rsa.cert_pem, NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e6, "answer cannot be understood"));
}

/* SIGINT while the CA holds its answer: the tool stops at once, says so, exit 2. */
static void
test_tool_interrupted (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher = ca_test_tool_launcher (&f->ca, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) rest = g_string_new (NULL);
  ca_sim_harness_admin_do (f->ca.sim, "fault", "POST", "/api/v1/test-challenges", "delay", "1", NULL);
  gint64 start;
  char *line;

  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PORTEUR_TOOL"), "ca", "test-signature",
                                         "--key-file", f->rsa.key_pem, "--cert", f->rsa.cert_pem, NULL);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  /* the first progress line comes once the signal handlers are in place */
  line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "Asking the certification authority for a challenge…");
  g_free (line);
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (process, SIGINT);
  while ((line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, NULL)))
    {
      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
    }
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  g_assert_nonnull (strstr (rest->str, "Cancelled: the test was not finished."));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/ca-challenge/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("rsa-valid", test_rsa_valid);
  ADD ("ec-valid", test_ec_valid);
  ADD ("algorithms", test_algorithms);
  ADD ("revoked", test_revoked);
  ADD ("other-ca", test_other_ca);
  ADD ("bad-signature", test_bad_signature);
  ADD ("once", test_once);
  ADD ("expired-challenge", test_expired_challenge);
  ADD ("expired-certificate", test_expired_certificate);
  ADD ("malformed", test_malformed);
  ADD ("faults", test_faults);
  ADD ("cancel", test_cancel);
  ADD ("tool", test_tool);
  ADD ("tool-interrupted", test_tool_interrupted);
#undef ADD
  return ca_test_run ();
}
