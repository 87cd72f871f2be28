/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ca/porteur-ca-model.h"

G_BEGIN_DECLS

/*
 * The client of the CA's RA API (docs/ca-api.md). Errors are in
 * PORTEUR_CA_ERROR (see porteur-ca-model.h); a problem document answered by
 * the CA stays attached to the error (porteur_ca_error_get_problem ()) with
 * its field errors. Cancellation gives G_IO_ERROR_CANCELLED.
 *
 * Transport: HTTPS only (plain HTTP to loopback only when allowed, for tests),
 * the CA's trust pinned (the session's tls-database is the configured
 * anchors, not the system store), GIO's default proxy resolver, redirects
 * never followed. Idempotent requests (GET, and POST/PUT with their
 * Idempotency-Key) are retried with exponential backoff on connection
 * failures, timeouts and 408/429/502/503/504 (honouring Retry-After).
 *
 * Order requests take the order number and its access token (returned once
 * by create; porteur-tool keeps it in the store, see docs/DESIGN.md ## ca).
 */

#define PORTEUR_TYPE_CA_CLIENT (porteur_ca_client_get_type ())
G_DECLARE_FINAL_TYPE (PorteurCaClient, porteur_ca_client, PORTEUR, CA_CLIENT, GObject)

/* @base_url: the CA's root, e.g. "https://ca.example" ("/api/v1" is appended
 * unless the URL already ends with it; the simulator prints its root in its
 * READY line); @trust_path: a PEM file of the CA's trust anchors, or NULL for
 * the system's store (not recommended). */
PorteurCaClient *porteur_ca_client_new (const char  *base_url,
                                        const char  *trust_path,
                                        gboolean     allow_loopback_http,
                                        GError     **error);

const char *porteur_ca_client_get_base_url (PorteurCaClient *self);

/* Seconds before a request without answer fails (default 30). */
guint porteur_ca_client_get_timeout (PorteurCaClient *self);
void  porteur_ca_client_set_timeout (PorteurCaClient *self,
                                     guint            seconds);
/* Retries after the first attempt of an idempotent request (default 3), and
 * the first backoff delay in milliseconds (default 500, doubled each time). */
guint porteur_ca_client_get_max_retries (PorteurCaClient *self);
void  porteur_ca_client_set_max_retries (PorteurCaClient *self,
                                         guint            retries);
void  porteur_ca_client_set_retry_delay (PorteurCaClient *self,
                                         guint            milliseconds);

/* A fresh Idempotency-Key (a UUID v4). Keep it with the request to retry it. */
char *porteur_ca_new_idempotency_key (void);

/* GET /products → GListModel of PorteurCaProduct. */
void        porteur_ca_client_list_products_async  (PorteurCaClient      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GListModel *porteur_ca_client_list_products_finish (PorteurCaClient      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* GET /offices → GListModel of PorteurCaOffice. */
void        porteur_ca_client_list_offices_async   (PorteurCaClient      *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GListModel *porteur_ca_client_list_offices_finish  (PorteurCaClient      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* POST /orders {dossier} → the new order, with its access token. Calling it
 * again with the same @idempotency_key and dossier returns the same order. */
void            porteur_ca_client_create_order_async  (PorteurCaClient     *self,
                                                       JsonObject          *dossier,
                                                       const char          *idempotency_key,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
PorteurCaOrder *porteur_ca_client_create_order_finish (PorteurCaClient     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* GET /orders/{number}. */
void            porteur_ca_client_get_order_async     (PorteurCaClient     *self,
                                                       const char          *number,
                                                       const char          *access_token,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
PorteurCaOrder *porteur_ca_client_get_order_finish    (PorteurCaClient     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* PUT /orders/{number}/dossier {dossier} → the order (409 from validated on). */
void            porteur_ca_client_rectify_order_async  (PorteurCaClient     *self,
                                                        const char          *number,
                                                        const char          *access_token,
                                                        JsonObject          *dossier,
                                                        const char          *idempotency_key,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
PorteurCaOrder *porteur_ca_client_rectify_order_finish (PorteurCaClient     *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* POST /orders/{number}/submit {} → the order in waiting-documents. */
void            porteur_ca_client_submit_order_async  (PorteurCaClient     *self,
                                                       const char          *number,
                                                       const char          *access_token,
                                                       const char          *idempotency_key,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
PorteurCaOrder *porteur_ca_client_submit_order_finish (PorteurCaClient     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* GET /orders/{number}/history → GListModel of PorteurCaHistoryEntry, oldest first. */
void        porteur_ca_client_get_history_async    (PorteurCaClient     *self,
                                                    const char          *number,
                                                    const char          *access_token,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GListModel *porteur_ca_client_get_history_finish   (PorteurCaClient     *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* GET /orders/{number}/checklist → GListModel of PorteurCaChecklistItem
 * (labels in the first of the user's languages the CA speaks). */
void        porteur_ca_client_get_checklist_async  (PorteurCaClient     *self,
                                                    const char          *number,
                                                    const char          *access_token,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GListModel *porteur_ca_client_get_checklist_finish (PorteurCaClient     *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* GET /orders/{number}/enrollment → CMP reference and one-time secret
 * (409 before validated). The secret is returned once: wipe it after use. */
void                 porteur_ca_client_get_enrollment_async  (PorteurCaClient     *self,
                                                              const char          *number,
                                                              const char          *access_token,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
PorteurCaEnrollment *porteur_ca_client_get_enrollment_finish (PorteurCaClient     *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

/* §3.4 GET /orders/{number}/appointment-slots[?from=&to=] → GListModel of
 * PorteurCaAppointmentSlot, the free delivery slots at the order's office
 * (409 before validated). @from and @to may be NULL. */
void        porteur_ca_client_get_appointment_slots_async  (PorteurCaClient     *self,
                                                            const char          *number,
                                                            const char          *access_token,
                                                            GDateTime           *from,
                                                            GDateTime           *to,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
GListModel *porteur_ca_client_get_appointment_slots_finish (PorteurCaClient     *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);

/* §3.4 POST /orders/{number}/appointment {slot} → the order in appointment
 * (PORTEUR_CA_ERROR_CONFLICT when the slot was taken or the order is not validated). */
void            porteur_ca_client_book_appointment_async  (PorteurCaClient     *self,
                                                           const char          *number,
                                                           const char          *access_token,
                                                           const char          *slot_id,
                                                           const char          *idempotency_key,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
PorteurCaOrder *porteur_ca_client_book_appointment_finish (PorteurCaClient     *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/* §3.5 GET /security-questions → GListModel of PorteurCaSecurityQuestion. */
void        porteur_ca_client_list_security_questions_async  (PorteurCaClient     *self,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
GListModel *porteur_ca_client_list_security_questions_finish (PorteurCaClient     *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);

/* §3.5 POST /orders/{number}/security-questions {answers} → 204 (in
 * appointment or issued). The request body is wiped once sent. */
void     porteur_ca_client_set_security_answers_async  (PorteurCaClient               *self,
                                                        const char                    *number,
                                                        const char                    *access_token,
                                                        const PorteurCaSecurityAnswer *answers,
                                                        guint                          n_answers,
                                                        const char                    *idempotency_key,
                                                        GCancellable                  *cancellable,
                                                        GAsyncReadyCallback            callback,
                                                        gpointer                       user_data);
gboolean porteur_ca_client_set_security_answers_finish (PorteurCaClient               *self,
                                                        GAsyncResult                  *result,
                                                        GError                       **error);

/* §3.6 POST /unblock-sessions {serial, challenge, answers} → the session.
 * Wrong answers: PORTEUR_CA_ERROR_FORBIDDEN; after 5 for this certificate:
 * PORTEUR_CA_ERROR_RATE_LIMITED (not retried: Retry-After is 24 h). */
void                     porteur_ca_client_open_unblock_session_async  (PorteurCaClient               *self,
                                                                        const char                    *serial_hex,
                                                                        GBytes                        *challenge,
                                                                        const PorteurCaSecurityAnswer *answers,
                                                                        guint                          n_answers,
                                                                        const char                    *idempotency_key,
                                                                        GCancellable                  *cancellable,
                                                                        GAsyncReadyCallback            callback,
                                                                        gpointer                       user_data);
PorteurCaUnblockSession *porteur_ca_client_open_unblock_session_finish (PorteurCaClient               *self,
                                                                        GAsyncResult                  *result,
                                                                        GError                       **error);

/* §3.6 POST /unblock-sessions/{id}/response {} → the cryptogram for the
 * token, once (a second session call gives PORTEUR_CA_ERROR_GONE; a retry
 * with the same key gives the same cryptogram), in bytes wiped when freed. */
void    porteur_ca_client_get_unblock_cryptogram_async  (PorteurCaClient     *self,
                                                         const char          *session_id,
                                                         const char          *idempotency_key,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GBytes *porteur_ca_client_get_unblock_cryptogram_finish (PorteurCaClient     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
