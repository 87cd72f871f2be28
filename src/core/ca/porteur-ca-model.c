/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca/porteur-ca-model.h"
#include "porteur-core.h"

/* Errors ------------------------------------------------------------------ */

typedef struct {
  PorteurCaProblem *problem;
} PorteurCaErrorPrivate;

static void
porteur_ca_error_private_init (PorteurCaErrorPrivate *priv)
{
  priv->problem = NULL;
}

static void
porteur_ca_error_private_copy (const PorteurCaErrorPrivate *src,
                               PorteurCaErrorPrivate       *dest)
{
  dest->problem = src->problem ? porteur_ca_problem_copy (src->problem) : NULL;
}

static void
porteur_ca_error_private_clear (PorteurCaErrorPrivate *priv)
{
  g_clear_pointer (&priv->problem, porteur_ca_problem_free);
}

G_DEFINE_EXTENDED_ERROR (PorteurCaError, porteur_ca_error)

const PorteurCaProblem *
porteur_ca_error_get_problem (const GError *error)
{
  PorteurCaErrorPrivate *priv;

  if (error == NULL || error->domain != PORTEUR_CA_ERROR)
    return NULL;
  priv = porteur_ca_error_get_private (error);
  return priv ? priv->problem : NULL;
}

gboolean
porteur_ca_error_is_refusal (const GError *error)
{
  if (error == NULL || error->domain != PORTEUR_CA_ERROR)
    return FALSE;
  switch ((PorteurCaError) error->code)
    {
    case PORTEUR_CA_ERROR_VALIDATION:
    case PORTEUR_CA_ERROR_UNAUTHORIZED:
    case PORTEUR_CA_ERROR_NOT_FOUND:
    case PORTEUR_CA_ERROR_CONFLICT:
    case PORTEUR_CA_ERROR_IDEMPOTENCY:
    case PORTEUR_CA_ERROR_RATE_LIMITED:
    case PORTEUR_CA_ERROR_HTTP:
    case PORTEUR_CA_ERROR_FORBIDDEN:
    case PORTEUR_CA_ERROR_GONE:
      return TRUE;
    default:
      return FALSE;
    }
}

void
porteur_ca_set_error_from_problem (GError                **error,
                                   PorteurCaError          code,
                                   const PorteurCaProblem *problem)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GError *e;

  g_string_append_printf (text, "%u %s", problem->status, problem->title ? problem->title : "");
  if (problem->detail && *problem->detail)
    g_string_append_printf (text, ": %s", problem->detail);
  for (guint i = 0; i < problem->errors->len; i++)
    {
      PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
      g_string_append_printf (text, "%s %s: %s", i == 0 ? " —" : ";", fe->field, fe->code);
    }

  e = g_error_new_literal (PORTEUR_CA_ERROR, code, text->str);
  porteur_ca_error_get_private (e)->problem = porteur_ca_problem_copy (problem);
  g_propagate_error (error, e);
}

static void
field_error_free (PorteurCaFieldError *fe)
{
  g_free (fe->field);
  g_free (fe->code);
  g_free (fe->message);
  g_free (fe);
}

void
porteur_ca_problem_free (PorteurCaProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->type);
  g_free (problem->title);
  g_free (problem->detail);
  g_ptr_array_unref (problem->errors);
  g_free (problem);
}

static PorteurCaProblem *
problem_new (void)
{
  PorteurCaProblem *problem = g_new0 (PorteurCaProblem, 1);
  problem->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
  return problem;
}

PorteurCaProblem *
porteur_ca_problem_copy (const PorteurCaProblem *problem)
{
  PorteurCaProblem *copy = problem_new ();

  copy->type = g_strdup (problem->type);
  copy->title = g_strdup (problem->title);
  copy->status = problem->status;
  copy->detail = g_strdup (problem->detail);
  for (guint i = 0; i < problem->errors->len; i++)
    {
      PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
      PorteurCaFieldError *c = g_new0 (PorteurCaFieldError, 1);
      c->field = g_strdup (fe->field);
      c->code = g_strdup (fe->code);
      c->message = g_strdup (fe->message);
      g_ptr_array_add (copy->errors, c);
    }
  return copy;
}

/* Typed member access with a path for the messages ------------------------ */

static gboolean
invalid (GError    **error,
         const char *path,
         const char *name,
         const char *what)
{
  g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
               "Invalid answer from the CA: %s%s%s: %s",
               path ? path : "", path && *path && name ? "." : "", name ? name : "", what);
  return FALSE;
}

static JsonObject *
want_object (JsonNode    *node,
             const char  *path,
             GError     **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, path, NULL, "not an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  return json_object_get_member (object, name);
}

static gboolean
get_string (JsonObject  *object,
            const char  *path,
            const char  *name,
            gboolean     optional,
            gboolean     nullable,
            char       **out,
            GError     **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (optional)
        return TRUE;
      return invalid (error, path, name, "missing");
    }
  if (JSON_NODE_HOLDS_NULL (node) && nullable)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, path, name, "not a string");
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    return invalid (error, path, name, "not UTF-8");
  *out = json_node_dup_string (node);
  return TRUE;
}

static gboolean
get_bool (JsonObject  *object,
          const char  *path,
          const char  *name,
          gboolean     optional,
          gboolean    *out,
          GError     **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      if (optional)
        return TRUE;
      return invalid (error, path, name, "missing");
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid (error, path, name, "not a boolean");
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_uint (JsonObject  *object,
          const char  *path,
          const char  *name,
          guint        max,
          guint       *out,
          GError     **error)
{
  JsonNode *node = member (object, name);
  gint64 value;

  if (node == NULL)
    return invalid (error, path, name, "missing");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, path, name, "not an integer");
  value = json_node_get_int (node);
  if (value < 0 || value > (gint64) max)
    return invalid (error, path, name, "out of range");
  *out = (guint) value;
  return TRUE;
}

static gboolean
get_time (JsonObject  *object,
          const char  *path,
          const char  *name,
          gboolean     optional,
          GDateTime  **out,
          GError     **error)
{
  g_autofree char *text = NULL;

  if (!get_string (object, path, name, optional, optional, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  *out = g_date_time_new_from_iso8601 (text, NULL);
  if (*out == NULL)
    return invalid (error, path, name, "not an RFC 3339 time");
  return TRUE;
}

static gboolean
get_status (JsonObject           *object,
            const char           *path,
            PorteurCaOrderStatus *out,
            GError              **error)
{
  g_autofree char *text = NULL;

  if (!get_string (object, path, "status", FALSE, FALSE, &text, error))
    return FALSE;
  if (!porteur_ca_order_status_from_string (text, out))
    return invalid (error, path, "status", "unknown status");
  return TRUE;
}

static gboolean
get_choice (JsonObject  *object,
            const char  *path,
            const char  *name,
            const char  *const *choices,
            char       **out,
            GError     **error)
{
  if (!get_string (object, path, name, FALSE, FALSE, out, error))
    return FALSE;
  if (!g_strv_contains (choices, *out))
    return invalid (error, path, name, "not one of the allowed values");
  return TRUE;
}

PorteurCaProblem *
porteur_ca_problem_new_from_json (JsonNode  *node,
                                  GError   **error)
{
  g_autoptr(PorteurCaProblem) problem = problem_new ();
  JsonObject *object;
  JsonNode *errors;
  guint status = 0;

  if ((object = want_object (node, "problem", error)) == NULL)
    return NULL;
  if (!get_string (object, "problem", "type", TRUE, TRUE, &problem->type, error) ||
      !get_string (object, "problem", "title", FALSE, FALSE, &problem->title, error) ||
      !get_uint (object, "problem", "status", 599, &status, error) ||
      !get_string (object, "problem", "detail", TRUE, TRUE, &problem->detail, error))
    return NULL;
  problem->status = status;
  if (problem->type == NULL)
    problem->type = g_strdup ("about:blank");

  errors = member (object, "errors");
  if (errors != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (errors))
        {
          invalid (error, "problem", "errors", "not an array");
          return NULL;
        }
      array = json_node_get_array (errors);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *path = g_strdup_printf ("problem.errors[%u]", i);
          g_autofree PorteurCaFieldError *fe = g_new0 (PorteurCaFieldError, 1);
          JsonObject *item = want_object (json_array_get_element (array, i), path, error);

          if (item == NULL ||
              !get_string (item, path, "field", FALSE, FALSE, &fe->field, error) ||
              !get_string (item, path, "code", FALSE, FALSE, &fe->code, error) ||
              !get_string (item, path, "message", TRUE, TRUE, &fe->message, error))
            {
              g_free (fe->field);
              g_free (fe->code);
              g_free (fe->message);
              return NULL;
            }
          g_ptr_array_add (problem->errors, g_steal_pointer (&fe));
        }
    }
  return g_steal_pointer (&problem);
}

/* Order status ------------------------------------------------------------ */

static const char *const status_names[] = {
  [PORTEUR_CA_ORDER_STATUS_DRAFT] = "draft",
  [PORTEUR_CA_ORDER_STATUS_WAITING_DOCUMENTS] = "waiting-documents",
  [PORTEUR_CA_ORDER_STATUS_DOCUMENTS_COMPLETE] = "documents-complete",
  [PORTEUR_CA_ORDER_STATUS_VALIDATED] = "validated",
  [PORTEUR_CA_ORDER_STATUS_APPOINTMENT] = "appointment",
  [PORTEUR_CA_ORDER_STATUS_ISSUED] = "issued",
  [PORTEUR_CA_ORDER_STATUS_REJECTED] = "rejected",
};

gboolean
porteur_ca_order_status_from_string (const char           *text,
                                     PorteurCaOrderStatus *status)
{
  for (guint i = 0; text && i < G_N_ELEMENTS (status_names); i++)
    if (g_str_equal (text, status_names[i]))
      {
        *status = (PorteurCaOrderStatus) i;
        return TRUE;
      }
  return FALSE;
}

const char *
porteur_ca_order_status_to_string (PorteurCaOrderStatus status)
{
  g_return_val_if_fail (status <= PORTEUR_CA_ORDER_STATUS_REJECTED, NULL);
  return status_names[status];
}

/* Product ----------------------------------------------------------------- */

struct _PorteurCaProduct
{
  GObject parent_instance;

  char    *id;
  char    *name;
  char    *support;
  char    *level;
  char    *price_excl_tax;
  char    *currency;
  guint    validity_years;
  char    *description;
  gboolean requires_token;
};

G_DEFINE_FINAL_TYPE (PorteurCaProduct, porteur_ca_product, G_TYPE_OBJECT)

static void
porteur_ca_product_finalize (GObject *object)
{
  PorteurCaProduct *self = PORTEUR_CA_PRODUCT (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->support);
  g_free (self->level);
  g_free (self->price_excl_tax);
  g_free (self->currency);
  g_free (self->description);
  G_OBJECT_CLASS (porteur_ca_product_parent_class)->finalize (object);
}

static void
porteur_ca_product_class_init (PorteurCaProductClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_product_finalize;
}

static void
porteur_ca_product_init (PorteurCaProduct *self)
{
}

static gboolean
is_price (const char *text)
{
  const char *dot = strchr (text, '.');
  gsize digits = 0;

  if (dot == NULL || strlen (dot + 1) != 2)
    return FALSE;
  for (const char *p = text; *p; p++)
    {
      if (p == dot)
        continue;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      digits++;
    }
  return dot > text && digits <= 12;
}

static const char *const supports[] = { "token", "software", NULL };

static PorteurCaProduct *
product_parse (JsonNode    *node,
               const char  *path,
               GError     **error)
{
  g_autoptr(PorteurCaProduct) self = g_object_new (PORTEUR_TYPE_CA_PRODUCT, NULL);
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "name", FALSE, FALSE, &self->name, error) ||
      !get_choice (o, path, "support", supports, &self->support, error) ||
      !get_string (o, path, "level", FALSE, FALSE, &self->level, error) ||
      !get_string (o, path, "price_excl_tax", FALSE, FALSE, &self->price_excl_tax, error) ||
      !get_string (o, path, "currency", FALSE, FALSE, &self->currency, error) ||
      !get_uint (o, path, "validity_years", 100, &self->validity_years, error) ||
      !get_string (o, path, "description", FALSE, FALSE, &self->description, error) ||
      !get_bool (o, path, "requires_token", TRUE, &self->requires_token, error))
    return NULL;
  if (!is_price (self->price_excl_tax))
    {
      invalid (error, path, "price_excl_tax", "not a decimal amount with two decimals");
      return NULL;
    }
  if (*self->id == '\0')
    {
      invalid (error, path, "id", "empty");
      return NULL;
    }
  return g_steal_pointer (&self);
}

PorteurCaProduct *
porteur_ca_product_new_from_json (JsonNode  *node,
                                  GError   **error)
{
  return product_parse (node, "product", error);
}

const char *porteur_ca_product_get_id (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->id; }
const char *porteur_ca_product_get_name (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->name; }
const char *porteur_ca_product_get_support (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->support; }
const char *porteur_ca_product_get_level (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->level; }
const char *porteur_ca_product_get_price_excl_tax (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->price_excl_tax; }
const char *porteur_ca_product_get_currency (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->currency; }
guint porteur_ca_product_get_validity_years (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), 0); return self->validity_years; }
const char *porteur_ca_product_get_description (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), NULL); return self->description; }
gboolean porteur_ca_product_get_requires_token (PorteurCaProduct *self) { g_return_val_if_fail (PORTEUR_IS_CA_PRODUCT (self), FALSE); return self->requires_token; }

/* Office ------------------------------------------------------------------ */

struct _PorteurCaOffice
{
  GObject parent_instance;

  char    *id;
  char    *name;
  char    *organisation;
  char    *line1;
  char    *line2;
  char    *postal_code;
  char    *city;
  char    *phone;
  char    *email;
  gboolean accepts_files;
  gboolean delivers;
};

G_DEFINE_FINAL_TYPE (PorteurCaOffice, porteur_ca_office, G_TYPE_OBJECT)

static void
porteur_ca_office_finalize (GObject *object)
{
  PorteurCaOffice *self = PORTEUR_CA_OFFICE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->organisation);
  g_free (self->line1);
  g_free (self->line2);
  g_free (self->postal_code);
  g_free (self->city);
  g_free (self->phone);
  g_free (self->email);
  G_OBJECT_CLASS (porteur_ca_office_parent_class)->finalize (object);
}

static void
porteur_ca_office_class_init (PorteurCaOfficeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_office_finalize;
}

static void
porteur_ca_office_init (PorteurCaOffice *self)
{
}

static PorteurCaOffice *
office_parse (JsonNode    *node,
              const char  *path,
              GError     **error)
{
  g_autoptr(PorteurCaOffice) self = g_object_new (PORTEUR_TYPE_CA_OFFICE, NULL);
  g_autofree char *apath = g_strconcat (path, ".address", NULL);
  JsonObject *o, *a;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "name", FALSE, FALSE, &self->name, error) ||
      !get_string (o, path, "organisation", FALSE, FALSE, &self->organisation, error))
    return NULL;
  if (member (o, "address") == NULL)
    {
      invalid (error, path, "address", "missing");
      return NULL;
    }
  if ((a = want_object (member (o, "address"), apath, error)) == NULL)
    return NULL;
  if (!get_string (a, apath, "line1", FALSE, FALSE, &self->line1, error) ||
      !get_string (a, apath, "line2", FALSE, FALSE, &self->line2, error) ||
      !get_string (a, apath, "postal_code", FALSE, FALSE, &self->postal_code, error) ||
      !get_string (a, apath, "city", FALSE, FALSE, &self->city, error) ||
      !get_string (o, path, "phone", FALSE, FALSE, &self->phone, error) ||
      !get_string (o, path, "email", FALSE, FALSE, &self->email, error) ||
      !get_bool (o, path, "accepts_files", TRUE, &self->accepts_files, error) ||
      !get_bool (o, path, "delivers", TRUE, &self->delivers, error))
    return NULL;
  if (*self->id == '\0')
    {
      invalid (error, path, "id", "empty");
      return NULL;
    }
  return g_steal_pointer (&self);
}

PorteurCaOffice *
porteur_ca_office_new_from_json (JsonNode  *node,
                                 GError   **error)
{
  return office_parse (node, "office", error);
}

const char *porteur_ca_office_get_id (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->id; }
const char *porteur_ca_office_get_name (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->name; }
const char *porteur_ca_office_get_organisation (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->organisation; }
const char *porteur_ca_office_get_line1 (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->line1; }
const char *porteur_ca_office_get_line2 (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->line2; }
const char *porteur_ca_office_get_postal_code (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->postal_code; }
const char *porteur_ca_office_get_city (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->city; }
const char *porteur_ca_office_get_phone (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->phone; }
const char *porteur_ca_office_get_email (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), NULL); return self->email; }
gboolean porteur_ca_office_get_accepts_files (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), FALSE); return self->accepts_files; }
gboolean porteur_ca_office_get_delivers (PorteurCaOffice *self) { g_return_val_if_fail (PORTEUR_IS_CA_OFFICE (self), FALSE); return self->delivers; }

/* Order ------------------------------------------------------------------- */

struct _PorteurCaOrder
{
  GObject parent_instance;

  char                *number;
  char                *access_token;
  PorteurCaOrderStatus status;
  GDateTime           *created;
  GDateTime           *updated;
  JsonObject          *dossier;
  char                *reason;
  GDateTime           *validation_due;
  PorteurCaOffice     *office;
  char                *serial;
  PorteurCaAppointmentSlot *appointment;
};

static PorteurCaAppointmentSlot *slot_parse (JsonNode *node, const char *path, const char *id_name, GError **error);

G_DEFINE_FINAL_TYPE (PorteurCaOrder, porteur_ca_order, G_TYPE_OBJECT)

static void
porteur_ca_order_dispose (GObject *object)
{
  PorteurCaOrder *self = PORTEUR_CA_ORDER (object);

  g_clear_object (&self->office);
  g_clear_object (&self->appointment);
  G_OBJECT_CLASS (porteur_ca_order_parent_class)->dispose (object);
}

static void
porteur_ca_order_finalize (GObject *object)
{
  PorteurCaOrder *self = PORTEUR_CA_ORDER (object);

  g_free (self->number);
  if (self->access_token)
    explicit_bzero (self->access_token, strlen (self->access_token));
  g_free (self->access_token);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->updated, g_date_time_unref);
  g_clear_pointer (&self->dossier, json_object_unref);
  g_free (self->reason);
  g_clear_pointer (&self->validation_due, g_date_time_unref);
  g_free (self->serial);
  G_OBJECT_CLASS (porteur_ca_order_parent_class)->finalize (object);
}

static void
porteur_ca_order_class_init (PorteurCaOrderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = porteur_ca_order_dispose;
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_order_finalize;
}

static void
porteur_ca_order_init (PorteurCaOrder *self)
{
}

static gboolean
is_order_number (const char *text)
{
  /* PO-YYYY-NNNNNN */
  if (strlen (text) != 14 || strncmp (text, "PO-", 3) != 0 || text[7] != '-')
    return FALSE;
  for (guint i = 3; i < 14; i++)
    if (i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

PorteurCaOrder *
porteur_ca_order_new_from_json (JsonNode  *node,
                                GError   **error)
{
  g_autoptr(PorteurCaOrder) self = g_object_new (PORTEUR_TYPE_CA_ORDER, NULL);
  const char *path = "order";
  JsonObject *o;
  JsonNode *dossier, *office;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "number", FALSE, FALSE, &self->number, error) ||
      !get_string (o, path, "access_token", TRUE, TRUE, &self->access_token, error) ||
      !get_status (o, path, &self->status, error) ||
      !get_time (o, path, "created", FALSE, &self->created, error) ||
      !get_time (o, path, "updated", FALSE, &self->updated, error) ||
      !get_string (o, path, "reason", TRUE, TRUE, &self->reason, error) ||
      !get_time (o, path, "validation_due", TRUE, &self->validation_due, error) ||
      !get_string (o, path, "serial", TRUE, TRUE, &self->serial, error))
    return NULL;
  if (!is_order_number (self->number))
    {
      invalid (error, path, "number", "not of the form PO-YYYY-NNNNNN");
      return NULL;
    }
  dossier = member (o, "dossier");
  if (dossier == NULL)
    {
      invalid (error, path, "dossier", "missing");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (dossier))
    {
      invalid (error, path, "dossier", "not an object");
      return NULL;
    }
  self->dossier = json_object_ref (json_node_get_object (dossier));
  office = member (o, "office");
  if (office != NULL && !JSON_NODE_HOLDS_NULL (office))
    {
      self->office = office_parse (office, "order.office", error);
      if (self->office == NULL)
        return NULL;
    }
  office = member (o, "appointment");
  if (office != NULL && !JSON_NODE_HOLDS_NULL (office))
    {
      self->appointment = slot_parse (office, "order.appointment", "slot", error);
      if (self->appointment == NULL)
        return NULL;
    }
  if (self->status == PORTEUR_CA_ORDER_STATUS_REJECTED && self->reason == NULL)
    {
      invalid (error, path, "reason", "missing for a rejected order");
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *porteur_ca_order_get_number (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->number; }
const char *porteur_ca_order_get_access_token (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->access_token; }
PorteurCaOrderStatus porteur_ca_order_get_status (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), 0); return self->status; }
GDateTime *porteur_ca_order_get_created (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->created; }
GDateTime *porteur_ca_order_get_updated (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->updated; }
JsonObject *porteur_ca_order_get_dossier (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->dossier; }
const char *porteur_ca_order_get_reason (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->reason; }
GDateTime *porteur_ca_order_get_validation_due (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->validation_due; }
PorteurCaOffice *porteur_ca_order_get_office (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->office; }
const char *porteur_ca_order_get_serial (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->serial; }
PorteurCaAppointmentSlot *porteur_ca_order_get_appointment (PorteurCaOrder *self) { g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL); return self->appointment; }

static void
add_time (JsonBuilder *b,
          const char  *name,
          GDateTime   *time)
{
  g_autofree char *text = NULL;

  if (time == NULL)
    return;
  text = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

JsonNode *
porteur_ca_order_to_json (PorteurCaOrder *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonNode *dossier;

  g_return_val_if_fail (PORTEUR_IS_CA_ORDER (self), NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, self->number);
  if (self->access_token)
    {
      json_builder_set_member_name (b, "access_token");
      json_builder_add_string_value (b, self->access_token);
    }
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, porteur_ca_order_status_to_string (self->status));
  add_time (b, "created", self->created);
  add_time (b, "updated", self->updated);
  if (self->reason)
    {
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, self->reason);
    }
  add_time (b, "validation_due", self->validation_due);
  if (self->serial)
    {
      json_builder_set_member_name (b, "serial");
      json_builder_add_string_value (b, self->serial);
    }
  if (self->office)
    {
      json_builder_set_member_name (b, "office");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, self->office->id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, self->office->name);
      json_builder_end_object (b);
    }
  if (self->appointment)
    {
      json_builder_set_member_name (b, "appointment");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "slot");
      json_builder_add_string_value (b, porteur_ca_appointment_slot_get_id (self->appointment));
      json_builder_set_member_name (b, "office");
      json_builder_add_string_value (b, porteur_ca_appointment_slot_get_office (self->appointment));
      add_time (b, "start", porteur_ca_appointment_slot_get_start (self->appointment));
      add_time (b, "end", porteur_ca_appointment_slot_get_end (self->appointment));
      json_builder_end_object (b);
    }
  dossier = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (dossier, self->dossier);
  json_builder_set_member_name (b, "dossier");
  json_builder_add_value (b, dossier);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* History entry ----------------------------------------------------------- */

struct _PorteurCaHistoryEntry
{
  GObject parent_instance;

  PorteurCaOrderStatus status;
  GDateTime           *at;
  char                *note;
};

G_DEFINE_FINAL_TYPE (PorteurCaHistoryEntry, porteur_ca_history_entry, G_TYPE_OBJECT)

static void
porteur_ca_history_entry_finalize (GObject *object)
{
  PorteurCaHistoryEntry *self = PORTEUR_CA_HISTORY_ENTRY (object);

  g_clear_pointer (&self->at, g_date_time_unref);
  g_free (self->note);
  G_OBJECT_CLASS (porteur_ca_history_entry_parent_class)->finalize (object);
}

static void
porteur_ca_history_entry_class_init (PorteurCaHistoryEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_history_entry_finalize;
}

static void
porteur_ca_history_entry_init (PorteurCaHistoryEntry *self)
{
}

static PorteurCaHistoryEntry *
history_entry_parse (JsonNode    *node,
                     const char  *path,
                     GError     **error)
{
  g_autoptr(PorteurCaHistoryEntry) self = g_object_new (PORTEUR_TYPE_CA_HISTORY_ENTRY, NULL);
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_status (o, path, &self->status, error) ||
      !get_time (o, path, "at", FALSE, &self->at, error) ||
      !get_string (o, path, "note", FALSE, FALSE, &self->note, error))
    return NULL;
  return g_steal_pointer (&self);
}

PorteurCaHistoryEntry *
porteur_ca_history_entry_new_from_json (JsonNode  *node,
                                        GError   **error)
{
  return history_entry_parse (node, "history", error);
}

PorteurCaOrderStatus porteur_ca_history_entry_get_status (PorteurCaHistoryEntry *self) { g_return_val_if_fail (PORTEUR_IS_CA_HISTORY_ENTRY (self), 0); return self->status; }
GDateTime *porteur_ca_history_entry_get_at (PorteurCaHistoryEntry *self) { g_return_val_if_fail (PORTEUR_IS_CA_HISTORY_ENTRY (self), NULL); return self->at; }
const char *porteur_ca_history_entry_get_note (PorteurCaHistoryEntry *self) { g_return_val_if_fail (PORTEUR_IS_CA_HISTORY_ENTRY (self), NULL); return self->note; }

/* Checklist item ---------------------------------------------------------- */

struct _PorteurCaChecklistItem
{
  GObject parent_instance;

  char    *id;
  char    *label;
  gboolean required;
  gboolean received;
  char    *help;
};

G_DEFINE_FINAL_TYPE (PorteurCaChecklistItem, porteur_ca_checklist_item, G_TYPE_OBJECT)

static void
porteur_ca_checklist_item_finalize (GObject *object)
{
  PorteurCaChecklistItem *self = PORTEUR_CA_CHECKLIST_ITEM (object);

  g_free (self->id);
  g_free (self->label);
  g_free (self->help);
  G_OBJECT_CLASS (porteur_ca_checklist_item_parent_class)->finalize (object);
}

static void
porteur_ca_checklist_item_class_init (PorteurCaChecklistItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_checklist_item_finalize;
}

static void
porteur_ca_checklist_item_init (PorteurCaChecklistItem *self)
{
}

static PorteurCaChecklistItem *
checklist_item_parse (JsonNode    *node,
                      const char  *path,
                      GError     **error)
{
  g_autoptr(PorteurCaChecklistItem) self = g_object_new (PORTEUR_TYPE_CA_CHECKLIST_ITEM, NULL);
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "label", FALSE, FALSE, &self->label, error) ||
      !get_bool (o, path, "required", FALSE, &self->required, error) ||
      !get_bool (o, path, "received", TRUE, &self->received, error) ||
      !get_string (o, path, "help", TRUE, TRUE, &self->help, error))
    return NULL;
  return g_steal_pointer (&self);
}

PorteurCaChecklistItem *
porteur_ca_checklist_item_new_from_json (JsonNode  *node,
                                         GError   **error)
{
  return checklist_item_parse (node, "checklist", error);
}

const char *porteur_ca_checklist_item_get_id (PorteurCaChecklistItem *self) { g_return_val_if_fail (PORTEUR_IS_CA_CHECKLIST_ITEM (self), NULL); return self->id; }
const char *porteur_ca_checklist_item_get_label (PorteurCaChecklistItem *self) { g_return_val_if_fail (PORTEUR_IS_CA_CHECKLIST_ITEM (self), NULL); return self->label; }
gboolean porteur_ca_checklist_item_get_required (PorteurCaChecklistItem *self) { g_return_val_if_fail (PORTEUR_IS_CA_CHECKLIST_ITEM (self), FALSE); return self->required; }
gboolean porteur_ca_checklist_item_get_received (PorteurCaChecklistItem *self) { g_return_val_if_fail (PORTEUR_IS_CA_CHECKLIST_ITEM (self), FALSE); return self->received; }
const char *porteur_ca_checklist_item_get_help (PorteurCaChecklistItem *self) { g_return_val_if_fail (PORTEUR_IS_CA_CHECKLIST_ITEM (self), NULL); return self->help; }

/* Enrollment -------------------------------------------------------------- */

struct _PorteurCaEnrollment
{
  GObject parent_instance;

  char      *reference;
  char      *secret;
  GDateTime *secret_shown_at;
};

G_DEFINE_FINAL_TYPE (PorteurCaEnrollment, porteur_ca_enrollment, G_TYPE_OBJECT)

static void
porteur_ca_enrollment_finalize (GObject *object)
{
  PorteurCaEnrollment *self = PORTEUR_CA_ENROLLMENT (object);

  g_free (self->reference);
  if (self->secret)
    explicit_bzero (self->secret, strlen (self->secret));
  g_free (self->secret);
  g_clear_pointer (&self->secret_shown_at, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_enrollment_parent_class)->finalize (object);
}

static void
porteur_ca_enrollment_class_init (PorteurCaEnrollmentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_enrollment_finalize;
}

static void
porteur_ca_enrollment_init (PorteurCaEnrollment *self)
{
}

PorteurCaEnrollment *
porteur_ca_enrollment_new_from_json (JsonNode  *node,
                                     GError   **error)
{
  g_autoptr(PorteurCaEnrollment) self = g_object_new (PORTEUR_TYPE_CA_ENROLLMENT, NULL);
  const char *path = "enrollment";
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "reference", FALSE, FALSE, &self->reference, error) ||
      !get_string (o, path, "secret", FALSE, TRUE, &self->secret, error) ||
      !get_time (o, path, "secret_shown_at", TRUE, &self->secret_shown_at, error))
    return NULL;
  if (self->secret == NULL && self->secret_shown_at == NULL)
    {
      invalid (error, path, "secret_shown_at", "missing while the secret is null");
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *porteur_ca_enrollment_get_reference (PorteurCaEnrollment *self) { g_return_val_if_fail (PORTEUR_IS_CA_ENROLLMENT (self), NULL); return self->reference; }
const char *porteur_ca_enrollment_get_secret (PorteurCaEnrollment *self) { g_return_val_if_fail (PORTEUR_IS_CA_ENROLLMENT (self), NULL); return self->secret; }
GDateTime *porteur_ca_enrollment_get_secret_shown_at (PorteurCaEnrollment *self) { g_return_val_if_fail (PORTEUR_IS_CA_ENROLLMENT (self), NULL); return self->secret_shown_at; }

/* Appointment slot (§3.4) ------------------------------------------------- */

struct _PorteurCaAppointmentSlot
{
  GObject parent_instance;

  char      *id;
  char      *office;
  GDateTime *start;
  GDateTime *end;
};

G_DEFINE_FINAL_TYPE (PorteurCaAppointmentSlot, porteur_ca_appointment_slot, G_TYPE_OBJECT)

static void
porteur_ca_appointment_slot_finalize (GObject *object)
{
  PorteurCaAppointmentSlot *self = PORTEUR_CA_APPOINTMENT_SLOT (object);

  g_free (self->id);
  g_free (self->office);
  g_clear_pointer (&self->start, g_date_time_unref);
  g_clear_pointer (&self->end, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_appointment_slot_parent_class)->finalize (object);
}

static void
porteur_ca_appointment_slot_class_init (PorteurCaAppointmentSlotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_appointment_slot_finalize;
}

static void
porteur_ca_appointment_slot_init (PorteurCaAppointmentSlot *self)
{
}

/* A slot has "id"; an order's appointment names it "slot". */
static PorteurCaAppointmentSlot *
slot_parse (JsonNode    *node,
            const char  *path,
            const char  *id_name,
            GError     **error)
{
  g_autoptr(PorteurCaAppointmentSlot) self = g_object_new (PORTEUR_TYPE_CA_APPOINTMENT_SLOT, NULL);
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, id_name, FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "office", FALSE, FALSE, &self->office, error) ||
      !get_time (o, path, "start", FALSE, &self->start, error) ||
      !get_time (o, path, "end", FALSE, &self->end, error))
    return NULL;
  if (*self->id == '\0')
    {
      invalid (error, path, id_name, "empty");
      return NULL;
    }
  if (g_date_time_compare (self->end, self->start) <= 0)
    {
      invalid (error, path, "end", "not after start");
      return NULL;
    }
  return g_steal_pointer (&self);
}

PorteurCaAppointmentSlot *
porteur_ca_appointment_slot_new_from_json (JsonNode  *node,
                                           GError   **error)
{
  return slot_parse (node, "slot", "id", error);
}

const char *porteur_ca_appointment_slot_get_id (PorteurCaAppointmentSlot *self) { g_return_val_if_fail (PORTEUR_IS_CA_APPOINTMENT_SLOT (self), NULL); return self->id; }
const char *porteur_ca_appointment_slot_get_office (PorteurCaAppointmentSlot *self) { g_return_val_if_fail (PORTEUR_IS_CA_APPOINTMENT_SLOT (self), NULL); return self->office; }
GDateTime *porteur_ca_appointment_slot_get_start (PorteurCaAppointmentSlot *self) { g_return_val_if_fail (PORTEUR_IS_CA_APPOINTMENT_SLOT (self), NULL); return self->start; }
GDateTime *porteur_ca_appointment_slot_get_end (PorteurCaAppointmentSlot *self) { g_return_val_if_fail (PORTEUR_IS_CA_APPOINTMENT_SLOT (self), NULL); return self->end; }

/* Security question (§3.5) ------------------------------------------------ */

struct _PorteurCaSecurityQuestion
{
  GObject parent_instance;

  char *id;
  char *label;
};

G_DEFINE_FINAL_TYPE (PorteurCaSecurityQuestion, porteur_ca_security_question, G_TYPE_OBJECT)

static void
porteur_ca_security_question_finalize (GObject *object)
{
  PorteurCaSecurityQuestion *self = PORTEUR_CA_SECURITY_QUESTION (object);

  g_free (self->id);
  g_free (self->label);
  G_OBJECT_CLASS (porteur_ca_security_question_parent_class)->finalize (object);
}

static void
porteur_ca_security_question_class_init (PorteurCaSecurityQuestionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_security_question_finalize;
}

static void
porteur_ca_security_question_init (PorteurCaSecurityQuestion *self)
{
}

static PorteurCaSecurityQuestion *
security_question_parse (JsonNode    *node,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(PorteurCaSecurityQuestion) self = g_object_new (PORTEUR_TYPE_CA_SECURITY_QUESTION, NULL);
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "label", FALSE, FALSE, &self->label, error))
    return NULL;
  if (*self->id == '\0')
    {
      invalid (error, path, "id", "empty");
      return NULL;
    }
  return g_steal_pointer (&self);
}

PorteurCaSecurityQuestion *
porteur_ca_security_question_new_from_json (JsonNode  *node,
                                            GError   **error)
{
  return security_question_parse (node, "question", error);
}

const char *porteur_ca_security_question_get_id (PorteurCaSecurityQuestion *self) { g_return_val_if_fail (PORTEUR_IS_CA_SECURITY_QUESTION (self), NULL); return self->id; }
const char *porteur_ca_security_question_get_label (PorteurCaSecurityQuestion *self) { g_return_val_if_fail (PORTEUR_IS_CA_SECURITY_QUESTION (self), NULL); return self->label; }

/* Unblock session (§3.6) -------------------------------------------------- */

struct _PorteurCaUnblockSession
{
  GObject parent_instance;

  char      *id;
  GDateTime *expires;
};

G_DEFINE_FINAL_TYPE (PorteurCaUnblockSession, porteur_ca_unblock_session, G_TYPE_OBJECT)

static void
porteur_ca_unblock_session_finalize (GObject *object)
{
  PorteurCaUnblockSession *self = PORTEUR_CA_UNBLOCK_SESSION (object);

  g_free (self->id);
  g_clear_pointer (&self->expires, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_unblock_session_parent_class)->finalize (object);
}

static void
porteur_ca_unblock_session_class_init (PorteurCaUnblockSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_unblock_session_finalize;
}

static void
porteur_ca_unblock_session_init (PorteurCaUnblockSession *self)
{
}

static gboolean
is_path_segment (const char *text)
{
  if (*text == '\0' || strlen (text) > 128)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

PorteurCaUnblockSession *
porteur_ca_unblock_session_new_from_json (JsonNode  *node,
                                          GError   **error)
{
  g_autoptr(PorteurCaUnblockSession) self = g_object_new (PORTEUR_TYPE_CA_UNBLOCK_SESSION, NULL);
  const char *path = "unblock_session";
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_time (o, path, "expires", FALSE, &self->expires, error))
    return NULL;
  if (!is_path_segment (self->id))
    {
      invalid (error, path, "id", "not 1–128 letters, digits, '-' or '_'");
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *porteur_ca_unblock_session_get_id (PorteurCaUnblockSession *self) { g_return_val_if_fail (PORTEUR_IS_CA_UNBLOCK_SESSION (self), NULL); return self->id; }
GDateTime *porteur_ca_unblock_session_get_expires (PorteurCaUnblockSession *self) { g_return_val_if_fail (PORTEUR_IS_CA_UNBLOCK_SESSION (self), NULL); return self->expires; }

/* Cryptogram (§3.6) ------------------------------------------------------- */

struct _PorteurCaCryptogram
{
  GObject parent_instance;

  guint8 *data;
  gsize   length;
};

G_DEFINE_FINAL_TYPE (PorteurCaCryptogram, porteur_ca_cryptogram, G_TYPE_OBJECT)

static void
porteur_ca_cryptogram_finalize (GObject *object)
{
  PorteurCaCryptogram *self = PORTEUR_CA_CRYPTOGRAM (object);

  if (self->data)
    explicit_bzero (self->data, self->length);
  g_free (self->data);
  G_OBJECT_CLASS (porteur_ca_cryptogram_parent_class)->finalize (object);
}

static void
porteur_ca_cryptogram_class_init (PorteurCaCryptogramClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_cryptogram_finalize;
}

static void
porteur_ca_cryptogram_init (PorteurCaCryptogram *self)
{
}

PorteurCaCryptogram *
porteur_ca_cryptogram_new_from_json (JsonNode  *node,
                                     GError   **error)
{
  g_autoptr(PorteurCaCryptogram) self = g_object_new (PORTEUR_TYPE_CA_CRYPTOGRAM, NULL);
  const char *path = "unblock_response";
  g_autofree char *hex = NULL;
  JsonObject *o;
  gsize len;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "cryptogram", FALSE, FALSE, &hex, error))
    return NULL;
  len = strlen (hex);
  if (len == 0 || len % 2 != 0 || len > 512)
    {
      explicit_bzero (hex, len);
      invalid (error, path, "cryptogram", "not 1–256 bytes of hex");
      return NULL;
    }
  self->length = len / 2;
  self->data = g_malloc (self->length);
  for (gsize i = 0; i < self->length; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        {
          explicit_bzero (hex, len);
          invalid (error, path, "cryptogram", "not hex");
          return NULL;
        }
      self->data[i] = (guint8) (hi << 4 | lo);
    }
  explicit_bzero (hex, len);
  return g_steal_pointer (&self);
}

/* A copy the caller owns, wiped when its last reference goes: the caller should drop it as
 * soon as it is sent to the token. */
GBytes *
porteur_ca_cryptogram_get_bytes (PorteurCaCryptogram *self)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CRYPTOGRAM (self), NULL);
  return porteur_wiped_bytes_new (self->data, self->length);
}

/* Lists ------------------------------------------------------------------- */

GListModel *
porteur_ca_list_new_from_json (GType      item_type,
                               JsonNode  *node,
                               GError   **error)
{
  g_autoptr(GListStore) store = NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      invalid (error, "", NULL, "not an array");
      return NULL;
    }
  store = g_list_store_new (item_type);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *path = g_strdup_printf ("[%u]", i);
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(GObject) item = NULL;

      if (item_type == PORTEUR_TYPE_CA_PRODUCT)
        item = G_OBJECT (product_parse (element, path, error));
      else if (item_type == PORTEUR_TYPE_CA_OFFICE)
        item = G_OBJECT (office_parse (element, path, error));
      else if (item_type == PORTEUR_TYPE_CA_HISTORY_ENTRY)
        item = G_OBJECT (history_entry_parse (element, path, error));
      else if (item_type == PORTEUR_TYPE_CA_CHECKLIST_ITEM)
        item = G_OBJECT (checklist_item_parse (element, path, error));
      else if (item_type == PORTEUR_TYPE_CA_APPOINTMENT_SLOT)
        item = G_OBJECT (slot_parse (element, path, "id", error));
      else if (item_type == PORTEUR_TYPE_CA_SECURITY_QUESTION)
        item = G_OBJECT (security_question_parse (element, path, error));
      else
        g_return_val_if_reached (NULL);
      if (item == NULL)
        return NULL;
      g_list_store_append (store, item);
    }
  return G_LIST_MODEL (g_steal_pointer (&store));
}

/* Test challenge (§3.8) --------------------------------------------------- */

struct _PorteurCaTestChallenge
{
  GObject parent_instance;

  char      *id;
  GBytes    *nonce;
  GDateTime *expires;
};

G_DEFINE_FINAL_TYPE (PorteurCaTestChallenge, porteur_ca_test_challenge, G_TYPE_OBJECT)

static void
porteur_ca_test_challenge_finalize (GObject *object)
{
  PorteurCaTestChallenge *self = PORTEUR_CA_TEST_CHALLENGE (object);

  g_free (self->id);
  g_clear_pointer (&self->nonce, g_bytes_unref);
  g_clear_pointer (&self->expires, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_test_challenge_parent_class)->finalize (object);
}

static void
porteur_ca_test_challenge_class_init (PorteurCaTestChallengeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_test_challenge_finalize;
}

static void
porteur_ca_test_challenge_init (PorteurCaTestChallenge *self)
{
}

/* Strict base64 (RFC 4648 §4, padded); g_base64_decode alone skips any junk. */
static GBytes *
test_challenge_decode_base64 (const char *text)
{
  gsize len = strlen (text), pad = 0, out_len = 0;
  guchar *data;

  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '=')
        {
          if (i + 2 < len)
            return NULL;
          pad++;
        }
      else if (pad > 0 || !(g_ascii_isalnum (text[i]) || text[i] == '+' || text[i] == '/'))
        return NULL;
    }
  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

PorteurCaTestChallenge *
porteur_ca_test_challenge_new_from_json (JsonNode  *node,
                                         GError   **error)
{
  g_autoptr(PorteurCaTestChallenge) self = g_object_new (PORTEUR_TYPE_CA_TEST_CHALLENGE, NULL);
  const char *path = "test_challenge";
  g_autofree char *nonce = NULL;
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "nonce", FALSE, FALSE, &nonce, error) ||
      !get_time (o, path, "expires", FALSE, &self->expires, error))
    return NULL;
  if (!is_path_segment (self->id))
    {
      invalid (error, path, "id", "not 1–128 letters, digits, '-' or '_'");
      return NULL;
    }
  self->nonce = test_challenge_decode_base64 (nonce);
  if (self->nonce == NULL)
    {
      invalid (error, path, "nonce", "not base64");
      return NULL;
    }
  if (g_bytes_get_size (self->nonce) < 16 || g_bytes_get_size (self->nonce) > 256)
    {
      invalid (error, path, "nonce", "not 16–256 bytes");
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *porteur_ca_test_challenge_get_id (PorteurCaTestChallenge *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_CHALLENGE (self), NULL); return self->id; }
GBytes *porteur_ca_test_challenge_get_nonce (PorteurCaTestChallenge *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_CHALLENGE (self), NULL); return self->nonce; }
GDateTime *porteur_ca_test_challenge_get_expires (PorteurCaTestChallenge *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_CHALLENGE (self), NULL); return self->expires; }

/* Test verdict (§3.8) ----------------------------------------------------- */

static const char *const test_verdict_status_names[] = { "good", "revoked", "unknown", "expired", "untrusted", NULL };

const char *
porteur_ca_certificate_status_to_string (PorteurCaCertificateStatus status)
{
  g_return_val_if_fail (status <= PORTEUR_CA_CERTIFICATE_UNTRUSTED, NULL);
  return test_verdict_status_names[status];
}

struct _PorteurCaTestVerdict
{
  GObject parent_instance;

  gboolean                   signature_valid;
  gboolean                   certificate_valid;
  PorteurCaCertificateStatus certificate_status;
  gboolean                   qualified;
  char                      *subject;
  char                      *serial;
  GDateTime                 *not_after;
  GStrv                      failures;
};

G_DEFINE_FINAL_TYPE (PorteurCaTestVerdict, porteur_ca_test_verdict, G_TYPE_OBJECT)

static void
porteur_ca_test_verdict_finalize (GObject *object)
{
  PorteurCaTestVerdict *self = PORTEUR_CA_TEST_VERDICT (object);

  g_free (self->subject);
  g_free (self->serial);
  g_clear_pointer (&self->not_after, g_date_time_unref);
  g_strfreev (self->failures);
  G_OBJECT_CLASS (porteur_ca_test_verdict_parent_class)->finalize (object);
}

static void
porteur_ca_test_verdict_class_init (PorteurCaTestVerdictClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_test_verdict_finalize;
}

static void
porteur_ca_test_verdict_init (PorteurCaTestVerdict *self)
{
}

PorteurCaTestVerdict *
porteur_ca_test_verdict_new_from_json (JsonNode  *node,
                                       GError   **error)
{
  g_autoptr(PorteurCaTestVerdict) self = g_object_new (PORTEUR_TYPE_CA_TEST_VERDICT, NULL);
  g_autoptr(GStrvBuilder) failures = g_strv_builder_new ();
  const char *path = "test_verdict";
  g_autofree char *status = NULL;
  JsonObject *o;
  JsonNode *list;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_bool (o, path, "signature_valid", FALSE, &self->signature_valid, error) ||
      !get_bool (o, path, "certificate_valid", FALSE, &self->certificate_valid, error) ||
      !get_choice (o, path, "certificate_status", test_verdict_status_names, &status, error) ||
      !get_bool (o, path, "qualified", FALSE, &self->qualified, error) ||
      !get_string (o, path, "subject", TRUE, TRUE, &self->subject, error) ||
      !get_string (o, path, "serial", TRUE, TRUE, &self->serial, error) ||
      !get_time (o, path, "not_after", TRUE, &self->not_after, error))
    return NULL;
  for (guint i = 0; test_verdict_status_names[i]; i++)
    if (g_str_equal (status, test_verdict_status_names[i]))
      self->certificate_status = i;
  /* A verdict that contradicts itself is not shown as good. */
  if (self->certificate_valid != (self->certificate_status == PORTEUR_CA_CERTIFICATE_GOOD))
    {
      invalid (error, path, "certificate_valid", "contradicts certificate_status");
      return NULL;
    }
  if (self->subject == NULL)
    self->subject = g_strdup ("");
  if (self->serial == NULL)
    self->serial = g_strdup ("");
  list = member (o, "failures");
  if (list && !JSON_NODE_HOLDS_NULL (list))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (list))
        {
          invalid (error, path, "failures", "not an array");
          return NULL;
        }
      array = json_node_get_array (list);
      if (json_array_get_length (array) > 64)
        {
          invalid (error, path, "failures", "more than 64 codes");
          return NULL;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *code;

          if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
              !g_utf8_validate (code = json_node_get_string (element), -1, NULL) || *code == '\0' || strlen (code) > 64)
            {
              g_autofree char *name = g_strdup_printf ("failures[%u]", i);
              invalid (error, path, name, "not a code");
              return NULL;
            }
          g_strv_builder_add (failures, code);
        }
    }
  self->failures = g_strv_builder_end (failures);
  return g_steal_pointer (&self);
}

gboolean porteur_ca_test_verdict_get_signature_valid (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), FALSE); return self->signature_valid; }
gboolean porteur_ca_test_verdict_get_certificate_valid (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), FALSE); return self->certificate_valid; }
PorteurCaCertificateStatus porteur_ca_test_verdict_get_certificate_status (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), PORTEUR_CA_CERTIFICATE_UNTRUSTED); return self->certificate_status; }
gboolean porteur_ca_test_verdict_get_qualified (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), FALSE); return self->qualified; }
const char *porteur_ca_test_verdict_get_subject (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), NULL); return self->subject; }
const char *porteur_ca_test_verdict_get_serial (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), NULL); return self->serial; }
GDateTime *porteur_ca_test_verdict_get_not_after (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), NULL); return self->not_after; }
const char * const *porteur_ca_test_verdict_get_failures (PorteurCaTestVerdict *self) { g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), NULL); return (const char * const *) self->failures; }

gboolean
porteur_ca_test_verdict_has_failure (PorteurCaTestVerdict *self,
                                     const char           *code)
{
  g_return_val_if_fail (PORTEUR_IS_CA_TEST_VERDICT (self), FALSE);
  return g_strv_contains ((const char * const *) self->failures, code);
}

/* Revocation requests (§3.7) ----------------------------------------------- */

const char *const porteur_ca_revocation_reasons[] = {
  "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation", "unspecified", NULL
};

static const int revocation_reason_codes[] = { 1, 3, 4, 5, 0 };

gboolean
porteur_ca_revocation_reason_is_valid (const char *reason)
{
  return porteur_ca_revocation_reason_code (reason) >= 0;
}

int
porteur_ca_revocation_reason_code (const char *reason)
{
  for (guint i = 0; reason && porteur_ca_revocation_reasons[i]; i++)
    if (g_str_equal (porteur_ca_revocation_reasons[i], reason))
      return revocation_reason_codes[i];
  return -1;
}

static const char *const revocation_status_names[] = { "pending-confirmation", "accepted", "rejected", NULL };

const char *
porteur_ca_revocation_status_to_string (PorteurCaRevocationStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (revocation_status_names) - 1, NULL);
  return revocation_status_names[status];
}

struct _PorteurCaRevocationRequest
{
  GObject parent_instance;

  char                      *id;
  PorteurCaRevocationStatus  status;
  char                      *token;
  char                      *serial;
  char                      *reason;
  char                      *requester;
  GDateTime                 *created;
  GDateTime                 *revoked_at;
  GDateTime                 *confirmation_expires;
};

G_DEFINE_FINAL_TYPE (PorteurCaRevocationRequest, porteur_ca_revocation_request, G_TYPE_OBJECT)

static void
porteur_ca_revocation_request_finalize (GObject *object)
{
  PorteurCaRevocationRequest *self = PORTEUR_CA_REVOCATION_REQUEST (object);

  g_free (self->id);
  if (self->token)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->serial);
  g_free (self->reason);
  g_free (self->requester);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->revoked_at, g_date_time_unref);
  g_clear_pointer (&self->confirmation_expires, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_revocation_request_parent_class)->finalize (object);
}

static void
porteur_ca_revocation_request_class_init (PorteurCaRevocationRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_revocation_request_finalize;
}

static void
porteur_ca_revocation_request_init (PorteurCaRevocationRequest *self)
{
}

static gboolean
revocation_hex_serial (const char *text)
{
  gsize len = strlen (text);

  if (len < 1 || len > 40)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

static PorteurCaRevocationRequest *
revocation_request_parse (JsonNode  *node,
                          gboolean   created,
                          GError   **error);

PorteurCaRevocationRequest *
porteur_ca_revocation_request_new_from_json (JsonNode  *node,
                                             GError   **error)
{
  return revocation_request_parse (node, FALSE, error);
}

PorteurCaRevocationRequest *
porteur_ca_revocation_request_new_created_from_json (JsonNode  *node,
                                                     GError   **error)
{
  return revocation_request_parse (node, TRUE, error);
}

/* @created: the answer to POST /revocation-requests, which must carry the token (§3.7: the only
 * answer that gives it; without it the request could never be read again). */
static PorteurCaRevocationRequest *
revocation_request_parse (JsonNode  *node,
                          gboolean   created,
                          GError   **error)
{
  static const char *const requesters[] = { "holder", "legal-representative", NULL };
  g_autoptr(PorteurCaRevocationRequest) self = g_object_new (PORTEUR_TYPE_CA_REVOCATION_REQUEST, NULL);
  const char *path = "revocation_request";
  g_autofree char *status = NULL;
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "id", FALSE, FALSE, &self->id, error) ||
      !get_string (o, path, "status", FALSE, FALSE, &status, error) ||
      !get_string (o, path, "token", !created, !created, &self->token, error) ||
      !get_string (o, path, "serial", FALSE, FALSE, &self->serial, error) ||
      !get_choice (o, path, "reason", porteur_ca_revocation_reasons, &self->reason, error) ||
      !get_choice (o, path, "requester", requesters, &self->requester, error) ||
      !get_time (o, path, "created", FALSE, &self->created, error) ||
      !get_time (o, path, "revoked_at", TRUE, &self->revoked_at, error) ||
      !get_time (o, path, "confirmation_expires", TRUE, &self->confirmation_expires, error))
    return NULL;
  if (*self->id == '\0' || strlen (self->id) > 128)
    {
      invalid (error, path, "id", "not 1–128 characters");
      return NULL;
    }
  if (!revocation_hex_serial (self->serial))
    {
      invalid (error, path, "serial", "not 1–40 hex digits");
      return NULL;
    }
  if (self->token && *self->token == '\0')
    {
      invalid (error, path, "token", "empty");
      return NULL;
    }
  for (guint i = 0; revocation_status_names[i]; i++)
    if (g_str_equal (status, revocation_status_names[i]))
      {
        self->status = (PorteurCaRevocationStatus) i;
        if (self->status == PORTEUR_CA_REVOCATION_ACCEPTED && self->revoked_at == NULL)
          {
            invalid (error, path, "revoked_at", "missing for an accepted request");
            return NULL;
          }
        return g_steal_pointer (&self);
      }
  invalid (error, path, "status", "unknown status");
  return NULL;
}

const char *porteur_ca_revocation_request_get_id (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->id; }
PorteurCaRevocationStatus porteur_ca_revocation_request_get_status (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), 0); return self->status; }
const char *porteur_ca_revocation_request_get_token (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->token; }
const char *porteur_ca_revocation_request_get_serial (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->serial; }
const char *porteur_ca_revocation_request_get_reason (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->reason; }
const char *porteur_ca_revocation_request_get_requester (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->requester; }
GDateTime *porteur_ca_revocation_request_get_created (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->created; }
GDateTime *porteur_ca_revocation_request_get_revoked_at (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->revoked_at; }
GDateTime *porteur_ca_revocation_request_get_confirmation_expires (PorteurCaRevocationRequest *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL); return self->confirmation_expires; }

JsonNode *
porteur_ca_revocation_request_to_json (PorteurCaRevocationRequest *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = NULL;

  g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_REQUEST (self), NULL);
  created = g_date_time_format_iso8601 (self->created);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, self->id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, porteur_ca_revocation_status_to_string (self->status));
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, self->serial);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, self->reason);
  json_builder_set_member_name (b, "requester");
  json_builder_add_string_value (b, self->requester);
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "revoked_at");
  if (self->revoked_at)
    {
      g_autofree char *at = g_date_time_format_iso8601 (self->revoked_at);
      json_builder_add_string_value (b, at);
    }
  else
    json_builder_add_null_value (b);
  if (self->confirmation_expires)
    {
      g_autofree char *until = g_date_time_format_iso8601 (self->confirmation_expires);
      json_builder_set_member_name (b, "confirmation_expires");
      json_builder_add_string_value (b, until);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

struct _PorteurCaRevocationNonce
{
  GObject parent_instance;

  char      *nonce;
  GDateTime *expires;
};

G_DEFINE_FINAL_TYPE (PorteurCaRevocationNonce, porteur_ca_revocation_nonce, G_TYPE_OBJECT)

static void
porteur_ca_revocation_nonce_finalize (GObject *object)
{
  PorteurCaRevocationNonce *self = PORTEUR_CA_REVOCATION_NONCE (object);

  g_free (self->nonce);
  g_clear_pointer (&self->expires, g_date_time_unref);
  G_OBJECT_CLASS (porteur_ca_revocation_nonce_parent_class)->finalize (object);
}

static void
porteur_ca_revocation_nonce_class_init (PorteurCaRevocationNonceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = porteur_ca_revocation_nonce_finalize;
}

static void
porteur_ca_revocation_nonce_init (PorteurCaRevocationNonce *self)
{
}

PorteurCaRevocationNonce *
porteur_ca_revocation_nonce_new_from_json (JsonNode  *node,
                                           GError   **error)
{
  g_autoptr(PorteurCaRevocationNonce) self = g_object_new (PORTEUR_TYPE_CA_REVOCATION_NONCE, NULL);
  const char *path = "revocation_nonce";
  JsonObject *o;

  if ((o = want_object (node, path, error)) == NULL)
    return NULL;
  if (!get_string (o, path, "nonce", FALSE, FALSE, &self->nonce, error) ||
      !get_time (o, path, "expires", FALSE, &self->expires, error))
    return NULL;
  /* The nonce goes into the signed canonical request, one line of it. */
  if (*self->nonce == '\0' || strlen (self->nonce) > 128)
    {
      invalid (error, path, "nonce", "not 1–128 characters");
      return NULL;
    }
  for (const char *p = self->nonce; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      {
        invalid (error, path, "nonce", "not printable ASCII");
        return NULL;
      }
  return g_steal_pointer (&self);
}

const char *porteur_ca_revocation_nonce_get_nonce (PorteurCaRevocationNonce *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_NONCE (self), NULL); return self->nonce; }
GDateTime *porteur_ca_revocation_nonce_get_expires (PorteurCaRevocationNonce *self) { g_return_val_if_fail (PORTEUR_IS_CA_REVOCATION_NONCE (self), NULL); return self->expires; }
