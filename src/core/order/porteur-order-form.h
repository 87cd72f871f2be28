/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Writes the subscription form (one A4 page, PDF) for a contract dossier.
 * product and office are the objects of GET /products and GET /offices (may
 * be NULL: their ids are printed instead). language: "fr", "br" or "en" (other
 * languages fall back to French, the CA's language). "br": Breton. */
gboolean porteur_order_form_write_pdf (JsonObject  *dossier,
                                       JsonObject  *product,
                                       JsonObject  *office,
                                       const char  *language,
                                       const char  *path,
                                       GError     **error);

G_END_DECLS
