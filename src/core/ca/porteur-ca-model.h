/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Typed models of the RA API's objects (docs/ca-api.md §3.1–3.3), parsed
 * from JSON. Unknown members are ignored (forward compatibility); a missing
 * member or a member of the wrong type is rejected with
 * PORTEUR_CA_ERROR_INVALID_RESPONSE and a message naming the JSON path
 * (e.g. "[2].address.postal_code: missing"). The objects are immutable.
 */

#define PORTEUR_CA_ERROR (porteur_ca_error_quark ())
GQuark porteur_ca_error_quark (void);

typedef enum {
  PORTEUR_CA_ERROR_CONFIG,            /* bad URL, insecure URL or unusable trust file */
  PORTEUR_CA_ERROR_NETWORK,           /* connection refused, DNS, reset… */
  PORTEUR_CA_ERROR_TIMEOUT,           /* no answer in time */
  PORTEUR_CA_ERROR_TLS,               /* the CA's certificate is not trusted */
  PORTEUR_CA_ERROR_INSECURE_REDIRECT, /* a redirect (redirects are never followed) */
  PORTEUR_CA_ERROR_BAD_CONTENT_TYPE,  /* not application/json nor problem+json */
  PORTEUR_CA_ERROR_MALFORMED,         /* the body is not JSON */
  PORTEUR_CA_ERROR_INVALID_RESPONSE,  /* JSON, but not the expected object */
  PORTEUR_CA_ERROR_VALIDATION,        /* 422 validation: see the problem's field errors */
  PORTEUR_CA_ERROR_UNAUTHORIZED,      /* 401 */
  PORTEUR_CA_ERROR_NOT_FOUND,         /* 404 */
  PORTEUR_CA_ERROR_CONFLICT,          /* 409: the order's state forbids it */
  PORTEUR_CA_ERROR_IDEMPOTENCY,       /* idempotency key missing or reused with another body */
  PORTEUR_CA_ERROR_RATE_LIMITED,      /* 429 */
  PORTEUR_CA_ERROR_SERVER,            /* 5xx */
  PORTEUR_CA_ERROR_HTTP,              /* any other unexpected HTTP status */
  PORTEUR_CA_ERROR_FORBIDDEN,         /* 403: e.g. wrong security answers */
  PORTEUR_CA_ERROR_GONE,              /* 410: e.g. an unblock session already used or expired */
  PORTEUR_CA_ERROR_SIGNATURE,         /* a signature proof could not be made (key, certificate, token) */
} PorteurCaError;

/* One entry of a problem's "errors" array. */
typedef struct {
  char *field;    /* dotted JSON path in the request body, e.g. "holder.email" */
  char *code;     /* stable code (porteur-order-check's codes plus the server's) */
  char *message;  /* English, for logs */
} PorteurCaFieldError;

/* An RFC 9457 problem document answered by the CA. */
typedef struct {
  char      *type;
  char      *title;
  guint      status;
  char      *detail;
  GPtrArray *errors;  /* of PorteurCaFieldError, never NULL */
} PorteurCaProblem;

/* The problem the CA answered, kept inside a PORTEUR_CA_ERROR (an extended
 * GError): NULL when the error did not come from a problem document. */
const PorteurCaProblem *porteur_ca_error_get_problem (const GError *error);
/* TRUE when @error is the CA's final answer refusing a request (a 4xx): the CA handled the request
 * and keeps that answer under its Idempotency-Key, so a key must not be sent again for a later
 * request. Transport errors, timeouts, cancellation, redirects, 5xx, answers that could not be
 * read and local errors (PORTEUR_CA_ERROR_SIGNATURE) leave the outcome unknown: FALSE. */
gboolean porteur_ca_error_is_refusal (const GError *error);

/* Sets @error to a PORTEUR_CA_ERROR carrying a copy of @problem. */
void porteur_ca_set_error_from_problem (GError                **error,
                                        PorteurCaError          code,
                                        const PorteurCaProblem *problem);

/* Parses an RFC 9457 problem document (NULL with @error if it is not one). */
PorteurCaProblem *porteur_ca_problem_new_from_json (JsonNode  *node,
                                                    GError   **error);
PorteurCaProblem *porteur_ca_problem_copy          (const PorteurCaProblem *problem);
void              porteur_ca_problem_free          (PorteurCaProblem       *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurCaProblem, porteur_ca_problem_free)

/* Order status (§3.3). */
typedef enum {
  PORTEUR_CA_ORDER_STATUS_DRAFT,
  PORTEUR_CA_ORDER_STATUS_WAITING_DOCUMENTS,
  PORTEUR_CA_ORDER_STATUS_DOCUMENTS_COMPLETE,
  PORTEUR_CA_ORDER_STATUS_VALIDATED,
  PORTEUR_CA_ORDER_STATUS_APPOINTMENT,
  PORTEUR_CA_ORDER_STATUS_ISSUED,
  PORTEUR_CA_ORDER_STATUS_REJECTED,
} PorteurCaOrderStatus;

/* "draft", "waiting-documents", …; FALSE for an unknown name. */
gboolean    porteur_ca_order_status_from_string (const char           *text,
                                                 PorteurCaOrderStatus *status);
const char *porteur_ca_order_status_to_string   (PorteurCaOrderStatus  status);

/* §3.1 — a product of the catalogue. */
#define PORTEUR_TYPE_CA_PRODUCT (porteur_ca_product_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaProduct, porteur_ca_product, PORTEUR, CA_PRODUCT, GObject)

PorteurCaProduct *porteur_ca_product_new_from_json      (JsonNode          *node,
                                                         GError           **error);
const char       *porteur_ca_product_get_id             (PorteurCaProduct  *self);
const char       *porteur_ca_product_get_name           (PorteurCaProduct  *self);
const char       *porteur_ca_product_get_support        (PorteurCaProduct  *self); /* "token" | "software" */
const char       *porteur_ca_product_get_level          (PorteurCaProduct  *self);
const char       *porteur_ca_product_get_price_excl_tax (PorteurCaProduct  *self); /* "130.00" */
const char       *porteur_ca_product_get_currency       (PorteurCaProduct  *self);
guint             porteur_ca_product_get_validity_years (PorteurCaProduct  *self);
const char       *porteur_ca_product_get_description    (PorteurCaProduct  *self);
gboolean          porteur_ca_product_get_requires_token (PorteurCaProduct  *self); /* FALSE when absent */

/* §3.2 — a registration office. */
#define PORTEUR_TYPE_CA_OFFICE (porteur_ca_office_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaOffice, porteur_ca_office, PORTEUR, CA_OFFICE, GObject)

PorteurCaOffice *porteur_ca_office_new_from_json     (JsonNode         *node,
                                                      GError          **error);
const char      *porteur_ca_office_get_id            (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_name          (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_organisation  (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_line1         (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_line2         (PorteurCaOffice  *self); /* may be "" */
const char      *porteur_ca_office_get_postal_code   (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_city          (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_phone         (PorteurCaOffice  *self);
const char      *porteur_ca_office_get_email         (PorteurCaOffice  *self);
gboolean         porteur_ca_office_get_accepts_files (PorteurCaOffice  *self); /* FALSE when absent */
gboolean         porteur_ca_office_get_delivers      (PorteurCaOffice  *self); /* FALSE when absent */

/* §3.3 — an order. */
#define PORTEUR_TYPE_CA_ORDER (porteur_ca_order_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaOrder, porteur_ca_order, PORTEUR, CA_ORDER, GObject)

PorteurCaOrder      *porteur_ca_order_new_from_json        (JsonNode        *node,
                                                            GError         **error);
const char          *porteur_ca_order_get_number           (PorteurCaOrder  *self); /* PO-YYYY-NNNNNN */
const char          *porteur_ca_order_get_access_token     (PorteurCaOrder  *self); /* only from create; else NULL */
PorteurCaOrderStatus porteur_ca_order_get_status           (PorteurCaOrder  *self);
GDateTime           *porteur_ca_order_get_created          (PorteurCaOrder  *self);
GDateTime           *porteur_ca_order_get_updated          (PorteurCaOrder  *self);
JsonObject          *porteur_ca_order_get_dossier          (PorteurCaOrder  *self); /* as the CA holds it */
const char          *porteur_ca_order_get_reason           (PorteurCaOrder  *self); /* when rejected, else NULL */
GDateTime           *porteur_ca_order_get_validation_due   (PorteurCaOrder  *self); /* nullable */
PorteurCaOffice     *porteur_ca_order_get_office           (PorteurCaOrder  *self); /* nullable */
const char          *porteur_ca_order_get_serial           (PorteurCaOrder  *self); /* when issued, else NULL */
/* The order as JSON (the API's representation, access token included when known). */
JsonNode            *porteur_ca_order_to_json              (PorteurCaOrder  *self);

/* §3.3 — an entry of an order's history. */
#define PORTEUR_TYPE_CA_HISTORY_ENTRY (porteur_ca_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaHistoryEntry, porteur_ca_history_entry, PORTEUR, CA_HISTORY_ENTRY, GObject)

PorteurCaHistoryEntry *porteur_ca_history_entry_new_from_json (JsonNode              *node,
                                                               GError               **error);
PorteurCaOrderStatus   porteur_ca_history_entry_get_status    (PorteurCaHistoryEntry *self);
GDateTime             *porteur_ca_history_entry_get_at        (PorteurCaHistoryEntry *self);
const char            *porteur_ca_history_entry_get_note      (PorteurCaHistoryEntry *self); /* may be "" */

/* §3.3 — an item of the documents checklist. */
#define PORTEUR_TYPE_CA_CHECKLIST_ITEM (porteur_ca_checklist_item_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaChecklistItem, porteur_ca_checklist_item, PORTEUR, CA_CHECKLIST_ITEM, GObject)

PorteurCaChecklistItem *porteur_ca_checklist_item_new_from_json (JsonNode               *node,
                                                                 GError                **error);
const char             *porteur_ca_checklist_item_get_id        (PorteurCaChecklistItem *self);
const char             *porteur_ca_checklist_item_get_label     (PorteurCaChecklistItem *self);
gboolean                porteur_ca_checklist_item_get_required  (PorteurCaChecklistItem *self);
gboolean                porteur_ca_checklist_item_get_received  (PorteurCaChecklistItem *self); /* FALSE when absent */
const char             *porteur_ca_checklist_item_get_help      (PorteurCaChecklistItem *self); /* nullable */

/* §3.3 — CMP enrollment credentials. The secret is given once: NULL afterwards. */
#define PORTEUR_TYPE_CA_ENROLLMENT (porteur_ca_enrollment_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaEnrollment, porteur_ca_enrollment, PORTEUR, CA_ENROLLMENT, GObject)

PorteurCaEnrollment *porteur_ca_enrollment_new_from_json        (JsonNode            *node,
                                                                 GError             **error);
const char          *porteur_ca_enrollment_get_reference        (PorteurCaEnrollment *self);
const char          *porteur_ca_enrollment_get_secret           (PorteurCaEnrollment *self); /* nullable */
GDateTime           *porteur_ca_enrollment_get_secret_shown_at  (PorteurCaEnrollment *self); /* nullable */

/* §3.4 — a delivery slot offered at the office, or the booked appointment
 * (whose id is the slot's). */
#define PORTEUR_TYPE_CA_APPOINTMENT_SLOT (porteur_ca_appointment_slot_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaAppointmentSlot, porteur_ca_appointment_slot, PORTEUR, CA_APPOINTMENT_SLOT, GObject)

PorteurCaAppointmentSlot *porteur_ca_appointment_slot_new_from_json (JsonNode                  *node,
                                                                     GError                   **error);
const char               *porteur_ca_appointment_slot_get_id        (PorteurCaAppointmentSlot  *self);
const char               *porteur_ca_appointment_slot_get_office    (PorteurCaAppointmentSlot  *self);
GDateTime                *porteur_ca_appointment_slot_get_start     (PorteurCaAppointmentSlot  *self);
GDateTime                *porteur_ca_appointment_slot_get_end       (PorteurCaAppointmentSlot  *self);

/* The booked delivery appointment (§3.4), or NULL. */
PorteurCaAppointmentSlot *porteur_ca_order_get_appointment (PorteurCaOrder  *self);

/* §3.5 — a security question of the CA's catalogue. */
#define PORTEUR_TYPE_CA_SECURITY_QUESTION (porteur_ca_security_question_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaSecurityQuestion, porteur_ca_security_question, PORTEUR, CA_SECURITY_QUESTION, GObject)

PorteurCaSecurityQuestion *porteur_ca_security_question_new_from_json (JsonNode                   *node,
                                                                       GError                    **error);
const char                *porteur_ca_security_question_get_id        (PorteurCaSecurityQuestion  *self);
const char                *porteur_ca_security_question_get_label     (PorteurCaSecurityQuestion  *self);

/* §3.5 — a security answer as the holder gives it (wiped by the client's
 * request once sent: callers wipe their own copies). */
typedef struct {
  const char *question;  /* a question id */
  const char *answer;
} PorteurCaSecurityAnswer;

/* §3.6 — a CA-driven unblock session. */
#define PORTEUR_TYPE_CA_UNBLOCK_SESSION (porteur_ca_unblock_session_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaUnblockSession, porteur_ca_unblock_session, PORTEUR, CA_UNBLOCK_SESSION, GObject)

PorteurCaUnblockSession *porteur_ca_unblock_session_new_from_json (JsonNode                 *node,
                                                                   GError                  **error);
const char              *porteur_ca_unblock_session_get_id        (PorteurCaUnblockSession  *self);
GDateTime               *porteur_ca_unblock_session_get_expires   (PorteurCaUnblockSession  *self);

/* §3.6 — the CA's answer to a session: the cryptogram (hex in JSON, bytes here; wiped on finalize). */
#define PORTEUR_TYPE_CA_CRYPTOGRAM (porteur_ca_cryptogram_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaCryptogram, porteur_ca_cryptogram, PORTEUR, CA_CRYPTOGRAM, GObject)

PorteurCaCryptogram *porteur_ca_cryptogram_new_from_json (JsonNode             *node,
                                                          GError              **error);
/* a copy wiped when freed */
GBytes              *porteur_ca_cryptogram_get_bytes     (PorteurCaCryptogram  *self);

/* Parses a JSON array of @item_type (one of the types above) into a
 * GListModel of them; the first bad element fails the whole list. */
GListModel *porteur_ca_list_new_from_json (GType      item_type,
                                           JsonNode  *node,
                                           GError   **error);

/* §3.8 — a test challenge: the nonce to sign (32 bytes from the CA). */
#define PORTEUR_TYPE_CA_TEST_CHALLENGE (porteur_ca_test_challenge_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaTestChallenge, porteur_ca_test_challenge, PORTEUR, CA_TEST_CHALLENGE, GObject)

PorteurCaTestChallenge *porteur_ca_test_challenge_new_from_json (JsonNode                *node,
                                                                 GError                 **error);
const char             *porteur_ca_test_challenge_get_id        (PorteurCaTestChallenge  *self);
GBytes                 *porteur_ca_test_challenge_get_nonce     (PorteurCaTestChallenge  *self);
GDateTime              *porteur_ca_test_challenge_get_expires   (PorteurCaTestChallenge  *self);

/* §3.8 — the certificate's status in a verdict. */
typedef enum {
  PORTEUR_CA_CERTIFICATE_GOOD,
  PORTEUR_CA_CERTIFICATE_REVOKED,
  PORTEUR_CA_CERTIFICATE_UNKNOWN,    /* not a certificate this CA issued */
  PORTEUR_CA_CERTIFICATE_EXPIRED,
  PORTEUR_CA_CERTIFICATE_UNTRUSTED,  /* does not chain to this CA (or not yet valid) */
} PorteurCaCertificateStatus;

const char *porteur_ca_certificate_status_to_string (PorteurCaCertificateStatus status);

/* §3.8 — the CA's verdict on a signed test challenge. The failures are the
 * CA's stable codes (bad-signature, wrong-algorithm-for-key, not-this-ca,
 * untrusted-chain, unknown-certificate, revoked, expired, not-yet-valid,
 * no-qc-statements), kept as given, including codes newer than this client. */
#define PORTEUR_TYPE_CA_TEST_VERDICT (porteur_ca_test_verdict_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaTestVerdict, porteur_ca_test_verdict, PORTEUR, CA_TEST_VERDICT, GObject)

PorteurCaTestVerdict       *porteur_ca_test_verdict_new_from_json          (JsonNode              *node,
                                                                            GError               **error);
gboolean                    porteur_ca_test_verdict_get_signature_valid    (PorteurCaTestVerdict  *self);
gboolean                    porteur_ca_test_verdict_get_certificate_valid  (PorteurCaTestVerdict  *self);
PorteurCaCertificateStatus  porteur_ca_test_verdict_get_certificate_status (PorteurCaTestVerdict  *self);
gboolean                    porteur_ca_test_verdict_get_qualified          (PorteurCaTestVerdict  *self);
/* "" when the CA did not say. */
const char                 *porteur_ca_test_verdict_get_subject            (PorteurCaTestVerdict  *self);
const char                 *porteur_ca_test_verdict_get_serial             (PorteurCaTestVerdict  *self);
/* NULL when the CA did not say. */
GDateTime                  *porteur_ca_test_verdict_get_not_after          (PorteurCaTestVerdict  *self);
/* Never NULL; empty when all is well. */
const char * const         *porteur_ca_test_verdict_get_failures           (PorteurCaTestVerdict  *self);
gboolean                    porteur_ca_test_verdict_has_failure            (PorteurCaTestVerdict  *self,
                                                                            const char            *code);

/* §3.7 Revocation requests ------------------------------------------------ */

typedef enum {
  PORTEUR_CA_REVOCATION_PENDING_CONFIRMATION,  /* waiting for the legal representative's confirmation */
  PORTEUR_CA_REVOCATION_ACCEPTED,              /* the certificate is revoked */
  PORTEUR_CA_REVOCATION_REJECTED,              /* e.g. too many wrong confirmation codes */
} PorteurCaRevocationStatus;

/* The reasons a revocation request may give (RFC 5280 CRLReason names):
 * keyCompromise, affiliationChanged, superseded, cessationOfOperation,
 * unspecified. NULL-terminated. */
extern const char *const porteur_ca_revocation_reasons[];
gboolean    porteur_ca_revocation_reason_is_valid (const char *reason);
/* The RFC 5280 CRLReason code of @reason, or -1. */
int         porteur_ca_revocation_reason_code     (const char *reason);
const char *porteur_ca_revocation_status_to_string (PorteurCaRevocationStatus status);

/* §3.7 — a revocation request as the CA answers it. The token (bearer of GET
 * /revocation-requests/{id}) is only in the answer to its creation; it is
 * wiped on finalize. */
#define PORTEUR_TYPE_CA_REVOCATION_REQUEST (porteur_ca_revocation_request_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaRevocationRequest, porteur_ca_revocation_request, PORTEUR, CA_REVOCATION_REQUEST, GObject)

PorteurCaRevocationRequest *porteur_ca_revocation_request_new_from_json (JsonNode                    *node,
                                                                         GError                     **error);
/* The answer to its creation (POST /revocation-requests): the same, but a
 * missing or null "token" is an error (revocation_request.token: missing /
 * not a string). */
PorteurCaRevocationRequest *porteur_ca_revocation_request_new_created_from_json (JsonNode             *node,
                                                                                 GError              **error);
const char                *porteur_ca_revocation_request_get_id         (PorteurCaRevocationRequest  *self);
PorteurCaRevocationStatus  porteur_ca_revocation_request_get_status     (PorteurCaRevocationRequest  *self);
const char                *porteur_ca_revocation_request_get_token      (PorteurCaRevocationRequest  *self); /* nullable */
const char                *porteur_ca_revocation_request_get_serial     (PorteurCaRevocationRequest  *self);
const char                *porteur_ca_revocation_request_get_reason     (PorteurCaRevocationRequest  *self);
const char                *porteur_ca_revocation_request_get_requester  (PorteurCaRevocationRequest  *self);
GDateTime                 *porteur_ca_revocation_request_get_created    (PorteurCaRevocationRequest  *self);
GDateTime                 *porteur_ca_revocation_request_get_revoked_at (PorteurCaRevocationRequest  *self); /* nullable */
GDateTime                 *porteur_ca_revocation_request_get_confirmation_expires (PorteurCaRevocationRequest *self); /* nullable */
/* The request as JSON (the API's members, without the token). */
JsonNode                  *porteur_ca_revocation_request_to_json        (PorteurCaRevocationRequest  *self);

/* §3.7 — a nonce for a signature proof (one use, short-lived). */
#define PORTEUR_TYPE_CA_REVOCATION_NONCE (porteur_ca_revocation_nonce_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaRevocationNonce, porteur_ca_revocation_nonce, PORTEUR, CA_REVOCATION_NONCE, GObject)

PorteurCaRevocationNonce *porteur_ca_revocation_nonce_new_from_json (JsonNode                  *node,
                                                                     GError                   **error);
const char               *porteur_ca_revocation_nonce_get_nonce     (PorteurCaRevocationNonce  *self);
GDateTime                *porteur_ca_revocation_nonce_get_expires   (PorteurCaRevocationNonce  *self);

G_END_DECLS
