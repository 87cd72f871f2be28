/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-test-ui.h"
#include "porteur-window.h"

/* What a holder reads in the sidebar, in the language of the test run (PORTEUR_TEST_LANG). */
typedef struct
{
  const char *lang;
  const char *title;
  const char *sections[5];
} Expected;

static const Expected expectations[] = {
  { "en", "Porteur", { "My Certificate", "Token & PIN", "Order", "Verify a PDF", "Renewal" } },
  { "fr", "Porteur", { "Mon certificat", "Support et code PIN", "Commander", "Vérifier un PDF", "Renouvellement" } },
  { "br", "Porteur", { "Ma zesteni", "Trevnad ha kod PIN", "Gourc'hemenn", "Gwiriañ ur PDF", "Adnevesaat" } },
};

static const char *section_names[] = { "certificate", "token", "order", "verify", "renewal" };

static const Expected *
get_expected (void)
{
  const char *lang = g_getenv ("PORTEUR_TEST_LANG");

  g_assert_nonnull (lang);
  for (guint i = 0; i < G_N_ELEMENTS (expectations); i++)
    {
      if (g_str_equal (expectations[i].lang, lang))
        return &expectations[i];
    }
  g_error ("No expectations for language %s", lang);
}

static const char *
row_label (GtkListBoxRow *row)
{
  GtkWidget *box = gtk_list_box_row_get_child (row);
  GtkWidget *child;

  for (child = gtk_widget_get_first_child (box); child; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        return gtk_label_get_label (GTK_LABEL (child));
    }
  return NULL;
}

static gboolean
stack_settled (gpointer data)
{
  return !gtk_stack_get_transition_running (GTK_STACK (data));
}

static void
wait_for_stack (PorteurWindow *window)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "stack"));

  g_assert_true (porteur_test_ui_wait_until (stack_settled, stack, 5000));
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
}

static void
test_window_sections (void)
{
  const Expected *expected = get_expected ();
  PorteurWindow *window = porteur_window_new (NULL);
  GtkListBox *sidebar;
  AdwWindowTitle *content_title;
  g_autofree char *shot = NULL;
  g_autofree char *name = NULL;

  sidebar = GTK_LIST_BOX (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "sidebar"));
  content_title = ADW_WINDOW_TITLE (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "content_title"));

  gtk_window_set_default_size (GTK_WINDOW (window), 960, 640);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, expected->title);

  for (guint i = 0; i < G_N_ELEMENTS (section_names); i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (sidebar, i);

      g_assert_nonnull (row);
      g_assert_cmpstr (gtk_widget_get_name (GTK_WIDGET (row)), ==, section_names[i]);
      g_assert_cmpstr (row_label (row), ==, expected->sections[i]);

      /* The section opens through the window's action, as a keyboard shortcut or a row would. */
      porteur_test_ui_activate_action (GTK_WIDGET (window), "win.show-page", g_variant_new_string (section_names[i]));
      g_assert_cmpstr (porteur_window_get_page (window), ==, section_names[i]);
      g_assert_cmpstr (adw_window_title_get_title (content_title), ==, expected->sections[i]);
      g_assert_true (gtk_list_box_get_selected_row (sidebar) == row);
    }
  g_assert_null (gtk_list_box_get_row_at_index (sidebar, G_N_ELEMENTS (section_names)));

  porteur_window_set_page (window, "certificate");
  wait_for_stack (window);
  name = g_strdup_printf ("main-window-%s", expected->lang);
  shot = porteur_test_ui_save_screenshot (GTK_WIDGET (window), name);
  g_assert_true (g_file_test (shot, G_FILE_TEST_IS_REGULAR));

  porteur_test_ui_destroy_window (GTK_WINDOW (window));
}

static void
test_window_remembers_page (void)
{
  PorteurWindow *window = porteur_window_new (NULL);

  porteur_window_set_page (window, "verify");
  porteur_test_ui_destroy_window (GTK_WINDOW (window));

  window = porteur_window_new (NULL);
  g_assert_cmpstr (porteur_window_get_page (window), ==, "verify");
  porteur_test_ui_destroy_window (GTK_WINDOW (window));
}

static void
test_window_narrow_folds (void)
{
  PorteurWindow *window = porteur_window_new (NULL);
  AdwLeaflet *leaflet = ADW_LEAFLET (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "leaflet"));
  g_autofree char *shot = NULL;
  g_autofree char *name = g_strdup_printf ("main-window-narrow-%s", get_expected ()->lang);

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 600);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  g_assert_true (adw_leaflet_get_folded (leaflet));

  porteur_test_ui_activate_action (GTK_WIDGET (window), "win.show-page", g_variant_new_string ("order"));
  wait_for_stack (window);
  g_assert_cmpstr (porteur_window_get_page (window), ==, "order");
  shot = porteur_test_ui_save_screenshot (GTK_WIDGET (window), name);

  porteur_test_ui_destroy_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  porteur_test_ui_init (&argc, &argv);

  g_test_add_func ("/window/sections", test_window_sections);
  g_test_add_func ("/window/remembers-page", test_window_remembers_page);
  g_test_add_func ("/window/narrow-folds", test_window_narrow_folds);

  return g_test_run ();
}
