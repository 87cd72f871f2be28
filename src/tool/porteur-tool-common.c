/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "porteur-tool.h"

/**
 * porteur_tool_option_context_new:
 * @tool: the running tool
 * @parameter_string: the arguments after the options, for the usage line
 * @summary: (nullable): one sentence shown under the usage line
 * @entries: (nullable): the command's own options
 *
 * Every command accepts `--json` too, before or after the command name.
 */
GOptionContext *
porteur_tool_option_context_new (PorteurTool        *tool,
                                 const char         *parameter_string,
                                 const char         *summary,
                                 const GOptionEntry *entries)
{
  const GOptionEntry common_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &tool->json, N_("Write one JSON document on standard output"), NULL },
    { NULL }
  };
  g_autofree char *usage = g_strdup_printf ("%s %s", tool->command, parameter_string ? parameter_string : "");
  GOptionContext *context = g_option_context_new (usage);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (summary)
    g_option_context_set_summary (context, summary);
  if (entries)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, common_entries, GETTEXT_PACKAGE);

  return context;
}

/**
 * porteur_tool_parse_options:
 *
 * Parses the command's options. On a usage error, prints it and returns %FALSE: the command then
 * returns %PORTEUR_TOOL_EXIT_ERROR.
 */
gboolean
porteur_tool_parse_options (PorteurTool      *tool,
                            GOptionContext   *context,
                            int              *argc,
                            char           ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      porteur_tool_usage_error (tool, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
print_error_json (const char *domain,
                  int         code,
                  const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, domain);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  fprintf (stderr, "%s\n", text);
}

int
porteur_tool_usage_error (PorteurTool *tool,
                          const char  *format,
                          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (tool->json)
    print_error_json ("usage", 0, message);
  else
    fprintf (stderr, "porteur-tool: %s\n", message);

  return PORTEUR_TOOL_EXIT_ERROR;
}

/**
 * porteur_tool_fail:
 * @tool: the running tool
 * @error: what went wrong
 *
 * Prints @error on standard error (as `{"error": {"domain", "code", "message"}}` with `--json`).
 *
 * Returns: %PORTEUR_TOOL_EXIT_ERROR
 */
int
porteur_tool_fail (PorteurTool  *tool,
                   const GError *error)
{
  g_return_val_if_fail (error != NULL, PORTEUR_TOOL_EXIT_ERROR);

  if (tool->json)
    print_error_json (g_quark_to_string (error->domain), error->code, error->message);
  else if (tool->command)
    fprintf (stderr, "porteur-tool %s: %s\n", tool->command, error->message);
  else
    fprintf (stderr, "porteur-tool: %s\n", error->message);

  return PORTEUR_TOOL_EXIT_ERROR;
}

/**
 * porteur_tool_print_json:
 * @tool: the running tool
 * @root: the one document this command prints
 *
 * Prints @root, pretty-printed, on standard output. Keys are stable: new keys may be added,
 * existing ones keep their name and meaning.
 */
void
porteur_tool_print_json (PorteurTool *tool,
                         JsonNode    *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
}

void
porteur_tool_async_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

GAsyncResult *
porteur_tool_await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}
