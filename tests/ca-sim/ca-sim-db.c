/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/rand.h>

#include "ca-sim-db.h"
#include "order/porteur-order-check.h"

G_DEFINE_QUARK (ca-sim-error-quark, ca_sim_error)

struct _CaSimDb
{
  sqlite3 *db;
};

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS orders (number TEXT PRIMARY KEY, token_hash TEXT NOT NULL,"
  "  status TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, dossier TEXT NOT NULL,"
  "  reason TEXT, validation_due INTEGER, enroll_reference TEXT UNIQUE, enroll_secret TEXT,"
  "  secret_shown_at INTEGER, serial TEXT);"
  "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL,"
  "  status TEXT NOT NULL, at INTEGER NOT NULL, note TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, request_hash TEXT NOT NULL,"
  "  status INTEGER NOT NULL, location TEXT, body TEXT NOT NULL, created INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS certificates (serial TEXT PRIMARY KEY, order_number TEXT,"
  "  subject TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
  "  status TEXT NOT NULL, revoked_at INTEGER, reason INTEGER, der BLOB NOT NULL);"
  "CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY AUTOINCREMENT, method TEXT NOT NULL,"
  "  path_prefix TEXT NOT NULL, kind TEXT NOT NULL, remaining INTEGER NOT NULL);"
  /* §3.4–3.6 */
  "CREATE TABLE IF NOT EXISTS appointments (number TEXT PRIMARY KEY, slot TEXT NOT NULL UNIQUE,"
  "  office TEXT NOT NULL, start INTEGER NOT NULL, end_at INTEGER NOT NULL, delivered_at INTEGER);"
  "CREATE TABLE IF NOT EXISTS security_answers (number TEXT NOT NULL, question TEXT NOT NULL,"
  "  salt TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (number, question));"
  "CREATE TABLE IF NOT EXISTS unblock_sessions (id TEXT PRIMARY KEY, serial TEXT NOT NULL,"
  "  challenge TEXT NOT NULL, expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS answer_failures (serial TEXT NOT NULL, at INTEGER NOT NULL);";

static gboolean
db_fail (CaSimDb *db, GError **error, const char *what)
{
  g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB, "%s: %s", what, sqlite3_errmsg (db->db));
  return FALSE;
}

static gboolean
exec (CaSimDb *db, const char *sql, GError **error)
{
  char *message = NULL;

  if (sqlite3_exec (db->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB, "%s", message ? message : "SQLite error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

CaSimDb *
ca_sim_db_open (const char *state_dir, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, "ca-sim.db", NULL);
  g_autoptr(CaSimDb) db = g_new0 (CaSimDb, 1);

  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_DB, "Cannot create %s: %s", state_dir, g_strerror (errno));
      return NULL;
    }
  if (sqlite3_open_v2 (path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
    {
      db_fail (db, error, path);
      return NULL;
    }
  sqlite3_busy_timeout (db->db, 10000);
  if (!exec (db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", error) ||
      !exec (db, schema, error))
    return NULL;
  return g_steal_pointer (&db);
}

void
ca_sim_db_close (CaSimDb *db)
{
  if (db == NULL)
    return;
  if (db->db)
    sqlite3_close (db->db);
  g_free (db);
}

sqlite3 *
ca_sim_db_get_handle (CaSimDb *db)
{
  return db->db;
}

gboolean ca_sim_db_begin (CaSimDb *db, GError **error) { return exec (db, "BEGIN IMMEDIATE", error); }
gboolean ca_sim_db_commit (CaSimDb *db, GError **error) { return exec (db, "COMMIT", error); }
void ca_sim_db_rollback (CaSimDb *db) { sqlite3_exec (db->db, "ROLLBACK", NULL, NULL, NULL); }

static sqlite3_stmt *
prepare (CaSimDb *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("ca-sim: bad SQL %s: %s", sql, sqlite3_errmsg (db->db));
  return stmt;
}

typedef sqlite3_stmt CaSimStmt;
static void stmt_free (CaSimStmt *stmt) { sqlite3_finalize (stmt); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimStmt, stmt_free)

static char *
col_text (sqlite3_stmt *stmt, int i)
{
  const unsigned char *text = sqlite3_column_text (stmt, i);
  return text ? g_strdup ((const char *) text) : NULL;
}

char *
ca_sim_db_get_setting (CaSimDb *db, const char *key)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT value FROM settings WHERE key = ?");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    return col_text (stmt, 0);
  return NULL;
}

gboolean
ca_sim_db_set_setting (CaSimDb *db, const char *key, const char *value, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "settings");
  return TRUE;
}

gint64
ca_sim_db_now (CaSimDb *db)
{
  g_autofree char *offset = ca_sim_db_get_setting (db, "time_offset");

  return g_get_real_time () / G_USEC_PER_SEC + (offset ? g_ascii_strtoll (offset, NULL, 10) : 0);
}

void
ca_sim_order_free (CaSimOrder *order)
{
  if (order == NULL)
    return;
  g_free (order->number);
  g_free (order->token_hash);
  g_free (order->status);
  g_free (order->dossier);
  g_free (order->reason);
  g_free (order->enroll_reference);
  g_free (order->enroll_secret);
  g_free (order->serial);
  g_free (order);
}

static char *
random_text (gsize bytes, const char *alphabet)
{
  g_autofree guchar *raw = g_malloc (bytes);
  GString *text = g_string_new (NULL);
  gsize n = strlen (alphabet);

  if (RAND_bytes (raw, (int) bytes) != 1)
    g_error ("ca-sim: no random bytes");
  for (gsize i = 0; i < bytes; i++)
    g_string_append_c (text, alphabet[raw[i] % n]);
  return g_string_free (text, FALSE);
}

static gboolean
add_history (CaSimDb *db, const char *number, const char *status, const char *note, gint64 at, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "INSERT INTO history (number, status, at, note) VALUES (?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, at);
  sqlite3_bind_text (stmt, 4, note ? note : "", -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "history");
  return TRUE;
}

gboolean
ca_sim_db_set_status (CaSimDb *db, const char *number, const char *status, const char *note, gint64 at, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "UPDATE orders SET status = ?, updated = ? WHERE number = ?");

  sqlite3_bind_text (stmt, 1, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, at);
  sqlite3_bind_text (stmt, 3, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  if (sqlite3_changes (db->db) != 1)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND, "No order %s", number);
      return FALSE;
    }
  return add_history (db, number, status, note, at, error);
}

/* The enrollment reference and one-time secret, made once per order (at submission). */
gboolean
ca_sim_db_create_enrollment (CaSimDb *db, const char *number, GError **error)
{
  g_autofree char *reference = random_text (12, "0123456789");
  g_autofree char *secret = random_text (20, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
  g_autoptr(CaSimStmt) stmt = prepare (db, "UPDATE orders SET enroll_reference = ?, enroll_secret = ?"
                                           " WHERE number = ? AND enroll_reference IS NULL");
  g_autofree char *ref = g_strdup_printf ("REF-%s", reference);

  sqlite3_bind_text (stmt, 1, ref, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, secret, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  OPENSSL_cleanse (secret, strlen (secret));
  return TRUE;
}

/* validated: the enrollment made at submission stays (orders of older state
 * directories, submitted without one, get it now) */
static gboolean
make_validated (CaSimDb *db, const char *number, gint64 at, const char *note, GError **error)
{
  if (!ca_sim_db_create_enrollment (db, number, error))
    return FALSE;
  return ca_sim_db_set_status (db, number, CA_SIM_VALIDATED, note, at, error);
}

static CaSimOrder *
read_order (CaSimDb *db, const char *number)
{
  g_autoptr(CaSimStmt) stmt = prepare (db,
    "SELECT number, token_hash, status, created, updated, dossier, reason, validation_due,"
    " enroll_reference, enroll_secret, secret_shown_at, serial FROM orders WHERE number = ?");
  CaSimOrder *order;

  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  order = g_new0 (CaSimOrder, 1);
  order->number = col_text (stmt, 0);
  order->token_hash = col_text (stmt, 1);
  order->status = col_text (stmt, 2);
  order->created = sqlite3_column_int64 (stmt, 3);
  order->updated = sqlite3_column_int64 (stmt, 4);
  order->dossier = col_text (stmt, 5);
  order->reason = col_text (stmt, 6);
  order->validation_due = sqlite3_column_int64 (stmt, 7);
  order->enroll_reference = col_text (stmt, 8);
  order->enroll_secret = col_text (stmt, 9);
  order->secret_shown_at = sqlite3_column_int64 (stmt, 10);
  order->serial = col_text (stmt, 11);
  return order;
}

CaSimOrder *
ca_sim_db_get_order (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimOrder) order = read_order (db, number);

  if (order == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND, "No order %s", number);
      return NULL;
    }
  /* The registration office's clock. */
  if (g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE) && order->validation_due > 0 &&
      order->validation_due <= ca_sim_db_now (db))
    {
      if (!make_validated (db, number, order->validation_due, "Dossier validated by the registration office", error))
        return NULL;
      g_clear_pointer (&order, ca_sim_order_free);
      order = read_order (db, number);
    }
  return g_steal_pointer (&order);
}

static char *
sha256_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

char *
ca_sim_db_create_order (CaSimDb *db, const char *dossier_json, char **token, GError **error)
{
  g_autoptr(GDateTime) now_dt = NULL;
  g_autofree char *counter = NULL;
  g_autofree char *number = NULL;
  g_autofree char *new_token = random_text (43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
  g_autofree char *token_hash = sha256_hex (new_token);
  g_autofree char *next = NULL;
  g_autoptr(CaSimStmt) stmt = NULL;
  gint64 now = ca_sim_db_now (db);
  gint64 n;

  now_dt = g_date_time_new_from_unix_utc (now);
  counter = ca_sim_db_get_setting (db, "next_order");
  n = counter ? g_ascii_strtoll (counter, NULL, 10) : 1;
  number = g_strdup_printf ("PO-%04d-%06" G_GINT64_FORMAT, g_date_time_get_year (now_dt), n);
  next = g_strdup_printf ("%" G_GINT64_FORMAT, n + 1);
  if (!ca_sim_db_set_setting (db, "next_order", next, error))
    return NULL;

  stmt = prepare (db, "INSERT INTO orders (number, token_hash, status, created, updated, dossier) VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, token_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, CA_SIM_DRAFT, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, now);
  sqlite3_bind_int64 (stmt, 5, now);
  sqlite3_bind_text (stmt, 6, dossier_json, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      db_fail (db, error, "orders");
      return NULL;
    }
  if (!add_history (db, number, CA_SIM_DRAFT, "Order received", now, error))
    return NULL;
  *token = g_steal_pointer (&new_token);
  return g_steal_pointer (&number);
}

gboolean
ca_sim_db_update_dossier (CaSimDb *db, const char *number, const char *dossier_json, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "UPDATE orders SET dossier = ?, updated = ? WHERE number = ?");

  sqlite3_bind_text (stmt, 1, dossier_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, ca_sim_db_now (db));
  sqlite3_bind_text (stmt, 3, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  return TRUE;
}

static gboolean
state_error (GError **error, const CaSimOrder *order, const char *what)
{
  g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE, "Order %s is %s: cannot %s", order->number, order->status, what);
  return FALSE;
}

gboolean
ca_sim_db_documents_received (CaSimDb *db, const char *number, gint64 delay, GError **error)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (db, number, error);
  g_autoptr(CaSimStmt) stmt = NULL;
  gint64 now = ca_sim_db_now (db);

  if (order == NULL)
    return FALSE;
  if (!g_str_equal (order->status, CA_SIM_WAITING_DOCUMENTS))
    return state_error (error, order, "mark its documents received");
  stmt = prepare (db, "UPDATE orders SET validation_due = ? WHERE number = ?");
  sqlite3_bind_int64 (stmt, 1, now + delay);
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  return ca_sim_db_set_status (db, number, CA_SIM_DOCUMENTS_COMPLETE, "Documents received, the file is complete", now, error);
}

gboolean
ca_sim_db_validate (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (db, number, error);

  if (order == NULL)
    return FALSE;
  if (!g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE))
    return state_error (error, order, "validate it (documents must be received first)");
  return make_validated (db, number, ca_sim_db_now (db), "Dossier validated by the registration office", error);
}

gboolean
ca_sim_db_reject (CaSimDb *db, const char *number, const char *reason, GError **error)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (db, number, error);
  g_autoptr(CaSimStmt) stmt = NULL;

  if (order == NULL)
    return FALSE;
  if (g_str_equal (order->status, CA_SIM_ISSUED) || g_str_equal (order->status, CA_SIM_REJECTED))
    return state_error (error, order, "reject it");
  stmt = prepare (db, "UPDATE orders SET reason = ? WHERE number = ?");
  sqlite3_bind_text (stmt, 1, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  return ca_sim_db_set_status (db, number, CA_SIM_REJECTED, reason, ca_sim_db_now (db), error);
}

gboolean
ca_sim_db_mark_secret_shown (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "UPDATE orders SET secret_shown_at = ? WHERE number = ? AND secret_shown_at IS NULL");

  sqlite3_bind_int64 (stmt, 1, ca_sim_db_now (db));
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "orders");
  return TRUE;
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

char *
ca_sim_db_history_json (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT status, at, note FROM history WHERE number = ? ORDER BY at, id");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  json_builder_begin_array (b);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autofree char *at = format_time (sqlite3_column_int64 (stmt, 1));

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 0));
      json_builder_set_member_name (b, "at");
      json_builder_add_string_value (b, at);
      json_builder_set_member_name (b, "note");
      json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 2));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
ca_sim_stored_answer_free (CaSimStoredAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->request_hash);
  g_free (answer->location);
  g_free (answer->body);
  g_free (answer);
}

CaSimStoredAnswer *
ca_sim_db_get_idempotent (CaSimDb *db, const char *key)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT request_hash, status, location, body FROM idempotency WHERE key = ?");
  CaSimStoredAnswer *answer;

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  answer = g_new0 (CaSimStoredAnswer, 1);
  answer->request_hash = col_text (stmt, 0);
  answer->status = sqlite3_column_int (stmt, 1);
  answer->location = col_text (stmt, 2);
  answer->body = col_text (stmt, 3);
  return answer;
}

gboolean
ca_sim_db_put_idempotent (CaSimDb *db, const char *key, const char *request_hash, guint status,
                          const char *location, const char *body, GError **error)
{
  g_autoptr(CaSimStmt) stmt = prepare (db,
    "INSERT INTO idempotency (key, request_hash, status, location, body, created) VALUES (?, ?, ?, ?, ?, ?)");

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, request_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, status);
  if (location)
    sqlite3_bind_text (stmt, 4, location, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, body, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "idempotency");
  return TRUE;
}

gboolean
ca_sim_db_add_fault (CaSimDb *db, const char *method, const char *path_prefix, const char *kind,
                     guint count, GError **error)
{
  static const char *const kinds[] = { "http-500", "http-503", "malformed-json", "wrong-content-type",
                                       "redirect-http", "delay", "lose-answer", "huge-json", "drop-token", NULL };
  g_autoptr(CaSimStmt) stmt = NULL;

  if (!g_strv_contains (kinds, kind))
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "Unknown fault kind %s", kind);
      return FALSE;
    }
  stmt = prepare (db, "INSERT INTO faults (method, path_prefix, kind, remaining) VALUES (?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, method, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, path_prefix, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, count);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "faults");
  return TRUE;
}

char *
ca_sim_db_take_fault (CaSimDb *db, const char *method, const char *path)
{
  g_autoptr(CaSimStmt) stmt = prepare (db,
    "SELECT id, kind FROM faults WHERE remaining > 0 AND (method = '*' OR method = ?)"
    " AND substr(?, 1, length(path_prefix)) = path_prefix ORDER BY id LIMIT 1");
  g_autoptr(CaSimStmt) update = NULL;
  char *kind;

  sqlite3_bind_text (stmt, 1, method, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, path, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  kind = col_text (stmt, 1);
  update = prepare (db, "UPDATE faults SET remaining = remaining - 1 WHERE id = ?");
  sqlite3_bind_int64 (update, 1, sqlite3_column_int64 (stmt, 0));
  sqlite3_step (update);
  return kind;
}

void
ca_sim_enrollment_free (CaSimEnrollment *enrollment)
{
  if (enrollment == NULL)
    return;
  g_free (enrollment->number);
  g_free (enrollment->reference);
  if (enrollment->secret)
    OPENSSL_cleanse (enrollment->secret, strlen (enrollment->secret));
  g_free (enrollment->secret);
  g_free (enrollment->status);
  X509_NAME_free (enrollment->subject);
  g_free (enrollment);
}

static gboolean
add_entry (X509_NAME *name, const char *field, const char *value)
{
  return X509_NAME_add_entry_by_txt (name, field, MBSTRING_UTF8, (const unsigned char *) value, -1, -1, 0) == 1;
}

X509_NAME *
ca_sim_subject_from_dossier (const char *dossier_json, GError **error)
{
  g_autoptr(JsonNode) node = json_from_string (dossier_json, NULL);
  JsonObject *dossier, *organisation, *holder;
  const char *siret, *org, *given, *family;
  g_autofree char *org_id = NULL;
  g_autofree char *cn = NULL;
  X509_NAME *name;

  dossier = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  organisation = porteur_order_member_object (dossier, "organisation");
  holder = porteur_order_member_object (dossier, "holder");
  siret = porteur_order_member_string (dossier, "siret");
  org = porteur_order_member_string (organisation, "name");
  given = porteur_order_member_string (holder, "given_name");
  family = porteur_order_member_string (holder, "family_name");
  if (siret == NULL || strlen (siret) < 9 || org == NULL || given == NULL || family == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE, "The dossier lacks the subject's names");
      return NULL;
    }
  org_id = g_strdup_printf ("NTRFR-%.9s", siret);
  cn = g_strdup_printf ("%s %s", given, family);
  name = X509_NAME_new ();
  if (!add_entry (name, "C", "FR") || !add_entry (name, "O", org) ||
      !add_entry (name, "organizationIdentifier", org_id) || !add_entry (name, "GN", given) ||
      !add_entry (name, "SN", family) || !add_entry (name, "CN", cn))
    {
      X509_NAME_free (name);
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot build the subject name");
      return NULL;
    }
  return name;
}

static CaSimEnrollment *
lookup_enrollment (CaSimDb *db, const char *column, const char *value, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT number FROM orders WHERE %s = ?", column);
  g_autoptr(CaSimStmt) stmt = prepare (db, sql);
  g_autoptr(CaSimOrder) order = NULL;
  g_autoptr(CaSimEnrollment) enrollment = NULL;
  g_autofree char *number = NULL;

  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND, "No order with %s %s", column, value);
      return NULL;
    }
  number = col_text (stmt, 0);
  if ((order = ca_sim_db_get_order (db, number, error)) == NULL)
    return NULL;
  if (order->enroll_reference == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE, "Order %s is %s: no enrollment yet", number, order->status);
      return NULL;
    }
  enrollment = g_new0 (CaSimEnrollment, 1);
  enrollment->number = g_strdup (order->number);
  enrollment->reference = g_strdup (order->enroll_reference);
  enrollment->secret = g_strdup (order->enroll_secret);
  enrollment->status = g_strdup (order->status);
  if ((enrollment->subject = ca_sim_subject_from_dossier (order->dossier, error)) == NULL)
    return NULL;
  return g_steal_pointer (&enrollment);
}

CaSimEnrollment *
ca_sim_db_lookup_enrollment (CaSimDb *db, const char *reference, GError **error)
{
  return lookup_enrollment (db, "enroll_reference", reference, error);
}

CaSimEnrollment *
ca_sim_db_lookup_order_enrollment (CaSimDb *db, const char *number, GError **error)
{
  return lookup_enrollment (db, "number", number, error);
}

char *
ca_sim_serial_hex (const ASN1_INTEGER *serial)
{
  BIGNUM *bn = ASN1_INTEGER_to_BN (serial, NULL);
  char *hex = BN_bn2hex (bn);
  char *copy = g_ascii_strup (hex, -1);

  OPENSSL_free (hex);
  BN_free (bn);
  return copy;
}

static gint64
asn1_time_unix (const ASN1_TIME *t)
{
  struct tm tm = { 0 };

  if (ASN1_TIME_to_tm (t, &tm) != 1)
    return 0;
  return (gint64) timegm (&tm);
}

gboolean
ca_sim_db_record_certificate (CaSimDb *db, const char *number, X509 *cert, GError **error)
{
  g_autofree char *serial = ca_sim_serial_hex (X509_get0_serialNumber (cert));
  g_autoptr(CaSimStmt) stmt = NULL;
  unsigned char *der = NULL;
  char subject[1024];
  int len;

  X509_NAME_oneline (X509_get_subject_name (cert), subject, sizeof subject);
  len = i2d_X509 (cert, &der);
  if (len <= 0)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot encode the certificate");
      return FALSE;
    }
  stmt = prepare (db, "INSERT INTO certificates (serial, order_number, subject, not_before, not_after, status, der)"
                      " VALUES (?, ?, ?, ?, ?, 'good', ?)");
  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);
  if (number)
    sqlite3_bind_text (stmt, 2, number, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, subject, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, asn1_time_unix (X509_get0_notBefore (cert)));
  sqlite3_bind_int64 (stmt, 5, asn1_time_unix (X509_get0_notAfter (cert)));
  sqlite3_bind_blob (stmt, 6, der, len, SQLITE_TRANSIENT);
  OPENSSL_free (der);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "certificates");
  if (number)
    {
      g_autoptr(CaSimStmt) update = prepare (db, "UPDATE orders SET serial = ? WHERE number = ?");

      sqlite3_bind_text (update, 1, serial, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (update, 2, number, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (update) != SQLITE_DONE)
        return db_fail (db, error, "orders");
      g_autofree char *note = g_strdup_printf ("Certificate %s issued", serial);
      if (!ca_sim_db_set_status (db, number, CA_SIM_ISSUED, note, ca_sim_db_now (db), error))
        return FALSE;
    }
  return TRUE;
}

static char *
normalise_serial (const char *serial_hex)
{
  const char *p = serial_hex;

  if (g_str_has_prefix (p, "0x") || g_str_has_prefix (p, "0X"))
    p += 2;
  while (*p == '0' && p[1] != '\0')
    p++;
  return g_ascii_strup (p, -1);
}

gboolean
ca_sim_db_revoke (CaSimDb *db, const char *serial_hex, int reason, GError **error)
{
  g_autofree char *serial = normalise_serial (serial_hex);
  g_autoptr(CaSimStmt) stmt = prepare (db,
    "UPDATE certificates SET status = 'revoked', revoked_at = ?, reason = ? WHERE serial = ? AND status = 'good'");

  if (reason < 0 || reason > 10 || reason == 7)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "Bad revocation reason %d", reason);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int (stmt, 2, reason);
  sqlite3_bind_text (stmt, 3, serial, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "certificates");
  if (sqlite3_changes (db->db) != 1)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_NOT_FOUND, "No valid certificate with serial %s", serial);
      return FALSE;
    }
  return TRUE;
}

CaSimCertStatus
ca_sim_db_cert_status (CaSimDb *db, const char *serial_hex, gint64 *revoked_at, int *reason)
{
  g_autofree char *serial = normalise_serial (serial_hex);
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT status, revoked_at, reason FROM certificates WHERE serial = ?");

  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return CA_SIM_CERT_UNKNOWN;
  if (g_str_equal ((const char *) sqlite3_column_text (stmt, 0), "revoked"))
    {
      if (revoked_at)
        *revoked_at = sqlite3_column_int64 (stmt, 1);
      if (reason)
        *reason = sqlite3_column_int (stmt, 2);
      return CA_SIM_CERT_REVOKED;
    }
  return CA_SIM_CERT_GOOD;
}

GBytes *
ca_sim_db_get_order_certificate (CaSimDb *db, const char *number)
{
  g_autoptr(CaSimStmt) stmt = prepare (db,
    "SELECT der FROM certificates WHERE order_number = ? ORDER BY not_before DESC LIMIT 1");

  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
}

void
ca_sim_db_foreach_revoked (CaSimDb *db, CaSimRevokedFunc func, gpointer data)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT serial, revoked_at, reason FROM certificates WHERE status = 'revoked'");

  while (sqlite3_step (stmt) == SQLITE_ROW)
    func ((const char *) sqlite3_column_text (stmt, 0), sqlite3_column_int64 (stmt, 1),
          sqlite3_column_int (stmt, 2), data);
}

char *
ca_sim_db_order_of_serial (CaSimDb *db, const char *serial_hex)
{
  g_autofree char *serial = normalise_serial (serial_hex);
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT order_number FROM certificates WHERE serial = ?");

  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return col_text (stmt, 0);
}

gboolean
ca_sim_db_deliver (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (db, number, error);
  g_autoptr(CaSimStmt) stmt = NULL;

  if (order == NULL)
    return FALSE;
  if (!g_str_equal (order->status, CA_SIM_APPOINTMENT))
    return state_error (error, order, "be delivered (no appointment is booked)");
  stmt = prepare (db, "UPDATE appointments SET delivered_at = ? WHERE number = ?");
  sqlite3_bind_int64 (stmt, 1, ca_sim_db_now (db));
  sqlite3_bind_text (stmt, 2, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, error, "deliver");
  return add_history (db, number, CA_SIM_APPOINTMENT,
                      "Identity checked face to face: the certificate can be issued", ca_sim_db_now (db), error);
}

gboolean
ca_sim_db_is_delivered (CaSimDb *db, const char *number)
{
  g_autoptr(CaSimStmt) stmt = prepare (db, "SELECT delivered_at FROM appointments WHERE number = ? AND delivered_at IS NOT NULL");

  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}
