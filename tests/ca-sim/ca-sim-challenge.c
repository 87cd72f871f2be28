/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca-sim-challenge.h"
#include "cert/porteur-cert.h"

/*
 * §3.8 test challenges: the CA's "test your certificate" page as an API.
 *
 *   POST /test-challenges {}  → 201 {id, nonce (32 random bytes, base64), expires (+5 min)}
 *   POST /test-challenges/{id}/response {certificate, signature, algorithm}
 *                             → 200 verdict, once (410 after, or once expired; 404 unknown)
 *
 * What is signed: the 32 nonce bytes themselves, hashed with SHA-256 by the
 * signer (an ordinary signature over the nonce). The verdict's times use the
 * registration office's clock (advance-time moves it), so a test can make a
 * challenge expire or a certificate be past its notAfter without waiting.
 */

#define PROBLEM_BASE "https://porteur.example/problems/"
#define MAX_BODY (64 * 1024)
#define NONCE_BYTES 32
#define CHALLENGE_LIFETIME 300
#define MAX_SIGNATURE 1024

typedef struct {
  guint   status;
  char   *type;
  char   *body;
  char   *location;
} Reply;

static void
reply_json (Reply *r, guint status, JsonBuilder *b)
{
  g_autoptr(JsonNode) node = json_builder_get_root (b);

  r->status = status;
  r->type = g_strdup ("application/json; charset=utf-8");
  r->body = json_to_string (node, FALSE);
}

/* @errors: triples field, code, message (see add_error), or NULL. */
static void
reply_problem (Reply *r, guint status, const char *type, const char *title, const char *detail, GPtrArray *errors)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *type_uri = g_strconcat (PROBLEM_BASE, type, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type_uri);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, detail ? detail : "");
  if (errors && errors->len > 0)
    {
      json_builder_set_member_name (b, "errors");
      json_builder_begin_array (b);
      for (guint i = 0; i + 2 < errors->len; i += 3)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "field");
          json_builder_add_string_value (b, g_ptr_array_index (errors, i));
          json_builder_set_member_name (b, "code");
          json_builder_add_string_value (b, g_ptr_array_index (errors, i + 1));
          json_builder_set_member_name (b, "message");
          json_builder_add_string_value (b, g_ptr_array_index (errors, i + 2));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  reply_json (r, status, b);
  g_free (r->type);
  r->type = g_strdup ("application/problem+json");
}

static void
add_error (GPtrArray *errors, const char *field, const char *code, const char *message)
{
  g_ptr_array_add (errors, g_strdup (field));
  g_ptr_array_add (errors, g_strdup (code));
  g_ptr_array_add (errors, g_strdup (message));
}

static void
reply_validation (Reply *r, GPtrArray *errors)
{
  g_autofree char *detail = g_strdup_printf ("%u field%s not valid", errors->len / 3, errors->len == 3 ? " is" : "s are");
  reply_problem (r, 422, "validation", "The test response is not valid", detail, errors);
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static void
ensure_table (sqlite3 *h)
{
  sqlite3_exec (h, "CREATE TABLE IF NOT EXISTS test_challenges (id TEXT PRIMARY KEY, nonce TEXT NOT NULL,"
                   " expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);", NULL, NULL, NULL);
}

/* The body as a JSON object, or NULL with the problem in @r. */
static JsonObject *
parse_object (Reply *r, const char *content_type, GBytes *body, JsonParser *parser)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;

  if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
    {
      reply_problem (r, 415, "validation", "The body must be application/json", content_type ? content_type : "no Content-Type", NULL);
      return NULL;
    }
  if (len > MAX_BODY)
    {
      reply_problem (r, 413, "validation", "The body is too large", NULL, NULL);
      return NULL;
    }
  if (data == NULL || !g_utf8_validate (data, len, NULL) || !json_parser_load_from_data (parser, data, len, &error))
    {
      reply_problem (r, 400, "validation", "The body is not JSON", error ? error->message : "not UTF-8", NULL);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
      add_error (errors, "", "bad-syntax", "The body must be a JSON object");
      reply_validation (r, errors);
      return NULL;
    }
  return json_node_get_object (root);
}

static void
check_unknown (GPtrArray *errors, JsonObject *o, const char *const *allowed)
{
  g_autoptr(GList) names = json_object_get_members (o);

  for (GList *l = names; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      add_error (errors, l->data, "unknown-field", "Not a member of this request");
}

static void
open_challenge (CaSim *sim, Reply *r, const char *content_type, GBytes *body)
{
  static const char *const none[] = { NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = NULL, *nonce_b64 = NULL, *expires = NULL;
  sqlite3_stmt *stmt = NULL;
  unsigned char raw[16], nonce[NONCE_BYTES];
  gint64 until = ca_sim_db_now (sim->db) + CHALLENGE_LIFETIME;
  JsonObject *o;

  if ((o = parse_object (r, content_type, body, parser)) == NULL)
    return;
  check_unknown (errors, o, none);
  if (errors->len > 0)
    {
      reply_validation (r, errors);
      return;
    }
  if (RAND_bytes (raw, sizeof raw) != 1 || RAND_bytes (nonce, sizeof nonce) != 1)
    {
      reply_problem (r, 500, "internal", "Internal error", "no random bytes", NULL);
      return;
    }
  id = g_malloc0 (2 * sizeof raw + 1);
  for (guint i = 0; i < sizeof raw; i++)
    g_snprintf (id + 2 * i, 3, "%02x", raw[i]);
  nonce_b64 = g_base64_encode (nonce, sizeof nonce);
  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db),
                      "INSERT INTO test_challenges (id, nonce, expires) VALUES (?, ?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, nonce_b64, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, until);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      reply_problem (r, 500, "internal", "Internal error", "cannot record the challenge", NULL);
      return;
    }
  sqlite3_finalize (stmt);
  expires = format_time (until);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "nonce");
  json_builder_add_string_value (b, nonce_b64);
  json_builder_set_member_name (b, "expires");
  json_builder_add_string_value (b, expires);
  json_builder_end_object (b);
  reply_json (r, 201, b);
  r->location = g_strdup_printf ("/api/v1/test-challenges/%s", id);
}

/* Strict base64 (RFC 4648 §4: the standard alphabet, padding only at the end). */
static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text), pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '=')
        {
          if (i < len - 2)
            return FALSE;
          pad++;
        }
      else if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }
  return TRUE;
}

/* A member that must be a non-empty string of base64: its bytes, or NULL with a field error. */
static GBytes *
base64_member (JsonObject *o, const char *name, GPtrArray *errors)
{
  JsonNode *node = json_object_get_member (o, name);
  const char *text;
  guchar *data;
  gsize len;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      add_error (errors, name, "empty", "Required");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      add_error (errors, name, "bad-syntax", "Must be a string of base64");
      return NULL;
    }
  text = json_node_get_string (node);
  if (*text == '\0')
    {
      add_error (errors, name, "empty", "Required");
      return NULL;
    }
  if (!is_base64 (text))
    {
      add_error (errors, name, "bad-base64", "Not base64 (RFC 4648, standard alphabet, padded)");
      return NULL;
    }
  data = g_base64_decode (text, &len);
  return g_bytes_new_take (data, len);
}

typedef struct {
  gboolean expired;
  gboolean not_yet_valid;
} TimeFlags;

static int ex_index = -1;

/* Time errors of the end-entity certificate are noted, not fatal: the
 * verdict reports them after the revocation status. */
static int
verify_cb (int ok, X509_STORE_CTX *ctx)
{
  TimeFlags *flags = X509_STORE_CTX_get_ex_data (ctx, ex_index);
  int err = X509_STORE_CTX_get_error (ctx);

  if (ok)
    return 1;
  if (X509_STORE_CTX_get_error_depth (ctx) == 0 && flags)
    {
      if (err == X509_V_ERR_CERT_HAS_EXPIRED)
        {
          flags->expired = TRUE;
          return 1;
        }
      if (err == X509_V_ERR_CERT_NOT_YET_VALID)
        {
          flags->not_yet_valid = TRUE;
          return 1;
        }
    }
  return 0;
}

static gboolean
chain_ok (CaSim *sim, X509 *cert, gint64 now, TimeFlags *flags)
{
  X509_STORE *store = X509_STORE_new ();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new ();
  STACK_OF(X509) *untrusted = sk_X509_new_null ();
  gboolean ok = FALSE;

  if (ex_index < 0)
    ex_index = X509_STORE_CTX_get_ex_new_index (0, NULL, NULL, NULL, NULL);
  X509_STORE_add_cert (store, sim->pki->root);
  sk_X509_push (untrusted, sim->pki->issuing);
  if (X509_STORE_CTX_init (ctx, store, cert, untrusted) == 1)
    {
      X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param (ctx);

      X509_VERIFY_PARAM_set_time (param, (time_t) now);
      X509_STORE_CTX_set_ex_data (ctx, ex_index, flags);
      X509_STORE_CTX_set_verify_cb (ctx, verify_cb);
      ok = X509_verify_cert (ctx) == 1;
    }
  X509_STORE_CTX_free (ctx);
  sk_X509_free (untrusted);
  X509_STORE_free (store);
  ERR_clear_error ();
  return ok;
}

static gboolean
signature_ok (EVP_PKEY *key, const char *algorithm, GBytes *nonce, GBytes *signature)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pctx = NULL;
  gboolean ok = FALSE;

  if (EVP_DigestVerifyInit (md, &pctx, EVP_sha256 (), NULL, key) == 1 &&
      (!g_str_equal (algorithm, "rsa-pss-sha256") ||
       (EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_mgf1_md (pctx, EVP_sha256 ()) == 1 &&
        EVP_PKEY_CTX_set_rsa_pss_saltlen (pctx, RSA_PSS_SALTLEN_AUTO) == 1)))
    ok = EVP_DigestVerify (md, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                           g_bytes_get_data (nonce, NULL), g_bytes_get_size (nonce)) == 1;
  EVP_MD_CTX_free (md);
  ERR_clear_error ();
  return ok;
}

static char *
subject_text (X509 *cert)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long n;
  char *text;

  X509_NAME_print_ex (bio, X509_get_subject_name (cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  n = BIO_get_mem_data (bio, &data);
  text = g_strndup (data, n);
  BIO_free (bio);
  return text;
}

static void
answer_challenge (CaSim *sim, Reply *r, const char *id, const char *content_type, GBytes *body)
{
  static const char *const fields[] = { "certificate", "signature", "algorithm", NULL };
  static const char *const algorithms[] = { "rsa-pkcs1-sha256", "rsa-pss-sha256", "ecdsa-sha256", NULL };
  sqlite3 *h = ca_sim_db_get_handle (sim->db);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GBytes) der = NULL, signature = NULL, nonce = NULL;
  g_autofree char *nonce_b64 = NULL, *serial = NULL, *subject = NULL, *not_after = NULL;
  g_autoptr(PorteurCertInfo) info = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 expires = 0, now = ca_sim_db_now (sim->db);
  gboolean used = FALSE, sig_valid = FALSE, key_fits = FALSE, qualified;
  const char *algorithm = NULL, *status;
  TimeFlags times = { FALSE, FALSE };
  EVP_PKEY *key;
  JsonNode *alg_node;
  JsonObject *o;
  X509 *cert = NULL;

  sqlite3_prepare_v2 (h, "SELECT nonce, expires, used FROM test_challenges WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      nonce_b64 = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      expires = sqlite3_column_int64 (stmt, 1);
      used = sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_finalize (stmt);
  if (nonce_b64 == NULL)
    {
      reply_problem (r, 404, "not-found", "No such test challenge", NULL, NULL);
      return;
    }
  if (used || expires < now)
    {
      reply_problem (r, 410, "gone", "This test challenge is closed",
                     used ? "It was already answered" : "It expired", NULL);
      return;
    }

  /* The fields, all checked before any is judged: a 422 leaves the challenge open. */
  if ((o = parse_object (r, content_type, body, parser)) == NULL)
    return;
  check_unknown (errors, o, fields);
  der = base64_member (o, "certificate", errors);
  if (der)
    {
      const unsigned char *p = g_bytes_get_data (der, NULL);
      long len = (long) g_bytes_get_size (der);

      cert = d2i_X509 (NULL, &p, len);
      if (cert == NULL || p != (const unsigned char *) g_bytes_get_data (der, NULL) + len)
        add_error (errors, "certificate", "bad-der", "Not one DER X.509 certificate");
      ERR_clear_error ();
    }
  signature = base64_member (o, "signature", errors);
  if (signature && g_bytes_get_size (signature) > MAX_SIGNATURE)
    add_error (errors, "signature", "bad-length", "At most 1024 bytes");
  alg_node = json_object_get_member (o, "algorithm");
  if (alg_node && JSON_NODE_HOLDS_VALUE (alg_node) && json_node_get_value_type (alg_node) == G_TYPE_STRING)
    algorithm = json_node_get_string (alg_node);
  if (algorithm == NULL || *algorithm == '\0')
    add_error (errors, "algorithm", alg_node && !JSON_NODE_HOLDS_NULL (alg_node) && algorithm == NULL ? "bad-syntax" : "empty",
               "One of rsa-pkcs1-sha256, rsa-pss-sha256, ecdsa-sha256");
  else if (!g_strv_contains (algorithms, algorithm))
    add_error (errors, "algorithm", "bad-choice", "One of rsa-pkcs1-sha256, rsa-pss-sha256, ecdsa-sha256");
  if (errors->len > 0)
    {
      X509_free (cert);
      reply_validation (r, errors);
      return;
    }

  /* The signature, with the certificate's key. */
  {
    guchar *raw;
    gsize len;

    raw = g_base64_decode (nonce_b64, &len);
    nonce = g_bytes_new_take (raw, len);
  }
  key = X509_get0_pubkey (cert);
  if (key && EVP_PKEY_is_a (key, "RSA"))
    key_fits = g_str_has_prefix (algorithm, "rsa-");
  else if (key && EVP_PKEY_is_a (key, "EC"))
    key_fits = g_str_equal (algorithm, "ecdsa-sha256");
  if (!key_fits)
    g_ptr_array_add (failures, g_strdup ("wrong-algorithm-for-key"));
  else if (!(sig_valid = signature_ok (key, algorithm, nonce, signature)))
    g_ptr_array_add (failures, g_strdup ("bad-signature"));

  /* The certificate: this CA's chain at the office's time, then its status here. */
  serial = ca_sim_serial_hex (X509_get0_serialNumber (cert));
  if (!chain_ok (sim, cert, now, &times))
    {
      status = "untrusted";
      g_ptr_array_add (failures, g_strdup (X509_check_issued (sim->pki->issuing, cert) == X509_V_OK ? "untrusted-chain" : "not-this-ca"));
    }
  else
    {
      CaSimCertStatus db_status = ca_sim_db_cert_status (sim->db, serial, NULL, NULL);

      if (db_status == CA_SIM_CERT_REVOKED)
        {
          status = "revoked";
          g_ptr_array_add (failures, g_strdup ("revoked"));
        }
      else if (db_status == CA_SIM_CERT_UNKNOWN)
        {
          status = "unknown";
          g_ptr_array_add (failures, g_strdup ("unknown-certificate"));
        }
      else if (times.expired)
        status = "expired";
      else if (times.not_yet_valid)
        status = "untrusted";
      else
        status = "good";
      if (times.expired)
        g_ptr_array_add (failures, g_strdup ("expired"));
      if (times.not_yet_valid)
        g_ptr_array_add (failures, g_strdup ("not-yet-valid"));
    }
  info = porteur_cert_info_new (cert);
  qualified = info && info->qc_compliance && info->qc_sscd;
  if (!qualified)
    g_ptr_array_add (failures, g_strdup ("no-qc-statements"));
  subject = subject_text (cert);
  if (info && info->not_after)
    not_after = g_date_time_format (info->not_after, "%Y-%m-%dT%H:%M:%SZ");
  X509_free (cert);

  sqlite3_prepare_v2 (h, "UPDATE test_challenges SET used = 1 WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "signature_valid");
  json_builder_add_boolean_value (b, sig_valid);
  json_builder_set_member_name (b, "certificate_valid");
  json_builder_add_boolean_value (b, g_str_equal (status, "good"));
  json_builder_set_member_name (b, "certificate_status");
  json_builder_add_string_value (b, status);
  json_builder_set_member_name (b, "qualified");
  json_builder_add_boolean_value (b, qualified);
  json_builder_set_member_name (b, "subject");
  json_builder_add_string_value (b, subject);
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, serial);
  if (not_after)
    {
      json_builder_set_member_name (b, "not_after");
      json_builder_add_string_value (b, not_after);
    }
  json_builder_set_member_name (b, "failures");
  json_builder_begin_array (b);
  for (guint i = 0; i < failures->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (failures, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  reply_json (r, 200, b);
}

gboolean
ca_sim_challenge_route (CaSim       *sim,
                        const char  *method,
                        char       **parts,
                        guint        n_parts,
                        const char  *content_type,
                        GBytes      *body,
                        guint       *status,
                        char       **answer_type,
                        char       **answer_body,
                        char       **location)
{
  Reply r = { 0 };
  gboolean post = g_str_equal (method, "POST");

  if (n_parts < 1 || !g_str_equal (parts[0], "test-challenges"))
    return FALSE;
  ensure_table (ca_sim_db_get_handle (sim->db));
  if (n_parts == 1 && post)
    open_challenge (sim, &r, content_type, body);
  else if (n_parts == 3 && g_str_equal (parts[2], "response") && post)
    answer_challenge (sim, &r, parts[1], content_type, body);
  else if (n_parts == 1 || (n_parts == 3 && g_str_equal (parts[2], "response")))
    reply_problem (&r, 405, "not-found", "Method not allowed on this resource", NULL, NULL);
  else
    reply_problem (&r, 404, "not-found", "No such resource", NULL, NULL);

  g_free (*answer_type);
  g_free (*answer_body);
  g_free (*location);
  *status = r.status;
  *answer_type = r.type;
  *answer_body = r.body;
  *location = r.location;
  return TRUE;
}
