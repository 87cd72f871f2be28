/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void      porteur_test_ui_init              (int          *argc,
                                             char       ***argv);
void      porteur_test_ui_iterate           (guint         milliseconds);
guint     porteur_test_ui_slowdown          (void);
gboolean  porteur_test_ui_wait_until        (gboolean    (*condition) (gpointer data),
                                             gpointer      data,
                                             guint         timeout_ms);
void      porteur_test_ui_wait_for_frame    (GtkWidget    *widget);
char     *porteur_test_ui_save_screenshot   (GtkWidget    *widget,
                                             const char   *name);
void      porteur_test_ui_activate_action   (GtkWidget    *widget,
                                             const char   *action_name,
                                             GVariant     *parameter);
void      porteur_test_ui_destroy_window    (GtkWindow    *window);

G_END_DECLS
