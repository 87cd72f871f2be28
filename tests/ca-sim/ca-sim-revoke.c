/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "ca-sim-ra-private.h"
#include "order/porteur-order-check.h"

/* The RA API's §3.7 revocation requests and DELETE /orders/{number}/appointment
 * (docs/ca-api.md). Tables, made here on first use:
 *   revocation_nonces    nonce → expiry, use (signature proofs: one use each)
 *   revocation_requests  one row per request: serial, reason, requester, proof
 *                        type, status, SHA-256 of its token, and for a legal
 *                        representative the order, the e-mail, the SHA-256 of the
 *                        confirmation code, its expiry and wrong attempts. */

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS revocation_nonces (nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL,"
  "  used_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS revocation_requests (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL,"
  "  serial TEXT NOT NULL, reason TEXT NOT NULL, requester TEXT NOT NULL, proof TEXT NOT NULL,"
  "  status TEXT NOT NULL, created INTEGER NOT NULL, revoked_at INTEGER, order_number TEXT, email TEXT,"
  "  code_hash TEXT, code_expires INTEGER, code_failures INTEGER NOT NULL DEFAULT 0);";

#define NONCE_LIFETIME (10 * 60)
#define CODE_LIFETIME (24 * 3600)
#define MAX_CODE_FAILURES 5
#define MAX_SIGNATURE_BASE64 (32 * 1024)

static const struct {
  const char *name;
  int         code;   /* RFC 5280 CRLReason */
} reasons[] = {
  { "unspecified", 0 },
  { "keyCompromise", 1 },
  { "affiliationChanged", 3 },
  { "superseded", 4 },
  { "cessationOfOperation", 5 },
};

static int
reason_code (const char *name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (reasons); i++)
    if (g_str_equal (reasons[i].name, name))
      return reasons[i].code;
  return -1;
}

static GPtrArray *
errors_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
}

static void
answer_internal (Request *r, const char *detail)
{
  answer_problem (&r->answer, 500, "internal", "Internal error", detail, NULL);
}

/* Random text: @n characters of @alphabet. */
static char *
random_text (guint n, const char *alphabet)
{
  gsize k = strlen (alphabet);
  char *out = g_malloc (n + 1);

  for (guint i = 0; i < n; i++)
    {
      unsigned char c;

      do
        RAND_bytes (&c, 1);
      while (c >= 256 - 256 % k);
      out[i] = alphabet[c % k];
    }
  out[n] = '\0';
  return out;
}

#define URL_SAFE "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* Uppercase hex without "0x" nor leading zeros: the form of the canonical request. */
static char *
canonical_serial (const char *serial)
{
  const char *p = serial;

  while (*p == '0' && p[1] != '\0')
    p++;
  return g_ascii_strup (p, -1);
}

/* 1–40 hex digits, any case. */
static gboolean
serial_syntax (const char *serial)
{
  gsize len = serial ? strlen (serial) : 0;

  if (len < 1 || len > 40)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (serial[i]))
      return FALSE;
  return TRUE;
}

/* docs/ca-api.md §3.7: the bytes a signature proof signs. */
static char *
canonical_request (const char *serial, const char *reason, const char *requester, const char *nonce)
{
  g_autofree char *s = canonical_serial (serial);

  return g_strdup_printf ("porteur-revocation-request/1\nserial=%s\nreason=%s\nrequester=%s\nnonce=%s\n",
                          s, reason, requester, nonce);
}

/* Answers ----------------------------------------------------------------- */

typedef struct {
  char   *id;
  char   *serial;
  char   *reason;
  char   *requester;
  char   *proof;
  char   *status;
  gint64  created;
  gint64  revoked_at;   /* 0 when not revoked */
  char   *token_hash;
  char   *order_number;
  char   *email;
  char   *code_hash;
  gint64  code_expires;
  int     code_failures;
} Revocation;

static void
revocation_free (Revocation *rv)
{
  g_free (rv->id);
  g_free (rv->serial);
  g_free (rv->reason);
  g_free (rv->requester);
  g_free (rv->proof);
  g_free (rv->status);
  g_free (rv->token_hash);
  g_free (rv->order_number);
  g_free (rv->email);
  g_free (rv->code_hash);
  g_free (rv);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Revocation, revocation_free)

static char *
dup_column (sqlite3_stmt *stmt, int i)
{
  return sqlite3_column_type (stmt, i) == SQLITE_NULL ? NULL : g_strdup ((const char *) sqlite3_column_text (stmt, i));
}

static Revocation *
load_revocation (CaSim *sim, const char *id)
{
  sqlite3_stmt *stmt = NULL;
  Revocation *rv = NULL;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db),
                      "SELECT id, serial, reason, requester, proof, status, created, revoked_at, token_hash,"
                      " order_number, email, code_hash, code_expires, code_failures"
                      " FROM revocation_requests WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      rv = g_new0 (Revocation, 1);
      rv->id = dup_column (stmt, 0);
      rv->serial = dup_column (stmt, 1);
      rv->reason = dup_column (stmt, 2);
      rv->requester = dup_column (stmt, 3);
      rv->proof = dup_column (stmt, 4);
      rv->status = dup_column (stmt, 5);
      rv->created = sqlite3_column_int64 (stmt, 6);
      rv->revoked_at = sqlite3_column_int64 (stmt, 7);
      rv->token_hash = dup_column (stmt, 8);
      rv->order_number = dup_column (stmt, 9);
      rv->email = dup_column (stmt, 10);
      rv->code_hash = dup_column (stmt, 11);
      rv->code_expires = sqlite3_column_int64 (stmt, 12);
      rv->code_failures = sqlite3_column_int (stmt, 13);
    }
  sqlite3_finalize (stmt);
  return rv;
}

static void
answer_revocation (Request *r, guint status, const Revocation *rv, const char *token)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *created = format_time (rv->created);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, rv->id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, rv->status);
  if (token)
    {
      json_builder_set_member_name (b, "token");
      json_builder_add_string_value (b, token);
    }
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, rv->serial);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, rv->reason);
  json_builder_set_member_name (b, "requester");
  json_builder_add_string_value (b, rv->requester);
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "revoked_at");
  if (rv->revoked_at > 0)
    {
      g_autofree char *at = format_time (rv->revoked_at);
      json_builder_add_string_value (b, at);
    }
  else
    json_builder_add_null_value (b);
  if (g_str_equal (rv->status, "pending-confirmation"))
    {
      g_autofree char *until = format_time (rv->code_expires);
      json_builder_set_member_name (b, "confirmation_expires");
      json_builder_add_string_value (b, until);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, status, node);
  if (status == 201)
    r->answer.location = g_strdup_printf ("/api/v1/revocation-requests/%s", rv->id);
}

/* Nonces ------------------------------------------------------------------ */

static void
new_nonce (Request *r)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *nonce = random_text (43, URL_SAFE);
  g_autofree char *expires = NULL;
  gint64 until = ca_sim_db_now (r->sim->db) + NONCE_LIFETIME;
  sqlite3_stmt *stmt = NULL;
  static const char *const fields[] = { NULL };

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  sqlite3_prepare_v2 (ca_sim_db_get_handle (r->sim->db),
                      "INSERT INTO revocation_nonces (nonce, expires) VALUES (?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, nonce, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, until);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      answer_internal (r, sqlite3_errmsg (ca_sim_db_get_handle (r->sim->db)));
      return;
    }
  sqlite3_finalize (stmt);
  expires = format_time (until);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "nonce");
  json_builder_add_string_value (b, nonce);
  json_builder_set_member_name (b, "expires");
  json_builder_add_string_value (b, expires);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 201, node);
}

/* Takes @nonce for one use: NULL when it may be used (and marks it used),
 * else the field code ("unknown", "expired", "used"). */
static const char *
take_nonce (CaSim *sim, const char *nonce)
{
  sqlite3 *h = ca_sim_db_get_handle (sim->db);
  sqlite3_stmt *stmt = NULL;
  const char *code = "unknown";
  gint64 now = ca_sim_db_now (sim->db);

  sqlite3_prepare_v2 (h, "SELECT expires, used_at FROM revocation_nonces WHERE nonce = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, nonce, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        code = "used";
      else if (sqlite3_column_int64 (stmt, 0) < now)
        code = "expired";
      else
        code = NULL;
    }
  sqlite3_finalize (stmt);
  if (code == NULL || g_str_equal (code, "expired"))
    {
      /* used from now on, whatever the outcome: a nonce serves one request */
      sqlite3_prepare_v2 (h, "UPDATE revocation_nonces SET used_at = ? WHERE nonce = ?", -1, &stmt, NULL);
      sqlite3_bind_int64 (stmt, 1, now);
      sqlite3_bind_text (stmt, 2, nonce, -1, SQLITE_TRANSIENT);
      sqlite3_step (stmt);
      sqlite3_finalize (stmt);
    }
  return code;
}

/* Proofs ------------------------------------------------------------------ */

static void
answer_forbidden (Request *r, const char *title, const char *field, const char *code)
{
  g_autoptr(GPtrArray) errors = errors_new ();

  if (field)
    add_field_error (errors, field, code, title);
  answer_problem (&r->answer, 403, "forbidden", title, NULL, errors);
}

/* The DER of the certificate @serial of this CA and its status (NULL when unknown). */
static GBytes *
certificate_of_serial (CaSim *sim, const char *serial, gboolean *revoked)
{
  g_autofree char *s = canonical_serial (serial);
  sqlite3_stmt *stmt = NULL;
  GBytes *der = NULL;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db), "SELECT der, status FROM certificates WHERE serial = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, s, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      der = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
      *revoked = !g_str_equal ((const char *) sqlite3_column_text (stmt, 1), "good");
    }
  sqlite3_finalize (stmt);
  return der;
}

/* Checks a CMS detached SignedData over @data: one signer, its certificate
 * included, the signature valid. Returns the signer's certificate (DER), or
 * NULL with the reason in @why. */
static GBytes *
verify_detached (const guint8 *cms_der, gsize cms_len, const char *data, const char **why)
{
  const unsigned char *p = cms_der;
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo (NULL, &p, (long) cms_len);
  BIO *content = NULL;
  STACK_OF(X509) *signers = NULL;
  GBytes *out = NULL;

  *why = "not a CMS SignedData";
  if (cms == NULL || p != cms_der + cms_len || OBJ_obj2nid (CMS_get0_type (cms)) != NID_pkcs7_signed)
    goto done;
  *why = "not detached over id-data";
  if (CMS_is_detached (cms) != 1 || OBJ_obj2nid (CMS_get0_eContentType (cms)) != NID_pkcs7_data)
    goto done;
  *why = "not exactly one signer";
  if (sk_CMS_SignerInfo_num (CMS_get0_SignerInfos (cms)) != 1)
    goto done;
  content = BIO_new_mem_buf (data, (int) strlen (data));
  /* The signer's chain is not checked here: the signer must be the very
   * certificate this CA issued with that serial (compared by the caller). */
  *why = "the signature does not verify over the canonical request";
  if (CMS_verify (cms, NULL, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1)
    goto done;
  signers = CMS_get0_signers (cms);
  *why = "the signer's certificate is not in the CMS";
  if (signers == NULL || sk_X509_num (signers) != 1)
    goto done;
  {
    unsigned char *der = NULL;
    int len = i2d_X509 (sk_X509_value (signers, 0), &der);

    if (len > 0)
      {
        out = g_bytes_new (der, len);
        *why = NULL;
      }
    OPENSSL_free (der);
  }
done:
  sk_X509_free (signers);
  BIO_free (content);
  CMS_ContentInfo_free (cms);
  return out;
}

/* TRUE when the @number's dossier names @email as its legal representative
 * and @serial is that order's certificate. */
static gboolean
representative_matches (CaSim *sim, const char *number, const char *email, const char *serial)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (sim->db, number, NULL);
  g_autoptr(JsonNode) dossier = NULL;
  g_autofree char *serial_order = NULL;
  g_autofree char *s = canonical_serial (serial);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  JsonObject *representative;
  const char *named;

  if (order == NULL || (dossier = json_from_string (order->dossier, NULL)) == NULL || !JSON_NODE_HOLDS_OBJECT (dossier))
    return FALSE;
  representative = porteur_order_member_object (json_node_get_object (dossier), "legal_representative");
  named = representative ? porteur_order_member_string (representative, "email") : NULL;
  if (named == NULL)
    return FALSE;
  want = g_utf8_casefold (named, -1);
  got = g_utf8_casefold (email, -1);
  if (!g_str_equal (want, got))
    return FALSE;
  serial_order = ca_sim_db_order_of_serial (sim->db, s);
  return g_strcmp0 (serial_order, number) == 0 || (order->serial && g_ascii_strcasecmp (order->serial, s) == 0);
}

static gboolean
insert_revocation (CaSim *sim, const Revocation *rv, GError **error)
{
  sqlite3 *h = ca_sim_db_get_handle (sim->db);
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  sqlite3_prepare_v2 (h, "INSERT INTO revocation_requests (id, token_hash, serial, reason, requester, proof, status,"
                         " created, revoked_at, order_number, email, code_hash, code_expires)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, rv->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, rv->token_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, rv->serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, rv->reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, rv->requester, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, rv->proof, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, rv->status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, rv->created);
  if (rv->revoked_at > 0)
    sqlite3_bind_int64 (stmt, 9, rv->revoked_at);
  sqlite3_bind_text (stmt, 10, rv->order_number, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 11, rv->email, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 12, rv->code_hash, -1, SQLITE_TRANSIENT);
  if (rv->code_expires > 0)
    sqlite3_bind_int64 (stmt, 13, rv->code_expires);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB, "revocation_requests: %s", sqlite3_errmsg (h));
  sqlite3_finalize (stmt);
  return ok;
}

/* Revokes @serial now; FALSE with 409 answered when it is no longer good. */
static gboolean
revoke_now (Request *r, const char *serial, const char *reason, gint64 *revoked_at)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s = canonical_serial (serial);

  if (!ca_sim_db_revoke (r->sim->db, s, reason_code (reason), &error))
    {
      if (g_error_matches (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND))
        {
          g_autoptr(GPtrArray) errors = errors_new ();

          add_field_error (errors, "serial", "already-revoked", "This certificate is already revoked");
          answer_problem (&r->answer, 409, "conflict", "The certificate is already revoked", NULL, errors);
        }
      else
        answer_internal (r, error->message);
      return FALSE;
    }
  ca_sim_db_cert_status (r->sim->db, s, revoked_at, NULL);
  return TRUE;
}

/* The confirmation e-mail to the legal representative, in STATE/outbox/ID.eml. */
static gboolean
send_confirmation (CaSim *sim, const Revocation *rv, const char *code, GError **error)
{
  g_autofree char *dir = g_build_filename (sim->state_dir, "outbox", NULL);
  g_autofree char *name = g_strdup_printf ("%s.eml", rv->id);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%a, %d %b %Y %H:%M:%S +0000");
  g_autofree char *until = format_time (rv->code_expires);
  g_autofree char *mail = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB, "%s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  mail = g_strdup_printf ("From: Porteur CA simulator <no-reply@ca-sim.invalid>\r\n"
                          "To: <%s>\r\n"
                          "Subject: Confirm the revocation of certificate %s\r\n"
                          "Date: %s\r\n"
                          "Message-ID: <%s@ca-sim.invalid>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: 8bit\r\n"
                          "\r\n"
                          "Hello,\r\n"
                          "\r\n"
                          "As the legal representative named in order %s, you asked for the\r\n"
                          "revocation of certificate %s (reason: %s).\r\n"
                          "\r\n"
                          "Nothing is revoked until you confirm, before %s, with this link:\r\n"
                          "\r\n"
                          "%s/api/v1/revocation-requests/%s/confirm?code=%s\r\n"
                          "\r\n"
                          "If you did not ask for it, ignore this message.\r\n",
                          rv->email, rv->serial, date, rv->id, rv->order_number, rv->serial, rv->reason,
                          until, sim->base_url, rv->id, code);
  return g_file_set_contents_full (path, mail, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static void
create_revocation (Request *r)
{
  static const char *const fields[] = { "serial", "reason", "requester", "proof", NULL };
  static const char *const answers_fields[] = { "type", "answers", NULL };
  static const char *const signature_fields[] = { "type", "nonce", "signature", NULL };
  static const char *const representative_fields[] = { "type", "order", "email", NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) errors = errors_new ();
  g_autoptr(Revocation) rv = g_new0 (Revocation, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *code = NULL;
  JsonObject *o, *proof = NULL;
  JsonNode *proof_node;
  JsonArray *answers = NULL;
  const char *serial, *reason, *requester, *type = NULL;
  const char *nonce = NULL, *signature = NULL, *order = NULL, *email = NULL;

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  o = json_node_get_object (root);
  serial = porteur_order_member_string (o, "serial");
  reason = porteur_order_member_string (o, "reason");
  requester = porteur_order_member_string (o, "requester");
  if (!serial_syntax (serial))
    add_field_error (errors, "serial", serial ? "bad-syntax" : "empty", "A certificate serial in hex");
  if (reason_code (reason) < 0)
    add_field_error (errors, "reason", reason ? "bad-choice" : "empty",
                     "keyCompromise, affiliationChanged, superseded, cessationOfOperation or unspecified");
  if (requester == NULL || (!g_str_equal (requester, "holder") && !g_str_equal (requester, "legal-representative")))
    add_field_error (errors, "requester", requester ? "bad-choice" : "empty", "holder or legal-representative");
  proof_node = json_object_get_member (o, "proof");
  if (proof_node == NULL || !JSON_NODE_HOLDS_OBJECT (proof_node))
    add_field_error (errors, "proof", proof_node ? "bad-syntax" : "empty", "proof is an object with a type");
  else
    {
      const char *const *allowed = NULL;

      proof = json_node_get_object (proof_node);
      type = porteur_order_member_string (proof, "type");
      if (g_strcmp0 (type, "answers") == 0)
        allowed = answers_fields;
      else if (g_strcmp0 (type, "signature") == 0)
        allowed = signature_fields;
      else if (g_strcmp0 (type, "legal-representative") == 0)
        allowed = representative_fields;
      else
        add_field_error (errors, "proof.type", type ? "bad-choice" : "empty", "answers, signature or legal-representative");
      if (allowed)
        {
          g_autoptr(GList) members = json_object_get_members (proof);

          for (GList *l = members; l; l = l->next)
            if (!g_strv_contains (allowed, l->data))
              {
                g_autofree char *field = g_strconcat ("proof.", l->data, NULL);
                add_field_error (errors, field, "unknown-field", "This field is not part of this proof");
              }
        }
      if (g_strcmp0 (type, "answers") == 0)
        {
          guint first = errors->len;

          answers = answers_member (proof, errors);
          for (guint i = first; i < errors->len; i++)
            {
              FieldError *fe = g_ptr_array_index (errors, i);
              char *field = g_strconcat ("proof.", fe->field, NULL);

              g_free (fe->field);
              fe->field = field;
            }
        }
      else if (g_strcmp0 (type, "signature") == 0)
        {
          nonce = porteur_order_member_string (proof, "nonce");
          signature = porteur_order_member_string (proof, "signature");
          if (nonce == NULL || *nonce == '\0' || strlen (nonce) > 128)
            add_field_error (errors, "proof.nonce", nonce ? "bad-length" : "empty", "The nonce from POST /revocation-requests/nonce");
          if (signature == NULL || *signature == '\0')
            add_field_error (errors, "proof.signature", "empty", "A base64 CMS detached signature");
          else if (strlen (signature) > MAX_SIGNATURE_BASE64)
            add_field_error (errors, "proof.signature", "too-long", "The signature is too large");
        }
      else if (g_strcmp0 (type, "legal-representative") == 0)
        {
          order = porteur_order_member_string (proof, "order");
          email = porteur_order_member_string (proof, "email");
          if (order == NULL || *order == '\0')
            add_field_error (errors, "proof.order", "empty", "The order number that names the representative");
          if (email == NULL || *email == '\0')
            add_field_error (errors, "proof.email", "empty", "The representative's e-mail address");
        }
    }
  if (errors->len == 0 && type &&
      g_str_equal (requester, "legal-representative") != g_str_equal (type, "legal-representative"))
    add_field_error (errors, "requester", "proof-mismatch",
                     "The holder proves with answers or a signature, the legal representative with its order and e-mail");
  if (errors->len > 0)
    {
      answer_validation (r, errors);
      return;
    }

  rv->id = random_text (32, "0123456789abcdef");
  token = random_text (43, URL_SAFE);
  rv->token_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
  rv->serial = canonical_serial (serial);
  rv->reason = g_strdup (reason);
  rv->requester = g_strdup (requester);
  rv->proof = g_strdup (type);
  rv->created = ca_sim_db_now (r->sim->db);

  if (g_str_equal (type, "answers"))
    {
      gboolean revoked = FALSE;
      g_autoptr(GBytes) der = NULL;

      if (!check_holder_answers (r, serial, answers))
        return;
      if ((der = certificate_of_serial (r->sim, serial, &revoked)) == NULL)
        {
          answer_forbidden (r, "The security answers are wrong", NULL, NULL);
          return;
        }
    }
  else if (g_str_equal (type, "signature"))
    {
      const char *nonce_code = take_nonce (r->sim, nonce);
      g_autofree char *canonical = NULL;
      g_autofree guint8 *cms = NULL;
      g_autoptr(GBytes) signer = NULL;
      g_autoptr(GBytes) der = NULL;
      gboolean revoked = FALSE;
      const char *why = NULL;
      gsize cms_len = 0;

      if (nonce_code)
        {
          answer_forbidden (r, g_str_equal (nonce_code, "used") ? "This nonce was already used" :
                               g_str_equal (nonce_code, "expired") ? "This nonce expired" : "This nonce was not given by this CA",
                            "proof.nonce", nonce_code);
          return;
        }
      canonical = canonical_request (serial, reason, requester, nonce);
      cms = g_base64_decode (signature, &cms_len);
      if (cms_len == 0 || (signer = verify_detached (cms, cms_len, canonical, &why)) == NULL)
        {
          g_autoptr(GPtrArray) errs = errors_new ();

          add_field_error (errs, "proof.signature", "bad-signature", why ? why : "not base64");
          answer_problem (&r->answer, 403, "forbidden", "The signature does not prove the request", why, errs);
          return;
        }
      der = certificate_of_serial (r->sim, serial, &revoked);
      if (der == NULL || !g_bytes_equal (der, signer))
        {
          answer_forbidden (r, "The signer is not the certificate to revoke", "proof.signature", "wrong-signer");
          return;
        }
    }
  else
    {
      if (!representative_matches (r->sim, order, email, serial))
        {
          answer_forbidden (r, "The legal representative could not be verified", NULL, NULL);
          return;
        }
      {
        gboolean revoked = FALSE;
        g_autoptr(GBytes) der = certificate_of_serial (r->sim, serial, &revoked);

        if (der == NULL || revoked)
          {
            g_autoptr(GPtrArray) errs = errors_new ();

            add_field_error (errs, "serial", "already-revoked", "This certificate is already revoked");
            answer_problem (&r->answer, 409, "conflict", "The certificate is already revoked", NULL, errs);
            return;
          }
      }
      code = random_text (20, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
      rv->status = g_strdup ("pending-confirmation");
      rv->order_number = g_strdup (order);
      rv->email = g_strdup (email);
      rv->code_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, code, -1);
      rv->code_expires = rv->created + CODE_LIFETIME;
      if (!insert_revocation (r->sim, rv, &error) || !send_confirmation (r->sim, rv, code, &error))
        {
          answer_internal (r, error->message);
          return;
        }
      answer_revocation (r, 201, rv, token);
      explicit_bzero (token, strlen (token));
      explicit_bzero (code, strlen (code));
      return;
    }

  if (!revoke_now (r, serial, reason, &rv->revoked_at))
    return;
  rv->status = g_strdup ("accepted");
  if (!insert_revocation (r->sim, rv, &error))
    {
      answer_internal (r, error->message);
      return;
    }
  answer_revocation (r, 201, rv, token);
  explicit_bzero (token, strlen (token));
}

static void
get_revocation (Request *r, const char *id)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (r->msg), "Authorization");
  g_autoptr(Revocation) rv = NULL;
  g_autofree char *hash = NULL;

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || auth[7] == '\0')
    {
      answer_problem (&r->answer, 401, "unauthorized", "The request's token is required", NULL, NULL);
      return;
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, auth + 7, -1);
  rv = load_revocation (r->sim, id);
  if (rv == NULL || CRYPTO_memcmp (rv->token_hash, hash, 64) != 0)
    {
      answer_problem (&r->answer, 404, "not-found", "No such revocation request", NULL, NULL);
      return;
    }
  answer_revocation (r, 200, rv, NULL);
}

static void
confirm_revocation (Request *r, const char *id)
{
  static const char *const fields[] = { "code", NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(Revocation) rv = NULL;
  g_autofree char *hash = NULL;
  sqlite3 *h = ca_sim_db_get_handle (r->sim->db);
  sqlite3_stmt *stmt = NULL;
  const char *code;

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  code = porteur_order_member_string (json_node_get_object (root), "code");
  if (code == NULL || *code == '\0')
    {
      g_autoptr(GPtrArray) errors = errors_new ();

      add_field_error (errors, "code", "empty", "The code of the confirmation link");
      answer_validation (r, errors);
      return;
    }
  rv = load_revocation (r->sim, id);
  if (rv == NULL || rv->code_hash == NULL)
    {
      answer_problem (&r->answer, 404, "not-found", "No such revocation request", NULL, NULL);
      return;
    }
  if (!g_str_equal (rv->status, "pending-confirmation"))
    {
      answer_problem (&r->answer, 410, "gone", "This revocation request is closed",
                      g_str_equal (rv->status, "accepted") ? "It was already confirmed" : "It was rejected", NULL);
      return;
    }
  if (rv->code_expires < ca_sim_db_now (r->sim->db))
    {
      answer_problem (&r->answer, 410, "gone", "This revocation request is closed", "Its confirmation expired", NULL);
      return;
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, code, -1);
  if (CRYPTO_memcmp (hash, rv->code_hash, 64) != 0)
    {
      gboolean last = rv->code_failures + 1 >= MAX_CODE_FAILURES;

      sqlite3_prepare_v2 (h, last ? "UPDATE revocation_requests SET code_failures = code_failures + 1, status = 'rejected' WHERE id = ?"
                                  : "UPDATE revocation_requests SET code_failures = code_failures + 1 WHERE id = ?", -1, &stmt, NULL);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      answer_forbidden (r, last ? "Wrong confirmation code: the request is rejected after 5 wrong codes" : "Wrong confirmation code",
                        "code", "wrong-code");
      return;
    }
  if (!revoke_now (r, rv->serial, rv->reason, &rv->revoked_at))
    return;
  sqlite3_prepare_v2 (h, "UPDATE revocation_requests SET status = 'accepted', revoked_at = ? WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_int64 (stmt, 1, rv->revoked_at);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      answer_internal (r, sqlite3_errmsg (h));
      return;
    }
  sqlite3_finalize (stmt);
  g_free (rv->status);
  rv->status = g_strdup ("accepted");
  answer_revocation (r, 200, rv, NULL);
}

/* DELETE /orders/{number}/appointment ------------------------------------- */

static void
cancel_appointment (Request *r, const char *number)
{
  g_autoptr(CaSimOrder) order = authorised_order (r, number);
  g_autoptr(GError) error = NULL;
  g_autofree char *note = NULL;
  g_autofree char *when = NULL;
  sqlite3 *h = ca_sim_db_get_handle (r->sim->db);
  sqlite3_stmt *stmt = NULL;
  gint64 start = 0;

  if (order == NULL)
    return;
  if (!g_str_equal (order->status, CA_SIM_APPOINTMENT))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s: there is no appointment to cancel", order->status);
      answer_problem (&r->answer, 409, "conflict", "No appointment to cancel", detail, NULL);
      return;
    }
  if (ca_sim_db_is_delivered (r->sim->db, number))
    {
      answer_problem (&r->answer, 409, "conflict", "The delivery took place", "The appointment can no longer be cancelled", NULL);
      return;
    }
  sqlite3_prepare_v2 (h, "SELECT start FROM appointments WHERE number = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    start = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_prepare_v2 (h, "DELETE FROM appointments WHERE number = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      answer_internal (r, sqlite3_errmsg (h));
      return;
    }
  sqlite3_finalize (stmt);
  when = format_time (start);
  note = g_strdup_printf ("Delivery appointment of %s cancelled", when);
  if (!ca_sim_db_set_status (r->sim->db, number, CA_SIM_VALIDATED, note, ca_sim_db_now (r->sim->db), &error))
    {
      answer_internal (r, error->message);
      return;
    }
  answer_order (r, 200, number, NULL);
}

/* Routing ----------------------------------------------------------------- */

gboolean
ca_sim_revoke_route (Request *r)
{
  gboolean get = g_str_equal (r->method, "GET");
  gboolean post = g_str_equal (r->method, "POST");
  char *message = NULL;

  if (r->n_parts == 3 && g_str_equal (r->parts[0], "orders") && g_str_equal (r->parts[2], "appointment") &&
      g_str_equal (r->method, "DELETE"))
    {
      cancel_appointment (r, r->parts[1]);
      return TRUE;
    }
  if (r->n_parts < 1 || r->n_parts > 3 || !g_str_equal (r->parts[0], "revocation-requests"))
    return FALSE;
  if (sqlite3_exec (ca_sim_db_get_handle (r->sim->db), schema, NULL, NULL, &message) != SQLITE_OK)
    {
      answer_internal (r, message);
      sqlite3_free (message);
      return TRUE;
    }
  if (r->n_parts == 1 && post)
    create_revocation (r);
  else if (r->n_parts == 2 && g_str_equal (r->parts[1], "nonce") && post)
    new_nonce (r);
  else if (r->n_parts == 2 && get)
    get_revocation (r, r->parts[1]);
  else if (r->n_parts == 3 && g_str_equal (r->parts[2], "confirm") && post)
    confirm_revocation (r, r->parts[1]);
  else
    answer_problem (&r->answer, 405, "not-found", "Method not allowed on this resource", NULL, NULL);
  return TRUE;
}
