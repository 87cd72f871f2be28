/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <glib/gi18n.h>
#include <openssl/crypto.h>
#include <poppler-features.h>
#include <libsoup/soup.h>

#include "porteur-tool.h"

/* porteur-tool does not link poppler: that would load poppler, NSS, cairo and X11 into every
 * command, `verify` included (see bench/pdf). Only this command asks the library, when present. */
static const char *
poppler_version (void)
{
  static char built_with[32];
  void *handle = dlopen ("libpoppler-glib.so.8", RTLD_LAZY | RTLD_LOCAL);
  const char *(*get_version) (void) = handle ? (const char *(*) (void)) dlsym (handle, "poppler_get_version") : NULL;

  if (get_version)
    return get_version ();
  g_snprintf (built_with, sizeof built_with, "%d.%d.%d", POPPLER_MAJOR_VERSION, POPPLER_MINOR_VERSION, POPPLER_MICRO_VERSION);
  return built_with;
}

int
porteur_tool_cmd_version (PorteurTool  *tool,
                          int           argc,
                          char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *glib = g_strdup_printf ("%u.%u.%u", glib_major_version, glib_minor_version, glib_micro_version);
  g_autofree char *soup = g_strdup_printf ("%u.%u.%u", soup_get_major_version (), soup_get_minor_version (), soup_get_micro_version ());

  context = porteur_tool_option_context_new (tool, "", _("Print the version of Porteur and of the libraries it uses."), NULL);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc > 1)
    return porteur_tool_usage_error (tool, _("“%s” takes no argument"), tool->command);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_string_value (builder, PACKAGE_VERSION);
      json_builder_set_member_name (builder, "libraries");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "glib");
      json_builder_add_string_value (builder, glib);
      json_builder_set_member_name (builder, "libsoup");
      json_builder_add_string_value (builder, soup);
      json_builder_set_member_name (builder, "openssl");
      json_builder_add_string_value (builder, OpenSSL_version (OPENSSL_VERSION_STRING));
      json_builder_set_member_name (builder, "poppler");
      json_builder_add_string_value (builder, poppler_version ());
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      g_print ("porteur-tool %s\n", PACKAGE_VERSION);
      g_print ("GLib %s, libsoup %s, OpenSSL %s, poppler %s\n",
               glib, soup, OpenSSL_version (OPENSSL_VERSION_STRING), poppler_version ());
    }

  return PORTEUR_TOOL_EXIT_OK;
}
