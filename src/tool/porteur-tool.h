/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Exit statuses, the same for every command:
 *   0  the command did what was asked and the answer is positive
 *   1  the command ran and the answer is negative (a signature is not valid, a PIN was refused…)
 *   2  the command could not run: bad usage, or an error (printed on stderr)
 */
#define PORTEUR_TOOL_EXIT_OK       0
#define PORTEUR_TOOL_EXIT_NEGATIVE 1
#define PORTEUR_TOOL_EXIT_ERROR    2

typedef struct _PorteurTool PorteurTool;

struct _PorteurTool
{
  const char *command;   /* name of the running command */
  gboolean    json;      /* --json: one JSON document on stdout, errors as JSON on stderr */
  char       *ca_url;    /* --ca-url, else PORTEUR_CA_URL, else GSettings */
  char       *ca_trust;  /* --ca-trust, else PORTEUR_CA_TRUST, else GSettings */
};

typedef int (*PorteurToolCommandFunc) (PorteurTool  *tool,
                                       int           argc,
                                       char        **argv);

#define PORTEUR_TOOL_COMMAND(func, name, summary) \
  int porteur_tool_cmd_##func (PorteurTool *tool, int argc, char **argv);
#include "porteur-tool-commands.h"
#undef PORTEUR_TOOL_COMMAND

GOptionContext *porteur_tool_option_context_new (PorteurTool        *tool,
                                                 const char         *parameter_string,
                                                 const char         *summary,
                                                 const GOptionEntry *entries);
gboolean        porteur_tool_parse_options      (PorteurTool        *tool,
                                                 GOptionContext     *context,
                                                 int                *argc,
                                                 char             ***argv);
int             porteur_tool_usage_error        (PorteurTool        *tool,
                                                 const char         *format,
                                                 ...) G_GNUC_PRINTF (2, 3);
int             porteur_tool_fail               (PorteurTool        *tool,
                                                 const GError       *error);
void            porteur_tool_print_json         (PorteurTool        *tool,
                                                 JsonNode           *root);

/* A command's async calls, made synchronous: pass porteur_tool_async_done with &result (an
 * GAsyncResult * set to NULL) as the callback, then porteur_tool_await (&result) runs the main
 * context until it is set and returns it (the caller unrefs it). */
void            porteur_tool_async_done         (GObject            *source,
                                                 GAsyncResult       *result,
                                                 gpointer            user_data);
GAsyncResult   *porteur_tool_await              (GAsyncResult      **slot);

G_END_DECLS
