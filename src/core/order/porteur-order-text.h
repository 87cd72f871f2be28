/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "porteur-order-check.h"

G_BEGIN_DECLS

/* The words a holder reads about an order, shared by the wizard and porteur-tool (translated). */

#define PORTEUR_ORDER_N_STEPS 7

/* "This number does not exist: check for a typing mistake"… */
const char *porteur_order_check_describe (PorteurOrderCheck check);
/* A check's sentence from its stable code (as the CA sends them); NULL for an unknown code. */
const char *porteur_order_check_describe_code (const char *code);
/* "SIRET of the establishment", "Holder's e-mail"… for a dossier field; the path itself when
 * unknown. */
const char *porteur_order_field_title    (const char *field);
/* "Support and Product"… for steps 0–6. */
const char *porteur_order_step_title     (guint step);
/* "Public body"… for the dossier's choices; the value itself when unknown. */
const char *porteur_order_choice_label   (const char *field,
                                          const char *value);

/* What is sent to the CA: a deep copy of the dossier with its strings trimmed, the SIRET without
 * spaces and the phone numbers as +33… when they are valid (docs/ca-api.md §2). */
JsonObject *porteur_order_dossier_normalise (JsonObject *dossier);

G_END_DECLS

G_BEGIN_DECLS
/* "Waiting for your signed file"… for an order status ("waiting-documents"…). */
const char *porteur_order_status_label (const char *status);
/* What the holder must do now, one translated sentence per line (the guide's steps adapted):
 * support is the dossier's ("token"/"software"), office the office object the file goes to
 * (nullable), reason the CA's reason when rejected (nullable). */
GStrv       porteur_order_next_steps   (const char *status,
                                        const char *support,
                                        JsonObject *office,
                                        const char *reason);

/* A delivery slot or appointment in the holder's local time: "Tuesday 1 December 2026,
 * 08:00–08:45". */
char       *porteur_order_appointment_time     (GDateTime  *start,
                                                GDateTime  *end);
/* The same from the record's ISO 8601 strings; NULL when they do not parse. */
char       *porteur_order_appointment_time_iso (const char *start,
                                                const char *end);
/* What the holder brings to the face-to-face delivery, one sentence per line: the identity
 * document, and the token when the dossier says the holder already owns one
 * (has_compatible_token). */
GStrv       porteur_order_appointment_bring    (JsonObject *dossier);
/* A translated sentence for a failed booking (slot taken, no longer offered, CA unreachable…). */
char       *porteur_order_booking_error        (const GError *error);
/* The same for a failed cancellation of the appointment (nothing booked any more, CA
 * unreachable or failing, stopped). */
char       *porteur_order_cancel_appointment_error (const GError *error);
G_END_DECLS
