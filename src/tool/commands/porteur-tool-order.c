/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ca/porteur-ca-client.h"
#include "order/porteur-order-catalogue.h"
#include "order/porteur-order-check.h"
#include "order/porteur-order-draft.h"
#include "order/porteur-order-record.h"
#include "order/porteur-order-text.h"
#include "porteur-tool-form.h"
#include "porteur-tool.h"

/*
 * porteur-tool order new|list|show|form|submit|track|slots|book|cancel-appointment: the wizard's work from a shell. A dossier
 * file is checked with the same rules as the wizard (errors per field, in the holder's language),
 * kept as a draft, sent to the CA (idempotently, see porteur-order-record.h) and followed.
 * Drafts are named by their id (a UUID), orders by their number (PO-YYYY-NNNNNN).
 */

typedef struct {
  const char             *name;
  const char             *summary;
  PorteurToolCommandFunc  run;
} OrderCommand;

/* ---------------------------------------------------------------------------------------- */
/* Helpers */

static void
print_field_errors_human (GPtrArray *errors,
                          FILE      *stream)
{
  for (guint i = 0; i < errors->len; i++)
    {
      PorteurOrderFieldError *e = g_ptr_array_index (errors, i);
      /* Translators: a field of the order and what is wrong with it */
      fprintf (stream, _("  %s: %s\n"), porteur_order_field_title (e->field), porteur_order_check_describe (e->check));
    }
}

static void
add_field_errors_json (JsonBuilder *builder,
                       GPtrArray   *errors)
{
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  for (guint i = 0; errors && i < errors->len; i++)
    {
      PorteurOrderFieldError *e = g_ptr_array_index (errors, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "field");
      json_builder_add_string_value (builder, e->field);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, e->code);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, porteur_order_check_describe (e->check));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
print_builder (PorteurTool *tool,
               JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  porteur_tool_print_json (tool, root);
}

static PorteurCaClient *
ca_client (PorteurTool  *tool,
           GError      **error)
{
  if (tool->ca_url == NULL || *tool->ca_url == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No certification authority is configured: give --ca-url or set PORTEUR_CA_URL"));
      return NULL;
    }
  return porteur_ca_client_new (tool->ca_url, tool->ca_trust, FALSE, error);
}

static GAsyncResult *
run_until_done (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;
  *slot = g_object_ref (result);
}

/* The CA refused the dossier: its field errors, mapped to our sentences. */
static int
fail_with_problem (PorteurTool  *tool,
                   const GError *error)
{
  const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

  if (problem == NULL || problem->errors->len == 0 || tool->json)
    return porteur_tool_fail (tool, error);
  g_printerr (_("The certification authority refused the order:\n"));
  for (guint i = 0; i < problem->errors->len; i++)
    {
      PorteurCaFieldError *e = g_ptr_array_index (problem->errors, i);
      const char *sentence = porteur_order_check_describe_code (e->code);

      g_printerr (_("  %s: %s\n"), porteur_order_field_title (e->field), sentence ? sentence : e->message);
    }
  return PORTEUR_TOOL_EXIT_NEGATIVE;
}

/* The catalogue's office has the postal address; the order's may only name it. */
static JsonObject *
record_office (PorteurOrderRecord    *record,
               PorteurOrderCatalogue *catalogue)
{
  JsonObject *office = porteur_order_catalogue_find_office (catalogue, porteur_order_member_string (porteur_order_record_get_dossier (record), "office"));
  return office ? office : porteur_order_record_get_office (record);
}

static void
print_next_steps_human (PorteurOrderRecord *record)
{
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_load ();
  g_auto(GStrv) steps = porteur_order_next_steps (porteur_order_record_get_status (record),
                                                  porteur_order_member_string (dossier, "support"),
                                                  record_office (record, catalogue),
                                                  porteur_order_member_string (record->data, "reason"));

  if (steps[0])
    g_print ("%s\n", _("What to do now:"));
  for (guint i = 0; steps[i]; i++)
    g_print ("  %u. %s\n", i + 1, steps[i]);
}

/* The booked delivery appointment: when, where, what to bring. */
static void
print_appointment_human (PorteurOrderRecord *record)
{
  JsonObject *appointment = porteur_order_record_get_appointment (record);
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  g_autoptr(PorteurOrderCatalogue) catalogue = NULL;
  g_autofree char *when = NULL;
  g_autofree char *address = NULL;
  g_auto(GStrv) bring = NULL;
  JsonObject *office;

  if (appointment == NULL)
    return;
  catalogue = porteur_order_catalogue_load ();
  office = record_office (record, catalogue);
  when = porteur_order_appointment_time_iso (porteur_order_member_string (appointment, "start"),
                                             porteur_order_member_string (appointment, "end"));
  address = office ? porteur_order_office_dup_address (office) : NULL;
  g_print ("%s\n", _("Delivery appointment:"));
  g_print ("  %s\n", when ? when : porteur_order_member_string (appointment, "start") ?: "");
  if (office && porteur_order_member_string (office, "name"))
    g_print ("  %s\n", porteur_order_member_string (office, "name"));
  if (address && *address)
    g_print ("  %s\n", address);
  bring = porteur_order_appointment_bring (dossier);
  for (guint i = 0; bring[i]; i++)
    g_print ("  – %s\n", bring[i]);
}

static JsonNode *
record_to_json (PorteurOrderRecord *record)
{
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_load ();
  g_auto(GStrv) steps = porteur_order_next_steps (porteur_order_record_get_status (record),
                                                  porteur_order_member_string (dossier, "support"),
                                                  record_office (record, catalogue),
                                                  porteur_order_member_string (record->data, "reason"));
  g_autoptr(JsonNode) copy = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  /* The record without its access token: it is a secret of this computer. */
  json_node_set_object (copy, record->data);
  text = json_to_string (copy, FALSE);
  node = json_from_string (text, NULL);
  object = json_node_get_object (node);
  json_object_remove_member (object, "access_token");
  json_object_remove_member (object, "pending_rectification");
  json_object_remove_member (object, "pending_booking");
  json_object_remove_member (object, "pending_cancellation");
  if (json_object_has_member (object, "appointment"))
    {
      JsonObject *appointment = json_object_get_object_member (object, "appointment");
      JsonObject *office = record_office (record, catalogue);
      g_autofree char *address = office ? porteur_order_office_dup_address (office) : NULL;

      /* Where, as the holder reads it (the API's appointment names the office by id). */
      if (appointment && office)
        {
          json_object_set_string_member (appointment, "office_name", porteur_order_member_string (office, "name") ?: "");
          json_object_set_string_member (appointment, "office_address", address ? address : "");
        }
    }
  json_object_set_string_member (object, "status_label", porteur_order_status_label (porteur_order_record_get_status (record)));
  {
    JsonArray *array = json_array_new ();
    for (guint i = 0; steps[i]; i++)
      json_array_add_string_element (array, steps[i]);
    json_object_set_array_member (object, "next_steps", array);
  }
  return g_steal_pointer (&node);
}

static void
add_record_json (JsonBuilder        *builder,
                 PorteurOrderRecord *record)
{
  json_builder_add_value (builder, record_to_json (record));
}

static void
print_record_json (PorteurTool        *tool,
                   PorteurOrderRecord *record)
{
  g_autoptr(JsonNode) node = record_to_json (record);
  porteur_tool_print_json (tool, node);
}

static void
print_record_human (PorteurOrderRecord *record)
{
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  JsonObject *organisation = porteur_order_member_object (dossier, "organisation");
  JsonArray *history = porteur_order_record_get_history (record);

  g_print (_("Order %s: %s\n"), porteur_order_record_get_number (record),
           porteur_order_status_label (porteur_order_record_get_status (record)));
  if (porteur_order_member_string (organisation, "name"))
    g_print ("  %s\n", porteur_order_member_string (organisation, "name"));
  if (json_array_get_length (history) > 0)
    g_print ("%s\n", _("History:"));
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);
      const char *note = porteur_order_member_string (entry, "note");

      g_print ("  %s  %s%s%s\n", porteur_order_member_string (entry, "at") ?: "",
               porteur_order_status_label (porteur_order_member_string (entry, "status")),
               note && *note ? " — " : "", note && *note ? note : "");
    }
  print_appointment_human (record);
  print_next_steps_human (record);
}

static JsonObject *
read_dossier_file (const char  *path,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_CORRUPT,
                   _("%s does not hold a dossier (a JSON object)"), path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* ---------------------------------------------------------------------------------------- */
/* Subcommands */

static int
submit_draft (PorteurTool *tool,
              const char  *draft_id,
              JsonObject  *dossier)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = ca_client (tool, &error);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  if (client == NULL)
    return porteur_tool_fail (tool, error);
  porteur_order_submit_async (client, draft_id, dossier, NULL, store_result, &result);
  record = porteur_order_submit_finish (run_until_done (&result), &error);
  if (record == NULL)
    return g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION) ? fail_with_problem (tool, error)
                                                                                    : porteur_tool_fail (tool, error);
  if (tool->json)
    {
      print_record_json (tool, record);
    }
  else
    {
      g_print (_("Order sent. Request number: %s\n"), porteur_order_record_get_number (record));
      print_next_steps_human (record);
    }
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_new (PorteurTool  *tool,
           int           argc,
           char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *from = NULL;
  gboolean submit = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, N_("The dossier, a JSON file (see docs/ca-api.md)"), N_("FILE.json") },
    { "submit", 0, 0, G_OPTION_ARG_NONE, &submit, N_("Send the order to the certification authority at once"), NULL },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, NULL,
                                             _("Check a dossier with the wizard’s rules and keep it as a draft. Exit status 1 when a field is not valid."),
                                             entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (from == NULL || argc != 1)
    return porteur_tool_usage_error (tool, _("Give the dossier with --from FILE.json"));
  dossier = read_dossier_file (from, &error);
  if (dossier == NULL)
    return porteur_tool_fail (tool, error);

  errors = porteur_order_dossier_validate (dossier);
  if (errors->len > 0)
    {
      if (tool->json)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "valid");
          json_builder_add_boolean_value (builder, FALSE);
          add_field_errors_json (builder, errors);
          json_builder_end_object (builder);
          print_builder (tool, builder);
        }
      else
        {
          g_printerr (g_dngettext (GETTEXT_PACKAGE, "%u field is not valid:\n", "%u fields are not valid:\n", errors->len), errors->len);
          print_field_errors_human (errors, stderr);
        }
      return PORTEUR_TOOL_EXIT_NEGATIVE;
    }

  id = porteur_order_draft_new_id ();
  if (!porteur_order_draft_save (id, PORTEUR_ORDER_N_STEPS - 1, dossier, &error))
    return porteur_tool_fail (tool, error);
  if (submit)
    return submit_draft (tool, id, dossier);
  if (tool->json)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "valid");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "draft");
      json_builder_add_string_value (builder, id);
      json_builder_end_object (builder);
      print_builder (tool, builder);
    }
  else
    g_print (_("The dossier is valid. Draft %s saved; send it with “porteur-tool order submit %s”.\n"), id, id);
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_submit (PorteurTool  *tool,
              int           argc,
              char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("DRAFT"), _("Send a draft to the certification authority. Sending again after a failure never makes a second order."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderDraft) draft = NULL;
  g_autoptr(GPtrArray) errors = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one draft"));
  draft = porteur_order_draft_load (argv[1], &error);
  if (draft == NULL)
    return porteur_tool_fail (tool, error);
  errors = porteur_order_dossier_validate (draft->dossier);
  if (errors->len > 0 && !porteur_order_submission_pending (draft->id))
    {
      g_printerr (g_dngettext (GETTEXT_PACKAGE, "%u field is not valid:\n", "%u fields are not valid:\n", errors->len), errors->len);
      print_field_errors_human (errors, stderr);
      return PORTEUR_TOOL_EXIT_NEGATIVE;
    }
  return submit_draft (tool, draft->id, draft->dossier);
}

static int
order_list (PorteurTool  *tool,
            int           argc,
            char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL, _("List the drafts and the orders sent from this computer."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 1)
    return porteur_tool_usage_error (tool, _("This command takes no argument"));
  if ((drafts = porteur_order_draft_list (&error)) == NULL || (records = porteur_order_record_list (&error)) == NULL)
    return porteur_tool_fail (tool, error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "drafts");
  json_builder_begin_array (builder);
  if (!tool->json)
    g_print ("%s\n", drafts->len ? _("Drafts:") : _("No draft."));
  for (guint i = 0; i < drafts->len; i++)
    {
      PorteurOrderDraft *draft = g_ptr_array_index (drafts, i);
      const char *name = porteur_order_member_string (porteur_order_member_object (draft->dossier, "organisation"), "name");
      g_autofree char *updated = g_date_time_format_iso8601 (draft->updated);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, draft->id);
      json_builder_set_member_name (builder, "step");
      json_builder_add_int_value (builder, draft->step + 1);
      json_builder_set_member_name (builder, "updated");
      json_builder_add_string_value (builder, updated);
      json_builder_set_member_name (builder, "organisation");
      json_builder_add_string_value (builder, name ? name : "");
      json_builder_end_object (builder);
      if (!tool->json)
        /* Translators: a draft: its id, its step, the organisation */
        g_print (_("  %s  step %u of %u  %s\n"), draft->id, draft->step + 1, PORTEUR_ORDER_N_STEPS, name ? name : "");
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "orders");
  json_builder_begin_array (builder);
  if (!tool->json)
    g_print ("%s\n", records->len ? _("Orders:") : _("No order."));
  for (guint i = 0; i < records->len; i++)
    {
      PorteurOrderRecord *record = g_ptr_array_index (records, i);
      const char *name = porteur_order_member_string (porteur_order_member_object (porteur_order_record_get_dossier (record), "organisation"), "name");

      add_record_json (builder, record);
      if (!tool->json)
        g_print ("  %s  %s  %s\n", porteur_order_record_get_number (record),
                 porteur_order_status_label (porteur_order_record_get_status (record)), name ? name : "");
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  if (tool->json)
    print_builder (tool, builder);
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_show (PorteurTool  *tool,
            int           argc,
            char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("DRAFT|NUMBER"), _("Show a draft (with what is still to fill in) or an order (with its status and what to do now)."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one draft or order"));

  if (g_uuid_string_is_valid (argv[1]))
    {
      g_autoptr(PorteurOrderDraft) draft = porteur_order_draft_load (argv[1], &error);
      g_autoptr(GPtrArray) errors = NULL;
      g_autoptr(JsonNode) dossier = json_node_new (JSON_NODE_OBJECT);

      if (draft == NULL)
        return porteur_tool_fail (tool, error);
      errors = porteur_order_dossier_validate (draft->dossier);
      if (tool->json)
        {
          json_node_set_object (dossier, draft->dossier);
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "draft");
          json_builder_add_string_value (builder, draft->id);
          json_builder_set_member_name (builder, "step");
          json_builder_add_int_value (builder, draft->step + 1);
          json_builder_set_member_name (builder, "dossier");
          json_builder_add_value (builder, json_node_copy (dossier));
          add_field_errors_json (builder, errors);
          json_builder_end_object (builder);
          print_builder (tool, builder);
        }
      else
        {
          g_print (_("Draft %s, step %u of %u: %s\n"), draft->id, draft->step + 1, PORTEUR_ORDER_N_STEPS,
                   porteur_order_step_title (draft->step));
          if (errors->len)
            {
              g_print ("%s\n", _("Still to fill in or correct:"));
              fflush (stdout);
              print_field_errors_human (errors, stdout);
            }
          else
            g_print ("%s\n", _("Complete: ready to send."));
        }
      return PORTEUR_TOOL_EXIT_OK;
    }
  else
    {
      g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (argv[1], &error);

      if (record == NULL)
        return porteur_tool_fail (tool, error);
      if (tool->json)
        print_record_json (tool, record);
      else
        print_record_human (record);
      return PORTEUR_TOOL_EXIT_OK;
    }
}

static int
order_track (PorteurTool  *tool,
             int           argc,
             char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("NUMBER"), _("Ask the certification authority for the order’s status and history."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  gboolean changed = FALSE;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one order"));
  if ((client = ca_client (tool, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  porteur_order_refresh_async (client, argv[1], NULL, store_result, &result);
  record = porteur_order_refresh_finish (run_until_done (&result), &changed, &error);
  if (record == NULL)
    return porteur_tool_fail (tool, error);
  if (tool->json)
    {
      print_record_json (tool, record);
    }
  else
    {
      if (changed)
        g_print ("%s\n", _("The status changed."));
      print_record_human (record);
    }
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_form (PorteurTool  *tool,
            int           argc,
            char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_load ();
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(PorteurOrderDraft) draft = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonObject *dossier;
  JsonObject *office;
  PorteurFormModuleWriteFunc write_pdf;
  /* The holder's language where Porteur has it, else French (the form's own rule). */
  const char *language = g_get_language_names ()[0];
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Where to write the PDF"), N_("FILE.pdf") },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, _("NUMBER|DRAFT"), _("Write the subscription form of an order (or a complete draft) as PDF, to print and sign."), entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2 || output == NULL)
    return porteur_tool_usage_error (tool, _("Name one order and the output file (-o FILE.pdf)"));

  if (g_uuid_string_is_valid (argv[1]))
    {
      if ((draft = porteur_order_draft_load (argv[1], &error)) == NULL)
        return porteur_tool_fail (tool, error);
      dossier = draft->dossier;
      office = porteur_order_catalogue_find_office (catalogue, porteur_order_member_string (dossier, "office"));
    }
  else
    {
      if ((record = porteur_order_record_load (argv[1], &error)) == NULL)
        return porteur_tool_fail (tool, error);
      dossier = porteur_order_record_get_dossier (record);
      office = porteur_order_record_get_office (record);
      if (office == NULL)
        office = porteur_order_catalogue_find_office (catalogue, porteur_order_member_string (dossier, "office"));
    }
  if ((write_pdf = porteur_tool_form_load (&error)) == NULL
      || !write_pdf (dossier, porteur_order_catalogue_find_product (catalogue, porteur_order_member_string (dossier, "product")),
                     office, record ? porteur_order_record_get_number (record) : NULL, language, output, &error))
    return porteur_tool_fail (tool, error);
  if (tool->json)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, output);
      json_builder_end_object (builder);
      print_builder (tool, builder);
    }
  else
    g_print (_("Subscription form written to %s: print it, sign it and post it with the documents.\n"), output);
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_slots (PorteurTool  *tool,
             int           argc,
             char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("NUMBER"), _("List the free times for the face-to-face delivery of a validated order, at its registration office."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one order"));
  if ((record = porteur_order_record_load (argv[1], &error)) == NULL || (client = ca_client (tool, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  porteur_ca_client_get_appointment_slots_async (client, argv[1], porteur_order_record_get_access_token (record),
                                                 NULL, NULL, NULL, store_result, &result);
  slots = porteur_ca_client_get_appointment_slots_finish (client, run_until_done (&result), &error);
  if (slots == NULL)
    {
      if (!tool->json && g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
        {
          g_printerr (_("Order %s is not validated yet: delivery times are offered once it is.\n"), argv[1]);
          return PORTEUR_TOOL_EXIT_NEGATIVE;
        }
      return porteur_tool_fail (tool, error);
    }
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (slots); i++)
    {
      g_autoptr(PorteurCaAppointmentSlot) slot = g_list_model_get_item (slots, i);
      g_autofree char *start = g_date_time_format_iso8601 (porteur_ca_appointment_slot_get_start (slot));
      g_autofree char *end = g_date_time_format_iso8601 (porteur_ca_appointment_slot_get_end (slot));
      g_autofree char *when = porteur_order_appointment_time (porteur_ca_appointment_slot_get_start (slot),
                                                              porteur_ca_appointment_slot_get_end (slot));

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "slot");
      json_builder_add_string_value (builder, porteur_ca_appointment_slot_get_id (slot));
      json_builder_set_member_name (builder, "office");
      json_builder_add_string_value (builder, porteur_ca_appointment_slot_get_office (slot));
      json_builder_set_member_name (builder, "start");
      json_builder_add_string_value (builder, start);
      json_builder_set_member_name (builder, "end");
      json_builder_add_string_value (builder, end);
      json_builder_end_object (builder);
      if (!tool->json)
        g_print ("  %s  %s\n", porteur_ca_appointment_slot_get_id (slot), when);
    }
  json_builder_end_array (builder);
  if (tool->json)
    print_builder (tool, builder);
  else if (g_list_model_get_n_items (slots) == 0)
    g_print ("%s\n", _("No free time at the moment: try again later or call the registration office."));
  else
    g_print (_("Book one with “porteur-tool order book %s SLOT”.\n"), argv[1]);
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_book (PorteurTool  *tool,
            int           argc,
            char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("NUMBER SLOT"), _("Book the face-to-face delivery of a validated order at one of the free times (see “order slots”). Booking again after a failure never books twice."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 3)
    return porteur_tool_usage_error (tool, _("Name one order and one slot"));
  if ((client = ca_client (tool, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  porteur_order_book_async (client, argv[1], argv[2], NULL, store_result, &result);
  record = porteur_order_book_finish (run_until_done (&result), &error);
  if (record == NULL)
    {
      if (!tool->json && error->domain == PORTEUR_CA_ERROR)
        {
          g_autofree char *sentence = porteur_order_booking_error (error);

          g_printerr ("porteur-tool %s: %s\n  (%s)\n", tool->command, sentence, error->message);
          return PORTEUR_TOOL_EXIT_ERROR;
        }
      return porteur_tool_fail (tool, error);
    }
  if (tool->json)
    print_record_json (tool, record);
  else
    print_record_human (record);
  return PORTEUR_TOOL_EXIT_OK;
}

static int
order_cancel_appointment (PorteurTool  *tool,
                          int           argc,
                          char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("NUMBER"),
      _("Cancel the booked face-to-face delivery of an order: it is validated again and the time is free for others. Book another with “order book”."), NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one order"));
  if ((client = ca_client (tool, &error)) == NULL)
    return porteur_tool_fail (tool, error);
  /* The same core call as the order page: the record follows, a retry is the same request. */
  porteur_order_cancel_appointment_async (client, argv[1], NULL, store_result, &result);
  record = porteur_order_cancel_appointment_finish (run_until_done (&result), &error);
  if (record == NULL)
    {
      /* Nothing booked (any more): a negative answer. */
      if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
        {
          if (tool->json)
            {
              porteur_tool_fail (tool, error);
              return PORTEUR_TOOL_EXIT_NEGATIVE;
            }
          g_printerr (_("Order %s has no delivery appointment to cancel (none is booked, or the delivery took place).\n"), argv[1]);
          g_printerr ("  (%s)\n", error->message);
          return PORTEUR_TOOL_EXIT_NEGATIVE;
        }
      if (!tool->json && error->domain == PORTEUR_CA_ERROR)
        {
          g_autofree char *sentence = porteur_order_cancel_appointment_error (error);

          g_printerr ("porteur-tool %s: %s\n  (%s)\n", tool->command, sentence, error->message);
          return PORTEUR_TOOL_EXIT_ERROR;
        }
      return porteur_tool_fail (tool, error);
    }
  if (tool->json)
    print_record_json (tool, record);
  else
    g_print (_("The delivery appointment of order %s is cancelled: book another time with “porteur-tool order slots %s”.\n"),
             argv[1], argv[1]);
  return PORTEUR_TOOL_EXIT_OK;
}

static const OrderCommand order_commands[] = {
  { "new", N_("Check a dossier (JSON) and keep it as a draft"), order_new },
  { "list", N_("List drafts and orders"), order_list },
  { "show", N_("Show a draft or an order"), order_show },
  { "form", N_("Write the subscription form (PDF)"), order_form },
  { "submit", N_("Send a draft to the certification authority"), order_submit },
  { "track", N_("Refresh an order’s status from the certification authority"), order_track },
  { "slots", N_("List the free delivery times of a validated order"), order_slots },
  { "book", N_("Book the face-to-face delivery of a validated order"), order_book },
  { "cancel-appointment", N_("Cancel the booked delivery appointment of an order"), order_cancel_appointment },
  { NULL, NULL, NULL }
};

int
porteur_tool_cmd_order (PorteurTool  *tool,
                        int           argc,
                        char        **argv)
{
  g_autofree char *full_name = NULL;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      FILE *stream = argc < 2 ? stderr : stdout;

      fprintf (stream, "%s\n  porteur-tool order %s\n\n%s\n", _("Usage:"), _("COMMAND [ARGUMENT…]"), _("Commands:"));
      for (guint i = 0; order_commands[i].name; i++)
        fprintf (stream, "  %-18s %s\n", order_commands[i].name, _(order_commands[i].summary));
      return argc < 2 ? PORTEUR_TOOL_EXIT_ERROR : PORTEUR_TOOL_EXIT_OK;
    }
  for (guint i = 0; order_commands[i].name; i++)
    {
      if (g_str_equal (order_commands[i].name, argv[1]))
        {
          int status;

          full_name = g_strdup_printf ("order %s", order_commands[i].name);
          tool->command = full_name;
          status = order_commands[i].run (tool, argc - 1, argv + 1);
          tool->command = "order";
          return status;
        }
    }
  return porteur_tool_usage_error (tool, _("Unknown command “order %s”. Run “porteur-tool order --help” for the list."), argv[1]);
}
