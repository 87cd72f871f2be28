/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * What the holder chooses from: the products of the purchasing agreement (GET /products) and
 * the registration offices (GET /offices), in the RA API's own JSON shapes (docs/ca-api.md §3.1,
 * §3.2). The wizard and porteur-tool read them through this small interface: from the CA when it
 * answers (its last answer is cached), else from the catalogue built into Porteur (the guide's
 * products and the CCI offices of Brittany), so a draft can always be started offline.
 */
typedef struct _PorteurOrderCatalogue PorteurOrderCatalogue;

/* Takes references on the arrays. Entries without the required members (id, name, support for
 * a product; id, name, address for an office) are dropped (logged at info level). */
PorteurOrderCatalogue *porteur_order_catalogue_new         (JsonArray  *products,
                                                            JsonArray  *offices);
PorteurOrderCatalogue *porteur_order_catalogue_new_builtin (void);
/* The CA's last answer kept in the store ("order/catalogue.json", kind "order-catalogue" v1:
 * {products, offices}), else the built-in catalogue. */
PorteurOrderCatalogue *porteur_order_catalogue_load        (void);
gboolean               porteur_order_catalogue_save        (PorteurOrderCatalogue  *self,
                                                            GError                **error);
PorteurOrderCatalogue *porteur_order_catalogue_ref         (PorteurOrderCatalogue *self);
void                   porteur_order_catalogue_unref       (PorteurOrderCatalogue *self);

/* Arrays of JsonObject* (borrowed, valid while the catalogue lives). */
GPtrArray  *porteur_order_catalogue_get_products   (PorteurOrderCatalogue *self);
GPtrArray  *porteur_order_catalogue_get_offices    (PorteurOrderCatalogue *self);
/* The products for a support ("token" or "software"); with has_compatible_token, the token
 * products that do not sell a token (requires_token false) come first. New array, borrowed items. */
GPtrArray  *porteur_order_catalogue_dup_products_for (PorteurOrderCatalogue *self,
                                                      const char            *support);
JsonObject *porteur_order_catalogue_find_product   (PorteurOrderCatalogue *self,
                                                    const char            *id);
JsonObject *porteur_order_catalogue_find_office    (PorteurOrderCatalogue *self,
                                                    const char            *id);

/* TRUE when every word of query starts a word of the office's name, organisation, address
 * or city (case and accents ignored); an empty query matches every office. */
gboolean    porteur_order_office_matches           (JsonObject *office,
                                                    const char *query);
/* "1 Place du 19ème RI, CS 63825, 29220 BREST CEDEX" (newly allocated). */
char       *porteur_order_office_dup_address       (JsonObject *office);

/* Price including VAT (20 %) of a decimal string "130.00" → "156.00"; NULL if not a price. */
char       *porteur_order_price_with_vat           (const char *price_excl_tax);

/* The wizard step (0–6) where a dossier field (a JSON path such as "holder.email") is typed;
 * -1 for an unknown field. */
int         porteur_order_field_step               (const char *field);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurOrderCatalogue, porteur_order_catalogue_unref)

G_END_DECLS
