/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca-sim-catalogue.h"

static const CaSimProduct products[] = {
  { "rgs2-sign-token", "Certificat RGS** / eIDAS qualifié de signature, sur clé USB",
    "token", "rgs2-eidas-qualified", "130.00", 3,
    "Qualified signature certificate on a cryptographic USB token supplied with the order", TRUE },
  { "rgs2-sign-own-token", "Certificat RGS** / eIDAS qualifié de signature, pour une clé déjà détenue",
    "token", "rgs2-eidas-qualified", "90.00", 3,
    "Qualified signature certificate written on a compatible token the holder already owns", FALSE },
  { "rgs1-auth-software", "Certificat RGS* d’authentification logiciel",
    "software", "rgs1", "60.00", 2,
    "Software authentication certificate (no cryptographic token)", FALSE },
};

static const CaSimOffice offices[] = {
  { "cci-cotes-darmor-quevert", "CCI Côtes d’Armor — Quévert", "CCI COTES D'ARMOR",
    "ZAC Les Landes Fleuries", "1 rue du Miroir du Temps", "22100", "QUEVERT",
    "+33200000001", "quevert@cci22.example", FALSE, TRUE },
  { "cci-cotes-darmor-lannion", "CCI Côtes d’Armor — Lannion", "CCI COTES D'ARMOR",
    "ZI de Pegase Rue Blaise Pascal", "BP 156", "22302", "LANNION",
    "+33200000002", "lannion@cci22.example", FALSE, TRUE },
  { "cci-cotes-darmor-saint-brieuc", "CCI Côtes d’Armor — Saint-Brieuc", "CCI COTES D'ARMOR",
    "rue de Guernesey", "BP 514", "22005", "SAINT BRIEUC",
    "+33200000003", "saint-brieuc@cci22.example", FALSE, TRUE },
  { "cci-bretagne-ouest-brest", "CCI Bretagne Ouest — Brest", "CCI BRETAGNE OUEST",
    "1 Place du 19ème RI", "CS 63825", "29220", "BREST CEDEX",
    "+33200000004", "brest@cci29.example", FALSE, TRUE },
  { "cci-bretagne-ouest-quimper", "CCI Bretagne Ouest — Quimper", "CCI BRETAGNE OUEST",
    "145 Avenue de Keradenec", "BP 410", "29330", "QUIMPER CEDEX",
    "+33200000005", "quimper@cci29.example", FALSE, TRUE },
  { "cci-bretagne-ouest-morlaix", "CCI Bretagne Ouest — Morlaix", "CCI BRETAGNE OUEST",
    "AEROPORT", "CS 27934", "29676", "MORLAIX",
    "+33200000006", "morlaix@cci29.example", FALSE, TRUE },
  { "cci-morbihan-lorient", "CCI Morbihan — Lorient", "CCI MORBIHAN",
    "21 Quai des Indes", "CS 30362", "56323", "LORIENT",
    "+33200000007", "lorient@cci56.example", FALSE, TRUE },
  { "cci-morbihan-vannes", "CCI Morbihan — Vannes", "CCI MORBIHAN",
    "Délégation territoriale", "CS 82605", "56038", "VANNES",
    "+33200000008", "vannes@cci56.example", FALSE, TRUE },
  { "cci-ille-et-vilaine-rennes", "CCI Ille-et-Vilaine — Rennes", "CCI ILE ET VILAINE",
    "2, avenue de la Préfecture", "CS 64204", "35000", "RENNES",
    "+33200000009", "rennes@cci35.example", FALSE, TRUE },
  { "cci-ille-et-vilaine-fougeres", "CCI Ille-et-Vilaine — Fougères", "CCI ILE ET VILAINE",
    "4 rue Claude Bourgelat", "CS80612 Javené", "35306", "FOUGERES CEDEX",
    "+33200000010", "fougeres@cci35.example", FALSE, TRUE },
  { "chambersign-france-acces-operateurs", "ChamberSign France (Accès opérateurs)", "ChamberSign France",
    "Service Accès opérateurs", "", "75008", "PARIS",
    "+33100000000", "acces-operateurs@chambersign.example", TRUE, FALSE },
};

const CaSimProduct *
ca_sim_find_product (const char *id)
{
  for (guint i = 0; id && i < G_N_ELEMENTS (products); i++)
    if (g_str_equal (products[i].id, id))
      return &products[i];
  return NULL;
}

const CaSimOffice *
ca_sim_find_office (const char *id)
{
  for (guint i = 0; id && i < G_N_ELEMENTS (offices); i++)
    if (g_str_equal (offices[i].id, id))
      return &offices[i];
  return NULL;
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void
add_bool (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

JsonNode *
ca_sim_products_json (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (products); i++)
    {
      const CaSimProduct *p = &products[i];

      json_builder_begin_object (b);
      add_string (b, "id", p->id);
      add_string (b, "name", p->name);
      add_string (b, "support", p->support);
      add_string (b, "level", p->level);
      add_string (b, "price_excl_tax", p->price_excl_tax);
      add_string (b, "currency", "EUR");
      json_builder_set_member_name (b, "validity_years");
      json_builder_add_int_value (b, p->validity_years);
      add_string (b, "description", p->description);
      add_bool (b, "requires_token", p->requires_token);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

static void
build_office (JsonBuilder *b, const CaSimOffice *o)
{
  json_builder_begin_object (b);
  add_string (b, "id", o->id);
  add_string (b, "name", o->name);
  add_string (b, "organisation", o->organisation);
  json_builder_set_member_name (b, "address");
  json_builder_begin_object (b);
  add_string (b, "line1", o->line1);
  add_string (b, "line2", o->line2);
  add_string (b, "postal_code", o->postal_code);
  add_string (b, "city", o->city);
  json_builder_end_object (b);
  add_string (b, "phone", o->phone);
  add_string (b, "email", o->email);
  add_bool (b, "accepts_files", o->accepts_files);
  add_bool (b, "delivers", o->delivers);
  json_builder_end_object (b);
}

JsonNode *
ca_sim_office_json (const CaSimOffice *office)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  build_office (b, office);
  return json_builder_get_root (b);
}

JsonNode *
ca_sim_offices_json (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (offices); i++)
    build_office (b, &offices[i]);
  json_builder_end_array (b);
  return json_builder_get_root (b);
}
