/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "ca/porteur-ca-client.h"
#include "order/porteur-order-draft.h"
#include "order/porteur-order-record.h"
#include "store/porteur-store.h"
#include "porteur-tool.h"
#include "porteur-tool-ca-common.h"

/*
 * porteur-tool ca products | offices | order create|show|rectify|submit|history|checklist | status
 *
 * The RA API (docs/ca-api.md) through PorteurCaClient. The CA's address and
 * trust come from --ca-url/--ca-trust, PORTEUR_CA_URL/PORTEUR_CA_TRUST, or
 * GSettings (ca-url, ca-trust). The access token of each order created here
 * is kept in the order's record (src/core/order/porteur-order-record: store
 * document order/orders/<number>.json), the same one the wizard and
 * `porteur-tool order` use, so an order made by either is seen by the other;
 * later commands read it from there, never from argv, and update the record
 * with the CA's answer. Tokens kept by earlier versions in
 * ca/orders/<number>.json (kind "ca-order") are still read, and moved into a
 * record at the next answer.
 *
 * `order create` keeps its Idempotency-Key in ca/pending/<SHA-256 of the
 * form>.json until the CA's answer is saved: running the same command again
 * after a failure (network down, answer lost) repeats the same request, so
 * the CA returns the order it already made instead of a second one.
 */

#define ORDER_DOCUMENT_KIND "ca-order"
#define ORDER_DOCUMENT_VERSION 1

static char *
setting (const char *key)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, "io.github.porteur.Porteur", TRUE) : NULL;
  g_autoptr(GSettings) settings = NULL;
  char *value;

  if (schema == NULL || !g_settings_schema_has_key (schema, key))
    return NULL;
  settings = g_settings_new ("io.github.porteur.Porteur");
  value = g_settings_get_string (settings, key);
  if (*value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static PorteurCaClient *
client_new (PorteurTool *tool, GError **error)
{
  g_autofree char *url = tool->ca_url ? g_strdup (tool->ca_url) : setting ("ca-url");
  g_autofree char *trust = tool->ca_trust ? g_strdup (tool->ca_trust) : setting ("ca-trust");

  if (url == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG,
                   _("No certification authority is configured: use --ca-url or PORTEUR_CA_URL"));
      return NULL;
    }
  return porteur_ca_client_new (url, trust, FALSE, error);
}

/* A translated sentence for the error, then the technical detail. */
static int
fail (PorteurTool *tool, const GError *error)
{
  const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);
  const char *sentence = NULL;

  if (tool->json || error->domain != PORTEUR_CA_ERROR)
    return porteur_tool_fail (tool, error);

  switch ((PorteurCaError) error->code)
    {
    case PORTEUR_CA_ERROR_CONFIG: sentence = _("The certification authority’s address or trust anchors cannot be used"); break;
    case PORTEUR_CA_ERROR_NETWORK: sentence = _("Cannot reach the certification authority"); break;
    case PORTEUR_CA_ERROR_TIMEOUT: sentence = _("The certification authority did not answer in time"); break;
    case PORTEUR_CA_ERROR_TLS: sentence = _("The certification authority’s certificate is not trusted"); break;
    case PORTEUR_CA_ERROR_INSECURE_REDIRECT: sentence = _("The certification authority sent the request elsewhere; Porteur did not follow"); break;
    case PORTEUR_CA_ERROR_BAD_CONTENT_TYPE:
    case PORTEUR_CA_ERROR_MALFORMED:
    case PORTEUR_CA_ERROR_INVALID_RESPONSE: sentence = _("The certification authority’s answer cannot be understood"); break;
    case PORTEUR_CA_ERROR_VALIDATION: sentence = _("The certification authority found errors in the order form:"); break;
    case PORTEUR_CA_ERROR_UNAUTHORIZED: sentence = _("The certification authority refused the order’s access key"); break;
    case PORTEUR_CA_ERROR_NOT_FOUND: sentence = _("The certification authority does not know this order"); break;
    case PORTEUR_CA_ERROR_CONFLICT: sentence = _("The order’s current state does not allow this"); break;
    case PORTEUR_CA_ERROR_IDEMPOTENCY: sentence = _("The certification authority refused a repeated request"); break;
    case PORTEUR_CA_ERROR_RATE_LIMITED: sentence = _("Too many requests: try again later"); break;
    case PORTEUR_CA_ERROR_SERVER:
    case PORTEUR_CA_ERROR_HTTP:
    default: sentence = _("The certification authority could not handle the request"); break;
    }
  fprintf (stderr, "porteur-tool %s: %s\n", tool->command, sentence);
  if (problem && error->code == PORTEUR_CA_ERROR_VALIDATION)
    for (guint i = 0; i < problem->errors->len; i++)
      {
        PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
        fprintf (stderr, "  %s: %s\n", fe->field, fe->code);
      }
  fprintf (stderr, "  (%s)\n", error->message);
  return PORTEUR_TOOL_EXIT_ERROR;
}

static const char *
status_label (PorteurCaOrderStatus status)
{
  switch (status)
    {
    case PORTEUR_CA_ORDER_STATUS_DRAFT: return _("Draft, not submitted yet");
    case PORTEUR_CA_ORDER_STATUS_WAITING_DOCUMENTS: return _("Waiting for the signed documents");
    case PORTEUR_CA_ORDER_STATUS_DOCUMENTS_COMPLETE: return _("Documents complete, being validated");
    case PORTEUR_CA_ORDER_STATUS_VALIDATED: return _("Validated");
    case PORTEUR_CA_ORDER_STATUS_APPOINTMENT: return _("Delivery appointment booked");
    case PORTEUR_CA_ORDER_STATUS_ISSUED: return _("Certificate issued");
    case PORTEUR_CA_ORDER_STATUS_REJECTED: return _("Rejected");
    default: return "";
    }
}

static char *
local_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);
  return g_date_time_format (local, "%x %X");
}

/* The store ---------------------------------------------------------------- */

static char *
order_document (const char *number)
{
  return g_strdup_printf ("ca/orders/%s.json", number);
}

static gboolean
valid_number (const char *number)
{
  for (const char *p = number; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return *number != '\0' && strlen (number) <= 32;
}

static gboolean
save_order (PorteurCaOrder *order, const char *access_token, GError **error)
{
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_save_from_order (order, access_token, error);

  return record != NULL;
}

/* The access token of @number, from the store. */
static char *
load_token (const char *number, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  const char *token;

  if (!valid_number (number))
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND, _("“%s” is not an order number"), number);
      return NULL;
    }
  {
    g_autoptr(GError) local_error = NULL;
    g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (number, &local_error);

    if (record && porteur_order_record_get_access_token (record))
      return g_strdup (porteur_order_record_get_access_token (record));
    if (record == NULL && !g_error_matches (local_error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_NOT_FOUND))
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return NULL;
      }
  }
  /* An order created by an earlier version of porteur-tool. */
  path = order_document (number);
  node = porteur_store_read_document (path, ORDER_DOCUMENT_KIND, ORDER_DOCUMENT_VERSION, NULL, error);
  if (node == NULL)
    return NULL;
  o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  token = o && json_object_has_member (o, "access_token") ? json_object_get_string_member_with_default (o, "access_token", NULL) : NULL;
  if (token == NULL)
    {
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_CORRUPT, "%s: no access token", path);
      return NULL;
    }
  return g_strdup (token);
}

static JsonObject *
read_dossier (const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s does not hold a JSON object"), path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Output ----------------------------------------------------------------- */

static void
print_order (PorteurTool *tool, PorteurCaOrder *order)
{
  PorteurCaOffice *office = porteur_ca_order_get_office (order);

  if (tool->json)
    {
      g_autoptr(JsonNode) node = porteur_ca_order_to_json (order);
      JsonObject *o = json_node_get_object (node);

      /* The access token stays in the store. */
      if (json_object_has_member (o, "access_token"))
        json_object_remove_member (o, "access_token");
      porteur_tool_print_json (tool, node);
      return;
    }
  g_print (_("Order %s"), porteur_ca_order_get_number (order));
  g_print ("\n  %s\n", status_label (porteur_ca_order_get_status (order)));
  if (porteur_ca_order_get_reason (order))
    g_print ("  %s\n", porteur_ca_order_get_reason (order));
  if (porteur_ca_order_get_validation_due (order))
    {
      g_autofree char *due = local_time (porteur_ca_order_get_validation_due (order));
      g_print ("  ");
      g_print (_("Validation expected by %s"), due);
      g_print ("\n");
    }
  if (porteur_ca_order_get_serial (order))
    {
      g_print ("  ");
      g_print (_("Certificate serial number: %s"), porteur_ca_order_get_serial (order));
      g_print ("\n");
    }
  if (office)
    g_print ("  %s, %s %s\n", porteur_ca_office_get_name (office),
             porteur_ca_office_get_postal_code (office), porteur_ca_office_get_city (office));
}

static int
need_number (PorteurTool *tool, int argc, char **argv)
{
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Give one order number"));
  return PORTEUR_TOOL_EXIT_OK;
}

/* Commands --------------------------------------------------------------- */

int porteur_tool_ca_products (PorteurTool *tool, int argc, char **argv);
int porteur_tool_ca_offices (PorteurTool *tool, int argc, char **argv);
int porteur_tool_ca_order (PorteurTool *tool, int argc, char **argv);
int porteur_tool_ca_status (PorteurTool *tool, int argc, char **argv);

static int
list_command (PorteurTool *tool, int argc, char **argv, gboolean products)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, "",
      products ? _("List the certificates the authority sells.") : _("List the registration offices."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GListModel) list = NULL;
  GAsyncResult *result = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 1)
    return porteur_tool_usage_error (tool, _("This command takes no argument"));
  if ((client = client_new (tool, &error)) == NULL)
    return fail (tool, error);
  if (products)
    porteur_ca_client_list_products_async (client, NULL, porteur_tool_async_done, &result);
  else
    porteur_ca_client_list_offices_async (client, NULL, porteur_tool_async_done, &result);
  porteur_tool_await (&result);
  list = products ? porteur_ca_client_list_products_finish (client, result, &error)
                  : porteur_ca_client_list_offices_finish (client, result, &error);
  g_object_unref (result);
  if (list == NULL)
    return fail (tool, error);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (list, i);

          json_builder_begin_object (b);
          if (products)
            {
              PorteurCaProduct *p = PORTEUR_CA_PRODUCT (item);
              json_builder_set_member_name (b, "id"); json_builder_add_string_value (b, porteur_ca_product_get_id (p));
              json_builder_set_member_name (b, "name"); json_builder_add_string_value (b, porteur_ca_product_get_name (p));
              json_builder_set_member_name (b, "support"); json_builder_add_string_value (b, porteur_ca_product_get_support (p));
              json_builder_set_member_name (b, "level"); json_builder_add_string_value (b, porteur_ca_product_get_level (p));
              json_builder_set_member_name (b, "price_excl_tax"); json_builder_add_string_value (b, porteur_ca_product_get_price_excl_tax (p));
              json_builder_set_member_name (b, "currency"); json_builder_add_string_value (b, porteur_ca_product_get_currency (p));
              json_builder_set_member_name (b, "validity_years"); json_builder_add_int_value (b, porteur_ca_product_get_validity_years (p));
              json_builder_set_member_name (b, "requires_token"); json_builder_add_boolean_value (b, porteur_ca_product_get_requires_token (p));
            }
          else
            {
              PorteurCaOffice *o = PORTEUR_CA_OFFICE (item);
              json_builder_set_member_name (b, "id"); json_builder_add_string_value (b, porteur_ca_office_get_id (o));
              json_builder_set_member_name (b, "name"); json_builder_add_string_value (b, porteur_ca_office_get_name (o));
              json_builder_set_member_name (b, "line1"); json_builder_add_string_value (b, porteur_ca_office_get_line1 (o));
              json_builder_set_member_name (b, "line2"); json_builder_add_string_value (b, porteur_ca_office_get_line2 (o));
              json_builder_set_member_name (b, "postal_code"); json_builder_add_string_value (b, porteur_ca_office_get_postal_code (o));
              json_builder_set_member_name (b, "city"); json_builder_add_string_value (b, porteur_ca_office_get_city (o));
              json_builder_set_member_name (b, "phone"); json_builder_add_string_value (b, porteur_ca_office_get_phone (o));
              json_builder_set_member_name (b, "email"); json_builder_add_string_value (b, porteur_ca_office_get_email (o));
              json_builder_set_member_name (b, "accepts_files"); json_builder_add_boolean_value (b, porteur_ca_office_get_accepts_files (o));
              json_builder_set_member_name (b, "delivers"); json_builder_add_boolean_value (b, porteur_ca_office_get_delivers (o));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return PORTEUR_TOOL_EXIT_OK;
    }

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (list, i);

      if (products)
        {
          PorteurCaProduct *p = PORTEUR_CA_PRODUCT (item);
          guint years = porteur_ca_product_get_validity_years (p);

          g_print ("%s\n  %s\n  ", porteur_ca_product_get_id (p), porteur_ca_product_get_name (p));
          g_print (g_dngettext (GETTEXT_PACKAGE, "%s %s excluding tax, valid %u year", "%s %s excluding tax, valid %u years", years),
                   porteur_ca_product_get_price_excl_tax (p), porteur_ca_product_get_currency (p), years);
          g_print ("\n");
        }
      else
        {
          PorteurCaOffice *o = PORTEUR_CA_OFFICE (item);

          g_print ("%s\n  %s\n  %s%s%s, %s %s\n", porteur_ca_office_get_id (o), porteur_ca_office_get_name (o),
                   porteur_ca_office_get_line1 (o), *porteur_ca_office_get_line2 (o) ? ", " : "",
                   porteur_ca_office_get_line2 (o), porteur_ca_office_get_postal_code (o), porteur_ca_office_get_city (o));
        }
    }
  return PORTEUR_TOOL_EXIT_OK;
}

int
porteur_tool_ca_products (PorteurTool *tool, int argc, char **argv)
{
  return list_command (tool, argc, argv, TRUE);
}

int
porteur_tool_ca_offices (PorteurTool *tool, int argc, char **argv)
{
  return list_command (tool, argc, argv, FALSE);
}

/* The Idempotency-Key of a creation not yet completed for this form (same
 * CA, same canonical JSON), or a new one, saved before the request. */
static char *
pending_key (PorteurCaClient *client, JsonObject *dossier, char **document, GError **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) record = NULL;
  g_autofree char *text = NULL;
  g_autofree char *material = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *key = NULL;

  json_node_set_object (node, dossier);
  text = json_to_string (node, FALSE);
  material = g_strconcat (porteur_ca_client_get_base_url (client), "\n", text, NULL);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, material, -1);
  *document = g_strdup_printf ("ca/pending/%s.json", hash);
  stored = porteur_store_read_document (*document, "ca-pending-order", 1, NULL, NULL);
  if (stored && JSON_NODE_HOLDS_OBJECT (stored))
    key = g_strdup (json_object_get_string_member_with_default (json_node_get_object (stored), "idempotency_key", NULL));
  if (key)
    return g_steal_pointer (&key);
  key = porteur_ca_new_idempotency_key ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "idempotency_key");
  json_builder_add_string_value (b, key);
  json_builder_end_object (b);
  record = json_builder_get_root (b);
  if (!porteur_store_write_document (*document, "ca-pending-order", 1, record, error))
    return NULL;
  return g_steal_pointer (&key);
}

static int
order_create (PorteurTool *tool, PorteurCaClient *client, const char *from)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = NULL;
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autofree char *key = NULL;
  g_autofree char *pending = NULL;
  g_autofree char *pending_path = NULL;
  GAsyncResult *result = NULL;

  if ((dossier = read_dossier (from, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  if ((key = pending_key (client, dossier, &pending, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  porteur_ca_client_create_order_async (client, dossier, key, NULL, porteur_tool_async_done, &result);
  porteur_tool_await (&result);
  order = porteur_ca_client_create_order_finish (client, result, &error);
  g_object_unref (result);
  if (order == NULL)
    return fail (tool, error);
  if (!save_order (order, porteur_ca_order_get_access_token (order), &error))
    {
      /* The order exists at the CA: say which, so that it is not lost. */
      fprintf (stderr, _("porteur-tool %s: order %s was created but its access key could not be saved"),
               tool->command, porteur_ca_order_get_number (order));
      fprintf (stderr, "\n");
      return porteur_tool_fail (tool, error);
    }
  /* Done: a new creation from the same form is a new order. */
  if ((pending_path = porteur_store_build_path (pending, NULL)) != NULL)
    g_unlink (pending_path);
  print_order (tool, order);
  return PORTEUR_TOOL_EXIT_OK;
}

/* The access token of @number from the store, or NULL with the error printed and *@status set. */
static char *
order_token (PorteurTool *tool, const char *number, int *status)
{
  g_autoptr(GError) error = NULL;
  char *token = load_token (number, &error);

  if (token)
    return token;
  if (!tool->json && (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
                      g_error_matches (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_IO)))
    {
      fprintf (stderr, "porteur-tool %s: ", tool->command);
      fprintf (stderr, _("No order %s was created from this computer"), number);
      fprintf (stderr, "\n  (%s)\n", error->message);
      *status = PORTEUR_TOOL_EXIT_ERROR;
    }
  else
    *status = fail (tool, error);
  return NULL;
}

typedef enum { OP_SHOW, OP_RECTIFY, OP_SUBMIT, OP_HISTORY, OP_CHECKLIST } OrderOp;

static int
order_op (PorteurTool *tool, PorteurCaClient *client, OrderOp op, const char *number, const char *from)
{
  g_autoptr(GError) error = NULL;
  int status = PORTEUR_TOOL_EXIT_ERROR;
  g_autofree char *token = order_token (tool, number, &status);
  g_autoptr(JsonObject) dossier = NULL;
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autoptr(GListModel) list = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  GAsyncResult *result = NULL;

  if (token == NULL)
    return status;
  if (op == OP_RECTIFY && (dossier = read_dossier (from, &error)) == NULL)
    return porteur_tool_fail (tool, error);

  switch (op)
    {
    case OP_SHOW:
      porteur_ca_client_get_order_async (client, number, token, NULL, porteur_tool_async_done, &result);
      order = porteur_ca_client_get_order_finish (client, porteur_tool_await (&result), &error);
      break;
    case OP_RECTIFY:
      porteur_ca_client_rectify_order_async (client, number, token, dossier, key, NULL, porteur_tool_async_done, &result);
      order = porteur_ca_client_rectify_order_finish (client, porteur_tool_await (&result), &error);
      break;
    case OP_SUBMIT:
      porteur_ca_client_submit_order_async (client, number, token, key, NULL, porteur_tool_async_done, &result);
      order = porteur_ca_client_submit_order_finish (client, porteur_tool_await (&result), &error);
      break;
    case OP_HISTORY:
      porteur_ca_client_get_history_async (client, number, token, NULL, porteur_tool_async_done, &result);
      list = porteur_ca_client_get_history_finish (client, porteur_tool_await (&result), &error);
      break;
    case OP_CHECKLIST:
      porteur_ca_client_get_checklist_async (client, number, token, NULL, porteur_tool_async_done, &result);
      list = porteur_ca_client_get_checklist_finish (client, porteur_tool_await (&result), &error);
      break;
    default:
      g_assert_not_reached ();
    }
  g_object_unref (result);
  if (order)
    {
      g_autoptr(GError) save_error = NULL;

      /* The record follows the CA's answer (and an earlier version's token moves into it). */
      if (!save_order (order, token, &save_error))
        g_debug ("Order %s: record not updated: %s", number, save_error->message);
    }
  explicit_bzero (token, strlen (token));
  if (order == NULL && list == NULL)
    return fail (tool, error);
  if (order)
    {
      print_order (tool, order);
      return PORTEUR_TOOL_EXIT_OK;
    }

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (list, i);

          json_builder_begin_object (b);
          if (op == OP_HISTORY)
            {
              PorteurCaHistoryEntry *e = PORTEUR_CA_HISTORY_ENTRY (item);
              g_autofree char *at = g_date_time_format_iso8601 (porteur_ca_history_entry_get_at (e));
              json_builder_set_member_name (b, "status");
              json_builder_add_string_value (b, porteur_ca_order_status_to_string (porteur_ca_history_entry_get_status (e)));
              json_builder_set_member_name (b, "at");
              json_builder_add_string_value (b, at);
              json_builder_set_member_name (b, "note");
              json_builder_add_string_value (b, porteur_ca_history_entry_get_note (e));
            }
          else
            {
              PorteurCaChecklistItem *c = PORTEUR_CA_CHECKLIST_ITEM (item);
              json_builder_set_member_name (b, "id");
              json_builder_add_string_value (b, porteur_ca_checklist_item_get_id (c));
              json_builder_set_member_name (b, "label");
              json_builder_add_string_value (b, porteur_ca_checklist_item_get_label (c));
              json_builder_set_member_name (b, "required");
              json_builder_add_boolean_value (b, porteur_ca_checklist_item_get_required (c));
              json_builder_set_member_name (b, "received");
              json_builder_add_boolean_value (b, porteur_ca_checklist_item_get_received (c));
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return PORTEUR_TOOL_EXIT_OK;
    }

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (list, i);

      if (op == OP_HISTORY)
        {
          PorteurCaHistoryEntry *e = PORTEUR_CA_HISTORY_ENTRY (item);
          g_autofree char *at = local_time (porteur_ca_history_entry_get_at (e));
          g_print ("%s  %s\n", at, status_label (porteur_ca_history_entry_get_status (e)));
        }
      else
        {
          PorteurCaChecklistItem *c = PORTEUR_CA_CHECKLIST_ITEM (item);
          g_print ("[%s] %s\n", porteur_ca_checklist_item_get_received (c) ? "x" : " ",
                   porteur_ca_checklist_item_get_label (c));
        }
    }
  return PORTEUR_TOOL_EXIT_OK;
}

int
porteur_tool_ca_order (PorteurTool *tool, int argc, char **argv)
{
  g_autofree char *from = NULL;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, N_("The order form, a JSON file (docs/ca-api.md)"), N_("FILE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("create --from FILE | show|rectify --from FILE|submit|history|checklist NUMBER"),
      _("Create an order from a form, read it, correct it, submit it, follow its history and the documents to send."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  static const char *const ops[] = { "show", "rectify", "submit", "history", "checklist", NULL };
  const char *sub;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc < 2)
    return porteur_tool_usage_error (tool, _("Name what to do: create, show, rectify, submit, history or checklist"));
  sub = argv[1];
  if (g_str_equal (sub, "create"))
    {
      if (argc != 2 || from == NULL)
        return porteur_tool_usage_error (tool, _("“create” takes --from FILE and nothing else"));
    }
  else if (g_strv_contains (ops, sub))
    {
      if (argc != 3)
        return porteur_tool_usage_error (tool, _("Give one order number"));
      if (g_str_equal (sub, "rectify") != (from != NULL))
        return porteur_tool_usage_error (tool, _("--from FILE goes with “create” and “rectify” only"));
    }
  else
    return porteur_tool_usage_error (tool, _("Unknown order action “%s”"), sub);

  if ((client = client_new (tool, &error)) == NULL)
    return fail (tool, error);
  if (g_str_equal (sub, "create"))
    return order_create (tool, client, from);
  for (guint i = 0; ops[i]; i++)
    if (g_str_equal (sub, ops[i]))
      return order_op (tool, client, (OrderOp) i, argv[2], from);
  g_assert_not_reached ();
}

int
porteur_tool_ca_status (PorteurTool *tool, int argc, char **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("NUMBER"),
      _("Show where an order stands."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  int status;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if ((status = need_number (tool, argc, argv)) != PORTEUR_TOOL_EXIT_OK)
    return status;
  if ((client = client_new (tool, &error)) == NULL)
    return fail (tool, error);
  return order_op (tool, client, OP_SHOW, argv[1], NULL);
}

/* For the other `ca` subcommands of the RA API (porteur-tool-ca-common.h). */
PorteurCaClient *
porteur_tool_ca_client_new (PorteurTool *tool, GError **error)
{
  return client_new (tool, error);
}

int
porteur_tool_ca_fail (PorteurTool *tool, const GError *error)
{
  return fail (tool, error);
}

char *
porteur_tool_ca_order_token (PorteurTool *tool, const char *number, int *status)
{
  return order_token (tool, number, status);
}
