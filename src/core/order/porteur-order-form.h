/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Writes the subscription form (PDF, A4: one page, or more when long values need it; every
 * text wrapped at word boundaries inside the margins) for a contract dossier. product and office
 * are the objects of GET /products and GET /offices (may be NULL: their ids are printed
 * instead); number is the request number ("PO-2026-000123"; NULL for a draft: the form says
 * it is given when the request is sent). language: "fr", "br", "en"… (labels
 * from the language's compiled catalogue, read with porteur-catalog so that this may run in any
 * thread whatever the process locale; languages without a catalogue fall back to French, the
 * CA's language). */
gboolean porteur_order_form_write_pdf (JsonObject  *dossier,
                                       JsonObject  *product,
                                       JsonObject  *office,
                                       const char  *number,
                                       const char  *language,
                                       const char  *path,
                                       GError     **error);

/* The gettext context of the form's labels. */
#define PORTEUR_ORDER_FORM_CONTEXT "subscription form"

/* The form's labels (English msgids in PORTEUR_ORDER_FORM_CONTEXT), NULL-terminated: each must
 * be translated in every catalogue (tests check it). */
const char * const *porteur_order_form_get_labels (void);
/* The language the form is drawn in for a requested one: "en" for English, the language itself
 * when Porteur has a catalogue for it, else "fr" (the CA's language). Static or language. */
const char         *porteur_order_form_language   (const char *language);

G_END_DECLS
