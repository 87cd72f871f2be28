/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "porteur-application.h"
#include "porteur-resources.h"
#include "porteur-preferences-window.h"
#include "porteur-window.h"

struct _PorteurApplication
{
  AdwApplication parent_instance;

  /* Owned */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (PorteurApplication, porteur_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { "check-expiry", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Check the tracked certificates for expiry, notify, and exit"), NULL },
  { NULL }
};

/**
 * porteur_ui_register_resources:
 *
 * Registers the application's GResource once. Every widget class with a template calls it in its
 * class_init, so that widgets also work outside the application (in tests).
 */
void
porteur_ui_register_resources (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      porteur_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}

static PorteurWindow *
get_main_window (PorteurApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (PORTEUR_IS_WINDOW (window))
    return PORTEUR_WINDOW (window);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (PORTEUR_IS_WINDOW (l->data))
        return PORTEUR_WINDOW (l->data);
    }

  return porteur_window_new (self);
}

static int
porteur_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_contains (options, "check-expiry"))
    {
      /* Reminders arrive with the renewal work; until then nothing is tracked. */
      g_print ("%s\n", _("No certificate is tracked: there is nothing to remind."));
      return 0;
    }

  return G_APPLICATION_CLASS (porteur_application_parent_class)->handle_local_options (app, options);
}

static void
porteur_application_activate (GApplication *app)
{
  PorteurApplication *self = PORTEUR_APPLICATION (app);

  gtk_window_present (GTK_WINDOW (get_main_window (self)));
}

static void
porteur_application_open (GApplication  *app,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  PorteurApplication *self = PORTEUR_APPLICATION (app);
  PorteurWindow *window = get_main_window (self);

  for (int i = 0; i < n_files; i++)
    porteur_window_open (window, files[i]);

  gtk_window_present (GTK_WINDOW (window));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PorteurApplication *self = user_data;
  static const char *developers[] = { "The Porteur developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (parent,
                         "application-name", _("Porteur"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Porteur developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Order, use and look after your qualified electronic certificate and its token"),
                         "website", "https://github.com/porteur/porteur",
                         "issue-url", "https://github.com/porteur/porteur/issues",
                         "developers", developers,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static void
help_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PorteurApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *page = parameter ? g_variant_get_string (parameter, NULL) : "";
  g_autofree char *uri = NULL;

  if (page[0] != '\0')
    uri = g_strdup_printf ("help:porteur/%s", page);
  else
    uri = g_strdup ("help:porteur");

  gtk_show_uri (parent, uri, GDK_CURRENT_TIME);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PorteurApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  gtk_window_present (porteur_preferences_window_new (parent, self->settings));
}

/* app.show-order("PO-…"): a notification about an order opens Porteur on that order. */
static void
show_order_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  PorteurWindow *window = get_main_window (PORTEUR_APPLICATION (user_data));

  porteur_window_show_order (window, g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "help", help_action, "s" },
  { "preferences", preferences_action },
  { "show-order", show_order_action, "s" },
};

static void
porteur_application_startup (GApplication *app)
{
  PorteurApplication *self = PORTEUR_APPLICATION (app);

  G_APPLICATION_CLASS (porteur_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.help('')", (const char *[]) { "F1", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", (const char *[]) { "<Control>w", NULL });
}

static void
porteur_application_dispose (GObject *object)
{
  PorteurApplication *self = PORTEUR_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (porteur_application_parent_class)->dispose (object);
}

static void
porteur_application_class_init (PorteurApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = porteur_application_dispose;

  porteur_ui_register_resources ();

  app_class->activate = porteur_application_activate;
  app_class->open = porteur_application_open;
  app_class->startup = porteur_application_startup;
  app_class->handle_local_options = porteur_application_handle_local_options;
}

static void
porteur_application_init (PorteurApplication *self)
{
  self->settings = g_settings_new (SCHEMA_ID);

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

PorteurApplication *
porteur_application_new (void)
{
  return g_object_new (PORTEUR_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

GSettings *
porteur_application_get_settings (PorteurApplication *self)
{
  g_return_val_if_fail (PORTEUR_IS_APPLICATION (self), NULL);

  return self->settings;
}
