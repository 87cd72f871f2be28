/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "porteur-tool.h"

typedef struct
{
  const char             *name;
  const char             *summary;
  PorteurToolCommandFunc  run;
} CommandInfo;

static int porteur_tool_cmd_help (PorteurTool *tool, int argc, char **argv);

static const CommandInfo commands[] = {
  { "help", N_("Show the commands, or the help of one command"), porteur_tool_cmd_help },
#define PORTEUR_TOOL_COMMAND(func, name, summary) { name, summary, porteur_tool_cmd_##func },
#include "porteur-tool-commands.h"
#undef PORTEUR_TOOL_COMMAND
};

static const CommandInfo *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (commands[i].name, name))
        return &commands[i];
    }
  return NULL;
}

static void
print_commands (FILE *stream)
{
  fprintf (stream, "%s\n  porteur-tool [--json] [--ca-url URL] [--ca-trust PEM] %s\n\n%s\n",
           _("Usage:"), _("COMMAND [ARGUMENT…]"), _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-14s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (stream, "\n%s\n", _("Run “porteur-tool help COMMAND” for the options of a command."));
}

static int
porteur_tool_cmd_help (PorteurTool  *tool,
                       int           argc,
                       char        **argv)
{
  const CommandInfo *command;
  g_autoptr(GPtrArray) help_argv = g_ptr_array_new ();

  if (argc < 2)
    {
      print_commands (stdout);
      return PORTEUR_TOOL_EXIT_OK;
    }

  if (!(command = find_command (argv[1])))
    return porteur_tool_usage_error (tool, _("Unknown command “%s”"), argv[1]);

  if (command->run == porteur_tool_cmd_help)
    {
      print_commands (stdout);
      return PORTEUR_TOOL_EXIT_OK;
    }

  /* "help ca revoke" is "ca revoke --help" */
  tool->command = command->name;
  g_ptr_array_add (help_argv, (char *) command->name);
  for (int i = 2; i < argc; i++)
    g_ptr_array_add (help_argv, argv[i]);
  g_ptr_array_add (help_argv, (char *) "--help");
  g_ptr_array_add (help_argv, NULL);
  return command->run (tool, (int) help_argv->len - 1, (char **) help_argv->pdata);
}

int
main (int   argc,
      char *argv[])
{
  PorteurTool tool = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  gboolean version = FALSE;
  const CommandInfo *command;
  int status;
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &tool.json, N_("Write one JSON document on standard output"), NULL },
    { "ca-url", 0, 0, G_OPTION_ARG_STRING, &tool.ca_url, N_("Base address of the certification authority"), N_("URL") },
    { "ca-trust", 0, 0, G_OPTION_ARG_FILENAME, &tool.ca_trust, N_("Root certificates the authority must chain to"), N_("PEM") },
    { NULL }
  };

  /* Standard output holds the command's answer (one JSON document with --json): debug and
   * information messages (G_MESSAGES_DEBUG) go to standard error with the warnings. */
  g_log_writer_default_set_use_stderr (TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("COMMAND [ARGUMENT…]"));
  g_option_context_set_summary (context, _("Porteur’s command-line tool: the same core as the application, for scripts and administrators."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_help_enabled (context, FALSE);
  /* Stop at the command: what follows are the command's own options. */
  g_option_context_set_strict_posix (context, TRUE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      status = porteur_tool_usage_error (&tool, "%s", error->message);
      goto out;
    }

  if (version)
    {
      char *version_argv[] = { (char *) "version", NULL };
      tool.command = "version";
      status = porteur_tool_cmd_version (&tool, 1, version_argv);
      goto out;
    }

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      print_commands (argc < 2 ? stderr : stdout);
      status = argc < 2 ? PORTEUR_TOOL_EXIT_ERROR : PORTEUR_TOOL_EXIT_OK;
      goto out;
    }

  if (!(command = find_command (argv[1])))
    {
      status = porteur_tool_usage_error (&tool, _("Unknown command “%s”. Run “porteur-tool help” for the list."), argv[1]);
      goto out;
    }

  if (tool.ca_url == NULL)
    tool.ca_url = g_strdup (g_getenv ("PORTEUR_CA_URL"));
  if (tool.ca_trust == NULL)
    tool.ca_trust = g_strdup (g_getenv ("PORTEUR_CA_TRUST"));

  tool.command = command->name;
  status = command->run (&tool, argc - 1, argv + 1);

out:
  g_free (tool.ca_url);
  g_free (tool.ca_trust);
  return status;
}
