/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "order/porteur-order-catalogue.h"

G_BEGIN_DECLS

#define PORTEUR_TYPE_ORDER_PAGE (porteur_order_page_get_type ())

G_DECLARE_FINAL_TYPE (PorteurOrderPage, porteur_order_page, PORTEUR, ORDER_PAGE, AdwBin)

/* The Order section: the list of drafts and orders, and the seven-step wizard. Step 7 is the
 * summary. Every field widget is named after its dossier path (gtk_widget_get_name). */
#define PORTEUR_ORDER_PAGE_SUMMARY 7

void        porteur_order_page_set_catalogue (PorteurOrderPage      *self,
                                              PorteurOrderCatalogue *catalogue);
void        porteur_order_page_new_order     (PorteurOrderPage      *self);
gboolean    porteur_order_page_resume        (PorteurOrderPage      *self,
                                              const char            *draft_id,
                                              GError               **error);
guint       porteur_order_page_get_step      (PorteurOrderPage      *self);
const char *porteur_order_page_get_state     (PorteurOrderPage      *self);
const char *porteur_order_page_get_draft_id  (PorteurOrderPage      *self);
JsonObject *porteur_order_page_get_dossier   (PorteurOrderPage      *self);
/* Why Next is disabled (translated), or NULL when the step is complete. */
const char *porteur_order_page_get_next_reason (PorteurOrderPage    *self);
/* The shown order's subscription form, printed through GtkPrintOperation into a PDF file
 * (the export path of the print dialog). */
gboolean    porteur_order_page_print_form_to_file (PorteurOrderPage *self,
                                                   const char       *path,
                                                   GError          **error);
/* Waits until every autosave of this page is on disk. */
void        porteur_order_page_flush         (PorteurOrderPage      *self);

G_END_DECLS
