/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "order/porteur-catalog.h"
#include "order/porteur-order-check.h"
#include "order/porteur-order-form.h"
#include "order/porteur-order-draft.h"
#include "order/porteur-order-record.h"
#include "order/porteur-order-text.h"
#include "order-test-sim.h"
#include "porteur-application.h"
#include "porteur-order-page.h"
#include "porteur-test-ui.h"
#include "porteur-window.h"

/* The Order section as a holder uses it: the whole wizard filled field by field, each error next
 * to its field and the reason Next is disabled, the draft on disk after each change and resumed
 * in a new window, the office search; a screenshot of every step in en, fr and br. */

static const char *lang;
static OrderTestSim *sim;

static GtkWidget *
find_named (GtkWidget  *widget,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);
      if (found)
        return found;
    }
  return NULL;
}

static GtkWidget *
field (PorteurOrderPage *page,
       const char       *path)
{
  GtkWidget *widget = find_named (GTK_WIDGET (page), path);

  if (widget == NULL)
    g_error ("No field %s", path);
  return widget;
}

static void
type_text (PorteurOrderPage *page,
           const char       *path,
           const char       *text)
{
  gtk_editable_set_text (GTK_EDITABLE (field (page, path)), text);
}

/* Picks the combo item whose value is value (the model holds labels; index 0 is "Choose…"). */
static void
choose (PorteurOrderPage *page,
        const char       *path,
        guint             index)
{
  AdwComboRow *row = ADW_COMBO_ROW (field (page, path));

  g_assert_cmpuint (index, <, g_list_model_get_n_items (adw_combo_row_get_model (row)));
  adw_combo_row_set_selected (row, index);
}

static gboolean
switch_toggled (gpointer data)
{
  GtkSwitch *control = data;
  return gtk_switch_get_active (control) != GPOINTER_TO_INT (g_object_get_data (data, "was-active"));
}

/* Activates a switch row as a click would; the switch moves with an animation. */
static void
switch_on (PorteurOrderPage *page,
           const char       *path)
{
  GtkWidget *row = field (page, path);
  GtkWidget *control = adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row));

  g_object_set_data (G_OBJECT (control), "was-active", GINT_TO_POINTER (gtk_switch_get_active (GTK_SWITCH (control))));
  g_assert_true (gtk_widget_activate (row));
  g_assert_true (porteur_test_ui_wait_until (switch_toggled, control, 30000));
}

/* The error shown beside a field, or NULL when none is visible. */
static const char *
field_error (PorteurOrderPage *page,
             const char       *path)
{
  GtkWidget *row = field (page, path);

  for (GtkWidget *w = row; w; )
    {
      /* Depth-first search for the visible error label inside the row. */
      GtkWidget *child = gtk_widget_get_first_child (w);
      if (child)
        w = child;
      else
        {
          while (w && w != row && gtk_widget_get_next_sibling (w) == NULL)
            w = gtk_widget_get_parent (w);
          if (w == NULL || w == row)
            break;
          w = gtk_widget_get_next_sibling (w);
        }
      if (GTK_IS_LABEL (w) && gtk_widget_has_css_class (w, "error") && gtk_widget_get_visible (w))
        return gtk_label_get_label (GTK_LABEL (w));
    }
  return NULL;
}

static void
assert_next (PorteurOrderPage *page,
             gboolean          enabled)
{
  GtkWidget *next = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (page), PORTEUR_TYPE_ORDER_PAGE, "next_button");
  GtkLabel *reason = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (page), PORTEUR_TYPE_ORDER_PAGE, "reason_label"));

  porteur_test_ui_iterate (10);
  g_assert_cmpint (gtk_widget_get_sensitive (next), ==, enabled);
  if (enabled)
    {
      g_assert_null (porteur_order_page_get_next_reason (page));
      g_assert_cmpstr (gtk_label_get_label (reason), ==, "");
    }
  else
    {
      g_assert_nonnull (porteur_order_page_get_next_reason (page));
      g_assert_cmpstr (gtk_label_get_label (reason), ==, porteur_order_page_get_next_reason (page));
    }
}

static void
assert_reason_mentions (PorteurOrderPage *page,
                        const char       *text)
{
  const char *reason = porteur_order_page_get_next_reason (page);

  if (reason == NULL || strstr (reason, text) == NULL)
    g_error ("Next's reason “%s” does not mention “%s”", reason ? reason : "(none)", text);
}

static void
shot (PorteurWindow *window,
      const char    *what)
{
  g_autofree char *name = g_strdup_printf ("order-%s-%s", what, lang);
  g_autofree char *path = NULL;

  porteur_test_ui_iterate (350);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  path = porteur_test_ui_save_screenshot (GTK_WIDGET (window), name);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
next (PorteurOrderPage *page)
{
  guint step = porteur_order_page_get_step (page);

  assert_next (page, TRUE);
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.next", NULL);
  g_assert_cmpuint (porteur_order_page_get_step (page), ==, step + 1);
}

static PorteurOrderPage *
order_page (PorteurWindow *window)
{
  return PORTEUR_ORDER_PAGE (gtk_widget_get_template_child (GTK_WIDGET (window), PORTEUR_TYPE_WINDOW, "order_page"));
}

static guint
visible_offices (PorteurOrderPage *page)
{
  GtkWidget *list = gtk_widget_get_parent (field (page, "office-cci-morbihan-vannes"));
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row; row = gtk_widget_get_next_sibling (row))
    if (g_str_has_prefix (gtk_widget_get_name (row), "office-") && gtk_widget_get_child_visible (row))
      n++;
  return n;
}

static gboolean
page_shows_order (gpointer data)
{
  return g_strcmp0 (porteur_order_page_get_state (data), "order") == 0;
}

static gboolean
form_previewed (gpointer data)
{
  GtkWidget *picture = find_named (GTK_WIDGET (data), "form-preview");
  return picture && gtk_picture_get_paintable (GTK_PICTURE (picture)) != NULL;
}

static gboolean
status_is_validated (gpointer data)
{
  GtkWidget *status = find_named (GTK_WIDGET (data), "order-status");
  return status && g_strcmp0 (gtk_label_get_label (GTK_LABEL (status)), porteur_order_status_label ("validated")) == 0;
}

static gboolean
status_is_issued (gpointer data)
{
  GtkWidget *status = find_named (GTK_WIDGET (data), "order-status");
  return status && g_strcmp0 (gtk_label_get_label (GTK_LABEL (status)), porteur_order_status_label ("issued")) == 0;
}

/* The first widget whose name starts with prefix. */
static GtkWidget *
find_prefixed (GtkWidget  *widget,
               const char *prefix)
{
  if (g_str_has_prefix (gtk_widget_get_name (widget), prefix))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_prefixed (child, prefix);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
slots_shown (gpointer data)
{
  return find_prefixed (GTK_WIDGET (data), "slot-") != NULL || find_named (GTK_WIDGET (data), "booking-error") != NULL;
}

static gboolean
booking_done (gpointer data)
{
  return find_named (GTK_WIDGET (data), "booking-busy") == NULL;
}

static gboolean
appointment_shown (gpointer data)
{
  return find_named (GTK_WIDGET (data), "appointment-when") != NULL || find_named (GTK_WIDGET (data), "booking-error") != NULL;
}

static gboolean
status_is_appointment (gpointer data)
{
  GtkWidget *status = find_named (GTK_WIDGET (data), "order-status");
  return status && g_strcmp0 (gtk_label_get_label (GTK_LABEL (status)), porteur_order_status_label ("appointment")) == 0;
}

static gboolean
cancellation_failed (gpointer data)
{
  return find_named (GTK_WIDGET (data), "booking-error") != NULL;
}

static void assert_translated (const char *text,
                               const char *english);

/* The confirmation dialog open over the window, or NULL. */
static AdwMessageDialog *
open_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not owned */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static GtkWidget *
find_button_labelled (GtkWidget  *widget,
                      const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button_labelled (child, label);
      if (found)
        return found;
    }
  return NULL;
}

/* Asks to cancel the appointment: the dialog says what happens, keeping it is the default and
 * the close response, cancelling looks destructive. Returns the dialog, open. */
static AdwMessageDialog *
ask_cancel_appointment (PorteurOrderPage *page)
{
  AdwMessageDialog *dialog;

  g_assert_null (open_message_dialog ());
  g_assert_true (gtk_widget_is_sensitive (field (page, "cancel-appointment")));
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.cancel-appointment", NULL);
  dialog = open_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
  assert_translated (adw_message_dialog_get_heading (dialog), "Cancel the Delivery Appointment?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), porteur_order_status_label ("validated")));
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "keep");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "keep");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "cancel-appointment"), ==, ADW_RESPONSE_DESTRUCTIVE);
  assert_translated (adw_message_dialog_get_response_label (dialog, "keep"), "_Keep Appointment");
  assert_translated (adw_message_dialog_get_response_label (dialog, "cancel-appointment"), "_Cancel Appointment");
  return dialog;
}

static gpointer answered_dialog;   /* the last dialog answered, until it is finalized */

static gboolean
dialog_finalized (gpointer data)
{
  return answered_dialog == NULL;
}

/* Clicks the dialog's button for @response: the dialog closes at once (and is finalized soon
 * after: see dialog_finalized ()). No main loop iteration after the click, so that a request
 * it starts can still be stopped before it is sent. */
static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  GtkWidget *button = find_button_labelled (GTK_WIDGET (dialog), adw_message_dialog_get_response_label (dialog, response));

  g_assert_nonnull (button);
  g_assert_null (answered_dialog);
  answered_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), &answered_dialog);
  g_signal_emit_by_name (button, "clicked");
  g_assert_null (open_message_dialog ());
}

static void
shot_dialog (AdwMessageDialog *dialog,
             const char       *what)
{
  g_autofree char *name = g_strdup_printf ("order-%s-%s", what, lang);
  g_autofree char *path = NULL;

  porteur_test_ui_iterate (350);
  porteur_test_ui_wait_for_frame (GTK_WIDGET (dialog));
  path = porteur_test_ui_save_screenshot (GTK_WIDGET (dialog), name);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

static gboolean
checklist_shown (gpointer data)
{
  return find_named (GTK_WIDGET (data), "checklist-holder-id") != NULL;
}

static gboolean
secret_shown (gpointer data)
{
  return find_named (GTK_WIDGET (data), "enrollment-secret") != NULL;
}

static void
assert_translated (const char *text,
                   const char *english)
{
  g_assert_cmpstr (text, !=, "");
  if (!g_str_equal (lang, "en"))
    g_assert_cmpstr (text, !=, english);
}

static char *
pdf_to_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
pdf_to_png (const char *pdf,
            const char *prefix)
{
  const char *argv[] = { "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", pdf, prefix, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static gboolean
catalogue_from_ca (gpointer data)
{
  GtkWidget *row = find_named (GTK_WIDGET (data), "office-cci-ille-et-vilaine-rennes");
  const char *subtitle = row ? adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) : NULL;

  /* The simulator writes "2, avenue de la Préfecture"; the built-in catalogue has no comma. */
  return subtitle && strstr (subtitle, "2, avenue de la Préfecture") != NULL;
}

static void
test_wizard (void)
{
  PorteurWindow *window = porteur_window_new (NULL);
  PorteurOrderPage *page = order_page (window);
  g_autofree char *draft_id = NULL;
  g_autoptr(PorteurOrderDraft) draft = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  JsonObject *dossier;

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 860);
  porteur_window_set_page (window, "order");
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  g_assert_cmpstr (porteur_order_page_get_state (page), ==, "home");
  shot (window, "home-empty");

  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.new", NULL);
  /* The CA's catalogue replaces the built-in one when it answers. */
  g_assert_true (porteur_test_ui_wait_until (catalogue_from_ca, page, 30000));
  g_assert_cmpstr (porteur_order_page_get_state (page), ==, "wizard");
  draft_id = g_strdup (porteur_order_page_get_draft_id (page));
  g_assert_true (g_uuid_string_is_valid (draft_id));

  /* Step 1: support and product. Nothing chosen: Next says so. */
  g_assert_cmpuint (porteur_order_page_get_step (page), ==, 0);
  assert_next (page, FALSE);
  assert_reason_mentions (page, porteur_order_field_title ("product"));
  /* The token offers: the one that sells a token (owning one switches to the other offer). */
  choose (page, "product", 1);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "product"), ==, "rgs2-sign-token");
  switch_on (page, "has_compatible_token");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "product"), ==, "");
  assert_next (page, FALSE);
  choose (page, "product", 1);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "product"), ==, "rgs2-sign-own-token");
  switch_on (page, "has_compatible_token");
  choose (page, "product", 1);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "product"), ==, "rgs2-sign-token");
  shot (window, "step1");
  next (page);

  /* Step 2: SIRET and e-mail typed twice, prerequisites acknowledged. */
  assert_next (page, FALSE);
  g_assert_null (field_error (page, "siret"));   /* nothing typed yet: no error shown */
  type_text (page, "siret", "356 000 000 00015");   /* La Poste's rule… */
  g_assert_null (field_error (page, "siret"));
  type_text (page, "siret", "732 829 320 00075");   /* …one digit wrong: Luhn fails */
  g_assert_cmpstr (field_error (page, "siret"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_BAD_CHECKSUM));
  assert_reason_mentions (page, porteur_order_check_describe (PORTEUR_ORDER_CHECK_BAD_CHECKSUM));
  type_text (page, "siret", "12AB");
  g_assert_cmpstr (field_error (page, "siret"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_NOT_DIGITS));
  type_text (page, "siret", "732 829 320 00074");
  g_assert_null (field_error (page, "siret"));
  type_text (page, "requester_email", "anne.legoff@rennes");
  g_assert_cmpstr (field_error (page, "requester_email"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_BAD_SYNTAX));
  type_text (page, "requester_email", "anne.legoff@megalis.bzh");
  type_text (page, "@requester_email_confirmation", "anne.legof@megalis.bzh");
  g_assert_cmpstr (field_error (page, "@requester_email_confirmation"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_MISMATCH));
  assert_next (page, FALSE);
  shot (window, "step2-errors");
  type_text (page, "@requester_email_confirmation", "anne.legoff@megalis.bzh");
  g_assert_null (field_error (page, "@requester_email_confirmation"));
  /* The prerequisites are still to be acknowledged. */
  assert_next (page, FALSE);
  switch_on (page, "prerequisites_acknowledged");
  shot (window, "step2");
  next (page);

  /* Step 3: the certificate and its price, confirmed. */
  assert_next (page, FALSE);
  switch_on (page, "@price_confirmed");
  shot (window, "step3");
  next (page);

  /* Step 4: organisation type and role. */
  assert_next (page, FALSE);
  choose (page, "organisation_type", 1);   /* public body */
  assert_next (page, FALSE);
  choose (page, "requester_role", 1);      /* the holder */
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "organisation_type"), ==, "public-body");
  shot (window, "step4");
  next (page);

  /* Step 5: the organisation. */
  type_text (page, "organisation.name", "Syndicat mixte Mégalis Bretagne");
  type_text (page, "organisation.address.line1", "15 rue Claude Chappe, ZAC des Champs Blancs");   /* 43 > 38 */
  g_assert_cmpstr (field_error (page, "organisation.address.line1"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_TOO_LONG));
  type_text (page, "organisation.address.line1", "15 rue Claude Chappe");
  type_text (page, "organisation.address.postal_code", "96510");
  g_assert_cmpstr (field_error (page, "organisation.address.postal_code"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT));
  assert_next (page, FALSE);
  type_text (page, "organisation.address.postal_code", "35510");
  type_text (page, "organisation.address.city", "Cesson-Sévigné");
  g_assert_null (field_error (page, "organisation.address.line2"));   /* optional */
  shot (window, "step5");
  next (page);

  /* Step 6: the holder and the legal representative. */
  choose (page, "holder.civility", 1);
  type_text (page, "holder.given_name", "Anne");
  type_text (page, "holder.family_name", "Le Goff3");
  g_assert_cmpstr (field_error (page, "holder.family_name"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_BAD_CHARACTER));
  type_text (page, "holder.family_name", "Le Goff");
  type_text (page, "holder.function", "Acheteuse publique");
  type_text (page, "holder.email", "anne.legoff@megalis.bzh");
  type_text (page, "holder.phone", "+1 555 0100");
  g_assert_cmpstr (field_error (page, "holder.phone"), ==, porteur_order_check_describe (PORTEUR_ORDER_CHECK_NOT_FRENCH));
  type_text (page, "holder.phone", "02 99 12 34 56");
  assert_next (page, FALSE);
  assert_reason_mentions (page, porteur_order_field_title ("legal_representative.civility"));
  choose (page, "legal_representative.civility", 2);
  type_text (page, "legal_representative.given_name", "Yann");
  type_text (page, "legal_representative.family_name", "Kerjean");
  type_text (page, "legal_representative.function", "Président");
  type_text (page, "legal_representative.email", "president@megalis.bzh");
  shot (window, "step6");
  next (page);

  /* Step 7: the registration office, searched. */
  assert_next (page, FALSE);
  g_assert_cmpuint (visible_offices (page), ==, 11);
  gtk_editable_set_text (GTK_EDITABLE (field (page, "office-search")), "vannes");
  porteur_test_ui_iterate (400);   /* the search entry waits a little before searching */
  g_assert_cmpuint (visible_offices (page), ==, 1);
  g_assert_true (gtk_widget_activate (field (page, "office-cci-morbihan-vannes")));
  g_assert_cmpstr (porteur_order_member_string (porteur_order_page_get_dossier (page), "office"), ==, "cci-morbihan-vannes");
  shot (window, "step7");
  next (page);

  /* The summary; the dossier is complete for the CA's own check. */
  g_assert_cmpuint (porteur_order_page_get_step (page), ==, PORTEUR_ORDER_PAGE_SUMMARY);
  dossier = porteur_order_page_get_dossier (page);
  errors = porteur_order_dossier_validate (dossier);
  for (guint i = 0; i < errors->len; i++)
    g_error ("Field %s is not valid", ((PorteurOrderFieldError *) g_ptr_array_index (errors, i))->field);
  shot (window, "summary");

  /* On disk, as typed. */
  porteur_order_page_flush (page);
  draft = porteur_order_draft_load (draft_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (draft->step, ==, PORTEUR_ORDER_N_STEPS - 1);
  g_assert_cmpstr (porteur_order_member_string (draft->dossier, "siret"), ==, "732 829 320 00074");
  g_assert_cmpstr (porteur_order_member_string (porteur_order_member_object (draft->dossier, "holder"), "family_name"), ==, "Le Goff");
  g_assert_cmpstr (porteur_order_member_string (draft->dossier, "office"), ==, "cci-morbihan-vannes");

  /* Back to step 5, then closing the window: nothing is lost. */
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.go-to-step", g_variant_new_uint32 (4));
  type_text (page, "organisation.address.line2", "CS 42004");
  porteur_test_ui_destroy_window (GTK_WINDOW (window));
  g_clear_pointer (&draft, porteur_order_draft_free);
  draft = porteur_order_draft_load (draft_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (draft->step, ==, 4);
  g_assert_cmpstr (porteur_order_member_string (porteur_order_member_object (porteur_order_member_object (draft->dossier, "organisation"), "address"), "line2"), ==, "CS 42004");

  /* A new window lists the draft and resumes it where the holder was. */
  window = porteur_window_new (NULL);
  page = order_page (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 860);
  porteur_window_set_page (window, "order");
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  {
    g_autofree char *row_name = g_strdup_printf ("draft-%s", draft_id);
    GtkWidget *row = find_named (GTK_WIDGET (page), row_name);

    g_assert_nonnull (row);
    shot (window, "home-drafts");
    gtk_widget_activate (row);
  }
  g_assert_cmpstr (porteur_order_page_get_state (page), ==, "wizard");
  g_assert_cmpuint (porteur_order_page_get_step (page), ==, 4);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field (page, "organisation.address.city"))), ==, "Cesson-Sévigné");
  assert_next (page, TRUE);
  /* The e-mail confirmation and the price were confirmed on earlier steps: still complete. */
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.go-to-step", g_variant_new_uint32 (1));
  assert_next (page, TRUE);

  /* Sent to the CA simulator from the summary: the request number and what to do now. */
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.go-to-step", g_variant_new_uint32 (PORTEUR_ORDER_PAGE_SUMMARY));
  porteur_test_ui_activate_action (GTK_WIDGET (page), "order.send", NULL);
  g_assert_true (porteur_test_ui_wait_until (page_shows_order, page, 30000));
  {
    GtkLabel *number = GTK_LABEL (field (page, "order-number"));
    GtkLabel *status = GTK_LABEL (field (page, "order-status"));
    g_autofree char *expected = g_strdup (porteur_order_status_label ("waiting-documents"));
    g_autofree char *dir = g_dir_make_tmp ("porteur-order-print-XXXXXX", NULL);
    g_autofree char *pdf = g_build_filename (dir, "printed-form.pdf", NULL);
    g_autofree char *png_prefix = g_build_filename (dir, "printed-form", NULL);
    g_autofree char *png = g_strconcat (png_prefix, "-1.png", NULL);
    g_autofree char *text = NULL;
    g_autofree char *order_number = NULL;
    g_autoptr(GError) print_error = NULL;

    g_assert_nonnull (strstr (gtk_label_get_label (number), "PO-"));
    order_number = g_strndup (strstr (gtk_label_get_label (number), "PO-"), strlen ("PO-YYYY-NNNNNN"));
    g_assert_cmpstr (gtk_label_get_label (status), ==, expected);
    assert_translated (gtk_label_get_label (status), "Waiting for your signed file");
    /* The draft became the order. */
    g_assert_null (porteur_order_page_get_draft_id (page));

    /* The form's preview appears; printed (exported by GtkPrintOperation), it holds the order. */
    g_assert_true (porteur_test_ui_wait_until (form_previewed, page, 30000));
    /* The CA's documents checklist, in the holder's language. */
    g_assert_true (porteur_test_ui_wait_until (checklist_shown, page, 30000));
    {
      const char *holder_id = g_str_equal (lang, "fr") ? "Copie de la pièce d’identité du porteur"
                            : g_str_equal (lang, "br") ? "Eilskrid paper-anaout an dalc'her"
                            : "Copy of the holder’s identity document";
      GtkWidget *row = field (page, "checklist-holder-id");

      g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, holder_id);
      g_assert_nonnull (find_named (GTK_WIDGET (page), "checklist-subscription-form"));
      g_assert_nonnull (find_named (GTK_WIDGET (page), "checklist-representative-id"));
      /* No secret before validation. */
      g_assert_null (find_named (GTK_WIDGET (page), "enrollment"));
    }
    shot (window, "order-sent");
    g_assert_true (porteur_order_page_print_form_to_file (page, pdf, &print_error));
    g_assert_no_error (print_error);
    text = pdf_to_text (pdf);
    g_assert_nonnull (strstr (text, "Le Goff"));
    g_assert_nonnull (strstr (text, "Kerjean"));
    g_assert_nonnull (strstr (text, "Mégalis Bretagne"));
    g_assert_nonnull (strstr (text, "35510"));
    /* In the holder's language where Porteur has one, else in French, the CA's (the English
     * tests run in the C locale): a heading of the form, in that language and not the other. */
    {
      const char *form_lang = g_str_equal (lang, "br") ? "br" : "fr";
      const char *other = g_str_equal (form_lang, "br") ? "fr" : "br";

      g_assert_nonnull (strstr (text, porteur_catalog_pgettext (form_lang, PORTEUR_ORDER_FORM_CONTEXT, "7. Technical assistance")));
      g_assert_null (strstr (text, porteur_catalog_pgettext (other, PORTEUR_ORDER_FORM_CONTEXT, "7. Technical assistance")));
    }
    pdf_to_png (pdf, png_prefix);
    g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
    g_unlink (pdf);
    g_unlink (png);
    g_rmdir (dir);

    /* Corrected while not validated: another office, sent again. */
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.rectify", NULL);
    g_assert_cmpstr (porteur_order_page_get_state (page), ==, "wizard");
    g_assert_null (porteur_order_page_get_draft_id (page));
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.go-to-step", g_variant_new_uint32 (6));
    g_assert_true (gtk_widget_activate (field (page, "office-cci-morbihan-lorient")));
    assert_next (page, TRUE);
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.go-to-step", g_variant_new_uint32 (PORTEUR_ORDER_PAGE_SUMMARY));
    shot (window, "rectify-summary");
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.send", NULL);
    g_assert_true (porteur_test_ui_wait_until (page_shows_order, page, 30000));
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(PorteurOrderRecord) corrected = porteur_order_record_load (order_number, &load_error);

      g_assert_no_error (load_error);
      g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_dossier (corrected), "office"), ==, "cci-morbihan-lorient");
    }

    /* The registration office validates: the status changes on the next refresh. */
    g_free (order_test_sim_admin (sim, "documents-received", order_number, NULL));
    g_free (order_test_sim_admin (sim, "validate", order_number, NULL));
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.refresh", NULL);
    g_assert_true (porteur_test_ui_wait_until (status_is_validated, page, 30000));
    shot (window, "order-validated");

    /* The enrollment secret: offered with its explanation, shown once on request, never kept. */
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(PorteurOrderRecord) saved = NULL;
      g_autofree char *secret = NULL;
      g_autofree char *record_path = NULL;
      g_autofree char *record_text = NULL;

      g_assert_nonnull (field (page, "enrollment-secret-ready"));
      g_assert_null (find_named (GTK_WIDGET (page), "checklist"));
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.show-secret", NULL);
      g_assert_true (porteur_test_ui_wait_until (secret_shown, page, 30000));
      secret = g_strdup (gtk_label_get_label (GTK_LABEL (field (page, "enrollment-secret"))));
      g_assert_cmpuint (strlen (secret), >=, 8);
      shot (window, "order-secret");
      saved = porteur_order_record_load (order_number, &load_error);
      g_assert_no_error (load_error);
      g_assert_nonnull (porteur_order_member_string (saved->data, "enrollment_secret_shown_at"));
      g_assert_nonnull (porteur_order_member_string (saved->data, "enrollment_reference"));
      record_path = g_build_filename (g_get_user_data_dir (), "porteur", "order", "orders", order_number, NULL);
      record_text = g_strconcat (record_path, ".json", NULL);
      g_clear_pointer (&record_path, g_free);
      g_assert_true (g_file_get_contents (record_text, &record_path, NULL, NULL));
      g_assert_null (strstr (record_path, secret));
      /* Left and opened again: the secret is gone, and the page says it was already shown. */
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.home", NULL);
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.show", g_variant_new_string (order_number));
      g_assert_null (find_named (GTK_WIDGET (page), "enrollment-secret"));
      g_assert_nonnull (field (page, "enrollment-secret-shown"));
      shot (window, "order-secret-shown");
    }

    /* The delivery: the office's free times, one picked and booked; a booking cancelled at once
     * books nothing visible, the same time booked again is the appointment, shown with where and
     * what to bring, the status and the history. */
    {
      GtkWidget *check, *row;
      g_autofree char *slot = NULL;
      g_autofree char *slot_id = NULL;
      JsonArray *history;
      gboolean in_history = FALSE;
      g_autoptr(GError) load_error = NULL;
      g_autoptr(PorteurOrderRecord) booked = NULL;

      g_assert_nonnull (field (page, "appointment-booking"));
      g_assert_true (porteur_test_ui_wait_until (slots_shown, page, 30000));
      g_assert_null (find_named (GTK_WIDGET (page), "booking-error"));
      g_assert_false (gtk_widget_is_sensitive (field (page, "book-appointment")));
      check = find_prefixed (GTK_WIDGET (page), "slot-");
      slot = g_strdup (gtk_widget_get_name (check));
      slot_id = g_strdup (slot + strlen ("slot-"));
      g_assert_nonnull (strstr (slot_id, "cci-morbihan-lorient@"));
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.choose-slot", g_variant_new_string (slot_id));
      g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
      porteur_test_ui_iterate (10);
      g_assert_true (gtk_widget_is_sensitive (field (page, "book-appointment")));
      shot (window, "order-slots");

      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.book-appointment", NULL);
      g_assert_nonnull (field (page, "booking-busy"));
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.cancel-booking", NULL);
      g_assert_true (porteur_test_ui_wait_until (booking_done, page, 30000));
      row = field (page, "booking-status");
      assert_translated (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Not booked");
      assert_translated (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                         "Booking cancelled. If the certification authority had already received it, the appointment appears when the order is refreshed.");
      shot (window, "order-booking-cancelled");

      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.book-appointment", NULL);
      g_assert_true (porteur_test_ui_wait_until (appointment_shown, page, 30000));
      g_assert_null (find_named (GTK_WIDGET (page), "booking-error"));
      g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (field (page, "order-status"))), ==, porteur_order_status_label ("appointment"));
      row = field (page, "appointment-where");
      g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Lorient"));
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "56"));
      row = field (page, "appointment-bring-0");
      assert_translated (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                         "The holder comes in person, with the original of a valid identity document (national identity card, passport or residence permit): the office checks it face to face.");
      g_assert_nonnull (field (page, "appointment-bring-1"));
      g_assert_null (find_named (GTK_WIDGET (page), "appointment-booking"));
      /* Shown in the history, kept on disk. */
      booked = porteur_order_record_load (order_number, &load_error);
      g_assert_no_error (load_error);
      g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (booked), "slot"), ==, slot_id);
      g_assert_null (porteur_order_member_object (booked->data, "pending_booking"));
      history = porteur_order_record_get_history (booked);
      for (guint i = 0; i < json_array_get_length (history); i++)
        in_history |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (history, i), "status"), "appointment") == 0;
      g_assert_true (in_history);
      shot (window, "order-appointment");

      /* Cancelled from the window. Asked first: keeping it changes nothing. */
      {
        AdwMessageDialog *dialog = ask_cancel_appointment (page);
        g_autoptr(PorteurOrderRecord) kept = NULL;
        g_autoptr(PorteurOrderRecord) failed = NULL;
        g_autoptr(PorteurOrderRecord) stopped = NULL;
        g_autoptr(PorteurOrderRecord) cancelled = NULL;
        g_autoptr(GError) server_error = g_error_new_literal (PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SERVER, "HTTP 500");
        g_autoptr(GError) stop_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
        g_autofree char *server_sentence = porteur_order_cancel_appointment_error (server_error);
        g_autofree char *stop_sentence = porteur_order_cancel_appointment_error (stop_error);
        g_autofree char *fault_path = g_strdup_printf ("/api/v1/orders/%s/appointment", order_number);
        g_autofree char *slot_name = g_strdup_printf ("slot-%s", slot_id);
        gboolean cancel_in_history = FALSE;

        shot_dialog (dialog, "cancel-appointment-dialog");
        respond (dialog, "keep");
        g_assert_true (porteur_test_ui_wait_until (dialog_finalized, NULL, 5000));
        porteur_test_ui_iterate (200);
        g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (field (page, "order-status"))), ==, porteur_order_status_label ("appointment"));
        g_assert_nonnull (field (page, "appointment-when"));
        g_assert_null (find_named (GTK_WIDGET (page), "booking-busy"));
        g_assert_null (find_named (GTK_WIDGET (page), "booking-error"));
        kept = porteur_order_record_load (order_number, &load_error);
        g_assert_no_error (load_error);
        g_assert_cmpstr (porteur_order_record_get_status (kept), ==, "appointment");
        g_assert_cmpstr (porteur_order_member_string (porteur_order_record_get_appointment (kept), "slot"), ==, slot_id);
        g_assert_null (porteur_order_member_object (kept->data, "pending_cancellation"));

        /* The CA fails: the sentence in the appointment's status row, the appointment kept. */
        g_free (order_test_sim_admin (sim, "fault", "DELETE", fault_path, "http-500", "1", NULL));
        respond (ask_cancel_appointment (page), "cancel-appointment");
        g_assert_true (porteur_test_ui_wait_until (cancellation_failed, page, 30000));
        g_assert_true (porteur_test_ui_wait_until (dialog_finalized, NULL, 5000));
        row = field (page, "booking-error");
        assert_translated (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "The appointment could not be cancelled");
        g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, server_sentence);
        assert_translated (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "The certification authority failed to cancel the appointment: try again later.");
        g_assert_true (status_is_appointment (page));
        g_assert_nonnull (field (page, "appointment-when"));
        failed = porteur_order_record_load (order_number, &load_error);
        g_assert_no_error (load_error);
        g_assert_cmpstr (porteur_order_record_get_status (failed), ==, "appointment");
        g_assert_nonnull (porteur_order_record_get_appointment (failed));
        shot (window, "order-cancel-appointment-failed");

        /* Stopped at once with the status row's Cancel: nothing changes in the window. */
        respond (ask_cancel_appointment (page), "cancel-appointment");
        g_assert_nonnull (field (page, "booking-busy"));
        g_assert_false (gtk_widget_is_sensitive (field (page, "cancel-appointment")));
        porteur_test_ui_activate_action (GTK_WIDGET (page), "order.cancel-booking", NULL);
        g_assert_true (porteur_test_ui_wait_until (booking_done, page, 30000));
        g_assert_true (porteur_test_ui_wait_until (dialog_finalized, NULL, 5000));
        row = field (page, "booking-status");
        assert_translated (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Not cancelled");
        g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, stop_sentence);
        g_assert_true (status_is_appointment (page));
        stopped = porteur_order_record_load (order_number, &load_error);
        g_assert_no_error (load_error);
        g_assert_cmpstr (porteur_order_record_get_status (stopped), ==, "appointment");
        porteur_test_ui_iterate (10);
        g_assert_true (gtk_widget_is_sensitive (field (page, "cancel-appointment")));

        /* Confirmed: validated again, the history says so, and the free times are offered again,
         * the cancelled one among them. */
        respond (ask_cancel_appointment (page), "cancel-appointment");
        g_assert_true (porteur_test_ui_wait_until (status_is_validated, page, 30000));
        g_assert_true (porteur_test_ui_wait_until (dialog_finalized, NULL, 5000));
        g_assert_null (find_named (GTK_WIDGET (page), "appointment-when"));
        g_assert_nonnull (field (page, "appointment-booking"));
        g_assert_true (porteur_test_ui_wait_until (slots_shown, page, 30000));
        g_assert_null (find_named (GTK_WIDGET (page), "booking-error"));
        g_assert_nonnull (field (page, slot_name));
        cancelled = porteur_order_record_load (order_number, &load_error);
        g_assert_no_error (load_error);
        g_assert_cmpstr (porteur_order_record_get_status (cancelled), ==, "validated");
        g_assert_null (porteur_order_record_get_appointment (cancelled));
        g_assert_null (porteur_order_member_object (cancelled->data, "pending_cancellation"));
        history = porteur_order_record_get_history (cancelled);
        g_assert_cmpuint (json_array_get_length (history), >, json_array_get_length (porteur_order_record_get_history (booked)));
        {
          JsonObject *last = json_array_get_object_element (history, json_array_get_length (history) - 1);

          cancel_in_history = g_strcmp0 (porteur_order_member_string (last, "status"), "validated") == 0 &&
                              strstr (porteur_order_member_string (last, "note"), "cancelled") != NULL;
        }
        g_assert_true (cancel_in_history);
        shot (window, "order-appointment-cancelled");

        /* The same time booked again, for the delivery below. */
        porteur_test_ui_activate_action (GTK_WIDGET (page), "order.choose-slot", g_variant_new_string (slot_id));
        porteur_test_ui_iterate (10);
        porteur_test_ui_activate_action (GTK_WIDGET (page), "order.book-appointment", NULL);
        g_assert_true (porteur_test_ui_wait_until (status_is_appointment, page, 30000));
        g_assert_nonnull (field (page, "appointment-when"));
      }
    }

    /* Followed to issuance: the office delivers face to face and the CA issues the certificate
     * (the simulator's test-only issue stands for the holder's CMP request); the next refresh
     * shows it, in the status and in the saved history, and the order is no longer refreshed. */
    {
      g_autofree char *prefix = g_build_filename (sim->state_dir, "issued", NULL);
      g_autoptr(GError) load_error = NULL;
      g_autoptr(PorteurOrderRecord) issued = NULL;
      JsonArray *history;

      g_free (order_test_sim_admin (sim, "deliver", order_number, NULL));
      g_free (order_test_sim_admin (sim, "issue", order_number, prefix, NULL));
      porteur_test_ui_activate_action (GTK_WIDGET (page), "order.refresh", NULL);
      g_assert_true (porteur_test_ui_wait_until (status_is_issued, page, 30000));
      g_assert_null (find_named (GTK_WIDGET (page), "appointment-booking"));
      issued = porteur_order_record_load (order_number, &load_error);
      g_assert_no_error (load_error);
      g_assert_cmpstr (porteur_order_record_get_status (issued), ==, "issued");
      history = porteur_order_record_get_history (issued);
      g_assert_cmpuint (json_array_get_length (history), >=, 1);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (history, json_array_get_length (history) - 1), "status"), ==, "issued");
      shot (window, "order-issued");
    }

    /* Listed with its status. */
    porteur_test_ui_activate_action (GTK_WIDGET (page), "order.home", NULL);
    {
      g_autofree char *row_name = g_strdup_printf ("order-%s", order_number);
      g_assert_nonnull (find_named (GTK_WIDGET (page), row_name));
    }
    shot (window, "home-orders");
  }
  porteur_test_ui_destroy_window (GTK_WINDOW (window));
}

/* A notification about an order opens Porteur on that order: the application action its default
 * action names (app.show-order) shows the Order section on the order. Runs after the wizard test,
 * whose order is on disk. */
static void
test_show_order_action (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = porteur_order_record_list (&error);
  g_autoptr(PorteurApplication) app = porteur_application_new ();
  const char *number;
  GtkWindow *window;
  GtkWidget *label;

  g_assert_no_error (error);
  g_assert_cmpuint (records->len, >=, 1);
  number = porteur_order_record_get_number (g_ptr_array_index (records, 0));
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_action_group_activate_action (G_ACTION_GROUP (app), "show-order", g_variant_new_string (number));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    window = gtk_application_get_windows (GTK_APPLICATION (app))->data;
  g_assert_true (PORTEUR_IS_WINDOW (window));
  porteur_test_ui_wait_for_frame (GTK_WIDGET (window));
  g_assert_cmpstr (porteur_window_get_page (PORTEUR_WINDOW (window)), ==, "order");
  label = find_named (GTK_WIDGET (window), "order-number");
  g_assert_nonnull (label);
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (label)), number));
  shot (PORTEUR_WINDOW (window), "show-order-action");
  porteur_test_ui_destroy_window (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  porteur_test_ui_init (&argc, &argv);
  lang = g_getenv ("PORTEUR_TEST_LANG") ? g_getenv ("PORTEUR_TEST_LANG") : "en";
  sim = order_test_sim_start ();
  g_setenv ("PORTEUR_CA_URL", sim->url, TRUE);
  g_setenv ("PORTEUR_CA_TRUST", sim->trust, TRUE);
  g_test_add_func ("/order-page/wizard", test_wizard);
  g_test_add_func ("/order-page/show-order-action", test_show_order_action);
  status = g_test_run ();
  order_test_sim_stop (sim);
  return status;
}
