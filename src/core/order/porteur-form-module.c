/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gmodule.h>

#include "porteur-form-module.h"

extern G_MODULE_EXPORT const char porteur_form_module_version[];
extern G_MODULE_EXPORT const PorteurFormModuleWriteFunc porteur_form_module_write_pdf;

const char porteur_form_module_version[] = PACKAGE_VERSION;
const PorteurFormModuleWriteFunc porteur_form_module_write_pdf = porteur_order_form_write_pdf;
