/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <poppler.h>

#include "ca/porteur-ca-client.h"
#include "order/porteur-order-check.h"
#include "order/porteur-order-form.h"
#include "order/porteur-order-record.h"
#include "order/porteur-order-draft.h"
#include "order/porteur-order-text.h"
#include "porteur-application.h"
#include "porteur-order-page.h"

/* poppler-glib 22.12 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerDocument, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopplerPage, g_object_unref)

/*
 * Ordering a certificate: the guide's seven steps as a wizard, then a summary. The page keeps the
 * dossier (the RA API's JSON, docs/ca-api.md §2) and checks it with porteur-order-check after
 * every change: each field shows its own error once the holder has typed in it, and the Next
 * button stays insensitive with the first problem of the step written beside it. Each change is
 * autosaved as a draft (porteur-order-draft) by a single worker thread, in order; closing the
 * window waits for the last save.
 */

typedef enum {
  FIELD_ENTRY,
  FIELD_COMBO,
  FIELD_SWITCH,
  FIELD_OFFICE,
} FieldKind;

typedef struct {
  char      *path;          /* dossier path, or a UI-only name starting with '@' */
  FieldKind  kind;
  guint      step;
  GtkWidget *row;
  GtkWidget *control;       /* the GtkSwitch of a switch row */
  GtkWidget *error_label;
  GStrv      values;        /* a combo's values; values[0] is "" (nothing chosen yet) */
  gboolean   touched;
} Field;

struct _PorteurOrderPage
{
  AdwBin                 parent_instance;

  /* Template widgets */
  GtkStack              *stack;
  AdwPreferencesGroup   *drafts_group;
  GtkLabel              *step_label;
  GtkLabel              *step_progress;
  GtkLabel              *save_label;
  GtkStack              *steps;
  GtkWidget             *back_button;
  GtkLabel              *reason_label;
  GtkButton             *next_button;

  /* Owned */
  PorteurOrderCatalogue *catalogue;
  JsonObject            *dossier;
  char                  *draft_id;
  guint                  step;
  GPtrArray             *fields;            /* Field*, in the order of the wizard */
  GHashTable            *fields_by_path;    /* path → Field* (borrowed) */
  GHashTable            *checks;            /* path → PorteurOrderCheck of the last validation */
  char                  *email_confirmation;
  gboolean               price_confirmed;
  gboolean               loading;           /* widgets are being filled from the dossier */
  gboolean               dirty;             /* changed since the last queued save */
  guint                  save_source;
  char                  *next_reason;
  GPtrArray             *draft_rows;
  GPtrArray             *summary_groups;
  GtkWidget             *summary_box;
  GtkWidget             *office_list;
  GtkWidget             *office_search;
  GHashTable            *office_checks;     /* office id → GtkCheckButton (borrowed) */
  GtkWidget             *price_rows[6];
  gboolean               saved_once;        /* this order has a draft on disk */
  gboolean               built;             /* the wizard's steps exist (built on first use) */
  GtkWidget             *send_button;
  GtkWidget             *order_box;         /* the order view, rebuilt for each record */
  GtkWidget             *form_picture;
  PorteurCaClient       *client;
  GCancellable          *cancellable;
  PorteurOrderRecord    *record;            /* the order shown */
  char                  *rectify_number;    /* the wizard corrects this order */
  char                  *form_path;         /* the shown order's form (temporary PDF) */
  char                  *send_error;
  gboolean               sending;
  guint                  refresh_source;
  GtkFileChooserNative  *chooser;
  guint                  order_view;        /* bumped each time the order view is rebuilt */
  AdwPreferencesGroup   *checklist_group;   /* in order_box; valid while order_view is current */
  AdwPreferencesGroup   *secret_group;
  char                  *secret;            /* the enrollment secret, once given; wiped */
  char                  *secret_number;     /* the order it belongs to */
  AdwPreferencesGroup   *booking_group;     /* the free delivery times; valid like checklist_group */
  AdwPreferencesGroup   *appointment_group; /* the booked appointment; valid like checklist_group */
  GtkWidget             *booking_status;    /* the status row of either: asking, booking, cancelling, error */
  GtkWidget             *booking_spinner;
  GtkWidget             *booking_cancel;
  GPtrArray             *slot_rows;         /* the day rows in booking_group */
  char                  *slot_choice;       /* the slot id the holder picked */
  GCancellable          *booking;           /* the booking or cancellation under way (its own: Cancel
                                               stops only it) */
};

G_DEFINE_FINAL_TYPE (PorteurOrderPage, porteur_order_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STEP,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void validate (PorteurOrderPage *self);
static void rebuild_summary (PorteurOrderPage *self);
static void rebuild_drafts (PorteurOrderPage *self);
static void fill_product_model (PorteurOrderPage *self);

/* ---------------------------------------------------------------------------------------- */
/* Autosave: one worker thread for every page, so saves reach the disk in the order they were
 * made; pending counts the queued and running saves. */

typedef struct {
  char       *id;
  guint       step;
  char       *dossier_json;
  GWeakRef   *page;
} SaveJob;

static GThreadPool *save_pool;
static GMutex save_mutex;
static GCond save_cond;
static guint save_pending;

typedef struct {
  GWeakRef *page;
  char     *message;   /* NULL: saved */
} SaveReport;

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, object);
  return ref;
}

static gboolean
save_report_idle (gpointer data)
{
  SaveReport *report = data;
  g_autoptr(PorteurOrderPage) self = g_weak_ref_get (report->page);

  if (self && self->save_label)
    {
      if (report->message)
        {
          g_autofree char *text = g_strdup_printf (_("Your draft could not be saved: %s"), report->message);
          gtk_label_set_label (self->save_label, text);
          gtk_widget_remove_css_class (GTK_WIDGET (self->save_label), "dim-label");
          gtk_widget_add_css_class (GTK_WIDGET (self->save_label), "error");
        }
      else
        {
          gtk_label_set_label (self->save_label, _("Draft saved on this computer"));
          gtk_widget_remove_css_class (GTK_WIDGET (self->save_label), "error");
          gtk_widget_add_css_class (GTK_WIDGET (self->save_label), "dim-label");
        }
    }
  weak_ref_free (report->page);
  g_free (report->message);
  g_free (report);
  return G_SOURCE_REMOVE;
}

static void
save_job_run (gpointer data,
              gpointer user_data)
{
  SaveJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (job->dossier_json, &error);
  SaveReport *report = g_new0 (SaveReport, 1);

  if (node)
    porteur_order_draft_save (job->id, job->step, json_node_get_object (node), &error);
  if (error)
    {
      g_message ("Saving draft %s failed: %s", job->id, error->message);
      report->message = g_strdup (error->message);
    }
  report->page = job->page;
  g_idle_add (save_report_idle, report);

  g_free (job->id);
  g_free (job->dossier_json);
  g_free (job);

  g_mutex_lock (&save_mutex);
  save_pending--;
  g_cond_broadcast (&save_cond);
  g_mutex_unlock (&save_mutex);
}

static void
wait_for_saves (void)
{
  g_mutex_lock (&save_mutex);
  while (save_pending > 0)
    g_cond_wait (&save_cond, &save_mutex);
  g_mutex_unlock (&save_mutex);
}

static char *
dossier_to_string (JsonObject *dossier)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, dossier);
  return json_to_string (node, FALSE);
}

static void
queue_save_now (PorteurOrderPage *self)
{
  SaveJob *job;

  g_clear_handle_id (&self->save_source, g_source_remove);
  if (!self->dirty || self->draft_id == NULL || self->dossier == NULL)
    return;
  self->dirty = FALSE;
  self->saved_once = TRUE;

  job = g_new0 (SaveJob, 1);
  job->id = g_strdup (self->draft_id);
  job->step = MIN (self->step, PORTEUR_ORDER_N_STEPS - 1);
  job->dossier_json = dossier_to_string (self->dossier);
  job->page = weak_ref_new (self);

  g_mutex_lock (&save_mutex);
  save_pending++;
  g_mutex_unlock (&save_mutex);
  g_thread_pool_push (save_pool, job, NULL);
}

static gboolean
save_timeout (gpointer data)
{
  PorteurOrderPage *self = data;

  self->save_source = 0;
  queue_save_now (self);
  return G_SOURCE_REMOVE;
}

/* After each change; the write itself waits for a short pause in typing. */
static void
schedule_save (PorteurOrderPage *self)
{
  self->dirty = TRUE;
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->save_source = g_timeout_add (250, save_timeout, self);
}

/* ---------------------------------------------------------------------------------------- */
/* The dossier */

static JsonObject *
parent_object (JsonObject  *root,
               const char  *path,
               const char **leaf,
               gboolean     create)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  guint n = g_strv_length (parts);
  JsonObject *object = root;

  for (guint i = 0; i + 1 < n && object; i++)
    {
      JsonObject *child = porteur_order_member_object (object, parts[i]);

      if (child == NULL && create)
        {
          child = json_object_new ();
          json_object_set_object_member (object, parts[i], child);
        }
      object = child;
    }
  *leaf = strrchr (path, '.') ? strrchr (path, '.') + 1 : path;
  return object;
}

static const char *
dossier_get_string (PorteurOrderPage *self,
                    const char       *path)
{
  const char *leaf;
  JsonObject *object = parent_object (self->dossier, path, &leaf, FALSE);

  return porteur_order_member_string (object, leaf);
}

static gboolean
dossier_get_boolean (PorteurOrderPage *self,
                     const char       *path)
{
  JsonNode *node = json_object_get_member (self->dossier, path);

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean (node);
}

static void
dossier_set_string (PorteurOrderPage *self,
                    const char       *path,
                    const char       *value)
{
  const char *leaf;
  JsonObject *object = parent_object (self->dossier, path, &leaf, TRUE);
  g_autofree char *trimmed = g_strstrip (g_strdup (value ? value : ""));

  json_object_set_string_member (object, leaf, trimmed);
}

static JsonObject *
current_product (PorteurOrderPage *self)
{
  return porteur_order_catalogue_find_product (self->catalogue, dossier_get_string (self, "product"));
}

/* ---------------------------------------------------------------------------------------- */
/* Fields */

static void
field_free (Field *field)
{
  g_free (field->path);
  g_strfreev (field->values);
  g_free (field);
}

static void
changed (PorteurOrderPage *self,
         Field            *field)
{
  if (self->loading)
    return;
  if (field)
    field->touched = TRUE;
  g_clear_pointer (&self->send_error, g_free);
  validate (self);
  schedule_save (self);
}

static void
on_entry_changed (GtkEditable *editable,
                  Field       *field)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (editable), PORTEUR_TYPE_ORDER_PAGE));

  if (self == NULL || self->loading)
    return;
  if (g_str_equal (field->path, "@requester_email_confirmation"))
    {
      g_free (self->email_confirmation);
      self->email_confirmation = g_strdup (gtk_editable_get_text (editable));
    }
  else
    dossier_set_string (self, field->path, gtk_editable_get_text (editable));
  changed (self, field);
}

static void
on_combo_selected (AdwComboRow *row,
                   GParamSpec  *pspec,
                   Field       *field)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (row), PORTEUR_TYPE_ORDER_PAGE));
  guint selected = adw_combo_row_get_selected (row);

  if (self == NULL || self->loading || field->values == NULL)
    return;
  if (selected >= g_strv_length (field->values))
    selected = 0;
  dossier_set_string (self, field->path, field->values[selected]);
  if (g_str_equal (field->path, "support"))
    fill_product_model (self);
  changed (self, field);
}

static void
on_switch_active (GtkSwitch  *control,
                  GParamSpec *pspec,
                  Field      *field)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (control), PORTEUR_TYPE_ORDER_PAGE));

  if (self == NULL || self->loading)
    return;
  if (g_str_equal (field->path, "@price_confirmed"))
    self->price_confirmed = gtk_switch_get_active (control);
  else
    {
      json_object_set_boolean_member (self->dossier, field->path, gtk_switch_get_active (control));
      if (g_str_equal (field->path, "has_compatible_token"))
        fill_product_model (self);
    }
  changed (self, field);
}

static Field *
field_new (PorteurOrderPage *self,
           const char       *path,
           FieldKind         kind,
           guint             step,
           GtkWidget        *row)
{
  Field *field = g_new0 (Field, 1);

  field->path = g_strdup (path);
  field->kind = kind;
  field->step = step;
  field->row = row;
  gtk_widget_set_name (row, path);
  g_ptr_array_add (self->fields, field);
  g_hash_table_insert (self->fields_by_path, field->path, field);
  return field;
}

static GtkWidget *
error_label_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 26);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_set_visible (label, FALSE);
  return label;
}

/* Rows show what the holder typed, what the CA answered or what a PDF carries: never Pango
 * markup (libadwaita parses row titles and subtitles as markup by default, so an "&" or a "<"
 * in such text would blank the row or restyle it). */
static GtkWidget *
plain_row (GtkWidget *row)
{
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  return row;
}

static Field *
add_entry (PorteurOrderPage    *self,
           AdwPreferencesGroup *group,
           guint                step,
           const char          *path,
           const char          *title)
{
  GtkWidget *row = plain_row (adw_entry_row_new ());
  Field *field = field_new (self, path, FIELD_ENTRY, step, row);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  field->error_label = error_label_new ();
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), field->error_label);
  g_signal_connect (row, "changed", G_CALLBACK (on_entry_changed), field);
  adw_preferences_group_add (group, row);
  return field;
}

static Field *
add_combo (PorteurOrderPage    *self,
           AdwPreferencesGroup *group,
           guint                step,
           const char          *path,
           const char          *title,
           const char * const  *values)
{
  GtkWidget *row = plain_row (adw_combo_row_new ());
  Field *field = field_new (self, path, FIELD_COMBO, step, row);
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_strv_builder_add (builder, "");
  gtk_string_list_append (model, _("Choose…"));
  for (guint i = 0; values && values[i]; i++)
    {
      g_strv_builder_add (builder, values[i]);
      gtk_string_list_append (model, porteur_order_choice_label (path, values[i]));
    }
  field->values = g_strv_builder_end (builder);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  field->error_label = error_label_new ();
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), field->error_label);
  g_signal_connect (row, "notify::selected", G_CALLBACK (on_combo_selected), field);
  adw_preferences_group_add (group, row);
  return field;
}

static Field *
add_switch (PorteurOrderPage    *self,
            AdwPreferencesGroup *group,
            guint                step,
            const char          *path,
            const char          *title,
            const char          *subtitle)
{
  GtkWidget *row = plain_row (adw_action_row_new ());
  GtkWidget *control = gtk_switch_new ();
  Field *field = field_new (self, path, FIELD_SWITCH, step, row);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), control);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), control);
  field->control = control;
  g_signal_connect (control, "notify::active", G_CALLBACK (on_switch_active), field);
  adw_preferences_group_add (group, row);
  return field;
}

/* The product combo lists the catalogue's products for the chosen support. */
static void
fill_product_model (PorteurOrderPage *self)
{
  Field *field = g_hash_table_lookup (self->fields_by_path, "product");
  const char *support = dossier_get_string (self, "support");
  gboolean own_token = dossier_get_boolean (self, "has_compatible_token");
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *current = dossier_get_string (self, "product");
  guint selected = 0, n = 1;
  gboolean was_loading = self->loading;

  if (field == NULL || self->catalogue == NULL)
    return;
  products = porteur_order_catalogue_dup_products_for (self->catalogue, support ? support : "");
  g_strv_builder_add (builder, "");
  gtk_string_list_append (model, _("Choose…"));
  for (guint i = 0; i < products->len; i++)
    {
      JsonObject *product = g_ptr_array_index (products, i);
      JsonNode *requires = json_object_get_member (product, "requires_token");
      gboolean sells_token = requires == NULL || !JSON_NODE_HOLDS_VALUE (requires) ||
                             json_node_get_value_type (requires) != G_TYPE_BOOLEAN || json_node_get_boolean (requires);
      const char *id = porteur_order_member_string (product, "id");

      /* With a compatible token already owned, only the offers without a token, and the reverse. */
      if (g_strcmp0 (support, "token") == 0 && sells_token == own_token)
        continue;
      g_strv_builder_add (builder, id);
      gtk_string_list_append (model, porteur_order_member_string (product, "name"));
      if (g_strcmp0 (id, current) == 0)
        selected = n;
      n++;
    }
  g_strfreev (field->values);
  field->values = g_strv_builder_end (builder);

  self->loading = TRUE;
  adw_combo_row_set_model (ADW_COMBO_ROW (field->row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (field->row), selected);
  self->loading = was_loading;
  /* A product that does not fit the support any more is forgotten. */
  if (selected == 0 && current && *current)
    dossier_set_string (self, "product", "");
}

/* ---------------------------------------------------------------------------------------- */
/* Validation */

static PorteurOrderCheck
check_of (PorteurOrderPage *self,
          const char       *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->checks, path));
}

static void
set_check (PorteurOrderPage  *self,
           const char        *path,
           PorteurOrderCheck  check)
{
  if (check != PORTEUR_ORDER_CHECK_OK && !g_hash_table_contains (self->checks, path))
    g_hash_table_insert (self->checks, g_strdup (path), GUINT_TO_POINTER (check));
}

static gboolean
is_blank (const char *text)
{
  for (; text && *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

static char *
reason_for (Field             *field,
            PorteurOrderCheck  check)
{
  const char *path = field->path;
  const char *title;

  if (g_str_equal (path, "prerequisites_acknowledged"))
    return g_strdup (_("Confirm that you checked the technical prerequisites"));
  if (g_str_equal (path, "@price_confirmed"))
    return g_strdup (_("Confirm the certificate and its price"));
  if (g_str_equal (path, "office"))
    return g_strdup (_("Choose the registration office"));
  title = porteur_order_field_title (path[0] == '@' ? path + 1 : path);
  if (check == PORTEUR_ORDER_CHECK_EMPTY)
    /* Translators: %s is a field, e.g. “SIRET of the establishment” */
    return g_strdup_printf (field->kind == FIELD_COMBO ? _("Choose “%s”") : _("Fill in “%s”"), title);
  /* Translators: a field and what is wrong with it */
  return g_strdup_printf (_("%s: %s"), title, porteur_order_check_describe (check));
}

static void
update_next (PorteurOrderPage *self)
{
  g_clear_pointer (&self->next_reason, g_free);
  if (self->step < PORTEUR_ORDER_N_STEPS)
    {
      for (guint i = 0; i < self->fields->len; i++)
        {
          Field *field = g_ptr_array_index (self->fields, i);
          PorteurOrderCheck check = check_of (self, field->path);

          if (field->step == self->step && check != PORTEUR_ORDER_CHECK_OK)
            {
              self->next_reason = reason_for (field, check);
              break;
            }
        }
    }
  if (self->step == PORTEUR_ORDER_PAGE_SUMMARY && self->sending)
    gtk_label_set_label (self->reason_label, _("Sending your order to the certification authority…"));
  else if (self->step == PORTEUR_ORDER_PAGE_SUMMARY || self->send_error)
    gtk_label_set_label (self->reason_label, self->send_error ? self->send_error : "");
  else
    gtk_label_set_label (self->reason_label, self->next_reason ? self->next_reason : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.next",
                                 self->step < PORTEUR_ORDER_N_STEPS && self->next_reason == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), self->step < PORTEUR_ORDER_N_STEPS);
  if (self->send_button)
    {
      gtk_widget_set_visible (self->send_button, self->step == PORTEUR_ORDER_PAGE_SUMMARY);
      gtk_button_set_label (GTK_BUTTON (self->send_button), self->rectify_number ? _("_Send the Correction") : _("_Send the Order"));
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.send", self->step == PORTEUR_ORDER_PAGE_SUMMARY && !self->sending);
    }
}

static void
validate (PorteurOrderPage *self)
{
  g_autoptr(GPtrArray) errors = NULL;
  JsonObject *product;
  const char *office;

  if (self->dossier == NULL)
    return;
  g_hash_table_remove_all (self->checks);
  errors = porteur_order_dossier_validate (self->dossier);
  for (guint i = 0; i < errors->len; i++)
    {
      PorteurOrderFieldError *error = g_ptr_array_index (errors, i);
      set_check (self, error->field, error->check);
    }

  /* What only the wizard knows: the e-mail typed twice, the price confirmed, and choices that
   * must come from the catalogue. */
  if (is_blank (self->email_confirmation))
    set_check (self, "@requester_email_confirmation", PORTEUR_ORDER_CHECK_EMPTY);
  else
    set_check (self, "@requester_email_confirmation",
               porteur_order_check_email_pair (dossier_get_string (self, "requester_email"), self->email_confirmation));
  product = current_product (self);
  if (product == NULL || g_strcmp0 (porteur_order_member_string (product, "support"), dossier_get_string (self, "support")) != 0)
    set_check (self, "product", PORTEUR_ORDER_CHECK_EMPTY);
  if (!self->price_confirmed)
    set_check (self, "@price_confirmed", PORTEUR_ORDER_CHECK_EMPTY);
  office = dossier_get_string (self, "office");
  if (porteur_order_catalogue_find_office (self->catalogue, office) == NULL)
    set_check (self, "office", PORTEUR_ORDER_CHECK_EMPTY);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      PorteurOrderCheck check = check_of (self, field->path);
      gboolean show = field->touched && check != PORTEUR_ORDER_CHECK_OK;

      if (field->error_label == NULL)
        continue;
      gtk_label_set_label (GTK_LABEL (field->error_label), show ? porteur_order_check_describe (check) : "");
      gtk_widget_set_visible (field->error_label, show);
      if (show)
        gtk_widget_add_css_class (field->row, "error");
      else
        gtk_widget_remove_css_class (field->row, "error");
    }
  update_next (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Building the steps */

static GtkWidget *
add_step_page (PorteurOrderPage *self,
               guint             step)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 24);
  g_autofree char *name = g_strdup_printf ("step-%u", step);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_stack_add_named (self->steps, scrolled, name);
  return box;
}

static AdwPreferencesGroup *
add_group (GtkWidget  *box,
           const char *title,
           const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  if (title)
    adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  gtk_box_append (GTK_BOX (box), group);
  return ADW_PREFERENCES_GROUP (group);
}

static GtkWidget *
info_row (AdwPreferencesGroup *group,
          const char          *icon,
          const char          *title,
          const char          *subtitle)
{
  GtkWidget *row = plain_row (adw_action_row_new ());

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle ? subtitle : "");
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  if (icon)
    adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name (icon));
  adw_preferences_group_add (group, row);
  return row;
}

static void
build_step_support (PorteurOrderPage *self)
{
  static const char * const supports[] = { "token", "software", NULL };
  GtkWidget *box = add_step_page (self, 0);
  AdwPreferencesGroup *group = add_group (box, _("Support"),
                                          _("Only the products of your organisation’s purchasing agreement are offered."));

  add_combo (self, group, 0, "support", _("Support of the certificate"), supports);
  add_switch (self, group, 0, "has_compatible_token", _("I already own a compatible token"),
              _("The only compatible support is the USB token engraved “ChamberSign”, in your name."));
  add_combo (self, group, 0, "product", _("Certificate"), NULL);
}

static void
build_step_siret (PorteurOrderPage *self)
{
  GtkWidget *box = add_step_page (self, 1);
  AdwPreferencesGroup *group = add_group (box, _("Establishment and Requester"),
                                          _("Have your organisation’s SIRENE notice (avis de situation) at hand. The requester’s e-mail is the one written in the certificate."));
  AdwPreferencesGroup *prereq;
  GtkWidget *warning;

  add_entry (self, group, 1, "siret", _("SIRET of the establishment (14 digits)"));
  add_entry (self, group, 1, "requester_email", _("Requester’s e-mail"));
  add_entry (self, group, 1, "@requester_email_confirmation", _("Requester’s e-mail, again"));

  prereq = add_group (box, _("Technical Prerequisites"),
                      _("Check that the computers where the certificate will be used meet them."));
  info_row (prereq, "computer-symbolic", _("Token on Linux"),
            _("Debian 12, Ubuntu 22.04, Fedora 39 or later, with Porteur and OpenSC (installed with Porteur)"));
  info_row (prereq, "computer-symbolic", _("Token on Windows"),
            _("Windows 10 22H2 or Windows 11, with the token’s driver from the certification authority; installing it needs an administrator account"));
  info_row (prereq, "computer-symbolic", _("Token on macOS"),
            _("macOS 13 or later, with the token’s driver from the certification authority"));
  info_row (prereq, "network-server-symbolic", _("Software certificate"),
            _("Windows 10, Windows 11 or Linux; it cannot be downloaded on macOS"));
  info_row (prereq, "web-browser-symbolic", _("Web browsers"),
            _("Firefox 115 ESR or later, or a current Chrome, Chromium or Edge; Safari on macOS for tokens only"));
  warning = info_row (prereq, "dialog-warning-symbolic", _("Some platforms refuse macOS and Linux"),
                      _("Some electronic public-procurement platforms do not support macOS or Linux. Check the requirements of each platform where you will sign before ordering."));
  gtk_widget_add_css_class (warning, "warning");
  add_switch (self, prereq, 1, "prerequisites_acknowledged",
              _("I have checked that my computer meets the technical prerequisites"), NULL);
}

static void
build_step_price (PorteurOrderPage *self)
{
  static const char * const titles[G_N_ELEMENTS (((PorteurOrderPage *) 0)->price_rows)] = {
    N_("Certificate"), N_("Description"), N_("Level"), N_("Validity"), N_("Price before tax"), N_("Price including VAT (20 %)"),
  };
  GtkWidget *box = add_step_page (self, 2);
  AdwPreferencesGroup *group = add_group (box, _("Your Certificate"),
                                          _("Prices are those of your purchasing agreement; the certification authority invoices your organisation."));

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      self->price_rows[i] = info_row (group, NULL, _(titles[i]), "");
      gtk_widget_add_css_class (self->price_rows[i], "property");
    }
  group = add_group (box, NULL, NULL);
  add_switch (self, group, 2, "@price_confirmed", _("I confirm this certificate and its price"), NULL);
}

static void
update_price_rows (PorteurOrderPage *self)
{
  JsonObject *product = current_product (self);
  const char *price = porteur_order_member_string (product, "price_excl_tax");
  const char *currency = porteur_order_member_string (product, "currency");
  g_autofree char *with_vat = porteur_order_price_with_vat (price);
  g_autofree char *price_text = NULL;
  g_autofree char *vat_text = NULL;
  g_autofree char *validity = NULL;
  gint64 years = product && json_object_has_member (product, "validity_years") ?
                 json_object_get_int_member (product, "validity_years") : 0;
  const char *values[G_N_ELEMENTS (self->price_rows)];

  if (price)
    price_text = g_strdup_printf ("%s %s", price, currency ? currency : "");
  if (with_vat)
    vat_text = g_strdup_printf ("%s %s", with_vat, currency ? currency : "");
  if (years > 0)
    validity = g_strdup_printf (ngettext ("%d year", "%d years", years), (int) years);
  values[0] = porteur_order_member_string (product, "name");
  values[1] = porteur_order_member_string (product, "description");
  values[2] = porteur_order_member_string (product, "level");
  values[3] = validity;
  values[4] = price_text;
  values[5] = vat_text;
  for (guint i = 0; i < G_N_ELEMENTS (self->price_rows); i++)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->price_rows[i]), values[i] ? values[i] : "—");
}

static void
build_step_type (PorteurOrderPage *self)
{
  static const char * const types[] = { "public-body", "private-company", "association", "sole-trader", "other", NULL };
  static const char * const roles[] = { "holder", "legal-representative", "delegate", NULL };
  GtkWidget *box = add_step_page (self, 3);
  AdwPreferencesGroup *group = add_group (box, _("Organisation Type and Your Role"), NULL);

  add_combo (self, group, 3, "organisation_type", _("Organisation type"), types);
  add_combo (self, group, 3, "requester_role", _("You are"), roles);
}

static void
build_step_organisation (PorteurOrderPage *self)
{
  GtkWidget *box = add_step_page (self, 4);
  AdwPreferencesGroup *group = add_group (box, _("Organisation"),
                                          _("The name exactly as on the INSEE notice (and on the Kbis extract for a company)."));

  add_entry (self, group, 4, "organisation.name", _("Organisation name"));
  group = add_group (box, _("Holder’s Establishment"), NULL);
  add_entry (self, group, 4, "organisation.address.line1", _("Address"));
  add_entry (self, group, 4, "organisation.address.line2", _("Address, continued (optional)"));
  add_entry (self, group, 4, "organisation.address.postal_code", _("Postal code"));
  add_entry (self, group, 4, "organisation.address.city", _("City"));
}

static void
build_step_people (PorteurOrderPage *self)
{
  static const char * const civilities[] = { "mrs", "mr", NULL };
  GtkWidget *box = add_step_page (self, 5);
  AdwPreferencesGroup *group = add_group (box, _("Holder"), _("The person whose name the certificate bears."));

  add_combo (self, group, 5, "holder.civility", _("Civility"), civilities);
  add_entry (self, group, 5, "holder.given_name", _("Given name"));
  add_entry (self, group, 5, "holder.family_name", _("Family name"));
  add_entry (self, group, 5, "holder.function", _("Function"));
  add_entry (self, group, 5, "holder.service", _("Service (optional)"));
  add_entry (self, group, 5, "holder.email", _("E-mail"));
  add_entry (self, group, 5, "holder.phone", _("Phone"));

  group = add_group (box, _("Legal Representative"),
                     _("Signs the subscription form. Receives by e-mail the access to the organisation’s revocation space."));
  add_combo (self, group, 5, "legal_representative.civility", _("Civility"), civilities);
  add_entry (self, group, 5, "legal_representative.given_name", _("Given name"));
  add_entry (self, group, 5, "legal_representative.family_name", _("Family name"));
  add_entry (self, group, 5, "legal_representative.function", _("Function"));
  add_entry (self, group, 5, "legal_representative.email", _("E-mail"));
}

static void
on_office_toggled (GtkCheckButton *button,
                   Field          *field)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (gtk_widget_get_ancestor (GTK_WIDGET (button), PORTEUR_TYPE_ORDER_PAGE));

  if (self == NULL || self->loading || !gtk_check_button_get_active (button))
    return;
  dossier_set_string (self, "office", g_object_get_data (G_OBJECT (button), "office-id"));
  changed (self, field);
}

static gboolean
office_filter (GtkListBoxRow *row,
               gpointer       user_data)
{
  PorteurOrderPage *self = user_data;
  JsonObject *office = g_object_get_data (G_OBJECT (row), "office");

  return porteur_order_office_matches (office, gtk_editable_get_text (GTK_EDITABLE (self->office_search)));
}

static void
on_office_search_changed (PorteurOrderPage *self)
{
  gtk_list_box_invalidate_filter (GTK_LIST_BOX (self->office_list));
}

static void
fill_offices (PorteurOrderPage *self,
              Field            *field)
{
  GPtrArray *offices = porteur_order_catalogue_get_offices (self->catalogue);
  GtkWidget *child;
  GtkCheckButton *first = NULL;

  while ((child = gtk_widget_get_first_child (self->office_list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->office_list), child);
  g_hash_table_remove_all (self->office_checks);

  for (guint i = 0; i < offices->len; i++)
    {
      JsonObject *office = g_ptr_array_index (offices, i);
      GtkWidget *row = plain_row (adw_action_row_new ());
      GtkWidget *check = gtk_check_button_new ();
      const char *id = porteur_order_member_string (office, "id");
      g_autofree char *address = porteur_order_office_dup_address (office);
      g_autofree char *name = g_strdup_printf ("office-%s", id);
      JsonNode *delivers = json_object_get_member (office, "delivers");
      JsonNode *files = json_object_get_member (office, "accepts_files");
      GString *subtitle = g_string_new (address);

      if (files && JSON_NODE_HOLDS_VALUE (files) && json_node_get_value_type (files) == G_TYPE_BOOLEAN && json_node_get_boolean (files))
        g_string_append_printf (subtitle, "\n%s", _("Receives the signed files by post"));
      if (delivers && JSON_NODE_HOLDS_VALUE (delivers) && json_node_get_value_type (delivers) == G_TYPE_BOOLEAN && json_node_get_boolean (delivers))
        g_string_append_printf (subtitle, "\n%s", _("Delivers certificates face to face"));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), porteur_order_member_string (office, "name"));
      adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      g_string_free (subtitle, TRUE);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      if (first)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), first);
      else
        first = GTK_CHECK_BUTTON (check);
      g_object_set_data_full (G_OBJECT (check), "office-id", g_strdup (id), g_free);
      g_signal_connect (check, "toggled", G_CALLBACK (on_office_toggled), field);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_widget_set_name (row, name);
      g_object_set_data (G_OBJECT (row), "office", office);
      gtk_list_box_append (GTK_LIST_BOX (self->office_list), row);
      g_hash_table_insert (self->office_checks, g_strdup (id), check);
    }
}

static void
build_step_office (PorteurOrderPage *self)
{
  GtkWidget *box = add_step_page (self, 6);
  add_group (box, _("Registration Office"),
                                          _("Where your signed file is sent; the certificate is then handed over face to face at a CCI office of the ChamberSign network."));
  Field *field;

  self->office_search = gtk_search_entry_new ();
  g_object_set (self->office_search, "placeholder-text", _("Search by town, department or name"), NULL);
  gtk_widget_set_name (self->office_search, "office-search");
  g_signal_connect_swapped (self->office_search, "search-changed", G_CALLBACK (on_office_search_changed), self);
  gtk_box_append (GTK_BOX (box), self->office_search);

  self->office_list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->office_list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->office_list, "boxed-list");
  gtk_list_box_set_filter_func (GTK_LIST_BOX (self->office_list), office_filter, self, NULL);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (self->office_list),
                                g_object_new (GTK_TYPE_LABEL, "label", _("No office matches your search"),
                                              "margin-top", 12, "margin-bottom", 12, NULL));
  gtk_box_append (GTK_BOX (box), self->office_list);
  field = field_new (self, "office", FIELD_OFFICE, 6, self->office_list);
  fill_offices (self, field);
}

static void
build_summary (PorteurOrderPage *self)
{
  self->summary_box = add_step_page (self, PORTEUR_ORDER_PAGE_SUMMARY);
}

/* ---------------------------------------------------------------------------------------- */
/* Filling the widgets from the dossier */

static void
fill_widgets (PorteurOrderPage *self)
{
  self->loading = TRUE;
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      field->touched = FALSE;
      switch (field->kind)
        {
        case FIELD_ENTRY:
          if (g_str_equal (field->path, "@requester_email_confirmation"))
            gtk_editable_set_text (GTK_EDITABLE (field->row), self->email_confirmation ? self->email_confirmation : "");
          else
            {
              const char *value = dossier_get_string (self, field->path);
              gtk_editable_set_text (GTK_EDITABLE (field->row), value ? value : "");
            }
          break;
        case FIELD_COMBO:
          if (g_str_equal (field->path, "product"))
            break;   /* filled once the support is known, below */
          {
            const char *value = dossier_get_string (self, field->path);
            guint selected = 0;

            for (guint j = 1; value && field->values[j]; j++)
              if (g_str_equal (field->values[j], value))
                selected = j;
            adw_combo_row_set_selected (ADW_COMBO_ROW (field->row), selected);
          }
          break;
        case FIELD_SWITCH:
          gtk_switch_set_active (GTK_SWITCH (field->control),
                                 g_str_equal (field->path, "@price_confirmed") ? self->price_confirmed
                                                                               : dossier_get_boolean (self, field->path));
          break;
        case FIELD_OFFICE:
          {
            GtkCheckButton *check = g_hash_table_lookup (self->office_checks, dossier_get_string (self, "office") ?: "");
            GHashTableIter iter;
            gpointer value;

            g_hash_table_iter_init (&iter, self->office_checks);
            while (g_hash_table_iter_next (&iter, NULL, &value))
              gtk_check_button_set_active (value, value == (gpointer) check);
            gtk_editable_set_text (GTK_EDITABLE (self->office_search), "");
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  fill_product_model (self);
  self->loading = FALSE;
  validate (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Navigation */

static void
set_state (PorteurOrderPage *self,
           const char       *state)
{
  if (g_str_equal (state, "home"))
    rebuild_drafts (self);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), state) == 0)
    return;
  gtk_stack_set_visible_child_name (self->stack, state);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
go_to_step (PorteurOrderPage *self,
            guint             step)
{
  g_autofree char *name = g_strdup_printf ("step-%u", step);
  g_autofree char *progress = NULL;

  if (!self->built || self->dossier == NULL)
    return;
  self->step = MIN (step, PORTEUR_ORDER_PAGE_SUMMARY);
  if (self->step == 2)
    update_price_rows (self);
  if (self->step == PORTEUR_ORDER_PAGE_SUMMARY)
    rebuild_summary (self);
  gtk_stack_set_visible_child_name (self->steps, name);
  gtk_label_set_label (self->step_label, porteur_order_step_title (self->step));
  if (self->step < PORTEUR_ORDER_N_STEPS)
    /* Translators: “Step 2 of 7” */
    progress = g_strdup_printf (_("Step %u of %u"), self->step + 1, PORTEUR_ORDER_N_STEPS);
  else
    progress = g_strdup (_("Check everything before sending your order"));
  gtk_label_set_label (self->step_progress, progress);
  update_next (self);
  /* The step is part of the draft: resuming reopens it. */
  if (self->saved_once)
    self->dirty = TRUE;
  queue_save_now (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STEP]);
}

/* The steps are built the first time the wizard opens: the window starts faster. */
static void
ensure_built (PorteurOrderPage *self)
{
  if (self->built)
    return;
  self->built = TRUE;
  self->loading = TRUE;
  build_step_support (self);
  build_step_siret (self);
  build_step_price (self);
  build_step_type (self);
  build_step_organisation (self);
  build_step_people (self);
  build_step_office (self);
  build_summary (self);
  self->loading = FALSE;
}

static void
start (PorteurOrderPage *self,
       const char       *draft_id,
       JsonObject       *dossier,
       guint             step)
{
  ensure_built (self);
  g_free (self->draft_id);
  self->draft_id = g_strdup (draft_id);
  g_clear_pointer (&self->dossier, json_object_unref);
  self->dossier = json_object_ref (dossier);
  /* Steps already passed had these confirmed: Next required them. */
  g_clear_pointer (&self->email_confirmation, g_free);
  if (step > 1)
    self->email_confirmation = g_strdup (dossier_get_string (self, "requester_email"));
  self->price_confirmed = step > 2;
  self->dirty = FALSE;
  self->saved_once = FALSE;
  g_clear_pointer (&self->rectify_number, g_free);
  g_clear_pointer (&self->send_error, g_free);
  fill_widgets (self);
  gtk_label_set_label (self->save_label, "");
  set_state (self, "wizard");
  go_to_step (self, step);
}

void
porteur_order_page_new_order (PorteurOrderPage *self)
{
  g_autofree char *id = porteur_order_draft_new_id ();
  g_autoptr(JsonObject) dossier = json_object_new ();

  g_return_if_fail (PORTEUR_IS_ORDER_PAGE (self));
  json_object_set_string_member (dossier, "support", "token");
  json_object_set_boolean_member (dossier, "has_compatible_token", FALSE);
  json_object_set_boolean_member (dossier, "prerequisites_acknowledged", FALSE);
  start (self, id, dossier, 0);
}

gboolean
porteur_order_page_resume (PorteurOrderPage  *self,
                           const char        *draft_id,
                           GError           **error)
{
  g_autoptr(PorteurOrderDraft) draft = NULL;

  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), FALSE);
  queue_save_now (self);
  wait_for_saves ();
  draft = porteur_order_draft_load (draft_id, error);
  if (draft == NULL)
    return FALSE;
  start (self, draft->id, draft->dossier, MIN (draft->step, PORTEUR_ORDER_N_STEPS - 1));
  return TRUE;
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  porteur_order_page_new_order (PORTEUR_ORDER_PAGE (widget));
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);

  if (self->next_reason == NULL && self->step < PORTEUR_ORDER_N_STEPS)
    go_to_step (self, self->step + 1);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);

  if (self->step == 0)
    {
      queue_save_now (self);
      set_state (self, "home");
    }
  else
    go_to_step (self, self->step - 1);
}

static void
go_to_step_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  go_to_step (PORTEUR_ORDER_PAGE (widget), g_variant_get_uint32 (parameter));
}

static void
help_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  /* The wizard's page for its steps, the page on what follows for the summary. */
  gtk_widget_activate_action (widget, "app.help", "s", self->step < PORTEUR_ORDER_N_STEPS ? "order" : "order-after");
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (!porteur_order_page_resume (self, g_variant_get_string (parameter, NULL), &error))
    {
      g_message ("Resuming draft failed: %s", error->message);
      rebuild_drafts (self);
    }
}

static void
delete_draft_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  const char *id = g_variant_get_string (parameter, NULL);

  wait_for_saves ();
  if (!porteur_order_draft_delete (id, &error))
    g_message ("Deleting draft %s failed: %s", id, error->message);
  if (g_strcmp0 (id, self->draft_id) == 0)
    {
      g_clear_pointer (&self->draft_id, g_free);
      self->dirty = FALSE;
    }
  rebuild_drafts (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Summary and drafts list */

static char *
field_display (PorteurOrderPage *self,
               const char       *path)
{
  const char *value = dossier_get_string (self, path);

  if (g_str_equal (path, "product"))
    value = porteur_order_member_string (current_product (self), "name");
  else if (g_str_equal (path, "office"))
    value = porteur_order_member_string (porteur_order_catalogue_find_office (self->catalogue, value), "name");
  else if (g_str_equal (path, "has_compatible_token"))
    return g_strdup (dossier_get_boolean (self, path) ? _("Yes") : _("No"));
  else if (g_str_equal (path, "prerequisites_acknowledged"))
    return g_strdup (dossier_get_boolean (self, path) ? _("Checked") : _("Not checked"));
  else if (g_str_has_suffix (path, "civility") || g_str_equal (path, "support") ||
           g_str_equal (path, "organisation_type") || g_str_equal (path, "requester_role"))
    value = porteur_order_choice_label (path, value);
  return g_strdup (value && *value ? value : "—");
}

static void
rebuild_summary (PorteurOrderPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->summary_box)))
    gtk_box_remove (GTK_BOX (self->summary_box), child);

  for (guint step = 0; step < PORTEUR_ORDER_N_STEPS; step++)
    {
      AdwPreferencesGroup *group = add_group (self->summary_box, porteur_order_step_title (step), NULL);
      GtkWidget *edit;
      g_autofree char *edit_name = g_strdup_printf ("change-step-%u", step);
      gboolean any = FALSE;
      for (guint i = 0; i < self->fields->len; i++)
        {
          Field *field = g_ptr_array_index (self->fields, i);
          g_autofree char *value = NULL;
          GtkWidget *row;

          if (field->step != step || field->path[0] == '@')
            continue;
          value = field_display (self, field->path);
          row = info_row (group, NULL, porteur_order_field_title (field->path), value);
          gtk_widget_add_css_class (row, "property");
          any = TRUE;
        }
      if (step == 2)
        {
          JsonObject *product = current_product (self);
          g_autofree char *price = porteur_order_price_with_vat (porteur_order_member_string (product, "price_excl_tax"));
          g_autofree char *text = g_strdup_printf (_("%s %s before tax, %s %s including VAT"),
                                                   porteur_order_member_string (product, "price_excl_tax") ?: "—",
                                                   porteur_order_member_string (product, "currency") ?: "",
                                                   price ? price : "—",
                                                   porteur_order_member_string (product, "currency") ?: "");
          gtk_widget_add_css_class (info_row (group, NULL, _("Price"), text), "property");
          any = TRUE;
        }
      /* The last row of each group leads back to its step. */
      edit = plain_row (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (edit), _("_Change These Answers"));
      adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (edit), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (edit), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (edit), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (edit), "order.go-to-step");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (edit), "u", step);
      gtk_widget_set_name (edit, edit_name);
      adw_preferences_group_add (group, edit);
      if (!any)
        gtk_box_remove (GTK_BOX (self->summary_box), GTK_WIDGET (group));
    }
}

static void
rebuild_drafts (PorteurOrderPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) records = NULL;

  for (guint i = 0; i < self->draft_rows->len; i++)
    adw_preferences_group_remove (self->drafts_group, g_ptr_array_index (self->draft_rows, i));
  g_ptr_array_set_size (self->draft_rows, 0);

  wait_for_saves ();
  drafts = porteur_order_draft_list (&error);
  if (drafts == NULL)
    {
      g_message ("Listing drafts failed: %s", error->message);
      return;
    }
  records = porteur_order_record_list (&error);
  if (records == NULL)
    {
      g_message ("Listing orders failed: %s", error->message);
      g_clear_error (&error);
    }
  for (guint i = 0; records && i < records->len; i++)
    {
      PorteurOrderRecord *record = g_ptr_array_index (records, i);
      const char *org_name = porteur_order_member_string (porteur_order_member_object (porteur_order_record_get_dossier (record), "organisation"), "name");
      GtkWidget *row = plain_row (adw_action_row_new ());
      g_autofree char *title = NULL;
      g_autofree char *name = g_strdup_printf ("order-%s", porteur_order_record_get_number (record));

      title = org_name && *org_name ? g_strdup_printf ("%s — %s", porteur_order_record_get_number (record), org_name)
                                    : g_strdup (porteur_order_record_get_number (record));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), porteur_order_status_label (porteur_order_record_get_status (record)));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("mail-send-symbolic"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "order.show");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", porteur_order_record_get_number (record));
      gtk_widget_set_name (row, name);
      adw_preferences_group_add (self->drafts_group, row);
      g_ptr_array_add (self->draft_rows, row);
    }
  for (guint i = 0; i < drafts->len; i++)
    {
      PorteurOrderDraft *draft = g_ptr_array_index (drafts, i);
      JsonObject *organisation = porteur_order_member_object (draft->dossier, "organisation");
      JsonObject *holder = porteur_order_member_object (draft->dossier, "holder");
      const char *org_name = porteur_order_member_string (organisation, "name");
      const char *family = porteur_order_member_string (holder, "family_name");
      GtkWidget *row = plain_row (adw_action_row_new ());
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autoptr(GDateTime) local = g_date_time_to_local (draft->updated);
      g_autofree char *when = g_date_time_format (local, _("%e %B %Y, %H:%M"));
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      g_autofree char *name = g_strdup_printf ("draft-%s", draft->id);

      if (org_name && *org_name && family && *family)
        title = g_strdup_printf ("%s — %s", org_name, family);
      else
        title = g_strdup (org_name && *org_name ? org_name : _("New order"));
      /* Translators: a draft's step and when it was last changed */
      subtitle = g_strdup_printf (_("Draft, step %u of %u: %s · %s"), MIN (draft->step, PORTEUR_ORDER_N_STEPS - 1) + 1,
                                  PORTEUR_ORDER_N_STEPS, porteur_order_step_title (MIN (draft->step, PORTEUR_ORDER_N_STEPS - 1)),
                                  g_strstrip (when));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("document-edit-symbolic"));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Delete This Draft"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "order.delete-draft");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s", draft->id);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "order.resume");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", draft->id);
      gtk_widget_set_name (row, name);
      adw_preferences_group_add (self->drafts_group, row);
      g_ptr_array_add (self->draft_rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->drafts_group), self->draft_rows->len > 0);
}

/* ---------------------------------------------------------------------------------------- */
/* The certification authority */

#define REFRESH_SECONDS (15 * 60)

static PorteurCaClient *
get_client (PorteurOrderPage  *self,
            GError           **error)
{
  g_autofree char *url = NULL;
  g_autofree char *trust = NULL;

  if (self->client)
    return self->client;
  /* The environment (tests, administrators) first, then the preferences. */
  url = g_strdup (g_getenv ("PORTEUR_CA_URL"));
  trust = g_strdup (g_getenv ("PORTEUR_CA_TRUST"));
  if (url == NULL || *url == '\0')
    {
      g_autoptr(GSettings) settings = g_settings_new (SCHEMA_ID);

      g_free (url);
      url = g_settings_get_string (settings, "ca-url");
      if (trust == NULL || *trust == '\0')
        {
          g_free (trust);
          trust = g_settings_get_string (settings, "ca-trust");
        }
    }
  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("No certification authority is configured: set its address in the Preferences"));
      return NULL;
    }
  self->client = porteur_ca_client_new (url, trust && *trust ? trust : NULL, FALSE, error);
  return self->client;
}

static void
notify_change (PorteurOrderRecord *record)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  g_auto(GStrv) steps = porteur_order_next_steps (porteur_order_record_get_status (record),
                                                  porteur_order_member_string (dossier, "support"),
                                                  porteur_order_record_get_office (record),
                                                  porteur_order_member_string (record->data, "reason"));
  g_autofree char *body = NULL;

  if (app == NULL)
    return;
  /* Translators: a notification's title: the order number and its new status */
  title = g_strdup_printf (_("Order %s: %s"), porteur_order_record_get_number (record),
                           porteur_order_status_label (porteur_order_record_get_status (record)));
  body = g_strdup (steps[0] ? steps[0] : "");
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  /* Clicked, it opens Porteur on this order. */
  g_notification_set_default_action_and_target (notification, "app.show-order", "s",
                                                porteur_order_record_get_number (record));
  id = g_strdup_printf ("order-%s", porteur_order_record_get_number (record));
  g_application_send_notification (app, id, notification);
}

static void show_order (PorteurOrderPage *self, PorteurOrderRecord *record);

static PorteurOrderRecord *
record_copy (PorteurOrderRecord *record)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) copy = NULL;
  PorteurOrderRecord *out = g_new0 (PorteurOrderRecord, 1);

  json_node_set_object (node, record->data);
  text = json_to_string (node, FALSE);
  copy = json_from_string (text, NULL);
  out->data = json_object_ref (json_node_get_object (copy));
  return out;
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PorteurOrderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;
  g_autoptr(PorteurOrderRecord) record = porteur_order_refresh_finish (result, &changed, &error);

  if (record == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Refreshing an order failed: %s", error->message);
      return;
    }
  if (changed)
    notify_change (record);
  if (self->record && g_strcmp0 (porteur_order_record_get_number (self->record), porteur_order_record_get_number (record)) == 0)
    show_order (self, record);
  else if (changed && g_strcmp0 (porteur_order_page_get_state (self), "home") == 0)
    rebuild_drafts (self);
}

static gboolean
order_is_active (PorteurOrderRecord *record)
{
  const char *status = porteur_order_record_get_status (record);
  return g_strcmp0 (status, "issued") != 0 && g_strcmp0 (status, "rejected") != 0;
}

/* Every order still moving is asked for its status; changes are notified. */
static void
refresh_all (PorteurOrderPage *self)
{
  g_autoptr(GPtrArray) records = porteur_order_record_list (NULL);
  PorteurCaClient *client;

  if (records == NULL || records->len == 0 || (client = get_client (self, NULL)) == NULL)
    return;
  for (guint i = 0; i < records->len; i++)
    if (order_is_active (g_ptr_array_index (records, i)))
      porteur_order_refresh_async (client, porteur_order_record_get_number (g_ptr_array_index (records, i)),
                                   self->cancellable, on_refreshed, g_object_ref (self));
}

static gboolean
refresh_timeout (gpointer data)
{
  refresh_all (data);
  return G_SOURCE_CONTINUE;
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  refresh_all (PORTEUR_ORDER_PAGE (widget));
}

/* ---------------------------------------------------------------------------------------- */
/* The subscription form: made, previewed, saved, printed */

typedef struct {
  JsonObject *dossier;
  JsonObject *product;
  JsonObject *office;
  char       *number;
  char       *path;
} FormJob;

static void
form_job_free (FormJob *job)
{
  g_clear_pointer (&job->dossier, json_object_unref);
  g_clear_pointer (&job->product, json_object_unref);
  g_clear_pointer (&job->office, json_object_unref);
  g_free (job->number);
  g_free (job->path);
  g_free (job);
}

static void
form_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FormJob *job = task_data;
  g_autoptr(GError) error = NULL;
  /* The holder's language where Porteur has it (French, Breton, English), else French, the CA's:
   * porteur_order_form_language (). */
  const char *language = g_get_language_names ()[0];
  g_autofree char *uri = NULL;
  g_autoptr(PopplerDocument) document = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  g_autoptr(GBytes) bytes = NULL;
  const double scale = 1.5, gap = 12;
  double width = 0, height = 0;
  int n_pages, w, h;
  GdkTexture *texture;

  if (!porteur_order_form_write_pdf (job->dossier, job->product, job->office, job->number, language, job->path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  uri = g_filename_to_uri (job->path, NULL, &error);
  if (uri == NULL || (document = poppler_document_new_from_file (uri, NULL, &error)) == NULL ||
      (n_pages = poppler_document_get_n_pages (document)) < 1)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", error ? error->message : "no page");
      return;
    }
  /* The pages side by side (a long form flows onto a second page), in one texture. */
  for (int i = 0; i < n_pages; i++)
    {
      g_autoptr(PopplerPage) page = poppler_document_get_page (document, i);
      double pw, ph;

      poppler_page_get_size (page, &pw, &ph);
      width += pw + (i > 0 ? gap : 0);
      height = MAX (height, ph);
    }
  w = (int) (width * scale);
  h = (int) (height * scale);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  for (int i = 0; i < n_pages; i++)
    {
      g_autoptr(PopplerPage) page = poppler_document_get_page (document, i);
      double pw, ph;

      poppler_page_get_size (page, &pw, &ph);
      cairo_save (cr);
      cairo_rectangle (cr, 0, 0, pw, ph);
      cairo_clip (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      poppler_page_render (page, cr);
      cairo_restore (cr);
      cairo_translate (cr, pw + gap, 0);
    }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  bytes = g_bytes_new (cairo_image_surface_get_data (surface), (gsize) cairo_image_surface_get_stride (surface) * h);
  texture = gdk_memory_texture_new (w, h, GDK_MEMORY_DEFAULT, bytes, cairo_image_surface_get_stride (surface));
  cairo_surface_destroy (surface);
  g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_form_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PorteurOrderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = g_task_propagate_pointer (G_TASK (result), &error);
  FormJob *job = g_task_get_task_data (G_TASK (result));

  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Making the subscription form failed: %s", error->message);
      if (job->path)
        g_unlink (job->path);
      return;
    }
  if (self->form_picture == NULL)
    {
      g_unlink (job->path);
      return;
    }
  /* One temporary form per page: the previous one goes. */
  if (self->form_path && g_strcmp0 (self->form_path, job->path) != 0)
    g_unlink (self->form_path);
  g_free (self->form_path);
  self->form_path = g_strdup (job->path);
  gtk_picture_set_paintable (GTK_PICTURE (self->form_picture), GDK_PAINTABLE (texture));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.save-form", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.print-form", TRUE);
}

static void
make_form (PorteurOrderPage   *self,
           PorteurOrderRecord *record)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, on_form_ready, g_object_ref (self));
  FormJob *job = g_new0 (FormJob, 1);
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  JsonObject *product = porteur_order_catalogue_find_product (self->catalogue, porteur_order_member_string (dossier, "product"));
  JsonObject *office = porteur_order_record_get_office (record);
  g_autofree char *name = g_strdup_printf ("porteur-form-%s-XXXXXX.pdf", porteur_order_record_get_number (record));
  int fd;

  if (office == NULL)
    office = porteur_order_catalogue_find_office (self->catalogue, porteur_order_member_string (dossier, "office"));
  fd = g_file_open_tmp (name, &job->path, NULL);
  if (fd >= 0)
    close (fd);
  job->dossier = json_object_ref (dossier);
  job->product = product ? json_object_ref (product) : NULL;
  job->office = office ? json_object_ref (office) : NULL;
  job->number = g_strdup (porteur_order_record_get_number (record));
  g_task_set_task_data (task, job, (GDestroyNotify) form_job_free);
  if (job->path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "No temporary file for the form");
      return;
    }
  g_task_run_in_thread (task, form_thread);
}

static void
on_form_saved (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    g_message ("Saving the subscription form failed: %s", error->message);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  PorteurOrderPage *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->form_path)
    {
      g_autoptr(GFile) target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GFile) form = g_file_new_for_path (self->form_path);

      g_file_copy_async (form, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, NULL, NULL, NULL, on_form_saved, NULL);
    }
  g_clear_object (&self->chooser);
}

static void
save_form_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *name = NULL;

  if (self->form_path == NULL || self->record == NULL)
    return;
  /* Translators: the file name proposed for the subscription form; %s is the order number */
  name = g_strdup_printf (_("subscription-form-%s.pdf"), porteur_order_record_get_number (self->record));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Save the Subscription Form"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_begin_print (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                PopplerDocument   *document)
{
  gtk_print_operation_set_n_pages (operation, poppler_document_get_n_pages (document));
}

static void
on_draw_page (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              PopplerDocument   *document)
{
  g_autoptr(PopplerPage) page = poppler_document_get_page (document, page_nr);
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  double width, height;

  if (page == NULL)
    return;
  /* The form is drawn at its own size (A4, in points), scaled to the printable area. */
  poppler_page_get_size (page, &width, &height);
  cairo_save (cr);
  cairo_scale (cr, gtk_print_context_get_width (context) / width, gtk_print_context_get_height (context) / height);
  poppler_page_render_for_printing (page, cr);
  cairo_restore (cr);
}

/* Prints the shown order's form: with a print dialog, or exported to a PDF file (export_path). */
static gboolean
print_form (PorteurOrderPage  *self,
            const char        *export_path,
            GError           **error)
{
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(PopplerDocument) document = NULL;
  g_autofree char *uri = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkPrintOperationResult result;

  if (self->form_path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The subscription form is not ready");
      return FALSE;
    }
  uri = g_filename_to_uri (self->form_path, NULL, error);
  if (uri == NULL || (document = poppler_document_new_from_file (uri, NULL, error)) == NULL)
    return FALSE;
  operation = gtk_print_operation_new ();
  gtk_print_operation_set_job_name (operation, _("Subscription form"));
  gtk_print_operation_set_use_full_page (operation, TRUE);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  g_signal_connect (operation, "begin-print", G_CALLBACK (on_begin_print), document);
  g_signal_connect (operation, "draw-page", G_CALLBACK (on_draw_page), document);
  if (export_path)
    gtk_print_operation_set_export_filename (operation, export_path);
  result = gtk_print_operation_run (operation, export_path ? GTK_PRINT_OPERATION_ACTION_EXPORT : GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, error);
  return result != GTK_PRINT_OPERATION_RESULT_ERROR;
}

static void
print_form_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  g_autoptr(GError) error = NULL;

  if (!print_form (PORTEUR_ORDER_PAGE (widget), NULL, &error))
    g_message ("Printing the subscription form failed: %s", error->message);
}

/* ---------------------------------------------------------------------------------------- */
/* The order view */

static char *
format_iso_time (const char *iso)
{
  g_autoptr(GDateTime) time = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (time == NULL)
    return g_strdup (iso ? iso : "");
  local = g_date_time_to_local (time);
  text = g_date_time_format (local, _("%e %B %Y, %H:%M"));
  return g_strdup (g_strstrip (text));
}

static GtkWidget *
view_button (const char *label,
             const char *action,
             gboolean    suggested)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_add_css_class (button, "pill");
  if (suggested)
    gtk_widget_add_css_class (button, "suggested-action");
  return button;
}

/* Before removing widgets: the window's focus must not stay on one of them (GTK 4.8's viewport
 * keeps a pointer to the focused descendant and reads it at the next layout). */
static void
release_focus_within (GtkWidget *container)
{
  GtkRoot *root = gtk_widget_get_root (container);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  if (focus && (focus == container || gtk_widget_is_ancestor (focus, container)))
    gtk_root_set_focus (root, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* The CA's documents checklist and the enrollment secret, in the order view */

typedef struct {
  PorteurOrderPage *self;
  guint             view;
} ViewCall;

static ViewCall *
view_call_new (PorteurOrderPage *self)
{
  ViewCall *call = g_new0 (ViewCall, 1);

  call->self = g_object_ref (self);
  call->view = self->order_view;
  return call;
}

static void
view_call_free (ViewCall *call)
{
  g_object_unref (call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ViewCall, view_call_free)

static void
wipe_secret (PorteurOrderPage *self)
{
  if (self->secret)
    explicit_bzero (self->secret, strlen (self->secret));
  g_clear_pointer (&self->secret, g_free);
  g_clear_pointer (&self->secret_number, g_free);
}

static void
on_checklist (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ViewCall) call = user_data;
  PorteurOrderPage *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) list = porteur_ca_client_get_checklist_finish (PORTEUR_CA_CLIENT (source), result, &error);
  GtkWidget *row;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      call->view != self->order_view || self->checklist_group == NULL)
    return;  /* the view was rebuilt meanwhile */
  if ((row = g_object_get_data (G_OBJECT (self->checklist_group), "placeholder")))
    {
      adw_preferences_group_remove (self->checklist_group, row);
      g_object_set_data (G_OBJECT (self->checklist_group), "placeholder", NULL);
    }
  if (list == NULL)
    {
      g_message ("Reading the documents checklist failed: %s", error->message);
      row = info_row (self->checklist_group, "network-offline-symbolic",
                      _("The certification authority could not be reached"),
                      _("The list of documents will be shown when it answers; the form above lists the usual ones."));
      gtk_widget_set_name (row, "checklist-error");
      return;
    }
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(PorteurCaChecklistItem) item = g_list_model_get_item (list, i);
      gboolean received = porteur_ca_checklist_item_get_received (item);
      g_autofree char *name = g_strdup_printf ("checklist-%s", porteur_ca_checklist_item_get_id (item));
      const char *state = received ? _("Received by the registration office")
                                   : porteur_ca_checklist_item_get_required (item) ? _("To send") : _("If it applies to you");
      const char *help = porteur_ca_checklist_item_get_help (item);
      g_autofree char *subtitle = help && *help ? g_strdup_printf ("%s — %s", state, help) : g_strdup (state);

      row = info_row (self->checklist_group, received ? "emblem-ok-symbolic" : "mail-send-symbolic",
                      porteur_ca_checklist_item_get_label (item), subtitle);
      gtk_widget_set_name (row, name);
    }
}

static void
load_checklist (PorteurOrderPage   *self,
                PorteurOrderRecord *record)
{
  PorteurCaClient *client = get_client (self, NULL);
  GtkWidget *row;

  self->checklist_group = add_group (self->order_box, _("Documents to Send"),
                                     _("What the registration office needs, as it lists it for your order."));
  gtk_widget_set_name (GTK_WIDGET (self->checklist_group), "checklist");
  row = info_row (self->checklist_group, NULL, _("Asking the certification authority…"), NULL);
  g_object_set_data (G_OBJECT (self->checklist_group), "placeholder", row);
  if (client == NULL || porteur_order_record_get_access_token (record) == NULL)
    return;
  porteur_ca_client_get_checklist_async (client, porteur_order_record_get_number (record),
                                         porteur_order_record_get_access_token (record),
                                         self->cancellable, on_checklist, view_call_new (self));
}

static void
fill_secret_group (PorteurOrderPage *self)
{
  GtkWidget *row, *label, *button;
  const char *shown_at = self->record ? porteur_order_member_string (self->record->data, "enrollment_secret_shown_at") : NULL;
  gboolean have = self->secret && self->record &&
                  g_strcmp0 (self->secret_number, porteur_order_record_get_number (self->record)) == 0;

  if (have)
    {
      row = plain_row (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Enrollment secret"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Copy it or write it down now: the certification authority gives it only once, and Porteur does not keep it. You will need it, with the reference below, when the certificate is generated."));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      label = gtk_label_new (self->secret);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "monospace");
      gtk_widget_add_css_class (label, "title-3");
      gtk_widget_set_name (label, "enrollment-secret");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      adw_preferences_group_add (self->secret_group, row);
      return;
    }
  if (shown_at)
    {
      g_autofree char *when = format_iso_time (shown_at);
      g_autofree char *subtitle = g_strdup_printf (_("Shown on %s. The certification authority gives it only once: if it is lost, ask your registration office for a new one."), when);

      row = info_row (self->secret_group, "dialog-information-symbolic", _("The enrollment secret was already shown"), subtitle);
      gtk_widget_set_name (row, "enrollment-secret-shown");
      return;
    }
  row = info_row (self->secret_group, "dialog-password-symbolic", _("Your enrollment secret is ready"),
                  _("It will be shown once only, here, and never again: have a safe place ready to note it."));
  button = gtk_button_new_with_mnemonic (_("_Show the Secret"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "order.show-secret");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  gtk_widget_set_name (row, "enrollment-secret-ready");
}

static void
on_enrollment (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ViewCall) call = user_data;
  PorteurOrderPage *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaEnrollment) enrollment = porteur_ca_client_get_enrollment_finish (PORTEUR_CA_CLIENT (source), result, &error);
  GDateTime *shown_at;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.show-secret", TRUE);
  if (enrollment == NULL)
    {
      g_message ("Reading the enrollment secret failed: %s", error->message);
      return;
    }
  if (self->record == NULL || call->view != self->order_view)
    return;
  wipe_secret (self);
  if (porteur_ca_enrollment_get_secret (enrollment))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *at = g_date_time_format_iso8601 (now);

      self->secret = g_strdup (porteur_ca_enrollment_get_secret (enrollment));
      self->secret_number = g_strdup (porteur_order_record_get_number (self->record));
      json_object_set_string_member (self->record->data, "enrollment_secret_shown_at", at);
    }
  else if ((shown_at = porteur_ca_enrollment_get_secret_shown_at (enrollment)))
    {
      g_autofree char *at = g_date_time_format_iso8601 (shown_at);
      json_object_set_string_member (self->record->data, "enrollment_secret_shown_at", at);
    }
  json_object_set_string_member (self->record->data, "enrollment_reference", porteur_ca_enrollment_get_reference (enrollment));
  /* Remember that it was shown (never the secret itself). */
  if (!porteur_order_record_save (self->record, &error))
    g_message ("Saving the order failed: %s", error->message);
  show_order (self, self->record);
}

static void
show_secret_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  PorteurCaClient *client = get_client (self, NULL);

  if (self->record == NULL || client == NULL || porteur_order_record_get_access_token (self->record) == NULL)
    return;
  gtk_widget_action_set_enabled (widget, "order.show-secret", FALSE);
  porteur_ca_client_get_enrollment_async (client, porteur_order_record_get_number (self->record),
                                          porteur_order_record_get_access_token (self->record),
                                          self->cancellable, on_enrollment, view_call_new (self));
}

static void
add_secret_group (PorteurOrderPage   *self,
                  PorteurOrderRecord *record)
{
  const char *status = porteur_order_record_get_status (record);
  const char *reference = porteur_order_member_string (record->data, "enrollment_reference");

  if (g_strcmp0 (status, "validated") != 0 && g_strcmp0 (status, "appointment") != 0)
    return;
  self->secret_group = add_group (self->order_box, _("Enrollment Secret"),
                                  _("A one-time code from the certification authority: with its reference, it proves that the certificate request made for your token comes from this validated order. Keep it private."));
  gtk_widget_set_name (GTK_WIDGET (self->secret_group), "enrollment");
  fill_secret_group (self);
  if (reference)
    info_row (self->secret_group, NULL, _("Reference"), reference);
}

/* ---------------------------------------------------------------------------------------- */
/* The face-to-face delivery appointment (§3.4): the free times at the office, booked here */

static void load_slots (PorteurOrderPage *self);

/* The status row of the booking or appointment group: what is going on (asking, booking,
 * cancelling, an error), or hidden. */
static void
set_booking_status (PorteurOrderPage *self,
                    const char       *title,
                    const char       *subtitle,
                    gboolean          busy,
                    gboolean          error)
{
  if (self->booking_status == NULL)
    return;
  gtk_widget_set_visible (self->booking_status, title != NULL);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->booking_status), title ? title : "");
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->booking_status), subtitle ? subtitle : "");
  gtk_widget_set_visible (self->booking_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->booking_spinner), busy);
  gtk_widget_set_visible (self->booking_cancel, busy && self->booking != NULL);
  if (error)
    gtk_widget_add_css_class (self->booking_status, "error");
  else
    gtk_widget_remove_css_class (self->booking_status, "error");
  gtk_widget_set_name (self->booking_status, error ? "booking-error" : busy ? "booking-busy" : "booking-status");
}

static void
update_book_action (PorteurOrderPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.book-appointment",
                                 self->booking_group != NULL && self->slot_choice != NULL && self->booking == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.cancel-booking", self->booking != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.cancel-appointment",
                                 self->appointment_group != NULL && self->booking == NULL);
}

static void
on_slot_toggled (GtkCheckButton   *check,
                 PorteurOrderPage *self)
{
  if (!gtk_check_button_get_active (check))
    return;
  g_free (self->slot_choice);
  self->slot_choice = g_strdup (g_object_get_data (G_OBJECT (check), "slot-id"));
  update_book_action (self);
}

static void
clear_slot_rows (PorteurOrderPage *self)
{
  if (self->slot_rows == NULL)
    return;
  if (self->booking_group)
    {
      release_focus_within (GTK_WIDGET (self->booking_group));
      for (guint i = 0; i < self->slot_rows->len; i++)
        adw_preferences_group_remove (self->booking_group, g_ptr_array_index (self->slot_rows, i));
    }
  g_clear_pointer (&self->slot_rows, g_ptr_array_unref);
}

static void
on_slots (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ViewCall) call = user_data;
  PorteurOrderPage *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) slots = porteur_ca_client_get_appointment_slots_finish (PORTEUR_CA_CLIENT (source), result, &error);
  GtkWidget *first_check = NULL;
  GtkWidget *day_row = NULL;
  g_autofree char *day_key = NULL;
  gboolean chosen_offered = FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      call->view != self->order_view || self->booking_group == NULL)
    return;
  if (slots == NULL)
    {
      g_autofree char *sentence = porteur_order_booking_error (error);

      g_message ("Reading the delivery times failed: %s", error->message);
      set_booking_status (self, _("The free times could not be read"), sentence, FALSE, TRUE);
      return;
    }
  if (g_list_model_get_n_items (slots) == 0)
    {
      set_booking_status (self, _("No free time at the moment"),
                          _("Refresh later, or call the registration office."), FALSE, FALSE);
      return;
    }
  set_booking_status (self, NULL, NULL, FALSE, FALSE);
  clear_slot_rows (self);
  self->slot_rows = g_ptr_array_new ();
  /* One expandable row per day, the first one open; a radio button per time. */
  for (guint i = 0; i < g_list_model_get_n_items (slots); i++)
    {
      g_autoptr(PorteurCaAppointmentSlot) slot = g_list_model_get_item (slots, i);
      g_autoptr(GDateTime) start = g_date_time_to_local (porteur_ca_appointment_slot_get_start (slot));
      g_autoptr(GDateTime) end = g_date_time_to_local (porteur_ca_appointment_slot_get_end (slot));
      g_autofree char *key = g_date_time_format (start, "%Y-%m-%d");
      g_autofree char *from = g_date_time_format (start, "%H:%M");
      g_autofree char *to = g_date_time_format (end, "%H:%M");
      g_autofree char *hours = g_strdup_printf ("%s–%s", from, to);
      g_autofree char *name = g_strdup_printf ("slot-%s", porteur_ca_appointment_slot_get_id (slot));
      GtkWidget *row, *check;

      if (day_row == NULL || g_strcmp0 (key, day_key) != 0)
        {
          /* xgettext:no-c-format */
          g_autofree char *day = g_date_time_format (start, _("%A %-d %B %Y"));
          g_autofree char *day_name = g_strdup_printf ("day-%s", key);

          day_row = plain_row (adw_expander_row_new ());
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (day_row), day);
          adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (day_row), FALSE);
          adw_expander_row_set_expanded (ADW_EXPANDER_ROW (day_row), self->slot_rows->len == 0);
          gtk_widget_set_name (day_row, day_name);
          adw_preferences_group_add (self->booking_group, day_row);
          g_ptr_array_add (self->slot_rows, day_row);
          g_free (day_key);
          day_key = g_strdup (key);
        }
      row = plain_row (adw_action_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hours);
      check = gtk_check_button_new ();
      if (first_check)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), GTK_CHECK_BUTTON (first_check));
      else
        first_check = check;
      g_object_set_data_full (G_OBJECT (check), "slot-id", g_strdup (porteur_ca_appointment_slot_get_id (slot)), g_free);
      gtk_widget_set_name (check, name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, hours, -1);
      if (g_strcmp0 (self->slot_choice, porteur_ca_appointment_slot_get_id (slot)) == 0)
        {
          gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
          chosen_offered = TRUE;
        }
      g_signal_connect (check, "toggled", G_CALLBACK (on_slot_toggled), self);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (day_row), row);
    }
  if (!chosen_offered)
    g_clear_pointer (&self->slot_choice, g_free);
  update_book_action (self);
}

static void
load_slots (PorteurOrderPage *self)
{
  PorteurCaClient *client = get_client (self, NULL);

  if (self->record == NULL || self->booking_group == NULL)
    return;
  set_booking_status (self, _("Asking the certification authority for free times…"), NULL, TRUE, FALSE);
  if (client == NULL || porteur_order_record_get_access_token (self->record) == NULL)
    {
      set_booking_status (self, _("The free times could not be read"),
                          _("No certification authority is configured, or this order was not made from this computer."), FALSE, TRUE);
      return;
    }
  porteur_ca_client_get_appointment_slots_async (client, porteur_order_record_get_number (self->record),
                                                 porteur_order_record_get_access_token (self->record),
                                                 NULL, NULL, self->cancellable, on_slots, view_call_new (self));
}

static void
on_booked (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ViewCall) call = user_data;
  PorteurOrderPage *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = porteur_order_book_finish (result, &error);

  g_clear_object (&self->booking);
  if (record)
    {
      /* Booked: the order view shows the appointment (and the status, the history). */
      g_clear_pointer (&self->slot_choice, g_free);
      /* (Unless the page is gone: dispose drops its cancellable.) */
      if (self->cancellable && self->record && g_strcmp0 (porteur_order_record_get_number (self->record), porteur_order_record_get_number (record)) == 0)
        show_order (self, record);
      return;
    }
  if (call->view != self->order_view || self->booking_group == NULL)
    return;
  {
    g_autofree char *sentence = porteur_order_booking_error (error);

    g_message ("Booking the delivery failed: %s", error->message);
    set_booking_status (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? _("Not booked") : _("The appointment could not be booked"),
                        sentence, FALSE, !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  }
  update_book_action (self);
  /* The time was taken meanwhile: the free times again. */
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT) ||
      g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION))
    {
      PorteurCaClient *client = get_client (self, NULL);

      if (client && self->record)
        porteur_ca_client_get_appointment_slots_async (client, porteur_order_record_get_number (self->record),
                                                       porteur_order_record_get_access_token (self->record),
                                                       NULL, NULL, self->cancellable, on_slots, view_call_new (self));
    }
}

static void
choose_slot_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autofree char *name = g_strdup_printf ("slot-%s", g_variant_get_string (parameter, NULL));

  /* The same as clicking the time's radio button. */
  for (guint i = 0; self->slot_rows && i < self->slot_rows->len; i++)
    {
      GtkWidget *found = NULL;
      GtkWidget *day = g_ptr_array_index (self->slot_rows, i);
      GPtrArray *stack = g_ptr_array_new ();

      g_ptr_array_add (stack, day);
      while (stack->len && found == NULL)
        {
          GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);

          if (GTK_IS_CHECK_BUTTON (w) && g_strcmp0 (gtk_widget_get_name (w), name) == 0)
            found = w;
          for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
            g_ptr_array_add (stack, c);
        }
      g_ptr_array_unref (stack);
      if (found)
        {
          gtk_check_button_set_active (GTK_CHECK_BUTTON (found), TRUE);
          return;
        }
    }
}

static void
book_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  PorteurCaClient *client = get_client (self, NULL);

  if (self->record == NULL || self->slot_choice == NULL || self->booking != NULL || client == NULL)
    return;
  self->booking = g_cancellable_new ();
  set_booking_status (self, _("Booking your appointment…"), NULL, TRUE, FALSE);
  update_book_action (self);
  porteur_order_book_async (client, porteur_order_record_get_number (self->record), self->slot_choice,
                            self->booking, on_booked, view_call_new (self));
}

static void
cancel_booking_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);

  if (self->booking)
    g_cancellable_cancel (self->booking);
}

/* The status row (spinner, sentence, Cancel) of the booking or appointment group. */
static void
add_booking_status (PorteurOrderPage    *self,
                    AdwPreferencesGroup *group)
{
  GtkWidget *row = plain_row (adw_action_row_new ());

  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  self->booking_spinner = gtk_spinner_new ();
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), self->booking_spinner);
  self->booking_cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_widget_set_valign (self->booking_cancel, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->booking_cancel), "order.cancel-booking");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), self->booking_cancel);
  adw_preferences_group_add (group, row);
  self->booking_status = row;
}

static void
on_appointment_cancelled (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(ViewCall) call = user_data;
  PorteurOrderPage *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = porteur_order_cancel_appointment_finish (result, &error);
  g_autofree char *sentence = NULL;
  gboolean stopped;

  g_clear_object (&self->booking);
  if (record)
    {
      /* Cancelled: the order view shows it validated again (the status, the history) and the
       * booking group offers the free times. (Unless the page is gone: dispose drops its
       * cancellable.) */
      if (self->cancellable && self->record && g_strcmp0 (porteur_order_record_get_number (self->record), porteur_order_record_get_number (record)) == 0)
        show_order (self, record);
      return;
    }
  if (self->cancellable == NULL)
    return;
  update_book_action (self);
  if (call->view != self->order_view || self->appointment_group == NULL)
    return;
  /* The record is unchanged: the appointment stays shown, with what went wrong. */
  g_message ("Cancelling the delivery appointment failed: %s", error->message);
  stopped = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  sentence = porteur_order_cancel_appointment_error (error);
  set_booking_status (self, stopped ? _("Not cancelled") : _("The appointment could not be cancelled"), sentence, FALSE, !stopped);
}

static void
on_cancel_appointment_response (AdwMessageDialog *dialog,
                                const char       *response,
                                PorteurOrderPage *self)
{
  const char *number = g_object_get_data (G_OBJECT (dialog), "order-number");
  g_autoptr(GError) error = NULL;
  PorteurCaClient *client;

  if (g_strcmp0 (response, "cancel-appointment") != 0)
    return;
  /* The page may have moved on (or gone: dispose drops its cancellable) while the dialog was open. */
  if (self->cancellable == NULL || self->record == NULL || self->appointment_group == NULL || self->booking != NULL ||
      g_strcmp0 (number, porteur_order_record_get_number (self->record)) != 0)
    return;
  if ((client = get_client (self, &error)) == NULL)
    {
      set_booking_status (self, _("The appointment could not be cancelled"), error->message, FALSE, TRUE);
      return;
    }
  self->booking = g_cancellable_new ();
  set_booking_status (self, _("Cancelling your appointment…"), NULL, TRUE, FALSE);
  update_book_action (self);
  porteur_order_cancel_appointment_async (client, number, self->booking, on_appointment_cancelled, view_call_new (self));
}

/* Asks before cancelling the booked appointment: what happens, and keeping it is the default. */
static void
cancel_appointment_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  JsonObject *appointment = self->record ? porteur_order_record_get_appointment (self->record) : NULL;
  g_autofree char *when = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  if (appointment == NULL || self->appointment_group == NULL || self->booking != NULL)
    return;
  when = porteur_order_appointment_time_iso (porteur_order_member_string (appointment, "start"),
                                             porteur_order_member_string (appointment, "end"));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Cancel the Delivery Appointment?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  /* Translators: the first %s is the appointment's day and time, the
                                   * second the status label "Validated" */
                                  _("Your appointment on %s will be cancelled and its time offered to others. "
                                    "The order goes back to “%s”: you can then book a new time."),
                                  when ? when : porteur_order_member_string (appointment, "start"),
                                  porteur_order_status_label ("validated"));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Appointment"),
                                    "cancel-appointment", _("_Cancel Appointment"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-appointment", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "order-number", g_strdup (porteur_order_record_get_number (self->record)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_appointment_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_appointment_group (PorteurOrderPage   *self,
                       PorteurOrderRecord *record,
                       JsonObject         *office)
{
  JsonObject *appointment = porteur_order_record_get_appointment (record);
  const char *office_name = porteur_order_member_string (office, "name");
  g_autofree char *address = office ? porteur_order_office_dup_address (office) : NULL;
  AdwPreferencesGroup *group;
  GtkWidget *row, *buttons;

  if (appointment)
    {
      g_autofree char *when = porteur_order_appointment_time_iso (porteur_order_member_string (appointment, "start"),
                                                                  porteur_order_member_string (appointment, "end"));
      g_auto(GStrv) bring = porteur_order_appointment_bring (porteur_order_record_get_dossier (record));

      group = add_group (self->order_box, _("Delivery Appointment"), NULL);
      gtk_widget_set_name (GTK_WIDGET (group), "appointment");
      self->appointment_group = group;
      row = info_row (group, "x-office-calendar-symbolic", when ? when : porteur_order_member_string (appointment, "start"), _("When"));
      gtk_widget_set_name (row, "appointment-when");
      /* Cancelled only from here while the delivery has not taken place (the CA says when it has). */
      if (g_strcmp0 (porteur_order_record_get_status (record), "appointment") == 0)
        {
          GtkWidget *button = gtk_button_new_with_mnemonic (_("Cancel _Appointment…"));

          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_set_name (button, "cancel-appointment");
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "order.cancel-appointment");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
        }
      row = info_row (group, "mark-location-symbolic", office_name ? office_name : porteur_order_member_string (appointment, "office"),
                      address && *address ? address : NULL);
      gtk_widget_set_name (row, "appointment-where");
      for (guint i = 0; bring[i]; i++)
        {
          g_autofree char *name = g_strdup_printf ("appointment-bring-%u", i);

          row = info_row (group, i == 0 ? "contact-new-symbolic" : "media-removable-symbolic", bring[i], NULL);
          adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
          gtk_widget_set_name (row, name);
        }
      if (g_strcmp0 (porteur_order_record_get_status (record), "appointment") == 0)
        {
          add_booking_status (self, group);
          set_booking_status (self, NULL, NULL, FALSE, FALSE);
        }
      else
        self->appointment_group = NULL;
      return;
    }
  if (!porteur_order_record_can_book (record))
    return;

  {
    g_autofree char *where = office_name ? (address && *address ? g_strdup_printf ("%s, %s", office_name, address) : g_strdup (office_name))
                                         : g_strdup (_("your registration office"));
    /* Translators: %s is the registration office and its address */
    g_autofree char *description = g_strdup_printf (_("The certificate is handed over face to face at %s: choose a time. The holder comes in person."), where);

    group = add_group (self->order_box, _("Book the Delivery"), description);
  }
  gtk_widget_set_name (GTK_WIDGET (group), "appointment-booking");
  self->booking_group = group;
  add_booking_status (self, group);
  buttons = view_button (_("_Book This Time"), "order.book-appointment", TRUE);
  gtk_widget_set_name (buttons, "book-appointment");
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (buttons, 12);
  /* The button goes under the times: a box after the group. */
  {
    GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

    gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
    gtk_box_append (GTK_BOX (box), buttons);
    gtk_box_append (GTK_BOX (self->order_box), box);
  }
  update_book_action (self);
  load_slots (self);
}

static void
show_order (PorteurOrderPage   *self,
            PorteurOrderRecord *record)
{
  JsonObject *dossier = porteur_order_record_get_dossier (record);
  JsonObject *office = porteur_order_record_get_office (record);
  JsonArray *history = porteur_order_record_get_history (record);
  g_auto(GStrv) steps = NULL;
  g_autofree char *title = NULL;
  AdwPreferencesGroup *group;
  GtkWidget *child, *label, *buttons;
  const char *reason = porteur_order_member_string (record->data, "reason");
  gboolean same = self->record && g_strcmp0 (porteur_order_record_get_number (self->record), porteur_order_record_get_number (record)) == 0;

  if (self->record != record)
    {
      g_clear_pointer (&self->record, porteur_order_record_free);
      self->record = record_copy (record);
    }
  record = self->record;
  dossier = porteur_order_record_get_dossier (record);
  /* The catalogue's office has the postal address; the order's may only name it. */
  if (porteur_order_catalogue_find_office (self->catalogue, porteur_order_member_string (dossier, "office")))
    office = porteur_order_catalogue_find_office (self->catalogue, porteur_order_member_string (dossier, "office"));
  else
    office = porteur_order_record_get_office (record);
  steps = porteur_order_next_steps (porteur_order_record_get_status (record), porteur_order_member_string (dossier, "support"),
                                    office, reason);

  release_focus_within (self->order_box);
  while ((child = gtk_widget_get_first_child (self->order_box)))
    gtk_box_remove (GTK_BOX (self->order_box), child);
  self->order_view++;
  self->checklist_group = NULL;
  self->secret_group = NULL;
  self->booking_group = NULL;
  self->appointment_group = NULL;
  self->booking_status = self->booking_spinner = self->booking_cancel = NULL;
  g_clear_pointer (&self->slot_rows, g_ptr_array_unref);
  if (!same)
    g_clear_pointer (&self->slot_choice, g_free);
  if (self->secret_number && g_strcmp0 (self->secret_number, porteur_order_record_get_number (record)) != 0)
    wipe_secret (self);

  /* Translators: the title of an order's page; %s is its request number */
  title = g_strdup_printf (_("Order %s"), porteur_order_record_get_number (record));
  label = gtk_label_new (title);
  gtk_widget_add_css_class (label, "title-1");
  gtk_widget_set_name (label, "order-number");
  gtk_box_append (GTK_BOX (self->order_box), label);
  label = gtk_label_new (porteur_order_status_label (porteur_order_record_get_status (record)));
  gtk_widget_add_css_class (label, "title-3");
  gtk_widget_add_css_class (label, g_strcmp0 (porteur_order_record_get_status (record), "rejected") == 0 ? "error" : "accent");
  gtk_widget_set_name (label, "order-status");
  gtk_box_append (GTK_BOX (self->order_box), label);

  group = add_group (self->order_box, _("What to Do Now"), NULL);
  for (guint i = 0; steps[i]; i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", i + 1);
      GtkWidget *row = plain_row (adw_action_row_new ());
      GtkWidget *badge = gtk_label_new (number);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), steps[i]);
      adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
      gtk_widget_add_css_class (badge, "dim-label");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), badge);
      adw_preferences_group_add (group, row);
    }

  add_appointment_group (self, record, office);
  update_book_action (self);
  add_secret_group (self, record);

  group = add_group (self->order_box, _("Subscription Form"),
                     _("Made from your order, in your language where the certification authority accepts it. Print it, sign it, and post it with the documents."));
  self->form_picture = gtk_picture_new ();
  gtk_widget_set_size_request (self->form_picture, -1, 420);
  gtk_picture_set_can_shrink (GTK_PICTURE (self->form_picture), TRUE);
  gtk_widget_set_name (self->form_picture, "form-preview");
  adw_preferences_group_add (group, self->form_picture);
  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (buttons, 12);
  gtk_box_append (GTK_BOX (buttons), view_button (_("_Print the Form…"), "order.print-form", TRUE));
  gtk_box_append (GTK_BOX (buttons), view_button (_("_Save the Form…"), "order.save-form", FALSE));
  adw_preferences_group_add (group, buttons);
  if (!same || self->form_path == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.save-form", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.print-form", FALSE);
    }
  make_form (self, record);
  if (g_strcmp0 (porteur_order_record_get_status (record), "waiting-documents") == 0 ||
      g_strcmp0 (porteur_order_record_get_status (record), "documents-complete") == 0)
    load_checklist (self, record);

  group = add_group (self->order_box, _("History"), NULL);
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);
      const char *note = porteur_order_member_string (entry, "note");
      g_autofree char *when = format_iso_time (porteur_order_member_string (entry, "at"));
      g_autofree char *subtitle = note && *note ? g_strdup_printf ("%s — %s", when, note) : g_strdup (when);

      info_row (group, NULL, porteur_order_status_label (porteur_order_member_string (entry, "status")), subtitle);
    }
  if (json_array_get_length (history) == 0)
    info_row (group, NULL, porteur_order_status_label (porteur_order_record_get_status (record)),
              porteur_order_member_string (record->data, "updated"));

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (buttons), view_button (_("_Refresh"), "order.refresh", FALSE));
  if (porteur_order_record_can_rectify (record))
    gtk_box_append (GTK_BOX (buttons), view_button (_("_Correct the Order"), "order.rectify", FALSE));
  gtk_box_append (GTK_BOX (buttons), view_button (_("All _Orders"), "order.home", FALSE));
  gtk_box_append (GTK_BOX (self->order_box), buttons);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.rectify", porteur_order_record_can_rectify (record));
  set_state (self, "order");
}

static void
show_order_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = porteur_order_record_load (g_variant_get_string (parameter, NULL), &error);

  if (record == NULL)
    {
      g_message ("Opening an order failed: %s", error->message);
      return;
    }
  show_order (self, record);
}

static void
home_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  /* The enrollment secret is shown once: leaving the order forgets it. */
  wipe_secret (PORTEUR_ORDER_PAGE (widget));
  set_state (PORTEUR_ORDER_PAGE (widget), "home");
}

/* ---------------------------------------------------------------------------------------- */
/* Sending */

static void
set_send_error (PorteurOrderPage *self,
                const GError     *error)
{
  const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

  g_clear_pointer (&self->send_error, g_free);
  if (problem && problem->errors->len > 0)
    {
      PorteurCaFieldError *e = g_ptr_array_index (problem->errors, 0);
      const char *sentence = porteur_order_check_describe_code (e->code);
      int step = porteur_order_field_step (e->field);

      /* Translators: the CA refused a field: the field, then why */
      self->send_error = g_strdup_printf (_("The certification authority refused “%s”: %s"),
                                          porteur_order_field_title (e->field), sentence ? sentence : e->message);
      if (step >= 0)
        go_to_step (self, (guint) step);
    }
  else if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
    self->send_error = g_strdup (_("The certification authority no longer accepts corrections: the order is already validated."));
  else
    /* Translators: %s is the technical reason */
    self->send_error = g_strdup_printf (_("The order could not be sent (%s). Nothing is lost: send it again when the connection is back; it will not be ordered twice."),
                                        error->message);
  update_next (self);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(PorteurOrderPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurOrderRecord) record = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == porteur_order_rectify_async)
    record = porteur_order_rectify_finish (result, &error);
  else
    record = porteur_order_submit_finish (result, &error);
  self->sending = FALSE;
  if (record == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_send_error (self, error);
      return;
    }
  /* The draft became an order: nothing left to autosave. */
  g_clear_handle_id (&self->save_source, g_source_remove);
  self->dirty = FALSE;
  g_clear_pointer (&self->draft_id, g_free);
  g_clear_pointer (&self->rectify_number, g_free);
  update_next (self);
  show_order (self, record);
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  PorteurCaClient *client;

  if (self->sending || self->dossier == NULL)
    return;
  g_clear_pointer (&self->send_error, g_free);
  if ((client = get_client (self, &error)) == NULL)
    {
      set_send_error (self, error);
      return;
    }
  self->sending = TRUE;
  update_next (self);
  if (self->rectify_number)
    porteur_order_rectify_async (client, self->rectify_number, self->dossier, self->cancellable, on_sent, g_object_ref (self));
  else
    {
      /* The draft on disk first: a crash while sending loses nothing. */
      porteur_order_page_flush (self);
      porteur_order_submit_async (client, self->draft_id, self->dossier, self->cancellable, on_sent, g_object_ref (self));
    }
}

static void
rectify_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (widget);
  g_autofree char *number = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) copy = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  if (self->record == NULL || !porteur_order_record_can_rectify (self->record))
    return;
  number = g_strdup (porteur_order_record_get_number (self->record));
  json_node_set_object (node, porteur_order_record_get_dossier (self->record));
  text = json_to_string (node, FALSE);
  copy = json_from_string (text, NULL);
  /* The wizard on a copy of the dossier as the CA holds it; nothing is a draft. */
  start (self, NULL, json_node_get_object (copy), 0);
  self->email_confirmation = g_strdup (dossier_get_string (self, "requester_email"));
  self->price_confirmed = TRUE;
  fill_widgets (self);
  self->rectify_number = g_steal_pointer (&number);
  update_next (self);
}

/* ---------------------------------------------------------------------------------------- */
/* The catalogue from the CA */

static JsonObject *
product_to_json (PorteurCaProduct *product)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", porteur_ca_product_get_id (product));
  json_object_set_string_member (object, "name", porteur_ca_product_get_name (product));
  json_object_set_string_member (object, "support", porteur_ca_product_get_support (product));
  json_object_set_string_member (object, "level", porteur_ca_product_get_level (product));
  json_object_set_string_member (object, "price_excl_tax", porteur_ca_product_get_price_excl_tax (product));
  json_object_set_string_member (object, "currency", porteur_ca_product_get_currency (product));
  json_object_set_int_member (object, "validity_years", porteur_ca_product_get_validity_years (product));
  json_object_set_string_member (object, "description", porteur_ca_product_get_description (product));
  json_object_set_boolean_member (object, "requires_token", porteur_ca_product_get_requires_token (product));
  return object;
}

static JsonObject *
office_to_json (PorteurCaOffice *office)
{
  JsonObject *object = json_object_new ();
  JsonObject *address = json_object_new ();

  json_object_set_string_member (object, "id", porteur_ca_office_get_id (office));
  json_object_set_string_member (object, "name", porteur_ca_office_get_name (office));
  json_object_set_string_member (object, "organisation", porteur_ca_office_get_organisation (office));
  json_object_set_string_member (address, "line1", porteur_ca_office_get_line1 (office));
  json_object_set_string_member (address, "line2", porteur_ca_office_get_line2 (office));
  json_object_set_string_member (address, "postal_code", porteur_ca_office_get_postal_code (office));
  json_object_set_string_member (address, "city", porteur_ca_office_get_city (office));
  json_object_set_object_member (object, "address", address);
  json_object_set_string_member (object, "phone", porteur_ca_office_get_phone (office));
  json_object_set_string_member (object, "email", porteur_ca_office_get_email (office));
  json_object_set_boolean_member (object, "accepts_files", porteur_ca_office_get_accepts_files (office));
  json_object_set_boolean_member (object, "delivers", porteur_ca_office_get_delivers (office));
  return object;
}

typedef struct {
  PorteurOrderPage *self;
  JsonArray        *products;
} CatalogueFetch;

static void
on_offices (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CatalogueFetch *fetch = user_data;
  g_autoptr(PorteurOrderPage) self = fetch->self;
  g_autoptr(JsonArray) products = fetch->products;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) offices = porteur_ca_client_list_offices_finish (PORTEUR_CA_CLIENT (source), result, &error);
  g_autoptr(JsonArray) array = NULL;
  g_autoptr(PorteurOrderCatalogue) catalogue = NULL;

  g_free (fetch);
  if (offices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("The offices could not be fetched, the catalogue kept is used: %s", error->message);
      return;
    }
  array = json_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (offices); i++)
    {
      g_autoptr(PorteurCaOffice) office = g_list_model_get_item (offices, i);
      json_array_add_object_element (array, office_to_json (office));
    }
  catalogue = porteur_order_catalogue_new (products, array);
  if (porteur_order_catalogue_get_products (catalogue)->len == 0 || porteur_order_catalogue_get_offices (catalogue)->len == 0)
    return;
  if (!porteur_order_catalogue_save (catalogue, &error))
    g_message ("Caching the catalogue failed: %s", error->message);
  porteur_order_page_set_catalogue (self, catalogue);
}

static void
on_products (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CatalogueFetch *fetch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) products = porteur_ca_client_list_products_finish (PORTEUR_CA_CLIENT (source), result, &error);

  if (products == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("The products could not be fetched, the catalogue kept is used: %s", error->message);
      g_object_unref (fetch->self);
      g_free (fetch);
      return;
    }
  fetch->products = json_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (products); i++)
    {
      g_autoptr(PorteurCaProduct) product = g_list_model_get_item (products, i);
      json_array_add_object_element (fetch->products, product_to_json (product));
    }
  porteur_ca_client_list_offices_async (PORTEUR_CA_CLIENT (source), fetch->self->cancellable, on_offices, fetch);
}

/* The CA's catalogue replaces the one kept, when the CA answers. */
static void
fetch_catalogue (PorteurOrderPage *self)
{
  PorteurCaClient *client = get_client (self, NULL);
  CatalogueFetch *fetch;

  if (client == NULL)
    return;
  fetch = g_new0 (CatalogueFetch, 1);
  fetch->self = g_object_ref (self);
  porteur_ca_client_list_products_async (client, self->cancellable, on_products, fetch);
}

/* ---------------------------------------------------------------------------------------- */
/* Public */

void
porteur_order_page_set_catalogue (PorteurOrderPage      *self,
                                  PorteurOrderCatalogue *catalogue)
{
  Field *office;

  g_return_if_fail (PORTEUR_IS_ORDER_PAGE (self));
  g_return_if_fail (catalogue != NULL);
  porteur_order_catalogue_ref (catalogue);
  g_clear_pointer (&self->catalogue, porteur_order_catalogue_unref);
  self->catalogue = catalogue;
  if (!self->built)
    return;
  office = g_hash_table_lookup (self->fields_by_path, "office");
  self->loading = TRUE;
  fill_offices (self, office);
  self->loading = FALSE;
  if (self->dossier)
    {
      /* What the holder already typed stays as it is, errors shown included. */
      g_autofree gboolean *touched = g_new0 (gboolean, self->fields->len);

      for (guint i = 0; i < self->fields->len; i++)
        touched[i] = ((Field *) g_ptr_array_index (self->fields, i))->touched;
      fill_widgets (self);
      for (guint i = 0; i < self->fields->len; i++)
        ((Field *) g_ptr_array_index (self->fields, i))->touched = touched[i];
      validate (self);
      if (self->step == 2)
        update_price_rows (self);
    }
}

guint
porteur_order_page_get_step (PorteurOrderPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), 0);
  return self->step;
}

const char *
porteur_order_page_get_state (PorteurOrderPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
porteur_order_page_get_draft_id (PorteurOrderPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), NULL);
  return self->draft_id;
}

JsonObject *
porteur_order_page_get_dossier (PorteurOrderPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), NULL);
  return self->dossier;
}

const char *
porteur_order_page_get_next_reason (PorteurOrderPage *self)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), NULL);
  return self->next_reason;
}

gboolean
porteur_order_page_print_form_to_file (PorteurOrderPage  *self,
                                       const char        *path,
                                       GError           **error)
{
  g_return_val_if_fail (PORTEUR_IS_ORDER_PAGE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return print_form (self, path, error);
}

void
porteur_order_page_flush (PorteurOrderPage *self)
{
  g_return_if_fail (PORTEUR_IS_ORDER_PAGE (self));
  queue_save_now (self);
  wait_for_saves ();
}

/* ---------------------------------------------------------------------------------------- */
/* GObject */

static void
porteur_order_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (object);

  switch (prop_id)
    {
    case PROP_STEP:
      g_value_set_uint (value, self->step);
      break;
    case PROP_STATE:
      g_value_set_string (value, porteur_order_page_get_state (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_order_page_dispose (GObject *object)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (object);

  /* Nothing typed is lost: the last change reaches the disk before the page goes. */
  if (self->dossier)
    porteur_order_page_flush (self);
  g_clear_handle_id (&self->save_source, g_source_remove);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->chooser);
  g_clear_object (&self->client);
  self->form_picture = NULL;
  self->order_view++;
  self->checklist_group = NULL;
  self->secret_group = NULL;
  self->booking_group = NULL;
  self->appointment_group = NULL;
  if (self->booking)
    g_cancellable_cancel (self->booking);
  g_clear_object (&self->booking);
  g_clear_pointer (&self->slot_rows, g_ptr_array_unref);
  wipe_secret (self);
  /* AdwBin owns its child: let it go first, then the template's other objects. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), PORTEUR_TYPE_ORDER_PAGE);
  G_OBJECT_CLASS (porteur_order_page_parent_class)->dispose (object);
}

static void
porteur_order_page_finalize (GObject *object)
{
  PorteurOrderPage *self = PORTEUR_ORDER_PAGE (object);

  g_clear_pointer (&self->catalogue, porteur_order_catalogue_unref);
  g_clear_pointer (&self->dossier, json_object_unref);
  g_clear_pointer (&self->draft_id, g_free);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_pointer (&self->fields_by_path, g_hash_table_unref);
  g_clear_pointer (&self->checks, g_hash_table_unref);
  g_clear_pointer (&self->office_checks, g_hash_table_unref);
  g_clear_pointer (&self->email_confirmation, g_free);
  g_clear_pointer (&self->next_reason, g_free);
  g_clear_pointer (&self->draft_rows, g_ptr_array_unref);
  g_clear_pointer (&self->record, porteur_order_record_free);
  g_clear_pointer (&self->rectify_number, g_free);
  g_clear_pointer (&self->send_error, g_free);
  g_clear_pointer (&self->slot_choice, g_free);
  if (self->form_path)
    g_unlink (self->form_path);
  g_clear_pointer (&self->form_path, g_free);
  G_OBJECT_CLASS (porteur_order_page_parent_class)->finalize (object);
}

static void
porteur_order_page_class_init (PorteurOrderPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = porteur_order_page_get_property;
  object_class->dispose = porteur_order_page_dispose;
  object_class->finalize = porteur_order_page_finalize;

  properties[PROP_STEP] = g_param_spec_uint ("step", NULL, NULL, 0, PORTEUR_ORDER_PAGE_SUMMARY, 0,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  save_pool = g_thread_pool_new (save_job_run, NULL, 1, FALSE, NULL);

  porteur_ui_register_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/porteur-order-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, stack);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, drafts_group);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, step_label);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, step_progress);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, save_label);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, steps);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, reason_label);
  gtk_widget_class_bind_template_child (widget_class, PorteurOrderPage, next_button);

  gtk_widget_class_install_action (widget_class, "order.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "order.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "order.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "order.go-to-step", "u", go_to_step_action);
  gtk_widget_class_install_action (widget_class, "order.help", NULL, help_action);
  gtk_widget_class_install_action (widget_class, "order.resume", "s", resume_action);
  gtk_widget_class_install_action (widget_class, "order.delete-draft", "s", delete_draft_action);
  gtk_widget_class_install_action (widget_class, "order.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "order.show", "s", show_order_action);
  gtk_widget_class_install_action (widget_class, "order.home", NULL, home_action);
  gtk_widget_class_install_action (widget_class, "order.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "order.show-secret", NULL, show_secret_action);
  gtk_widget_class_install_action (widget_class, "order.choose-slot", "s", choose_slot_action);
  gtk_widget_class_install_action (widget_class, "order.book-appointment", NULL, book_action);
  gtk_widget_class_install_action (widget_class, "order.cancel-booking", NULL, cancel_booking_action);
  gtk_widget_class_install_action (widget_class, "order.cancel-appointment", NULL, cancel_appointment_action);
  gtk_widget_class_install_action (widget_class, "order.rectify", NULL, rectify_action);
  gtk_widget_class_install_action (widget_class, "order.save-form", NULL, save_form_action);
  gtk_widget_class_install_action (widget_class, "order.print-form", NULL, print_form_action);
}

static void
porteur_order_page_init (PorteurOrderPage *self)
{
  g_autoptr(PorteurOrderCatalogue) catalogue = porteur_order_catalogue_load ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->catalogue = porteur_order_catalogue_ref (catalogue);
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  self->fields_by_path = g_hash_table_new (g_str_hash, g_str_equal);
  self->checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->office_checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->draft_rows = g_ptr_array_new ();


  self->cancellable = g_cancellable_new ();
  self->send_button = gtk_button_new_with_mnemonic (_("_Send the Order"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->send_button), "order.send");
  gtk_widget_add_css_class (self->send_button, "suggested-action");
  gtk_widget_set_visible (self->send_button, FALSE);
  gtk_box_append (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->next_button))), self->send_button);
  {
    GtkWidget *scrolled = gtk_scrolled_window_new ();
    GtkWidget *clamp = adw_clamp_new ();

    self->order_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
    gtk_widget_set_margin_top (self->order_box, 24);
    gtk_widget_set_margin_bottom (self->order_box, 24);
    gtk_widget_set_margin_start (self->order_box, 12);
    gtk_widget_set_margin_end (self->order_box, 12);
    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
    adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
    adw_clamp_set_child (ADW_CLAMP (clamp), self->order_box);
    gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
    gtk_stack_add_named (self->stack, scrolled, "order");
  }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.next", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.save-form", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "order.print-form", FALSE);
  rebuild_drafts (self);
  /* Orders are followed in the background while the window is open. */
  self->refresh_source = g_timeout_add_seconds (REFRESH_SECONDS, refresh_timeout, self);
  fetch_catalogue (self);
}
