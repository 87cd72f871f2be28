/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PORTEUR_TYPE_PREFERENCES_WINDOW (porteur_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (PorteurPreferencesWindow, porteur_preferences_window, PORTEUR, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWindow *porteur_preferences_window_new (GtkWindow *parent,
                                           GSettings *settings);

G_END_DECLS
