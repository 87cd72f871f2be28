/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <gmodule.h>

#include "order/porteur-form-module.h"
#include "order/porteur-order-draft.h"
#include "porteur-tool-form.h"

/* Where meson puts the module relative to porteur-tool in the build tree (build/src/tool/ and
 * build/src/); an installed porteur-tool has no such file next to it. */
#define UNINSTALLED_MODULE ".." G_DIR_SEPARATOR_S PORTEUR_FORM_MODULE_NAME

static char *
module_path (void)
{
  const char *override = g_getenv ("PORTEUR_FORM_MODULE");
  g_autofree char *exe = NULL;

  if (override != NULL && *override != '\0')
    return g_strdup (override);
  if ((exe = g_file_read_link ("/proc/self/exe", NULL)) != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (exe);
      g_autofree char *uninstalled = g_build_filename (dir, UNINSTALLED_MODULE, NULL);

      if (g_file_test (uninstalled, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&uninstalled);
    }
  return g_build_filename (PKGLIBDIR, PORTEUR_FORM_MODULE_NAME, NULL);
}

PorteurFormModuleWriteFunc
porteur_tool_form_load (GError **error)
{
  static PorteurFormModuleWriteFunc write_func;
  g_autofree char *path = NULL;
  GModule *module;
  gpointer version_symbol = NULL;
  gpointer write_symbol = NULL;
  const char *version;
  PorteurFormModuleWriteFunc found;

  if (write_func != NULL)
    return write_func;
  path = module_path ();
  if ((module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL)) == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED,
                   _("The subscription form cannot be drawn: Porteur’s form module is missing or damaged (%s). Reinstall Porteur."),
                   g_module_error ());
      return NULL;
    }
  /* Both are data symbols: the version string, and a variable holding the function's address. */
  if (!g_module_symbol (module, PORTEUR_FORM_MODULE_VERSION_SYMBOL, &version_symbol)
      || !g_module_symbol (module, PORTEUR_FORM_MODULE_WRITE_SYMBOL, &write_symbol)
      || version_symbol == NULL || write_symbol == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED,
                   _("The subscription form cannot be drawn: %s is not Porteur’s form module. Reinstall Porteur."), path);
      g_module_close (module);
      return NULL;
    }
  version = version_symbol;
  if (g_strcmp0 (version, PACKAGE_VERSION) != 0)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED,
                   _("The subscription form cannot be drawn: the form module %s is of version %s, this porteur-tool of version %s. Reinstall Porteur."),
                   path, version, PACKAGE_VERSION);
      g_module_close (module);
      return NULL;
    }
  if ((found = *(const PorteurFormModuleWriteFunc *) write_symbol) == NULL)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED,
                   _("The subscription form cannot be drawn: %s is not Porteur’s form module. Reinstall Porteur."), path);
      g_module_close (module);
      return NULL;
    }
  /* Kept for the process's life: nothing unloads code that may still be on a stack. */
  g_module_make_resident (module);
  return write_func = found;
}
