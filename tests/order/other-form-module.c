/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A form module of another version (test order-tool): porteur-tool must refuse it unused. */
#include <gmodule.h>
#include <json-glib/json-glib.h>

G_MODULE_EXPORT const char *porteur_form_module_version (void);
G_MODULE_EXPORT gboolean    porteur_form_module_write_pdf (JsonObject *, JsonObject *, JsonObject *,
                                                           const char *, const char *, const char *,
                                                           GError **);

const char *
porteur_form_module_version (void)
{
  return "0.0.0-other";
}

gboolean
porteur_form_module_write_pdf (JsonObject  *dossier,
                               JsonObject  *product,
                               JsonObject  *office,
                               const char  *number,
                               const char  *language,
                               const char  *path,
                               GError     **error)
{
  g_error ("porteur-tool called a form module of another version");
  return FALSE;
}
