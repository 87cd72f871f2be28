/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "porteur-test-ui.h"

/*
 * Helpers for widget tests: real windows on the X server (Xvfb in the test command), driven
 * through actions and properties, with screenshots saved next to the test logs.
 */

void
porteur_test_ui_init (int    *argc,
                      char ***argv)
{
  const char *localedir = g_getenv ("PORTEUR_TEST_LOCALEDIR");

  /* A locale named in the environment must exist: a missing one is a broken set-up, not a skip. */
  if (setlocale (LC_ALL, "") == NULL)
    g_error ("The locale %s is not installed: run the README's set-up command", g_getenv ("LC_ALL"));

  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Private user directories, but the system's data directories stay visible: widgets need the
   * icon theme and the pixbuf loaders (G_TEST_OPTION_ISOLATE_DIRS would hide them). */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *home = g_dir_make_tmp ("porteur-test-XXXXXX", &error);
    const char *vars[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME" };

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
      {
        g_autofree char *dir = g_build_filename (home, vars[i], NULL);
        g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
        g_setenv (vars[i], dir, TRUE);
      }
  }

  g_test_init (argc, argv, NULL);
  gtk_disable_setlocale ();

  if (!gtk_init_check ())
    g_error ("No display: widget tests run under Xvfb (see the README's test command)");
  adw_init ();
}

static gboolean
on_timeout (gpointer data)
{
  gboolean *done = data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

void
porteur_test_ui_iterate (guint milliseconds)
{
  gboolean done = FALSE;

  g_timeout_add (milliseconds, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/**
 * porteur_test_ui_slowdown:
 *
 * How many times slower than a normal build this run is allowed to be: the
 * `PORTEUR_TEST_SLOWDOWN` factor that the sanitizer and valgrind test setups set (as their
 * timeout multiplier does for meson), 1 otherwise. Every wait of these helpers is scaled by it,
 * so a test that fails in a normal build still fails, and a slow instrumented run is not mistaken
 * for a hang.
 */
guint
porteur_test_ui_slowdown (void)
{
  const char *value = g_getenv ("PORTEUR_TEST_SLOWDOWN");
  guint64 factor = value ? g_ascii_strtoull (value, NULL, 10) : 1;

  return factor >= 1 && factor <= 100 ? (guint) factor : 1;
}

gboolean
porteur_test_ui_wait_until (gboolean (*condition) (gpointer data),
                            gpointer   data,
                            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000 * porteur_test_ui_slowdown ();

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  guint *frames = data;

  (*frames)++;
}

/**
 * porteur_test_ui_wait_for_frame:
 *
 * Presents the toplevel of @widget and waits until it has drawn a frame after every pending
 * layout, so that a screenshot shows what a person would see.
 */
void
porteur_test_ui_wait_for_frame (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GdkFrameClock *clock;
  guint frames = 0;
  gulong handler;
  /* Generous: the sanitizer builds on a loaded 2-core machine draw slowly; a clock that never
   * ticks still fails here rather than hanging. */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC * porteur_test_ui_slowdown ();

  if (GTK_IS_WINDOW (root))
    gtk_window_present (GTK_WINDOW (root));

  while (!gtk_widget_get_mapped (widget))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The window was not mapped within 60 s");
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  clock = gtk_widget_get_frame_clock (widget);
  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &frames);
  gtk_widget_queue_draw (widget);
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  /* Two frames: the first may still carry the initial allocation. Never block: a frame clock
   * that stops ticking fails the test at the deadline instead of hanging it. */
  while (frames < 2)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("No frame was drawn within 60 s");
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
      if (frames == 1)
        gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
    }
  g_signal_handler_disconnect (clock, handler);
}

/**
 * porteur_test_ui_save_screenshot:
 * @widget: a drawn widget, usually a window
 * @name: a file name without extension
 *
 * Renders @widget to a PNG in $PORTEUR_TEST_SCREENSHOT_DIR (the test command sets it next to the
 * test logs). Returns: the path of the PNG.
 */
char *
porteur_test_ui_save_screenshot (GtkWidget  *widget,
                                 const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  char *path;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GskRenderer *renderer;

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_nonnull (texture);

  if (g_getenv ("PORTEUR_TEST_SCREENSHOT_DIR"))
    dir = g_strdup (g_getenv ("PORTEUR_TEST_SCREENSHOT_DIR"));
  else
    dir = g_build_filename (g_get_tmp_dir (), "porteur-screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);

  file = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);

  return path;
}

void
porteur_test_ui_activate_action (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  /* A floating parameter is ours to sink: GTK 4.8 leaves it floating for actions installed on a
   * widget class (valgrind: definitely lost). */
  g_autoptr(GVariant) owned = parameter ? g_variant_ref_sink (parameter) : NULL;

  g_assert_true (gtk_widget_activate_action_variant (widget, action_name, owned));
}

/**
 * porteur_test_ui_destroy_window:
 *
 * Destroys @window and checks that it is finalized: a leaked reference fails the test.
 */
void
porteur_test_ui_destroy_window (GtkWindow *window)
{
  GWeakRef ref;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC * porteur_test_ui_slowdown ();

  g_weak_ref_init (&ref, window);
  gtk_window_destroy (window);
  for (;;)
    {
      GObject *object = g_weak_ref_get (&ref);

      if (object == NULL)
        break;
      g_object_unref (object);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
  g_weak_ref_clear (&ref);
}
