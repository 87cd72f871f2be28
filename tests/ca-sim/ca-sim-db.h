/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The simulator's state: one SQLite database, DIR/ca-sim.db, shared by the
 * server (porteur-ca-sim) and its administration command
 * (porteur-ca-sim-admin), in WAL mode with a busy timeout. Tables:
 *   settings      key → value (time offset, base URL, validation delay, counters)
 *   orders        one row per order (dossier as JSON, status, enrollment)
 *   history       status changes of each order
 *   idempotency   Idempotency-Key → stored answer
 *   certificates  serial, order number, subject, not_before, not_after,
 *                 status, revocation time and reason, DER
 *   faults        injected faults (tests): path prefix, kind, remaining count
 *   appointments  the delivery slot booked by an order (§3.4), delivered_at
 *   security_answers  per order and question: salt and PBKDF2-SHA256 of the
 *                 normalised answer (§3.5), never the answer
 *   unblock_sessions  CA-driven unblock sessions (§3.6): serial, challenge, expiry, used
 *   answer_failures   wrong security answers per certificate serial (lockout)
 * Times are Unix seconds. The registration office's clock is the real time
 * plus the "time_offset" setting (advance-time); the PKI uses the real time.
 */

#include <glib.h>
#include <openssl/x509.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define CA_SIM_ERROR (ca_sim_error_quark ())
GQuark ca_sim_error_quark (void);

typedef enum {
  CA_SIM_ERROR_DB,
  CA_SIM_ERROR_NOT_FOUND,
  CA_SIM_ERROR_STATE,     /* the order's state forbids the operation */
  CA_SIM_ERROR_PKI,
  CA_SIM_ERROR_USAGE,
} CaSimError;

typedef struct _CaSimDb CaSimDb;

CaSimDb  *ca_sim_db_open  (const char  *state_dir,
                           GError     **error);
void      ca_sim_db_close (CaSimDb     *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimDb, ca_sim_db_close)

sqlite3  *ca_sim_db_get_handle (CaSimDb *db);

gboolean  ca_sim_db_begin    (CaSimDb *db, GError **error);
gboolean  ca_sim_db_commit   (CaSimDb *db, GError **error);
void      ca_sim_db_rollback (CaSimDb *db);

/* Settings. */
char     *ca_sim_db_get_setting (CaSimDb *db, const char *key);
gboolean  ca_sim_db_set_setting (CaSimDb *db, const char *key, const char *value, GError **error);
/* The registration office's clock (real time + time_offset), in Unix seconds. */
gint64    ca_sim_db_now         (CaSimDb *db);

/* Order states, as in the API. */
#define CA_SIM_DRAFT              "draft"
#define CA_SIM_WAITING_DOCUMENTS  "waiting-documents"
#define CA_SIM_DOCUMENTS_COMPLETE "documents-complete"
#define CA_SIM_VALIDATED          "validated"
#define CA_SIM_APPOINTMENT        "appointment"
#define CA_SIM_ISSUED             "issued"
#define CA_SIM_REJECTED           "rejected"

typedef struct {
  char   *number;
  char   *token_hash;        /* SHA-256 hex of the access token */
  char   *status;
  gint64  created;
  gint64  updated;
  char   *dossier;           /* JSON */
  char   *reason;            /* nullable */
  gint64  validation_due;    /* 0 when not set */
  char   *enroll_reference;  /* nullable until submitted */
  char   *enroll_secret;     /* nullable until submitted */
  gint64  secret_shown_at;   /* 0 while not shown */
  char   *serial;            /* nullable until issued */
} CaSimOrder;

void ca_sim_order_free (CaSimOrder *order);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimOrder, ca_sim_order_free)

/* Reads an order, first applying the registration office's clock (an order
 * whose validation is due becomes validated). NULL with CA_SIM_ERROR_NOT_FOUND if there is none. */
CaSimOrder *ca_sim_db_get_order (CaSimDb *db, const char *number, GError **error);

/* Creates an order in draft; returns its number and sets @token to its new access token. */
char     *ca_sim_db_create_order  (CaSimDb *db, const char *dossier_json, char **token, GError **error);
gboolean  ca_sim_db_update_dossier (CaSimDb *db, const char *number, const char *dossier_json, GError **error);
/* Changes the status and adds a history entry; @note may be NULL. Checks
 * nothing: callers check the transition (see ca_sim_db_transition ()). */
gboolean  ca_sim_db_set_status    (CaSimDb *db, const char *number, const char *status,
                                   const char *note, gint64 at, GError **error);
/* The office's transitions: documents-received, validate, reject, with
 * their rules; CA_SIM_ERROR_STATE when the order is not in a suitable state. */
gboolean  ca_sim_db_documents_received (CaSimDb *db, const char *number, gint64 delay, GError **error);
gboolean  ca_sim_db_validate      (CaSimDb *db, const char *number, GError **error);
gboolean  ca_sim_db_reject        (CaSimDb *db, const char *number, const char *reason, GError **error);
/* Gives the order its enrollment reference (REF- + 12 digits) and one-time
 * secret (20 characters of A–Z/2–9), at submission; does nothing when it has
 * them already. The CMP IR may then start: it waits until validation. */
gboolean  ca_sim_db_create_enrollment (CaSimDb *db, const char *number, GError **error);
/* Marks the enrollment secret as shown (the API gives it once). */
gboolean  ca_sim_db_mark_secret_shown (CaSimDb *db, const char *number, GError **error);
/* [{status, at, note}] as a JSON array string. */
char     *ca_sim_db_history_json  (CaSimDb *db, const char *number, GError **error);

/* Idempotency: the stored answer of @key, if any. */
typedef struct {
  char  *request_hash;
  guint  status;
  char  *location;   /* nullable */
  char  *body;
} CaSimStoredAnswer;
void ca_sim_stored_answer_free (CaSimStoredAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimStoredAnswer, ca_sim_stored_answer_free)
CaSimStoredAnswer *ca_sim_db_get_idempotent (CaSimDb *db, const char *key);
gboolean ca_sim_db_put_idempotent (CaSimDb *db, const char *key, const char *request_hash,
                                   guint status, const char *location, const char *body,
                                   GError **error);

/* Faults for the tests: the next @count requests whose path starts with
 * @path_prefix (and whose method is @method, or any if "*") get @kind:
 * "http-500", "http-503", "malformed-json", "wrong-content-type",
 * "redirect-http", "delay" (no answer for 60 s), "lose-answer" (the request
 * is carried out, then the connection is closed without an answer),
 * "huge-json" (2 MiB of JSON, chunked), "drop-token" (the request is
 * carried out, its answer sent without its top-level "token" member). */
gboolean ca_sim_db_add_fault  (CaSimDb *db, const char *method, const char *path_prefix,
                               const char *kind, guint count, GError **error);
/* Takes one matching fault (decrementing its count); NULL if none. */
char    *ca_sim_db_take_fault (CaSimDb *db, const char *method, const char *path);

/* --- For the CMP endpoint (branch ca-pki) and the OCSP/CRL responders --- */

/* An order's enrollment, found by its CMP reference (senderKID). @subject is
 * the subject the CA certifies for the order (built from the dossier). */
typedef struct {
  char      *number;
  char      *reference;
  char      *secret;    /* the one-time secret (PBM) */
  char      *status;    /* the order's status: IR is accepted in validated or appointment */
  X509_NAME *subject;
} CaSimEnrollment;
void ca_sim_enrollment_free (CaSimEnrollment *enrollment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimEnrollment, ca_sim_enrollment_free)

CaSimEnrollment *ca_sim_db_lookup_enrollment (CaSimDb *db, const char *reference, GError **error);
CaSimEnrollment *ca_sim_db_lookup_order_enrollment (CaSimDb *db, const char *number, GError **error);

/* The subject certified for a dossier: C=FR, O, organizationIdentifier
 * NTRFR-<SIREN>, GN, SN, CN. */
X509_NAME *ca_sim_subject_from_dossier (const char *dossier_json, GError **error);

/* Records a certificate issued for @number (NULL for none: e.g. a KUR's
 * order is the old certificate's), and moves the order to issued. */
gboolean ca_sim_db_record_certificate (CaSimDb *db, const char *number, X509 *cert, GError **error);

/* Revokes by serial (hex, any case); @reason is an RFC 5280 CRLReason code. */
gboolean ca_sim_db_revoke (CaSimDb *db, const char *serial_hex, int reason, GError **error);

typedef enum {
  CA_SIM_CERT_UNKNOWN,
  CA_SIM_CERT_GOOD,
  CA_SIM_CERT_REVOKED,
} CaSimCertStatus;

/* The status of a certificate by serial, with its revocation time and reason when revoked. */
CaSimCertStatus ca_sim_db_cert_status (CaSimDb *db, const char *serial_hex,
                                       gint64 *revoked_at, int *reason);
/* The serial (uppercase hex), orders and DER of the certificate of @number, or NULL. */
GBytes *ca_sim_db_get_order_certificate (CaSimDb *db, const char *number);

typedef void (*CaSimRevokedFunc) (const char *serial_hex, gint64 revoked_at, int reason, gpointer data);
void ca_sim_db_foreach_revoked (CaSimDb *db, CaSimRevokedFunc func, gpointer data);

/* The order number of the certificate @serial_hex (any case), or NULL. */
char    *ca_sim_db_order_of_serial (CaSimDb *db, const char *serial_hex);
/* The face-to-face delivery of an order in appointment (admin "deliver"):
 * recorded in the history; the order stays in appointment until its
 * certificate is issued (CMP IR or admin issue). */
gboolean ca_sim_db_deliver      (CaSimDb *db, const char *number, GError **error);
gboolean ca_sim_db_is_delivered (CaSimDb *db, const char *number);

/* Uppercase hex of a certificate serial. */
char *ca_sim_serial_hex (const ASN1_INTEGER *serial);

G_END_DECLS
