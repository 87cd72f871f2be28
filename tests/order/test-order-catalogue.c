/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "order/porteur-order-catalogue.h"
#include "order/porteur-order-check.h"

/* The catalogue the wizard and porteur-tool choose from: the built-in one (offline), one read
 * from the CA's JSON, the office search the holder types into, prices with VAT, and the step
 * where each dossier field is typed. */

static void
test_builtin (void)
{
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_new_builtin ();
  g_autoptr(GPtrArray) tokens = porteur_order_catalogue_dup_products_for (catalogue, "token");
  g_autoptr(GPtrArray) software = porteur_order_catalogue_dup_products_for (catalogue, "software");
  GPtrArray *offices = porteur_order_catalogue_get_offices (catalogue);
  JsonObject *rennes;
  g_autofree char *address = NULL;

  g_assert_cmpuint (tokens->len, ==, 2);
  g_assert_cmpuint (software->len, ==, 1);
  g_assert_cmpuint (porteur_order_catalogue_get_products (catalogue)->len, ==, 3);
  /* The guide's ten CCI offices of Brittany plus the office where files are posted. */
  g_assert_cmpuint (offices->len, ==, 11);
  g_assert_nonnull (porteur_order_catalogue_find_office (catalogue, "chambersign-france-acces-operateurs"));
  g_assert_null (porteur_order_catalogue_find_office (catalogue, "nowhere"));
  g_assert_null (porteur_order_catalogue_find_office (catalogue, NULL));
  rennes = porteur_order_catalogue_find_office (catalogue, "cci-ille-et-vilaine-rennes");
  g_assert_nonnull (rennes);
  address = porteur_order_office_dup_address (rennes);
  g_assert_cmpstr (address, ==, "2 avenue de la Préfecture, CS 64204, 35000 RENNES");
  /* Every built-in id is one the dossier check accepts. */
  for (guint i = 0; i < offices->len; i++)
    {
      const char *id = porteur_order_member_string (g_ptr_array_index (offices, i), "id");
      g_autoptr(JsonObject) dossier = json_object_new ();
      g_autoptr(GPtrArray) errors = NULL;

      json_object_set_string_member (dossier, "office", id);
      errors = porteur_order_dossier_validate (dossier);
      for (guint j = 0; j < errors->len; j++)
        g_assert_cmpstr (((PorteurOrderFieldError *) g_ptr_array_index (errors, j))->field, !=, "office");
    }
}

static guint
count_matches (PorteurOrderCatalogue *catalogue,
               const char            *query)
{
  GPtrArray *offices = porteur_order_catalogue_get_offices (catalogue);
  guint n = 0;

  for (guint i = 0; i < offices->len; i++)
    n += porteur_order_office_matches (g_ptr_array_index (offices, i), query);
  return n;
}

static void
test_office_search (void)
{
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_new_builtin ();

  g_assert_cmpuint (count_matches (catalogue, NULL), ==, 11);
  g_assert_cmpuint (count_matches (catalogue, "   "), ==, 11);
  g_assert_cmpuint (count_matches (catalogue, "quimp"), ==, 1);
  /* Accents and case ignored, every word must match. */
  g_assert_cmpuint (count_matches (catalogue, "FOUGERES"), ==, 1);
  g_assert_cmpuint (count_matches (catalogue, "fougères"), ==, 1);
  g_assert_cmpuint (count_matches (catalogue, "morbihan"), ==, 2);
  g_assert_cmpuint (count_matches (catalogue, "morbihan vannes"), ==, 1);
  g_assert_cmpuint (count_matches (catalogue, "morbihan brest"), ==, 0);
  /* Postal codes and departments. */
  g_assert_cmpuint (count_matches (catalogue, "29"), ==, 3);
  g_assert_cmpuint (count_matches (catalogue, "zzz"), ==, 0);
}

static void
test_from_json (void)
{
  g_autoptr(JsonNode) products = json_from_string (
    "[{\"id\": \"p1\", \"name\": \"One\", \"support\": \"token\", \"price_excl_tax\": \"10.00\"},"
    " {\"id\": \"p2\", \"name\": \"No support\"}, 42,"
    " {\"id\": \"p3\", \"name\": \"Soft\", \"support\": \"software\"}]", NULL);
  g_autoptr(JsonNode) offices = json_from_string (
    "[{\"id\": \"o1\", \"name\": \"Office\", \"address\": {\"line1\": \"1 rue\", \"postal_code\": \"35000\", \"city\": \"RENNES\"}},"
    " {\"id\": \"o2\", \"name\": \"No address\"}]", NULL);
  g_autoptr(PorteurOrderCatalogue) catalogue = NULL;
  g_autofree char *address = NULL;

  catalogue = porteur_order_catalogue_new (json_node_get_array (products), json_node_get_array (offices));
  g_assert_cmpuint (porteur_order_catalogue_get_products (catalogue)->len, ==, 2);
  g_assert_cmpuint (porteur_order_catalogue_get_offices (catalogue)->len, ==, 1);
  g_assert_nonnull (porteur_order_catalogue_find_product (catalogue, "p3"));
  g_assert_null (porteur_order_catalogue_find_product (catalogue, "p2"));
  address = porteur_order_office_dup_address (porteur_order_catalogue_find_office (catalogue, "o1"));
  g_assert_cmpstr (address, ==, "1 rue, 35000 RENNES");
  /* The catalogue keeps its data alive on its own. */
  g_clear_pointer (&products, json_node_unref);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_catalogue_find_product (catalogue, "p1"), "name"), ==, "One");
}

static void
test_price (void)
{
  const struct { const char *in, *out; } cases[] = {
    { "130.00", "156.00" }, { "95.00", "114.00" }, { "0.00", "0.00" }, { "0.01", "0.01" },
    { "0.03", "0.04" }, { "10.05", "12.06" }, { "999999999.99", "1199999999.99" },
    { "130", NULL }, { "130.0", NULL }, { ".50", NULL }, { "-1.00", NULL }, { "1a.00", NULL },
    { "1.0x", NULL }, { "", NULL }, { NULL, NULL }, { "1234567890.00", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = porteur_order_price_with_vat (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

static void
test_field_step (void)
{
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(GPtrArray) errors = porteur_order_dossier_validate (empty);

  g_assert_cmpint (porteur_order_field_step ("support"), ==, 0);
  g_assert_cmpint (porteur_order_field_step ("siret"), ==, 1);
  g_assert_cmpint (porteur_order_field_step ("requester_role"), ==, 3);
  g_assert_cmpint (porteur_order_field_step ("organisation.address.city"), ==, 4);
  g_assert_cmpint (porteur_order_field_step ("legal_representative.email"), ==, 5);
  g_assert_cmpint (porteur_order_field_step ("office"), ==, 6);
  g_assert_cmpint (porteur_order_field_step ("organisation"), ==, -1);
  g_assert_cmpint (porteur_order_field_step ("officer"), ==, -1);
  g_assert_cmpint (porteur_order_field_step (NULL), ==, -1);
  /* Every field the dossier check reports belongs to a step of the wizard. */
  g_assert_cmpuint (errors->len, >, 20);
  for (guint i = 0; i < errors->len; i++)
    {
      PorteurOrderFieldError *e = g_ptr_array_index (errors, i);
      if (porteur_order_field_step (e->field) < 0)
        g_error ("Field %s has no step", e->field);
    }
}

static void
test_cache (void)
{
  g_autoptr(JsonNode) products = json_from_string ("[{\"id\": \"p1\", \"name\": \"One\", \"support\": \"token\"}]", NULL);
  g_autoptr(JsonNode) offices = json_from_string ("[{\"id\": \"o1\", \"name\": \"Office\", \"address\": {\"city\": \"VANNES\"}}]", NULL);
  g_autoptr(PorteurOrderCatalogue) fetched = porteur_order_catalogue_new (json_node_get_array (products), json_node_get_array (offices));
  g_autoptr(PorteurOrderCatalogue) before = porteur_order_catalogue_load ();
  g_autoptr(PorteurOrderCatalogue) after = NULL;
  g_autoptr(GError) error = NULL;

  /* Nothing cached: the built-in catalogue. */
  g_assert_nonnull (porteur_order_catalogue_find_office (before, "cci-morbihan-vannes"));
  g_assert_true (porteur_order_catalogue_save (fetched, &error));
  g_assert_no_error (error);
  after = porteur_order_catalogue_load ();
  g_assert_nonnull (porteur_order_catalogue_find_product (after, "p1"));
  g_assert_nonnull (porteur_order_catalogue_find_office (after, "o1"));
  g_assert_null (porteur_order_catalogue_find_office (after, "cci-morbihan-vannes"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/order/catalogue/builtin", test_builtin);
  g_test_add_func ("/order/catalogue/office-search", test_office_search);
  g_test_add_func ("/order/catalogue/from-json", test_from_json);
  g_test_add_func ("/order/catalogue/price", test_price);
  g_test_add_func ("/order/catalogue/field-step", test_field_step);
  g_test_add_func ("/order/catalogue/cache", test_cache);
  return g_test_run ();
}
