/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "porteur-application.h"

G_BEGIN_DECLS

#define PORTEUR_TYPE_WINDOW (porteur_window_get_type ())

G_DECLARE_FINAL_TYPE (PorteurWindow, porteur_window, PORTEUR, WINDOW, AdwApplicationWindow)

PorteurWindow *porteur_window_new      (PorteurApplication *application);
const char    *porteur_window_get_page (PorteurWindow      *self);
void           porteur_window_set_page (PorteurWindow      *self,
                                        const char         *page);
void           porteur_window_open     (PorteurWindow      *self,
                                        GFile              *file);
void           porteur_window_show_order (PorteurWindow    *self,
                                          const char       *number);

G_END_DECLS
