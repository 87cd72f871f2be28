/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ca/porteur-ca-client.h"

G_BEGIN_DECLS

/*
 * Orders sent to the CA, as Porteur remembers them, and the three things done with them:
 * submission, tracking and rectification.
 *
 * A record is the store document "order/orders/<number>.json" (kind "order-record", version 1):
 * the RA API's order object (docs/ca-api.md §3.3, access token included) plus "draft_id",
 * "checked" (last refresh) and "history" ([{status, at, note}], oldest first).
 *
 * Submission never creates two orders: before the first request, the body and two
 * Idempotency-Keys (create, submit) are written to "order/submissions/<draft-id>.json"; a retry,
 * even after a crash or a timeout, sends the same body with the same keys, and the order number
 * is kept there as soon as it is known. The submission file and the draft are removed once the
 * record is written.
 */
#define PORTEUR_ORDER_RECORD_KIND    "order-record"
#define PORTEUR_ORDER_RECORD_VERSION 1

typedef struct {
  JsonObject *data;   /* the document, see above */
} PorteurOrderRecord;

PorteurOrderRecord *porteur_order_record_load   (const char          *number,
                                                 GError             **error);
gboolean            porteur_order_record_save   (PorteurOrderRecord  *record,
                                                 GError             **error);
/* Every readable record, most recently updated first (unreadable ones are logged and skipped). */
GPtrArray          *porteur_order_record_list   (GError             **error);
void                porteur_order_record_free   (PorteurOrderRecord  *record);

const char *porteur_order_record_get_number       (PorteurOrderRecord *record);
const char *porteur_order_record_get_status       (PorteurOrderRecord *record);
const char *porteur_order_record_get_access_token (PorteurOrderRecord *record);
JsonObject *porteur_order_record_get_dossier      (PorteurOrderRecord *record);
JsonObject *porteur_order_record_get_office       (PorteurOrderRecord *record);   /* nullable */
JsonArray  *porteur_order_record_get_history      (PorteurOrderRecord *record);   /* never NULL */
/* TRUE while the CA accepts a rectification (draft, waiting-documents, documents-complete). */
gboolean    porteur_order_record_can_rectify      (PorteurOrderRecord *record);

/* Writes the record of an order the CA has just returned outside the wizard (porteur-tool ca
 * order create/show/rectify/submit): the record is created, or updated keeping its access token,
 * draft and history; access_token (nullable) is the one create returned. The one place where
 * access tokens are kept, whatever made the order. */
PorteurOrderRecord *porteur_order_record_save_from_order (PorteurCaOrder  *order,
                                                          const char      *access_token,
                                                          GError         **error);

/* The pending submission of a draft, if a first attempt was made and did not finish. */
gboolean    porteur_order_submission_pending      (const char         *draft_id);

void                porteur_order_submit_async   (PorteurCaClient     *client,
                                                  const char          *draft_id,
                                                  JsonObject          *dossier,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PorteurOrderRecord *porteur_order_submit_finish  (GAsyncResult        *result,
                                                  GError             **error);

/* Reads the order and its history from the CA and saves the record. *status_changed tells
 * whether the status differs from the one recorded before. */
void                porteur_order_refresh_async  (PorteurCaClient     *client,
                                                  const char          *number,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PorteurOrderRecord *porteur_order_refresh_finish (GAsyncResult        *result,
                                                  gboolean            *status_changed,
                                                  GError             **error);

/* Sends a corrected dossier (PUT …/dossier, with a fresh Idempotency-Key kept with the body in
 * the record until the CA answers, so a retry is the same request). */
void                porteur_order_rectify_async  (PorteurCaClient     *client,
                                                  const char          *number,
                                                  JsonObject          *dossier,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PorteurOrderRecord *porteur_order_rectify_finish (GAsyncResult        *result,
                                                  GError             **error);

/* §3.4 — the face-to-face delivery appointment booked for the order ({slot, office, start, end},
 * start and end ISO 8601), or NULL. */
JsonObject *porteur_order_record_get_appointment  (PorteurOrderRecord *record);
/* TRUE when the holder can book a delivery appointment: validated, on a token (a software
 * certificate is downloaded, not delivered). */
gboolean    porteur_order_record_can_book         (PorteurOrderRecord *record);

/* Books the delivery slot @slot_id (POST …/appointment), then reads the history, and saves the
 * record (status appointment). The Idempotency-Key is kept with the slot in the record
 * ("pending_booking") until the CA answers: booking the same slot again after a timeout or a
 * cancellation is the same request, so it is never booked twice. The key is forgotten once the
 * booking's outcome is known: the CA's order shows an appointment or is no longer validated, or
 * the appointment is cancelled; also when the CA refuses the booking (any 4xx: the same slot
 * asked again later, once free, is a new request), never on a transport error, timeout,
 * cancellation or 5xx. Errors are the CA client's
 * (PORTEUR_CA_ERROR_CONFLICT: the slot was taken or the order is not validated;
 * PORTEUR_CA_ERROR_VALIDATION: a slot the CA never offered). */
void                porteur_order_book_async     (PorteurCaClient     *client,
                                                  const char          *number,
                                                  const char          *slot_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
PorteurOrderRecord *porteur_order_book_finish    (GAsyncResult        *result,
                                                  GError             **error);

/* Cancels the booked delivery appointment (DELETE …/appointment), then reads the history, and
 * saves the record (status validated, no appointment; the time is free for others). The
 * Idempotency-Key is kept with the appointment's slot in the record ("pending_cancellation") until
 * the CA answers (a 4xx too): cancelling again after a timeout or a cancellation is the same
 * request, and the CA answers it as the first time. On failure the order's status and appointment in the record
 * are unchanged. Errors are the CA client's (PORTEUR_CA_ERROR_CONFLICT: nothing is booked any
 * more, or the delivery took place) or the store's (no record, no access token). */
void                porteur_order_cancel_appointment_async  (PorteurCaClient     *client,
                                                             const char          *number,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
PorteurOrderRecord *porteur_order_cancel_appointment_finish (GAsyncResult        *result,
                                                             GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurOrderRecord, porteur_order_record_free)

G_END_DECLS
