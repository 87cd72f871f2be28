/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PORTEUR_TYPE_VERIFY_PAGE (porteur_verify_page_get_type ())

G_DECLARE_FINAL_TYPE (PorteurVerifyPage, porteur_verify_page, PORTEUR, VERIFY_PAGE, AdwBin)

void        porteur_verify_page_open        (PorteurVerifyPage *self,
                                             GFile             *file);
const char *porteur_verify_page_get_state   (PorteurVerifyPage *self);
char       *porteur_verify_page_dup_report  (PorteurVerifyPage *self);

G_END_DECLS
