/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "porteur-tool.h"

/* `porteur-tool ca SUBCOMMAND …`: talking to the certification authority. Each subcommand is
 * porteur_tool_ca_<func> (tool, argc, argv), listed in porteur-tool-ca-commands.h. */

#define PORTEUR_TOOL_CA_COMMAND(func, name, summary) \
  int porteur_tool_ca_##func (PorteurTool *tool, int argc, char **argv);
#include "porteur-tool-ca-commands.h"
#undef PORTEUR_TOOL_CA_COMMAND

typedef struct
{
  const char             *name;
  const char             *summary;
  PorteurToolCommandFunc  run;
} CaCommand;

static const CaCommand ca_commands[] = {
#define PORTEUR_TOOL_CA_COMMAND(func, name, summary) { name, summary, porteur_tool_ca_##func },
#include "porteur-tool-ca-commands.h"
#undef PORTEUR_TOOL_CA_COMMAND
  { NULL, NULL, NULL }
};

static void
print_ca_commands (FILE *stream)
{
  fprintf (stream, "%s\n  porteur-tool ca %s\n\n%s\n", _("Usage:"), _("COMMAND [ARGUMENT…]"), _("Commands:"));
  for (guint i = 0; ca_commands[i].name; i++)
    fprintf (stream, "  %-18s %s\n", ca_commands[i].name, _(ca_commands[i].summary));
}

int
porteur_tool_cmd_ca (PorteurTool  *tool,
                     int           argc,
                     char        **argv)
{
  g_autofree char *full_name = NULL;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_ca_commands (argc < 2 ? stderr : stdout);
      return argc < 2 ? PORTEUR_TOOL_EXIT_ERROR : PORTEUR_TOOL_EXIT_OK;
    }

  for (guint i = 0; ca_commands[i].name; i++)
    {
      if (g_str_equal (ca_commands[i].name, argv[1]))
        {
          int status;

          full_name = g_strdup_printf ("ca %s", ca_commands[i].name);
          tool->command = full_name;
          status = ca_commands[i].run (tool, argc - 1, argv + 1);
          tool->command = "ca";
          return status;
        }
    }

  return porteur_tool_usage_error (tool, _("Unknown command “ca %s”. Run “porteur-tool ca --help” for the list."), argv[1]);
}
