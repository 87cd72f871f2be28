/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The simulated CA's catalogue. The CCI offices and their addresses are the
 * guide's (guide-commande-certificats.md); prices, phones and e-mails are
 * placeholders. */
typedef struct {
  const char *id;
  const char *name;
  const char *support;
  const char *level;
  const char *price_excl_tax;
  guint       validity_years;
  const char *description;
  gboolean    requires_token;
} CaSimProduct;

typedef struct {
  const char *id;
  const char *name;
  const char *organisation;
  const char *line1;
  const char *line2;
  const char *postal_code;
  const char *city;
  const char *phone;
  const char *email;
  gboolean    accepts_files;
  gboolean    delivers;
} CaSimOffice;

const CaSimProduct *ca_sim_find_product (const char *id);
const CaSimOffice  *ca_sim_find_office  (const char *id);
JsonNode           *ca_sim_products_json (void);
JsonNode           *ca_sim_offices_json  (void);
JsonNode           *ca_sim_office_json   (const CaSimOffice *office);

G_END_DECLS
