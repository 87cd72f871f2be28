/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "store/porteur-store.h"
#include "porteur-order-check.h"
#include "porteur-order-catalogue.h"

struct _PorteurOrderCatalogue
{
  gatomicrefcount  ref_count;
  JsonArray       *products_array;
  JsonArray       *offices_array;
  GPtrArray       *products;
  GPtrArray       *offices;
};

/* The catalogue Porteur knows without the CA: the purchasing agreement's products (the same
 * ids and prices before tax as the CA simulator's catalogue, tests/ca-sim) and the registration offices of the guide
 * (section 2.c) plus the office where paper files are posted. The CA's answer replaces it. */
static const char builtin_json[] =
  "{\"products\": ["
  "{\"id\": \"rgs2-sign-token\", \"name\": \"Certificat RGS** / eIDAS qualifié de signature, sur clé USB\", \"support\": \"token\","
  " \"level\": \"rgs2-eidas-qualified\", \"price_excl_tax\": \"130.00\", \"currency\": \"EUR\", \"validity_years\": 3,"
  " \"requires_token\": true, \"description\": \"Qualified signature certificate on a cryptographic USB token supplied with the order\"},"
  "{\"id\": \"rgs2-sign-own-token\", \"name\": \"Certificat RGS** / eIDAS qualifié de signature, pour une clé déjà détenue\", \"support\": \"token\","
  " \"level\": \"rgs2-eidas-qualified\", \"price_excl_tax\": \"90.00\", \"currency\": \"EUR\", \"validity_years\": 3,"
  " \"requires_token\": false, \"description\": \"Qualified signature certificate written on a compatible token the holder already owns\"},"
  "{\"id\": \"rgs1-auth-software\", \"name\": \"Certificat RGS* d’authentification logiciel\", \"support\": \"software\","
  " \"level\": \"rgs1\", \"price_excl_tax\": \"60.00\", \"currency\": \"EUR\", \"validity_years\": 2,"
  " \"requires_token\": false, \"description\": \"Software authentication certificate (no cryptographic token)\"}"
  "], \"offices\": ["
#define OFFICE(id, org, name, l1, l2, pc, city, files, delivers) \
  "{\"id\": \"" id "\", \"organisation\": \"" org "\", \"name\": \"" name "\", \"address\": {\"line1\": \"" l1 "\"," \
  " \"line2\": \"" l2 "\", \"postal_code\": \"" pc "\", \"city\": \"" city "\"}, \"phone\": \"\", \"email\": \"\"," \
  " \"accepts_files\": " files ", \"delivers\": " delivers "}"
  OFFICE ("cci-cotes-darmor-quevert", "CCI Côtes d'Armor", "CCI Côtes d'Armor — Quevert", "ZAC Les Landes Fleuries", "1 rue du Miroir du Temps", "22100", "QUEVERT", "false", "true") ","
  OFFICE ("cci-cotes-darmor-lannion", "CCI Côtes d'Armor", "CCI Côtes d'Armor — Lannion", "ZI de Pégase, rue Blaise Pascal", "BP 156", "22302", "LANNION", "false", "true") ","
  OFFICE ("cci-cotes-darmor-saint-brieuc", "CCI Côtes d'Armor", "CCI Côtes d'Armor — Saint-Brieuc", "Rue de Guernesey", "BP 514", "22005", "SAINT BRIEUC", "false", "true") ","
  OFFICE ("cci-bretagne-ouest-brest", "CCI Bretagne Ouest", "CCI Bretagne Ouest — Brest", "1 place du 19e RI", "CS 63825", "29220", "BREST CEDEX", "false", "true") ","
  OFFICE ("cci-bretagne-ouest-quimper", "CCI Bretagne Ouest", "CCI Bretagne Ouest — Quimper", "145 avenue de Keradennec", "BP 410", "29330", "QUIMPER CEDEX", "false", "true") ","
  OFFICE ("cci-bretagne-ouest-morlaix", "CCI Bretagne Ouest", "CCI Bretagne Ouest — Morlaix", "Aéroport", "CS 27934", "29676", "MORLAIX", "false", "true") ","
  OFFICE ("cci-morbihan-lorient", "CCI Morbihan", "CCI Morbihan — Lorient", "21 quai des Indes", "CS 30362", "56323", "LORIENT", "false", "true") ","
  OFFICE ("cci-morbihan-vannes", "CCI Morbihan", "CCI Morbihan — Vannes", "Délégation territoriale", "CS 82605", "56038", "VANNES", "false", "true") ","
  OFFICE ("cci-ille-et-vilaine-rennes", "CCI Ille-et-Vilaine", "CCI Ille-et-Vilaine — Rennes", "2 avenue de la Préfecture", "CS 64204", "35000", "RENNES", "false", "true") ","
  OFFICE ("cci-ille-et-vilaine-fougeres", "CCI Ille-et-Vilaine", "CCI Ille-et-Vilaine — Fougères", "4 rue Claude Bourgelat", "CS 80612 Javené", "35306", "FOUGERES CEDEX", "false", "true") ","
  OFFICE ("chambersign-france-acces-operateurs", "ChamberSign France", "ChamberSign France (Accès opérateurs)", "10 avenue de l'Industrie Normande", "", "69692", "LYON", "true", "false")
#undef OFFICE
  "]}";

static gboolean
has_strings (JsonObject         *object,
             const char * const *names)
{
  for (guint i = 0; names[i]; i++)
    {
      const char *value = porteur_order_member_string (object, names[i]);
      if (value == NULL || *value == '\0')
        return FALSE;
    }
  return TRUE;
}

static GPtrArray *
collect (JsonArray          *array,
         const char * const *required,
         gboolean            with_address,
         const char         *what)
{
  GPtrArray *out = g_ptr_array_new ();
  guint n = array ? json_array_get_length (array) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (object == NULL || !has_strings (object, required) ||
          (with_address && porteur_order_member_object (object, "address") == NULL))
        {
          g_info ("Catalogue: %s %u is incomplete, ignored", what, i);
          continue;
        }
      g_ptr_array_add (out, object);
    }
  return out;
}

PorteurOrderCatalogue *
porteur_order_catalogue_new (JsonArray *products,
                             JsonArray *offices)
{
  static const char * const product_members[] = { "id", "name", "support", NULL };
  static const char * const office_members[] = { "id", "name", NULL };
  PorteurOrderCatalogue *self = g_new0 (PorteurOrderCatalogue, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->products_array = products ? json_array_ref (products) : json_array_new ();
  self->offices_array = offices ? json_array_ref (offices) : json_array_new ();
  self->products = collect (self->products_array, product_members, FALSE, "product");
  self->offices = collect (self->offices_array, office_members, TRUE, "office");
  return self;
}

PorteurOrderCatalogue *
porteur_order_catalogue_new_builtin (void)
{
  g_autoptr(JsonNode) root = json_from_string (builtin_json, NULL);
  JsonObject *object;

  g_assert (root != NULL);
  object = json_node_get_object (root);
  return porteur_order_catalogue_new (json_object_get_array_member (object, "products"),
                                      json_object_get_array_member (object, "offices"));
}

#define CACHE_PATH "order/catalogue.json"
#define CACHE_KIND "order-catalogue"

PorteurOrderCatalogue *
porteur_order_catalogue_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = porteur_store_read_document (CACHE_PATH, CACHE_KIND, 1, NULL, &error);
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *products = object ? json_object_get_member (object, "products") : NULL;
  JsonNode *offices = object ? json_object_get_member (object, "offices") : NULL;
  PorteurOrderCatalogue *catalogue;

  if (products && JSON_NODE_HOLDS_ARRAY (products) && offices && JSON_NODE_HOLDS_ARRAY (offices))
    {
      catalogue = porteur_order_catalogue_new (json_node_get_array (products), json_node_get_array (offices));
      if (catalogue->products->len > 0 && catalogue->offices->len > 0)
        return catalogue;
      porteur_order_catalogue_unref (catalogue);
    }
  if (error && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("Ignoring the cached catalogue: %s", error->message);
  return porteur_order_catalogue_new_builtin ();
}

gboolean
porteur_order_catalogue_save (PorteurOrderCatalogue  *self,
                              GError                **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_array_member (object, "products", json_array_ref (self->products_array));
  json_object_set_array_member (object, "offices", json_array_ref (self->offices_array));
  json_node_set_object (node, object);
  return porteur_store_write_document (CACHE_PATH, CACHE_KIND, 1, node, error);
}

PorteurOrderCatalogue *
porteur_order_catalogue_ref (PorteurOrderCatalogue *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
porteur_order_catalogue_unref (PorteurOrderCatalogue *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->products);
  g_ptr_array_unref (self->offices);
  json_array_unref (self->products_array);
  json_array_unref (self->offices_array);
  g_free (self);
}

GPtrArray *
porteur_order_catalogue_get_products (PorteurOrderCatalogue *self)
{
  return self->products;
}

GPtrArray *
porteur_order_catalogue_get_offices (PorteurOrderCatalogue *self)
{
  return self->offices;
}

GPtrArray *
porteur_order_catalogue_dup_products_for (PorteurOrderCatalogue *self,
                                          const char            *support)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < self->products->len; i++)
    {
      JsonObject *product = g_ptr_array_index (self->products, i);
      if (g_strcmp0 (porteur_order_member_string (product, "support"), support) == 0)
        g_ptr_array_add (out, product);
    }
  return out;
}

static JsonObject *
find_by_id (GPtrArray  *array,
            const char *id)
{
  if (id == NULL)
    return NULL;
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (porteur_order_member_string (g_ptr_array_index (array, i), "id"), id) == 0)
      return g_ptr_array_index (array, i);
  return NULL;
}

JsonObject *
porteur_order_catalogue_find_product (PorteurOrderCatalogue *self,
                                      const char            *id)
{
  return find_by_id (self->products, id);
}

JsonObject *
porteur_order_catalogue_find_office (PorteurOrderCatalogue *self,
                                     const char            *id)
{
  return find_by_id (self->offices, id);
}

char *
porteur_order_office_dup_address (JsonObject *office)
{
  JsonObject *address = porteur_order_member_object (office, "address");
  GString *text = g_string_new (NULL);
  const char *parts[] = { "line1", "line2" };
  const char *postal_code = porteur_order_member_string (address, "postal_code");
  const char *city = porteur_order_member_string (address, "city");

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      const char *value = porteur_order_member_string (address, parts[i]);
      if (value && *value)
        g_string_append_printf (text, "%s%s", text->len ? ", " : "", value);
    }
  if ((postal_code && *postal_code) || (city && *city))
    g_string_append_printf (text, "%s%s%s%s", text->len ? ", " : "",
                            postal_code ? postal_code : "", postal_code && city ? " " : "",
                            city ? city : "");
  return g_string_free (text, FALSE);
}

gboolean
porteur_order_office_matches (JsonObject *office,
                              const char *query)
{
  g_autofree char *address = NULL;
  g_autofree char *haystack = NULL;
  g_auto(GStrv) words = NULL;

  words = g_str_tokenize_and_fold (query ? query : "", NULL, NULL);
  if (words == NULL || words[0] == NULL)
    return TRUE;
  address = porteur_order_office_dup_address (office);
  haystack = g_strjoin (" ", porteur_order_member_string (office, "name") ?: "",
                        porteur_order_member_string (office, "organisation") ?: "",
                        address, NULL);
  for (guint i = 0; words[i]; i++)
    if (!g_str_match_string (words[i], haystack, TRUE))
      return FALSE;
  return TRUE;
}

char *
porteur_order_price_with_vat (const char *price_excl_tax)
{
  guint64 units = 0, cents = 0;
  const char *dot;
  g_autofree char *whole = NULL;
  guint64 total;

  if (price_excl_tax == NULL || (dot = strchr (price_excl_tax, '.')) == NULL ||
      strlen (dot + 1) != 2 || dot == price_excl_tax || dot - price_excl_tax > 9)
    return NULL;
  whole = g_strndup (price_excl_tax, dot - price_excl_tax);
  if (!g_ascii_string_to_unsigned (whole, 10, 0, G_MAXUINT32, &units, NULL) ||
      !g_ascii_isdigit (dot[1]) || !g_ascii_isdigit (dot[2]))
    return NULL;
  cents = units * 100 + (guint64) (dot[1] - '0') * 10 + (guint64) (dot[2] - '0');
  total = (cents * 120 + 50) / 100;   /* 20 % VAT, rounded half up to the cent */
  return g_strdup_printf ("%" G_GUINT64_FORMAT ".%02u", total / 100, (guint) (total % 100));
}

int
porteur_order_field_step (const char *field)
{
  static const struct { const char *prefix; int step; } steps[] = {
    { "support", 0 }, { "has_compatible_token", 0 }, { "product", 0 },
    { "siret", 1 }, { "requester_email", 1 }, { "prerequisites_acknowledged", 1 },
    { "organisation_type", 3 }, { "requester_role", 3 },
    { "organisation.", 4 },
    { "holder.", 5 }, { "legal_representative.", 5 },
    { "office", 6 },
  };

  if (field == NULL)
    return -1;
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gsize n = strlen (steps[i].prefix);
      if (steps[i].prefix[n - 1] == '.' ? strncmp (field, steps[i].prefix, n) == 0 : g_str_equal (field, steps[i].prefix))
        return steps[i].step;
    }
  return -1;
}
