/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A form module of another version (test order-tool): porteur-tool must refuse it unused. */
#include <gmodule.h>

#include "order/porteur-form-module.h"

extern G_MODULE_EXPORT const char porteur_form_module_version[];
extern G_MODULE_EXPORT const PorteurFormModuleWriteFunc porteur_form_module_write_pdf;

const char porteur_form_module_version[] = "0.0.0-other";
/* Never called: the version is checked first. */
const PorteurFormModuleWriteFunc porteur_form_module_write_pdf = NULL;
