/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "porteur-application.h"
#include "porteur-preferences-window.h"

struct _PorteurPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template widgets */
  GtkSwitch   *reminders_switch;
  AdwEntryRow *ca_url_row;
  AdwEntryRow *ca_trust_row;

  /* Owned */
  GSettings   *settings;
};

G_DEFINE_FINAL_TYPE (PorteurPreferencesWindow, porteur_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
on_entry_row_apply (AdwEntryRow *row,
                    gpointer     user_data)
{
  PorteurPreferencesWindow *self = user_data;
  const char *key = g_object_get_data (G_OBJECT (row), "porteur-settings-key");
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  g_settings_set_string (self->settings, key, text);
}

static void
bind_entry_row (PorteurPreferencesWindow *self,
                AdwEntryRow              *row,
                const char               *key)
{
  g_autofree char *value = g_settings_get_string (self->settings, key);

  gtk_editable_set_text (GTK_EDITABLE (row), value);
  g_object_set_data (G_OBJECT (row), "porteur-settings-key", (gpointer) key);
  g_signal_connect_object (row, "apply", G_CALLBACK (on_entry_row_apply), self, 0);
}

static void
porteur_preferences_window_dispose (GObject *object)
{
  PorteurPreferencesWindow *self = PORTEUR_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), PORTEUR_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (porteur_preferences_window_parent_class)->dispose (object);
}

static void
porteur_preferences_window_class_init (PorteurPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = porteur_preferences_window_dispose;

  porteur_ui_register_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/porteur-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PorteurPreferencesWindow, reminders_switch);
  gtk_widget_class_bind_template_child (widget_class, PorteurPreferencesWindow, ca_url_row);
  gtk_widget_class_bind_template_child (widget_class, PorteurPreferencesWindow, ca_trust_row);
}

static void
porteur_preferences_window_init (PorteurPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
porteur_preferences_window_new (GtkWindow *parent,
                                GSettings *settings)
{
  PorteurPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (PORTEUR_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "reminders-enabled", self->reminders_switch, "active", G_SETTINGS_BIND_DEFAULT);
  bind_entry_row (self, self->ca_url_row, "ca-url");
  bind_entry_row (self, self->ca_trust_row, "ca-trust");

  return GTK_WINDOW (self);
}
