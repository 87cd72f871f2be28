/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "ca/porteur-ca-client.h"
#include "porteur-tool.h"
#include "porteur-tool-answers.h"
#include "porteur-tool-ca-common.h"

/*
 * porteur-tool ca security-questions
 * porteur-tool ca security-questions set NUMBER --answers-fd FD
 *
 * RA API §3.5 (docs/ca-api.md): the CA's catalogue of questions, and the
 * holder's two answers for an order (in `appointment` or `issued`), which the
 * CA asks again for a revocation (`ca revoke --answers-fd`) or to unblock the
 * token's PIN (`pin unblock --ca`). The order's access token comes from its
 * record in the store, the answers from a file descriptor (two
 * QUESTION=ANSWER lines) into memory wiped after the request.
 */

int porteur_tool_ca_security_questions (PorteurTool *tool, int argc, char **argv);

/* The CA's field errors on answers are the answers', not an order form's. */
static int
fail (PorteurTool *tool, const GError *error)
{
  const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

  if (tool->json || !g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION))
    return porteur_tool_ca_fail (tool, error);
  fprintf (stderr, "porteur-tool %s: %s\n", tool->command, _("The certification authority refused the answers:"));
  for (guint i = 0; problem && i < problem->errors->len; i++)
    {
      PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
      fprintf (stderr, "  %s: %s\n", fe->field, fe->code);
    }
  fprintf (stderr, "  (%s)\n", error->message);
  return PORTEUR_TOOL_EXIT_ERROR;
}

static int
list_questions (PorteurTool *tool, PorteurCaClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) list = NULL;
  GAsyncResult *result = NULL;

  porteur_ca_client_list_security_questions_async (client, NULL, porteur_tool_async_done, &result);
  list = porteur_ca_client_list_security_questions_finish (client, porteur_tool_await (&result), &error);
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
          g_autoptr(PorteurCaSecurityQuestion) q = g_list_model_get_item (list, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, porteur_ca_security_question_get_id (q));
          json_builder_set_member_name (b, "label");
          json_builder_add_string_value (b, porteur_ca_security_question_get_label (q));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return PORTEUR_TOOL_EXIT_OK;
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(PorteurCaSecurityQuestion) q = g_list_model_get_item (list, i);

      g_print ("%s\n  %s\n", porteur_ca_security_question_get_id (q), porteur_ca_security_question_get_label (q));
    }
  return PORTEUR_TOOL_EXIT_OK;
}

static int
set_answers (PorteurTool *tool, PorteurCaClient *client, const char *number, int answers_fd)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  PorteurCaSecurityAnswer answers[2] = { { 0 } };
  GAsyncResult *result = NULL;
  char *token, *text = NULL;
  gboolean done;
  int status = PORTEUR_TOOL_EXIT_ERROR;

  if ((token = porteur_tool_ca_order_token (tool, number, &status)) == NULL)
    return status;
  if (!porteur_tool_answers_read (answers_fd, &text, answers, &error))
    {
      explicit_bzero (token, strlen (token));
      g_free (token);
      return porteur_tool_fail (tool, error);
    }
  /* the questions, never the answers */
  g_debug ("Order %s: setting the answers to the questions %s and %s", number, answers[0].question, answers[1].question);
  porteur_ca_client_set_security_answers_async (client, number, token, answers, G_N_ELEMENTS (answers), key, NULL,
                                                porteur_tool_async_done, &result);
  done = porteur_ca_client_set_security_answers_finish (client, porteur_tool_await (&result), &error);
  g_object_unref (result);
  /* the answers point into the text */
  porteur_tool_fd_text_free (text);
  explicit_bzero (token, strlen (token));
  g_free (token);
  if (!done)
    return fail (tool, error);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "order");
      json_builder_add_string_value (b, number);
      json_builder_set_member_name (b, "done");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      g_print (_("The security answers of order %s are set."), number);
      g_print ("\n");
    }
  return PORTEUR_TOOL_EXIT_OK;
}

int
porteur_tool_ca_security_questions (PorteurTool *tool, int argc, char **argv)
{
  int answers_fd = -1;
  const GOptionEntry entries[] = {
    { "answers-fd", 0, 0, G_OPTION_ARG_INT, &answers_fd, N_("set: read the two answers from this file descriptor, one QUESTION=ANSWER per line"), N_("FD") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("[set NUMBER --answers-fd FD]"),
      _("List the certification authority’s security questions, or set the two answers of an order (at delivery): the authority asks them again to revoke the certificate or unblock the token’s PIN."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc == 1)
    {
      if (answers_fd >= 0)
        return porteur_tool_usage_error (tool, _("--answers-fd goes with “set NUMBER”"));
    }
  else if (!g_str_equal (argv[1], "set"))
    return porteur_tool_usage_error (tool, _("Unknown security-questions action “%s”"), argv[1]);
  else if (argc != 3)
    return porteur_tool_usage_error (tool, _("Give one order number"));
  else if (answers_fd < 0)
    return porteur_tool_usage_error (tool, _("Give the answers with --answers-fd FD (never on the command line)"));

  if ((client = porteur_tool_ca_client_new (tool, &error)) == NULL)
    return fail (tool, error);
  if (argc == 1)
    return list_questions (tool, client);
  return set_answers (tool, client, argv[2], answers_fd);
}
