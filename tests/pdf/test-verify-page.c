/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pdf/porteur-pdf.h"
#include "porteur-test-ui.h"
#include "porteur-verify-page.h"
#include "porteur-window.h"

/* The Verify a PDF section, as a holder uses it: a PDF opened with the application, its verdict
 * in the holder's language, one row per signature, the report; in en, fr and br. */

static char *fixtures;

static gboolean
page_settled (gpointer data)
{
  const char *state = porteur_verify_page_get_state (PORTEUR_VERIFY_PAGE (data));
  return g_strcmp0 (state, "result") == 0 || g_strcmp0 (state, "error") == 0;
}

static guint
count_signature_rows (GtkWidget *widget)
{
  guint n = g_strcmp0 (gtk_widget_get_name (widget), "signature-row") == 0 ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    n += count_signature_rows (child);
  return n;
}

static void
open_fixture (PorteurWindow     *window,
              PorteurVerifyPage *page,
              const char        *name)
{
  g_autofree char *path = g_build_filename (fixtures, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  porteur_window_open (window, file);
  g_assert_cmpstr (porteur_window_get_page (window), ==, "verify");
  g_assert_true (porteur_test_ui_wait_until (page_settled, page, 60000));
}

static void
assert_translated (const char *text,
                   const char *english)
{
  const char *lang = g_getenv ("PORTEUR_TEST_LANG");

  g_assert_cmpstr (text, !=, "");
  if (lang && !g_str_equal (lang, "en"))
    g_assert_cmpstr (text, !=, english);
}

static void
test_verify_page (void)
{
  const char *lang = g_getenv ("PORTEUR_TEST_LANG");
  PorteurWindow *window = porteur_window_new (NULL);
  PorteurVerifyPage *page = PORTEUR_VERIFY_PAGE (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "verify_page"));
  GtkLabel *verdict = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (page), PORTEUR_TYPE_VERIFY_PAGE, "verdict_label"));
  g_autofree char *report = NULL;
  g_autofree char *shot = NULL;
  g_autofree char *shot2 = NULL;
  g_autofree char *name = g_strdup_printf ("verify-%s", lang);
  g_autofree char *name2 = g_strdup_printf ("verify-modified-%s", lang);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 860);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  g_assert_cmpstr (porteur_verify_page_get_state (page), ==, "empty");

  /* Two valid signatures. */
  open_fixture (window, page, "signed-twice.pdf");
  g_assert_cmpstr (porteur_verify_page_get_state (page), ==, "result");
  g_assert_cmpstr (gtk_label_get_label (verdict), ==, porteur_pdf_document_verdict_describe (PORTEUR_PDF_VERDICT_VALID));
  assert_translated (gtk_label_get_label (verdict), "Every signature is valid");
  g_assert_cmpuint (count_signature_rows (GTK_WIDGET (page)), ==, 2);
  report = porteur_verify_page_dup_report (page);
  g_assert_nonnull (strstr (report, "Anne Le Goff"));
  g_assert_nonnull (strstr (report, "Yann Kerjean"));
  porteur_test_ui_iterate (300);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  shot = porteur_test_ui_save_screenshot (GTK_WIDGET (window), name);

  /* Changed after signing: said plainly. */
  open_fixture (window, page, "modified.pdf");
  g_assert_cmpstr (gtk_label_get_label (verdict), ==, porteur_pdf_document_verdict_describe (PORTEUR_PDF_VERDICT_INVALID));
  g_assert_cmpuint (count_signature_rows (GTK_WIDGET (page)), ==, 1);
  porteur_test_ui_iterate (300);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  shot2 = porteur_test_ui_save_screenshot (GTK_WIDGET (window), name2);

  /* Not a PDF: an error page, no crash. */
  open_fixture (window, page, "not-a-pdf.pdf");
  g_assert_cmpstr (porteur_verify_page_get_state (page), ==, "error");

  porteur_test_ui_destroy_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_build_filename (TEST_SRCDIR, "pdf", "make-fixtures.sh", NULL);
  g_autofree char *trust = NULL;
  int status, result;

  porteur_test_ui_init (&argc, &argv);

  fixtures = g_dir_make_tmp ("porteur-verify-page-XXXXXX", &error);
  g_assert_no_error (error);
  {
    const char *make[] = { script, fixtures, NULL };
    /* The window needs the basic fixtures only (signed twice, modified, not a PDF). */
    g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PORTEUR_FIXTURES", "basic", TRUE);
    g_assert_true (g_spawn_sync (NULL, (char **) make, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("Making the fixtures failed (%s): see %s/make-fixtures.log", error->message, fixtures);
  }
  /* The application trusts the CA's roots named by PORTEUR_CA_TRUST (here our root and its CRL). */
  trust = g_build_filename (fixtures, "trust.pem", NULL);
  g_setenv ("PORTEUR_CA_TRUST", trust, TRUE);

  g_test_add_func ("/verify-page/open", test_verify_page);
  result = g_test_run ();

  if (result == 0)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", fixtures);
      (void) system (cmd);
    }
  return result;
}
