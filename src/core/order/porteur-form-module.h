/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The subscription form as a loadable module (porteur-form.so), for porteur-tool: drawing it needs
 * cairo and Pango, 28 shared libraries that every porteur-tool command would otherwise map at
 * start for the one command that draws (`order form`). The application and the tests link the form
 * (porteur-order-form.h) directly. The module exports exactly these two symbols. */

/* The module's PACKAGE_VERSION: porteur-tool loads only a module of its own version. */
#define PORTEUR_FORM_MODULE_VERSION_SYMBOL "porteur_form_module_version"
typedef const char *(*PorteurFormModuleVersionFunc) (void);

/* porteur_order_form_write_pdf (), same arguments. */
#define PORTEUR_FORM_MODULE_WRITE_SYMBOL "porteur_form_module_write_pdf"
typedef gboolean (*PorteurFormModuleWriteFunc) (JsonObject  *dossier,
                                                JsonObject  *product,
                                                JsonObject  *office,
                                                const char  *number,
                                                const char  *language,
                                                const char  *path,
                                                GError     **error);

/* The module's file name, in PORTEUR_PKGLIBDIR once installed. */
#define PORTEUR_FORM_MODULE_NAME "porteur-form.so"

G_END_DECLS
