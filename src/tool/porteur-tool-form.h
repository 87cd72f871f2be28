/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "order/porteur-form-module.h"

G_BEGIN_DECLS

/* porteur_order_form_write_pdf () from the module porteur-form.so, loaded at the first call:
 * porteur-tool does not link cairo and Pango (see porteur-form-module.h). The module is looked for
 * next to a porteur-tool run from its build tree, else in PKGLIBDIR; PORTEUR_FORM_MODULE names
 * another file (tests). A missing module, or one of another version: NULL and a
 * PORTEUR_ORDER_ERROR. */
PorteurFormModuleWriteFunc porteur_tool_form_load (GError **error);

G_END_DECLS
