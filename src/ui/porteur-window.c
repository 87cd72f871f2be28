/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "porteur-order-page.h"
#include "porteur-verify-page.h"
#include "porteur-window.h"

struct _PorteurWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwLeaflet     *leaflet;
  GtkListBox     *sidebar;
  GtkStack       *stack;
  AdwWindowTitle *content_title;
  PorteurOrderPage *order_page;
  PorteurVerifyPage *verify_page;

  /* Owned */
  GSettings      *settings;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (PorteurWindow, porteur_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_PAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkWidget *
create_sidebar_row (gpointer item,
                    gpointer user_data)
{
  GtkStackPage *page = item;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  g_object_bind_property (page, "icon-name", icon, "icon-name", G_BINDING_SYNC_CREATE);
  g_object_bind_property (page, "title", label, "label", G_BINDING_SYNC_CREATE);
  g_object_bind_property (page, "name", row, "name", G_BINDING_SYNC_CREATE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  return row;
}

static void
sync_sidebar_selection (PorteurWindow *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->stack);
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->sidebar, i)); i++)
    {
      if (g_strcmp0 (gtk_widget_get_name (GTK_WIDGET (row)), name) == 0)
        {
          if (gtk_list_box_get_selected_row (self->sidebar) != row)
            gtk_list_box_select_row (self->sidebar, row);
          break;
        }
    }
}

static void
on_stack_visible_child_changed (PorteurWindow *self,
                                GParamSpec    *pspec,
                                GtkStack      *stack)
{
  GtkWidget *child = gtk_stack_get_visible_child (stack);
  GtkStackPage *page = child ? gtk_stack_get_page (stack, child) : NULL;

  adw_window_title_set_title (self->content_title, page ? gtk_stack_page_get_title (page) : "");
  sync_sidebar_selection (self);

  if (self->settings && page)
    g_settings_set_string (self->settings, "last-page", gtk_stack_page_get_name (page));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
}

static void
on_sidebar_row_activated (PorteurWindow *self,
                          GtkListBoxRow *row,
                          GtkListBox    *list_box)
{
  porteur_window_set_page (self, gtk_widget_get_name (GTK_WIDGET (row)));
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
on_back_clicked (PorteurWindow *self,
                 GtkButton     *button)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  PorteurWindow *self = PORTEUR_WINDOW (widget);

  porteur_window_set_page (self, g_variant_get_string (parameter, NULL));
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
porteur_window_constructed (GObject *object)
{
  PorteurWindow *self = PORTEUR_WINDOW (object);
  GtkApplication *app;
  g_autofree char *last_page = NULL;

  G_OBJECT_CLASS (porteur_window_parent_class)->constructed (object);

  app = gtk_window_get_application (GTK_WINDOW (self));
  if (PORTEUR_IS_APPLICATION (app))
    self->settings = g_object_ref (porteur_application_get_settings (PORTEUR_APPLICATION (app)));
  else
    self->settings = g_settings_new (SCHEMA_ID);

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  last_page = g_settings_get_string (self->settings, "last-page");
  if (last_page[0] != '\0' && gtk_stack_get_child_by_name (self->stack, last_page))
    gtk_stack_set_visible_child_name (self->stack, last_page);
  on_stack_visible_child_changed (self, NULL, self->stack);
}

static void
porteur_window_dispose (GObject *object)
{
  PorteurWindow *self = PORTEUR_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), PORTEUR_TYPE_WINDOW);

  G_OBJECT_CLASS (porteur_window_parent_class)->dispose (object);
}

static void
porteur_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PorteurWindow *self = PORTEUR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PAGE:
      g_value_set_string (value, porteur_window_get_page (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PorteurWindow *self = PORTEUR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_PAGE:
      porteur_window_set_page (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_window_class_init (PorteurWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = porteur_window_constructed;
  object_class->dispose = porteur_window_dispose;
  object_class->get_property = porteur_window_get_property;
  object_class->set_property = porteur_window_set_property;

  /**
   * PorteurWindow:page:
   *
   * The name of the section shown: `certificate`, `token`, `order`, `verify` or `renewal`.
   */
  properties[PROP_PAGE] =
    g_param_spec_string ("page", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PORTEUR_TYPE_ORDER_PAGE);
  g_type_ensure (PORTEUR_TYPE_VERIFY_PAGE);
  porteur_ui_register_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/porteur-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, order_page);
  gtk_widget_class_bind_template_child (widget_class, PorteurWindow, verify_page);
  gtk_widget_class_bind_template_callback (widget_class, on_stack_visible_child_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sidebar_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "certificate");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "token");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "order");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-page", "s", "verify");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.show-page", "s", "renewal");
}

static void
porteur_window_init (PorteurWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_list_box_bind_model (self->sidebar,
                           G_LIST_MODEL (gtk_stack_get_pages (self->stack)),
                           create_sidebar_row, self, NULL);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

PorteurWindow *
porteur_window_new (PorteurApplication *application)
{
  return g_object_new (PORTEUR_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

const char *
porteur_window_get_page (PorteurWindow *self)
{
  g_return_val_if_fail (PORTEUR_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

void
porteur_window_set_page (PorteurWindow *self,
                         const char    *page)
{
  g_return_if_fail (PORTEUR_IS_WINDOW (self));
  g_return_if_fail (page != NULL);

  if (gtk_stack_get_child_by_name (self->stack, page) == NULL)
    {
      g_warning ("No section named “%s”", page);
      return;
    }

  gtk_stack_set_visible_child_name (self->stack, page);
}

/**
 * porteur_window_open:
 * @self: a #PorteurWindow
 * @file: a file given on the command line or dropped on the application
 *
 * Shows the section that handles @file. PDF files go to *Verify a PDF*, which verifies them.
 */
void
porteur_window_open (PorteurWindow *self,
                     GFile         *file)
{
  g_return_if_fail (PORTEUR_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  porteur_window_set_page (self, "verify");
  porteur_verify_page_open (self->verify_page, file);
}

/**
 * porteur_window_show_order:
 * @self: a #PorteurWindow
 * @number: an order's request number
 *
 * Shows the *Order* section on that order (from a notification about it).
 */
void
porteur_window_show_order (PorteurWindow *self,
                           const char    *number)
{
  g_return_if_fail (PORTEUR_IS_WINDOW (self));
  g_return_if_fail (number != NULL);

  porteur_window_set_page (self, "order");
  gtk_widget_activate_action (GTK_WIDGET (self->order_page), "order.show", "s", number);
}
