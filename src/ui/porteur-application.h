/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PORTEUR_TYPE_APPLICATION (porteur_application_get_type ())

G_DECLARE_FINAL_TYPE (PorteurApplication, porteur_application, PORTEUR, APPLICATION, AdwApplication)

PorteurApplication *porteur_application_new          (void);
GSettings          *porteur_application_get_settings (PorteurApplication *self);

void                porteur_ui_register_resources    (void);

G_END_DECLS
