/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "porteur-order-form.h"

G_BEGIN_DECLS

/* The subscription form as a loadable module (porteur-form.so), for porteur-tool: drawing it needs
 * cairo and Pango, 24 shared libraries that every porteur-tool command would otherwise map at
 * start for the one command that draws (`order form`). The application and the tests link the form
 * (porteur-order-form.h) directly. The module exports exactly two data symbols (version script):
 *
 * - porteur_form_module_version: its PACKAGE_VERSION (porteur-tool loads only its own version);
 * - porteur_form_module_write_pdf: a pointer to porteur_order_form_write_pdf (). */
#define PORTEUR_FORM_MODULE_VERSION_SYMBOL "porteur_form_module_version"
#define PORTEUR_FORM_MODULE_WRITE_SYMBOL   "porteur_form_module_write_pdf"

typedef __typeof__ (porteur_order_form_write_pdf) *PorteurFormModuleWriteFunc;

/* The module's file name, in PORTEUR_PKGLIBDIR once installed. */
#define PORTEUR_FORM_MODULE_NAME "porteur-form.so"

G_END_DECLS
