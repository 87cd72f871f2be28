/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <poppler.h>

#include "pdf/porteur-pdf.h"
#include "porteur-application.h"
#include "porteur-page-render.h"
#include "porteur-verify-page.h"

/*
 * Verify a PDF: open (file chooser, drag and drop, `porteur FILE.pdf`), the first page, one row
 * per signature with its verdict in words and its details, the signed revision, and a report to
 * copy or save. Verification and rendering run in threads; the page only shows their results.
 */

struct _PorteurVerifyPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  GtkStack             *stack;
  GtkSpinner           *spinner;
  AdwStatusPage        *error_page;
  GtkPicture           *first_page;
  GtkImage             *verdict_icon;
  GtkLabel             *verdict_label;
  GtkLabel             *file_label;
  AdwPreferencesGroup  *signatures_group;

  /* Owned */
  GCancellable         *cancellable;
  GFile                *file;
  PorteurPdfReport     *report;
  GPtrArray            *rows;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (PorteurVerifyPage, porteur_verify_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_state (PorteurVerifyPage *self,
           const char        *state)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), state) == 0)
    return;
  gtk_stack_set_visible_child_name (self->stack, state);
  gtk_spinner_set_spinning (self->spinner, g_str_equal (state, "busy"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.cancel", g_str_equal (state, "busy"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.copy-report", g_str_equal (state, "result"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.save-report", g_str_equal (state, "result"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
clear_rows (PorteurVerifyPage *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->signatures_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
}

/* Rows show what a PDF carries (signer names, reasons, locations, certificate fields): never
 * Pango markup. libadwaita parses row titles and subtitles as markup by default, so an "&" or a
 * "<" in a signer's name would blank the row, and crafted markup could restyle or hide text. */
static GtkWidget *
plain_row (GtkWidget *row)
{
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  return row;
}

static GtkWidget *
detail_row (const char *title,
            const char *value)
{
  GtkWidget *row = plain_row (adw_action_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value && *value ? value : "—");
  gtk_widget_add_css_class (row, "property");
  return row;
}

static const char *
verdict_icon_name (PorteurPdfVerdict verdict)
{
  switch (verdict)
    {
    case PORTEUR_PDF_VERDICT_VALID: return "emblem-ok-symbolic";
    case PORTEUR_PDF_VERDICT_INDETERMINATE: return "dialog-warning-symbolic";
    case PORTEUR_PDF_VERDICT_INVALID: return "dialog-error-symbolic";
    case PORTEUR_PDF_VERDICT_UNSIGNED:
    default: return "dialog-information-symbolic";
    }
}

static const char *
verdict_css (PorteurPdfVerdict verdict)
{
  switch (verdict)
    {
    case PORTEUR_PDF_VERDICT_VALID: return "success";
    case PORTEUR_PDF_VERDICT_INDETERMINATE: return "warning";
    case PORTEUR_PDF_VERDICT_INVALID: return "error";
    case PORTEUR_PDF_VERDICT_UNSIGNED:
    default: return "dim-label";
    }
}

static char *
format_time (GDateTime *time,
             gboolean   timestamped)
{
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (time == NULL)
    return g_strdup (_("unknown"));
  local = g_date_time_to_local (time);
  text = g_date_time_format (local, _("%e %B %Y, %H:%M"));
  return g_strconcat (g_strstrip (text), timestamped ? _(" (timestamp)") : _(" (claimed by the signer)"), NULL);
}

static GtkWidget *
signature_row (PorteurVerifyPage   *self,
               PorteurPdfSignature *s)
{
  GtkWidget *row = plain_row (adw_expander_row_new ());
  GtkWidget *icon = gtk_image_new_from_icon_name (verdict_icon_name (s->verdict));
  g_autofree char *title = NULL;
  g_autofree char *when = format_time (s->timestamp_valid ? s->timestamp_time : s->claimed_time, s->timestamp_valid);

  if (s->signer && s->signer->common_name[0])
    title = g_strdup (s->signer->common_name);
  else
    title = g_strdup_printf (_("Signature %u"), s->index);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), porteur_pdf_verdict_describe (s->verdict));
  gtk_widget_add_css_class (icon, verdict_css (s->verdict));
  adw_expander_row_add_prefix (ADW_EXPANDER_ROW (row), icon);
  gtk_widget_set_name (row, "signature-row");

  for (guint bit = 0; bit < 32; bit++)
    {
      if (s->problems & (1u << bit))
        {
          GtkWidget *problem = plain_row (adw_action_row_new ());
          GtkWidget *warning = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (problem), porteur_pdf_problem_describe (1u << bit));
          adw_action_row_set_title_lines (ADW_ACTION_ROW (problem), 0);
          gtk_widget_add_css_class (warning, "warning");
          adw_action_row_add_prefix (ADW_ACTION_ROW (problem), warning);
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), problem);
        }
    }

  if (s->signer)
    {
      g_autofree char *organisation = s->signer->organisation_identifier[0]
        ? g_strdup_printf ("%s (%s)", s->signer->organisation, s->signer->organisation_identifier)
        : g_strdup (s->signer->organisation);
      g_autofree char *eidas = g_strconcat (porteur_eidas_level_describe (s->signer->eidas_level),
                                            s->signer->qc_sscd ? _(", key in a qualified signature device") : "", NULL);

      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Organisation"), organisation));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("E-mail"), s->signer->email));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Issued by"), s->signer->issuer_common_name));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("eIDAS level"), eidas));
    }
  if (s->chain->len > 0)
    {
      GString *chain = g_string_new (NULL);

      for (guint i = 0; i < s->chain->len; i++)
        {
          PorteurCertInfo *link = g_ptr_array_index (s->chain, i);
          g_string_append_printf (chain, "%s%s", i ? " → " : "", link->common_name[0] ? link->common_name : link->subject_dn);
        }
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Certificate chain"), chain->str));
      g_string_free (chain, TRUE);
    }
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Signed on"), when));
  if (!(s->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
    adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Coverage"), porteur_pdf_coverage_describe (s->coverage)));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row),
                            detail_row (_("Revocation"), porteur_revocation_describe (s->revocation ? s->revocation->status : PORTEUR_REVOCATION_NOT_CHECKED)));
  if (s->signer)
    {
      g_autofree char *serial = g_strdup_printf ("%s · %s", s->signer->serial_hex, s->signer->sha256_fingerprint);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Certificate"), serial));
    }
  if (s->digest_name[0] || s->sub_filter[0])
    {
      g_autofree char *algorithm = g_strdup_printf ("%s, %s", s->digest_name, s->sub_filter);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("Algorithm"), algorithm));
    }
  if (s->signed_length > 0 && s->coverage != PORTEUR_PDF_COVERAGE_WHOLE)
    {
      GtkWidget *button_row = plain_row (adw_action_row_new ());
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Show the Signed Revision"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (button_row), _("The document as this signature signed it"));
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "verify.show-revision");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_uint32 (s->index));
      adw_action_row_add_suffix (ADW_ACTION_ROW (button_row), button);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), button_row);
    }

  /* A signature that is not valid opens by itself: the reasons matter most. */
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), s->verdict != PORTEUR_PDF_VERDICT_VALID);
  return row;
}

static void
show_report (PorteurVerifyPage *self)
{
  PorteurPdfReport *report = self->report;
  g_autofree char *name = g_file_get_basename (self->file);
  g_autofree char *summary = NULL;
  const char *css[] = { "success", "warning", "error", "dim-label" };

  for (guint i = 0; i < G_N_ELEMENTS (css); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->verdict_icon), css[i]);
  gtk_image_set_from_icon_name (self->verdict_icon, verdict_icon_name (report->verdict));
  gtk_widget_add_css_class (GTK_WIDGET (self->verdict_icon), verdict_css (report->verdict));
  gtk_label_set_label (self->verdict_label, porteur_pdf_document_verdict_describe (report->verdict));
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %u signature", "%s · %u signatures", report->signatures->len),
                             name, report->signatures->len);
  gtk_label_set_label (self->file_label, summary);

  clear_rows (self);
  for (guint i = 0; i < report->signatures->len; i++)
    {
      GtkWidget *row = signature_row (self, g_ptr_array_index (report->signatures, i));
      adw_preferences_group_add (self->signatures_group, row);
      g_ptr_array_add (self->rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->signatures_group), report->signatures->len > 0);
  set_state (self, "result");
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PorteurVerifyPage) self = user_data;
  g_autoptr(GError) error = NULL;
  PorteurPdfReport *report = porteur_pdf_verify_file_finish (result, &error);

  if (report == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          set_state (self, self->report ? "result" : "empty");
          return;
        }
      if (g_error_matches (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_NOT_PDF))
        adw_status_page_set_description (self->error_page, _("This file is not a PDF document."));
      else if (g_error_matches (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_TOO_LARGE))
        adw_status_page_set_description (self->error_page, _("This file is too large to be verified."));
      else
        adw_status_page_set_description (self->error_page, _("The file could not be read. Check that it still exists and that you may read it."));
      g_debug ("Verification failed: %s", error->message);
      set_state (self, "error");
      return;
    }

  g_clear_pointer (&self->report, porteur_pdf_report_free);
  self->report = report;
  show_report (self);
}

/* The first page, rendered off the main thread. */
static void
render_first_page (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GError) error = NULL;
  PopplerDocument *document = poppler_document_new_from_gfile (file, NULL, cancellable, &error);
  PopplerPage *page = NULL;
  double width, height, scale;
  int w, h;
  GdkTexture *texture;

  if (document == NULL || !(page = poppler_document_get_page (document, 0)))
    {
      g_clear_object (&document);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", error ? error->message : "no page");
      return;
    }
  poppler_page_get_size (page, &width, &height);
  scale = 300.0 / MAX (width, 1.0);
  w = MAX (1, (int) (width * scale));
  h = MAX (1, (int) (height * scale));
  if (h > 4 * w)
    h = 4 * w;
  texture = porteur_page_render_texture (page, w, h, scale);
  /* Dropped here, in the worker, before the task completes (see DESIGN.md on poppler). */
  g_object_unref (page);
  g_object_unref (document);
  g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_first_page_rendered (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(PorteurVerifyPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);

  gtk_picture_set_paintable (self->first_page, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (GTK_WIDGET (self->first_page), texture != NULL);
}

void
porteur_verify_page_open (PorteurVerifyPage *self,
                          GFile             *file)
{
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) render = NULL;
  g_autofree char *path = NULL;
  PorteurPdfVerifyOptions options = { 0 };

  g_return_if_fail (PORTEUR_IS_VERIFY_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->file, file);
  g_clear_pointer (&self->report, porteur_pdf_report_free);
  gtk_picture_set_paintable (self->first_page, NULL);

  path = g_file_get_path (file);
  if (path == NULL)
    {
      adw_status_page_set_description (self->error_page, _("Only files on this computer can be verified."));
      set_state (self, "error");
      return;
    }
  if (!porteur_trust_add_defaults (trust, &error))
    {
      adw_status_page_set_description (self->error_page, _("The trusted certificates set in the preferences cannot be read."));
      g_debug ("%s", error->message);
      set_state (self, "error");
      return;
    }

  set_state (self, "busy");
  options.trust = trust;
  options.use_network = TRUE;
  porteur_pdf_verify_file_async (path, &options, self->cancellable, on_verified, g_object_ref (self));

  render = g_task_new (NULL, self->cancellable, on_first_page_rendered, g_object_ref (self));
  g_task_set_source_tag (render, render_first_page);
  g_task_set_task_data (render, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (render, render_first_page);
}

const char *
porteur_verify_page_get_state (PorteurVerifyPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_VERIFY_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

char *
porteur_verify_page_dup_report (PorteurVerifyPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_VERIFY_PAGE (self), NULL);

  return self->report ? porteur_pdf_report_to_text (self->report) : NULL;
}

static void
on_open_response (GtkNativeDialog   *dialog,
                  int                response,
                  PorteurVerifyPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      porteur_verify_page_open (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("PDF documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Open a Signed PDF"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_cancellable_cancel (PORTEUR_VERIFY_PAGE (widget)->cancellable);
}

static void
copy_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  g_autofree char *text = porteur_verify_page_dup_report (PORTEUR_VERIFY_PAGE (widget));

  if (text)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

static void
on_report_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Cannot save the report: %s", error->message);
}

static void
on_save_response (GtkNativeDialog   *dialog,
                  int                response,
                  PorteurVerifyPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->report)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *text = porteur_pdf_report_to_text (self->report);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                           self->cancellable, on_report_saved, NULL);
    }
  g_clear_object (&self->chooser);
}

static void
save_report_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *base = self->file ? g_file_get_basename (self->file) : g_strdup ("document.pdf");
  g_autofree char *name = NULL;

  if (g_str_has_suffix (base, ".pdf"))
    base[strlen (base) - 4] = '\0';
  /* Translators: the file name of a saved report; %s is the PDF's name without .pdf */
  name = g_strdup_printf (_("%s - signatures.txt"), base);
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Save the Report"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_revision_launched (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_warning ("Cannot open the signed revision: %s", error->message);
}

static void
show_revision_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (widget);
  guint index = g_variant_get_uint32 (parameter);
  PorteurPdfSignature *signature;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "porteur", "revisions", NULL);
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;

  if (self->report == NULL || index == 0 || index > self->report->signatures->len)
    return;
  signature = g_ptr_array_index (self->report->signatures, index - 1);
  base = g_file_get_basename (self->file);
  if (g_str_has_suffix (base, ".pdf"))
    base[strlen (base) - 4] = '\0';
  /* Translators: file name of the revision a signature signed: document name, signature number */
  name = g_strdup_printf (_("%s - as signed by signature %u.pdf"), base, index);
  g_mkdir_with_parents (dir, 0700);
  path = g_build_filename (dir, name, NULL);
  if (!porteur_pdf_extract_revision (self->report->path, signature->signed_length, path, &error))
    {
      g_warning ("Cannot extract the signed revision: %s", error->message);
      return;
    }
  uri = g_filename_to_uri (path, NULL, NULL);
  g_app_info_launch_default_for_uri_async (uri, NULL, self->cancellable, on_revision_launched, NULL);
}

static gboolean
on_drop (GtkDropTarget     *target,
         const GValue      *value,
         double             x,
         double             y,
         PorteurVerifyPage *self)
{
  if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    {
      porteur_verify_page_open (self, g_value_get_object (value));
      return TRUE;
    }
  return FALSE;
}

static void
porteur_verify_page_dispose (GObject *object)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->report, porteur_pdf_report_free);

  /* AdwBin owns its child: let it go first, then the template's other objects. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), PORTEUR_TYPE_VERIFY_PAGE);

  G_OBJECT_CLASS (porteur_verify_page_parent_class)->dispose (object);
}

static void
porteur_verify_page_finalize (GObject *object)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (object);

  g_ptr_array_unref (self->rows);

  G_OBJECT_CLASS (porteur_verify_page_parent_class)->finalize (object);
}

static void
porteur_verify_page_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  PorteurVerifyPage *self = PORTEUR_VERIFY_PAGE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_string (value, porteur_verify_page_get_state (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_verify_page_class_init (PorteurVerifyPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = porteur_verify_page_dispose;
  object_class->finalize = porteur_verify_page_finalize;
  object_class->get_property = porteur_verify_page_get_property;

  /**
   * PorteurVerifyPage:state:
   *
   * `empty`, `busy`, `error` or `result`.
   */
  properties[PROP_STATE] =
    g_param_spec_string ("state", NULL, NULL, "empty", G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  porteur_ui_register_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/porteur-verify-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, first_page);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, file_label);
  gtk_widget_class_bind_template_child (widget_class, PorteurVerifyPage, signatures_group);

  gtk_widget_class_install_action (widget_class, "verify.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "verify.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "verify.copy-report", NULL, copy_report_action);
  gtk_widget_class_install_action (widget_class, "verify.save-report", NULL, save_report_action);
  gtk_widget_class_install_action (widget_class, "verify.show-revision", "u", show_revision_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "verify.open", NULL);
}

static void
porteur_verify_page_init (PorteurVerifyPage *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (G_TYPE_FILE, GDK_ACTION_COPY);

  self->rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.copy-report", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "verify.save-report", FALSE);
}
