/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PORTEUR_ORDER_ERROR (porteur_order_error_quark ())
GQuark porteur_order_error_quark (void);

typedef enum {
  PORTEUR_ORDER_ERROR_INVALID_ID,
  PORTEUR_ORDER_ERROR_NOT_FOUND,
  PORTEUR_ORDER_ERROR_CORRUPT,
  PORTEUR_ORDER_ERROR_FAILED,
} PorteurOrderError;

/* Drafts live in the store as "order/drafts/<uuid>.json", document kind
 * "order-draft" version 1: {"id", "step", "updated", "dossier"}. Each save is
 * atomic (porteur_store_write_document), so a crash leaves the previous save. */
#define PORTEUR_ORDER_DRAFT_KIND    "order-draft"
#define PORTEUR_ORDER_DRAFT_VERSION 1

typedef struct {
  char       *id;
  guint       step;       /* the wizard step the holder was on (0–6) */
  GDateTime  *updated;
  JsonObject *dossier;
} PorteurOrderDraft;

char              *porteur_order_draft_new_id  (void);
gboolean           porteur_order_draft_save    (const char  *id,
                                                guint        step,
                                                JsonObject  *dossier,
                                                GError     **error);
PorteurOrderDraft *porteur_order_draft_load    (const char  *id,
                                                GError     **error);
gboolean           porteur_order_draft_delete  (const char  *id,
                                                GError     **error);
/* Every readable draft, most recently updated first. Unreadable files are
 * skipped with a warning in the log, never deleted. */
GPtrArray         *porteur_order_draft_list    (GError     **error);
void               porteur_order_draft_free    (PorteurOrderDraft *draft);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurOrderDraft, porteur_order_draft_free)

G_END_DECLS
