/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ca-sim-harness.h"

/* The simulator itself, checked with independent tools: OpenSSL's command
 * line for the PKI, OCSP and CRL; raw HTTP for the API's strictness. */

static char *
run_merged (int *status, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, first);
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (process);
  g_test_message ("%s → %d:\n%s", first, *status, out);
  return out;
}

static const char good_dossier[] =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

typedef struct {
  guint  status;
  char  *type;
  char  *body;
  char  *location;
} Reply;

static void
reply_free (Reply *r)
{
  g_free (r->type);
  g_free (r->body);
  g_free (r->location);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static SoupSession *
session_for (CaSimHarness *sim)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = g_tls_file_database_new (sim->root_pem, &error);

  g_assert_no_error (error);
  return soup_session_new_with_options ("tls-database", db, "timeout", 20, NULL);
}

static Reply *
request (CaSimHarness *sim, const char *method, const char *path, const char *type, const char *body,
         const char *key, const char *token)
{
  g_autoptr(SoupSession) session = session_for (sim);
  g_autofree char *url = g_strconcat (sim->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  Reply *r = g_new0 (Reply, 1);

  if (body)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, type, b);
    }
  if (key)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  if (token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  r->status = soup_message_get_status (msg);
  r->type = g_strdup (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL));
  r->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  r->location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location"));
  return r;
}

static JsonObject *
reply_object (Reply *r)
{
  g_autoptr(JsonNode) node = json_from_string (r->body, NULL);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* The first field error code of a problem. */
static const char *
first_code (JsonObject *problem)
{
  JsonArray *errors = json_object_get_array_member (problem, "errors");
  return json_object_get_string_member (json_array_get_object_element (errors, 0), "code");
}

static void
test_loopback_only (void)
{
  const char *sim = g_getenv ("PORTEUR_CA_SIM");
  g_autofree char *dir = g_dir_make_tmp ("porteur-ca-sim-XXXXXX", NULL);
  const char *refused[] = { "0.0.0.0:0", "192.0.2.1:0", "[::]:0", "localhost:0" };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      int status;
      g_autofree char *out = run_merged (&status, sim, "--listen", refused[i], "--state", dir, NULL);

      g_assert_cmpint (status, ==, 2);
      g_assert_true (strstr (out, "loopback") || strstr (out, "not an IP address"));
    }
  g_rmdir (dir);
}

static void
test_api_strict (void)
{
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (3600);
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) o = NULL;
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;

  /* No key. */
  r = request (sim, "POST", "/api/v1/orders", "application/json", good_dossier, NULL, NULL);
  g_assert_cmpuint (r->status, ==, 400);
  g_assert_cmpstr (r->type, ==, "application/problem+json");
  o = reply_object (r);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "https://porteur.example/problems/idempotency");
  g_assert_cmpstr (first_code (o), ==, "idempotency-key-missing");
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&r, reply_free);

  /* Wrong content type. */
  r = request (sim, "POST", "/api/v1/orders", "text/plain", good_dossier, "k0", NULL);
  g_assert_cmpuint (r->status, ==, 415);
  g_clear_pointer (&r, reply_free);

  /* Created: 201, Location, token. */
  r = request (sim, "POST", "/api/v1/orders", "application/json", good_dossier, "k1", NULL);
  g_assert_cmpuint (r->status, ==, 201);
  g_assert_cmpstr (r->type, ==, "application/json");
  o = reply_object (r);
  number = g_strdup (json_object_get_string_member (o, "number"));
  token = g_strdup (json_object_get_string_member (o, "access_token"));
  g_assert_nonnull (token);
  g_assert_true (g_str_has_suffix (r->location, number));
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&r, reply_free);

  /* Same key, other body. */
  r = request (sim, "POST", "/api/v1/orders", "application/json", "{}", "k1", NULL);
  g_assert_cmpuint (r->status, ==, 422);
  o = reply_object (r);
  g_assert_cmpstr (first_code (o), ==, "idempotency-key-reused");
  g_clear_pointer (&o, json_object_unref);
  g_clear_pointer (&r, reply_free);

  /* Not JSON. */
  r = request (sim, "POST", "/api/v1/orders", "application/json", "{\"support\":", "k2", NULL);
  g_assert_cmpuint (r->status, ==, 400);
  g_clear_pointer (&r, reply_free);

  /* No token / wrong token. */
  {
    g_autofree char *path = g_strconcat ("/api/v1/orders/", number, NULL);
    r = request (sim, "GET", path, NULL, NULL, NULL, NULL);
    g_assert_cmpuint (r->status, ==, 401);
    g_clear_pointer (&r, reply_free);
    r = request (sim, "GET", path, NULL, NULL, NULL, token);
    g_assert_cmpuint (r->status, ==, 200);
    o = reply_object (r);
    g_assert_false (json_object_has_member (o, "access_token"));
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "draft");
    g_clear_pointer (&o, json_object_unref);
    g_clear_pointer (&r, reply_free);
  }

  /* Submit twice with two keys: the second is a conflict. */
  {
    g_autofree char *path = g_strconcat ("/api/v1/orders/", number, "/submit", NULL);
    r = request (sim, "POST", path, "application/json", "{}", "s1", token);
    g_assert_cmpuint (r->status, ==, 200);
    g_clear_pointer (&r, reply_free);
    r = request (sim, "POST", path, "application/json", "{}", "s1", token);
    g_assert_cmpuint (r->status, ==, 200);
    g_clear_pointer (&r, reply_free);
    r = request (sim, "POST", path, "application/json", "{}", "s2", token);
    g_assert_cmpuint (r->status, ==, 409);
    g_clear_pointer (&r, reply_free);
  }

  /* The office: documents received, validation due in an hour; advance the clock. */
  {
    g_autofree char *path = g_strconcat ("/api/v1/orders/", number, NULL);
    g_autofree char *out = ca_sim_harness_admin (sim, FALSE, "documents-received", number, NULL);
    g_autofree char *out2 = NULL;
    g_autofree char *out3 = NULL;

    r = request (sim, "GET", path, NULL, NULL, NULL, token);
    o = reply_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "documents-complete");
    g_assert_true (json_object_has_member (o, "validation_due"));
    g_clear_pointer (&o, json_object_unref);
    g_clear_pointer (&r, reply_free);
    out2 = ca_sim_harness_admin (sim, FALSE, "advance-time", "3601", NULL);
    r = request (sim, "GET", path, NULL, NULL, NULL, token);
    o = reply_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "validated");
    g_clear_pointer (&o, json_object_unref);
    g_clear_pointer (&r, reply_free);
    /* A validated order cannot be rejected by mistake into an inconsistent state twice. */
    out3 = ca_sim_harness_admin (sim, FALSE, "reject", number, "Identity document expired", NULL);
    r = request (sim, "GET", path, NULL, NULL, NULL, token);
    o = reply_object (r);
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "rejected");
    g_assert_cmpstr (json_object_get_string_member (o, "reason"), ==, "Identity document expired");
    g_clear_pointer (&o, json_object_unref);
    g_clear_pointer (&r, reply_free);
    g_assert_null (ca_sim_harness_admin (sim, TRUE, "reject", number, "again", NULL));
  }
}

static char *
pki_file (CaSimHarness *sim, const char *name)
{
  return g_build_filename (sim->state_dir, "pki", name, NULL);
}

static void
test_pki_ocsp_crl (void)
{
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (0);
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) o = NULL;
  g_autofree char *root = pki_file (sim, "root.pem");
  g_autofree char *issuing = pki_file (sim, "issuing.pem");
  g_autofree char *ocsp = pki_file (sim, "ocsp.pem");
  g_autofree char *tls = pki_file (sim, "tls.pem");
  g_autofree char *prefix = g_build_filename (sim->state_dir, "holder", NULL);
  g_autofree char *cert = g_strconcat (prefix, ".pem", NULL);
  g_autofree char *chain = g_build_filename (sim->state_dir, "chain.pem", NULL);
  g_autofree char *crl_der = g_build_filename (sim->state_dir, "issuing.crl", NULL);
  g_autofree char *crl_pem = g_build_filename (sim->state_dir, "issuing.crl.pem", NULL);
  g_autofree char *ocsp_url = g_strconcat (sim->url, "/ocsp", NULL);
  g_autofree char *number = NULL;
  g_autofree char *token = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *out = NULL;
  g_autofree char *root_text = NULL, *issuing_text = NULL;
  int status;

  r = request (sim, "POST", "/api/v1/orders", "application/json", good_dossier, "k1", NULL);
  g_assert_cmpuint (r->status, ==, 201);
  o = reply_object (r);
  number = g_strdup (json_object_get_string_member (o, "number"));
  token = g_strdup (json_object_get_string_member (o, "access_token"));
  g_clear_pointer (&r, reply_free);
  {
    g_autofree char *path = g_strconcat ("/api/v1/orders/", number, "/submit", NULL);
    r = request (sim, "POST", path, "application/json", "{}", "s1", token);
    g_assert_cmpuint (r->status, ==, 200);
    g_clear_pointer (&r, reply_free);
  }
  /* Not issuable before validation. */
  g_assert_null (ca_sim_harness_admin (sim, TRUE, "issue", number, prefix, NULL));
  g_free (ca_sim_harness_admin (sim, FALSE, "documents-received", number, NULL));
  serial = ca_sim_harness_admin (sim, FALSE, "issue", number, prefix, NULL);
  g_assert_cmpuint (strlen (serial), ==, 32);

  /* The certificate: qualified, RGS-like policies, OCSP and CRL pointers, chains to the root. */
  g_free (out);
  out = run_merged (&status, "openssl", "x509", "-in", cert, "-noout", "-text", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Policy: 0.4.0.194112.1.2"));
  g_assert_nonnull (strstr (out, "Policy: 2.999.250.1.2"));
  g_assert_nonnull (strstr (out, "qcStatements"));
  g_assert_nonnull (strstr (out, "Non Repudiation"));
  g_assert_nonnull (strstr (out, "OCSP - URI:https://127.0.0.1:"));
  g_assert_nonnull (strstr (out, "/crl/issuing.crl"));
  g_assert_nonnull (strstr (out, "organizationIdentifier = NTRFR-213502388"));
  g_free (out);
  out = run_merged (&status, "openssl", "asn1parse", "-in", cert, NULL);
  /* QcCompliance, QcSSCD, QcType esign */
  g_assert_nonnull (strstr (out, "30293008060604008E4601013008060604008E4601043013060604008E4601063009060704008E46010601"));
  g_free (out);
  out = run_merged (&status, "openssl", "x509", "-in", ocsp, "-noout", "-ext", "extendedKeyUsage", NULL);
  g_assert_nonnull (strstr (out, "OCSP Signing"));
  g_free (out);
  out = run_merged (&status, "openssl", "x509", "-in", tls, "-noout", "-ext", "subjectAltName", NULL);
  g_assert_nonnull (strstr (out, "IP Address:127.0.0.1"));
  g_assert_nonnull (strstr (out, "DNS:localhost"));
  g_free (out);
  out = run_merged (&status, "openssl", "verify", "-CAfile", root, "-untrusted", issuing, cert, NULL);
  g_assert_cmpint (status, ==, 0);

  /* OCSP: good, nonce echoed, signature checked by openssl. */
  g_free (out);
  out = run_merged (&status, "openssl", "ocsp", "-issuer", issuing, "-cert", cert, "-url", ocsp_url,
                    "-CAfile", root, "-nonce", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "Response verify OK"));
  g_assert_nonnull (strstr (out, ": good"));
  g_assert_null (strstr (out, "WARNING"));
  /* an unknown serial */
  g_free (out);
  out = run_merged (&status, "openssl", "ocsp", "-issuer", issuing, "-serial", "0x1234", "-url", ocsp_url,
                    "-CAfile", root, NULL);
  g_assert_nonnull (strstr (out, "0x1234: unknown"));

  /* CRL before revocation: verify with CRL check passes. */
  root_text = NULL;
  g_assert_true (g_file_get_contents (root, &root_text, NULL, NULL));
  g_assert_true (g_file_get_contents (issuing, &issuing_text, NULL, NULL));
  {
    g_autofree char *both = g_strconcat (issuing_text, root_text, NULL);
    g_assert_true (g_file_set_contents (chain, both, -1, NULL));
  }
  g_clear_pointer (&r, reply_free);
  r = request (sim, "GET", "/crl/issuing.crl", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (r->type, ==, "application/pkix-crl");
  {
    g_autoptr(SoupSession) session = session_for (sim);
    g_autofree char *url = g_strconcat (sim->url, "/crl/issuing.crl", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) der = soup_session_send_and_read (session, msg, NULL, NULL);
    g_assert_true (g_file_set_contents (crl_der, g_bytes_get_data (der, NULL), g_bytes_get_size (der), NULL));
  }
  g_free (out);
  out = run_merged (&status, "openssl", "crl", "-inform", "DER", "-in", crl_der, "-out", crl_pem, NULL);
  g_assert_cmpint (status, ==, 0);
  g_free (out);
  out = run_merged (&status, "openssl", "verify", "-crl_check", "-CAfile", chain, "-CRLfile", crl_pem, cert, NULL);
  g_assert_cmpint (status, ==, 0);

  /* Revoke (keyCompromise): OCSP says revoked, the next CRL lists it. */
  g_free (ca_sim_harness_admin (sim, FALSE, "revoke", serial, "1", NULL));
  g_free (out);
  out = run_merged (&status, "openssl", "ocsp", "-issuer", issuing, "-cert", cert, "-url", ocsp_url,
                    "-CAfile", root, NULL);
  g_assert_nonnull (strstr (out, "Response verify OK"));
  g_assert_nonnull (strstr (out, ": revoked"));
  g_assert_nonnull (strstr (out, "Reason: keyCompromise"));
  {
    g_autoptr(SoupSession) session = session_for (sim);
    g_autofree char *url = g_strconcat (sim->url, "/crl/issuing.crl", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) der = soup_session_send_and_read (session, msg, NULL, NULL);
    g_assert_true (g_file_set_contents (crl_der, g_bytes_get_data (der, NULL), g_bytes_get_size (der), NULL));
  }
  g_free (out);
  out = run_merged (&status, "openssl", "crl", "-inform", "DER", "-in", crl_der, "-CAfile", chain, "-noout", "-text", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "verify OK"));
  g_assert_nonnull (strstr (out, serial));
  g_assert_nonnull (strstr (out, "Key Compromise"));
  g_free (out);
  out = run_merged (&status, "openssl", "crl", "-inform", "DER", "-in", crl_der, "-out", crl_pem, NULL);
  g_free (out);
  out = run_merged (&status, "openssl", "verify", "-crl_check", "-CAfile", chain, "-CRLfile", crl_pem, cert, NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (out, "certificate revoked"));
  /* revoking twice fails */
  g_assert_null (ca_sim_harness_admin (sim, TRUE, "revoke", serial, "1", NULL));
}

static void
test_cmp_placeholder (void)
{
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (0);
  g_autoptr(Reply) r = request (sim, "POST", "/pkix/", "application/pkixcmp", "x", NULL, NULL);

  g_assert_cmpuint (r->status, ==, 501);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca-sim/loopback-only", test_loopback_only);
  g_test_add_func ("/ca-sim/api-strict", test_api_strict);
  g_test_add_func ("/ca-sim/pki-ocsp-crl", test_pki_ocsp_crl);
  g_test_add_func ("/ca-sim/cmp-placeholder", test_cmp_placeholder);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  return status;
}
