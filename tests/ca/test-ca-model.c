/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca/porteur-ca-model.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_product (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse ("{\"id\":\"p\",\"name\":\"N\",\"support\":\"software\",\"level\":\"rgs1\","
                                    "\"price_excl_tax\":\"60.00\",\"currency\":\"EUR\",\"validity_years\":2,"
                                    "\"description\":\"D\",\"future_field\":{\"x\":[1,2]}}");
  g_autoptr(PorteurCaProduct) product = porteur_ca_product_new_from_json (node, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_product_get_id (product), ==, "p");
  g_assert_cmpstr (porteur_ca_product_get_support (product), ==, "software");
  g_assert_cmpuint (porteur_ca_product_get_validity_years (product), ==, 2);
  /* absent extension */
  g_assert_false (porteur_ca_product_get_requires_token (product));
}

typedef struct {
  const char *json;
  const char *message;   /* expected in the error */
} Bad;

static void
test_rejections (void)
{
  static const Bad bad[] = {
    { "[]", "not an object" },
    { "{\"name\":\"N\",\"support\":\"token\",\"level\":\"l\",\"price_excl_tax\":\"1.00\",\"currency\":\"EUR\",\"validity_years\":3,\"description\":\"\"}", "product.id: missing" },
    { "{\"id\":3,\"name\":\"N\",\"support\":\"token\",\"level\":\"l\",\"price_excl_tax\":\"1.00\",\"currency\":\"EUR\",\"validity_years\":3,\"description\":\"\"}", "product.id: not a string" },
    { "{\"id\":\"p\",\"name\":\"N\",\"support\":\"usb\",\"level\":\"l\",\"price_excl_tax\":\"1.00\",\"currency\":\"EUR\",\"validity_years\":3,\"description\":\"\"}", "product.support: not one of the allowed values" },
    { "{\"id\":\"p\",\"name\":\"N\",\"support\":\"token\",\"level\":\"l\",\"price_excl_tax\":\"1.5\",\"currency\":\"EUR\",\"validity_years\":3,\"description\":\"\"}", "product.price_excl_tax: not a decimal amount" },
    { "{\"id\":\"p\",\"name\":\"N\",\"support\":\"token\",\"level\":\"l\",\"price_excl_tax\":\"1.00\",\"currency\":\"EUR\",\"validity_years\":\"3\",\"description\":\"\"}", "product.validity_years: not an integer" },
    { "{\"id\":\"p\",\"name\":\"N\",\"support\":\"token\",\"level\":\"l\",\"price_excl_tax\":\"1.00\",\"currency\":\"EUR\",\"validity_years\":3,\"description\":\"\",\"requires_token\":1}", "product.requires_token: not a boolean" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = parse (bad[i].json);
      g_autoptr(PorteurCaProduct) product = porteur_ca_product_new_from_json (node, &error);

      g_assert_null (product);
      g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
      if (strstr (error->message, bad[i].message) == NULL)
        g_error ("case %u: “%s” does not contain “%s”", i, error->message, bad[i].message);
    }
}

static void
test_office_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse ("[{\"id\":\"o\",\"name\":\"N\",\"organisation\":\"O\",\"address\":{\"line1\":\"1\",\"line2\":\"\","
                                    "\"postal_code\":\"35000\",\"city\":\"RENNES\"},\"phone\":\"p\",\"email\":\"e\"},"
                                    "{\"id\":\"o2\",\"name\":\"N\",\"organisation\":\"O\",\"address\":{\"line1\":\"1\",\"line2\":\"\","
                                    "\"postal_code\":35000,\"city\":\"RENNES\"},\"phone\":\"p\",\"email\":\"e\"}]");
  g_autoptr(GListModel) list = porteur_ca_list_new_from_json (PORTEUR_TYPE_CA_OFFICE, node, &error);

  g_assert_null (list);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "[1].address.postal_code: not a string"));
}

static void
test_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse ("{\"number\":\"PO-2026-000042\",\"status\":\"documents-complete\","
                                    "\"created\":\"2026-11-25T08:40:00Z\",\"updated\":\"2026-11-25T09:00:00Z\","
                                    "\"validation_due\":\"2026-11-27T09:00:00Z\",\"dossier\":{\"siret\":\"1\"}}");
  g_autoptr(PorteurCaOrder) order = porteur_ca_order_new_from_json (node, &error);
  g_autoptr(JsonNode) back = NULL;
  g_autoptr(JsonNode) rejected = NULL;
  g_autoptr(JsonNode) bad_number = NULL;
  g_autoptr(PorteurCaOrder) fail = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (order), ==, PORTEUR_CA_ORDER_STATUS_DOCUMENTS_COMPLETE);
  g_assert_cmpint (g_date_time_get_day_of_month (porteur_ca_order_get_validation_due (order)), ==, 27);
  g_assert_null (porteur_ca_order_get_office (order));
  back = porteur_ca_order_to_json (order);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (back), "validation_due"), ==, "2026-11-27T09:00:00Z");

  rejected = parse ("{\"number\":\"PO-2026-000042\",\"status\":\"rejected\",\"created\":\"2026-11-25T08:40:00Z\","
                    "\"updated\":\"2026-11-25T09:00:00Z\",\"dossier\":{}}");
  fail = porteur_ca_order_new_from_json (rejected, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "order.reason"));
  g_clear_error (&error);

  bad_number = parse ("{\"number\":\"../admin\",\"status\":\"draft\",\"created\":\"2026-11-25T08:40:00Z\","
                      "\"updated\":\"yesterday\",\"dossier\":{}}");
  fail = porteur_ca_order_new_from_json (bad_number, &error);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "order.updated: not an RFC 3339 time"));
}

static void
test_problem (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse ("{\"type\":\"https://porteur.example/problems/validation\",\"title\":\"T\",\"status\":422,"
                                    "\"errors\":[{\"field\":\"siret\",\"code\":\"bad-checksum\",\"message\":\"m\"}]}");
  g_autoptr(PorteurCaProblem) problem = porteur_ca_problem_new_from_json (node, &error);
  g_autoptr(GError) carried = NULL;
  const PorteurCaProblem *kept;

  g_assert_no_error (error);
  g_assert_cmpuint (problem->errors->len, ==, 1);
  porteur_ca_set_error_from_problem (&carried, PORTEUR_CA_ERROR_VALIDATION, problem);
  kept = porteur_ca_error_get_problem (carried);
  g_assert_nonnull (kept);
  g_assert_cmpstr (((PorteurCaFieldError *) g_ptr_array_index (kept->errors, 0))->code, ==, "bad-checksum");
  g_assert_nonnull (strstr (carried->message, "siret: bad-checksum"));
}

/* §3.7: only the answer to the creation carries the request's token, and it must. */
static void
test_revocation_request_token (void)
{
  static const char *const created[] = {
    ("{\"id\":\"r1\",\"status\":\"accepted\",\"serial\":\"538E\",\"reason\":\"superseded\",\"requester\":\"holder\","
     "\"created\":\"2026-12-06T01:55:39Z\",\"revoked_at\":\"2026-12-06T01:55:39Z\""),
    ",\"token\":\"abc-_DEF\"}",
    ",\"token\":null}",
    "}",
    ",\"token\":3}",
    ",\"token\":\"\"}",
  };
  g_autofree char *with_token = g_strconcat (created[0], created[1], NULL);
  g_autofree char *null_token = g_strconcat (created[0], created[2], NULL);
  g_autofree char *no_token = g_strconcat (created[0], created[3], NULL);
  g_autofree char *number_token = g_strconcat (created[0], created[4], NULL);
  g_autofree char *empty_token = g_strconcat (created[0], created[5], NULL);
  const struct { const char *json; const char *message; } bad[] = {
    { null_token, "revocation_request.token: not a string" },
    { no_token, "revocation_request.token: missing" },
    { number_token, "revocation_request.token: not a string" },
    { empty_token, "revocation_request.token: empty" },
  };

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = parse (with_token);
    g_autoptr(PorteurCaRevocationRequest) rv = porteur_ca_revocation_request_new_created_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (porteur_ca_revocation_request_get_token (rv), ==, "abc-_DEF");
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = parse (bad[i].json);
      g_autoptr(PorteurCaRevocationRequest) rv = porteur_ca_revocation_request_new_created_from_json (node, &error);

      g_assert_null (rv);
      g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
      g_assert_nonnull (strstr (error->message, bad[i].message));
    }
  /* GET /revocation-requests/{id} answers without the token */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = parse (no_token);
    g_autoptr(PorteurCaRevocationRequest) rv = porteur_ca_revocation_request_new_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_null (porteur_ca_revocation_request_get_token (rv));
  }
}

/* Which failures mean the CA answered (its key must not be sent again) and which leave the
 * outcome unknown (the key is kept for the retry). */
static void
test_error_is_refusal (void)
{
  const PorteurCaError refusals[] = { PORTEUR_CA_ERROR_VALIDATION, PORTEUR_CA_ERROR_CONFLICT, PORTEUR_CA_ERROR_GONE,
                                      PORTEUR_CA_ERROR_FORBIDDEN, PORTEUR_CA_ERROR_RATE_LIMITED, PORTEUR_CA_ERROR_NOT_FOUND };
  const PorteurCaError unknown[] = { PORTEUR_CA_ERROR_NETWORK, PORTEUR_CA_ERROR_TIMEOUT, PORTEUR_CA_ERROR_SERVER,
                                     PORTEUR_CA_ERROR_MALFORMED, PORTEUR_CA_ERROR_INSECURE_REDIRECT, PORTEUR_CA_ERROR_SIGNATURE };

  for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (PORTEUR_CA_ERROR, refusals[i], "refused");

      g_assert_true (porteur_ca_error_is_refusal (error));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (PORTEUR_CA_ERROR, unknown[i], "unknown");

      g_assert_false (porteur_ca_error_is_refusal (error));
    }
  {
    g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");

    g_assert_false (porteur_ca_error_is_refusal (cancelled));
    g_assert_false (porteur_ca_error_is_refusal (NULL));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/model/product", test_product);
  g_test_add_func ("/ca/model/error-is-refusal", test_error_is_refusal);
  g_test_add_func ("/ca/model/rejections", test_rejections);
  g_test_add_func ("/ca/model/office-list", test_office_list);
  g_test_add_func ("/ca/model/order", test_order);
  g_test_add_func ("/ca/model/problem", test_problem);
  g_test_add_func ("/ca/model/revocation-request-token", test_revocation_request_token);
  return g_test_run ();
}
