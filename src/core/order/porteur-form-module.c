/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gmodule.h>

#include "porteur-form-module.h"
#include "porteur-order-form.h"

G_MODULE_EXPORT const char *porteur_form_module_version (void);
G_MODULE_EXPORT gboolean    porteur_form_module_write_pdf (JsonObject  *dossier,
                                                           JsonObject  *product,
                                                           JsonObject  *office,
                                                           const char  *number,
                                                           const char  *language,
                                                           const char  *path,
                                                           GError     **error);

const char *
porteur_form_module_version (void)
{
  return PACKAGE_VERSION;
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
  return porteur_order_form_write_pdf (dossier, product, office, number, language, path, error);
}

/* The compiler checks both against the types the loader casts them to. */
static const PorteurFormModuleVersionFunc version_check G_GNUC_UNUSED = porteur_form_module_version;
static const PorteurFormModuleWriteFunc write_check G_GNUC_UNUSED = porteur_form_module_write_pdf;
