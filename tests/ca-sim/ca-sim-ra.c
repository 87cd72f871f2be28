/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ca-sim.h"
#include "ca-sim-catalogue.h"
#include "ca-sim-challenge.h"
#include "ca-sim-ra-private.h"
#include "order/porteur-order-check.h"

/* The RA API v1 (docs/ca-api.md §3.1–3.6). Every answer is JSON or an RFC
 * 9457 problem; every POST/PUT needs an Idempotency-Key, whose answer is
 * stored with the work in one SQLite transaction. */

#define PROBLEM_BASE "https://porteur.example/problems/"
#define MAX_BODY (64 * 1024)

void
field_error_free (FieldError *fe)
{
  g_free (fe->field);
  g_free (fe->code);
  g_free (fe->message);
  g_free (fe);
}

void
add_field_error (GPtrArray *errors, const char *field, const char *code, const char *message)
{
  FieldError *fe = g_new0 (FieldError, 1);

  fe->field = g_strdup (field);
  fe->code = g_strdup (code);
  fe->message = g_strdup (message);
  g_ptr_array_add (errors, fe);
}

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->content_type, g_free);
  g_clear_pointer (&a->body, g_free);
  g_clear_pointer (&a->location, g_free);
}

void
answer_json (Answer *a, guint status, JsonNode *node)
{
  answer_clear (a);
  a->status = status;
  a->content_type = g_strdup ("application/json; charset=utf-8");
  a->body = json_to_string (node, FALSE);
}

void
answer_problem (Answer     *a,
                guint       status,
                const char *type,
                const char *title,
                const char *detail,
                GPtrArray  *errors)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *type_uri = g_strconcat (PROBLEM_BASE, type, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type_uri);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "detail");
  json_builder_add_string_value (b, detail ? detail : "");
  if (errors && errors->len > 0)
    {
      json_builder_set_member_name (b, "errors");
      json_builder_begin_array (b);
      for (guint i = 0; i < errors->len; i++)
        {
          FieldError *fe = g_ptr_array_index (errors, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "field");
          json_builder_add_string_value (b, fe->field);
          json_builder_set_member_name (b, "code");
          json_builder_add_string_value (b, fe->code);
          json_builder_set_member_name (b, "message");
          json_builder_add_string_value (b, fe->message);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  answer_clear (a);
  a->status = status;
  a->content_type = g_strdup ("application/problem+json");
  a->body = json_to_string (root, FALSE);
}

static void
send_answer (SoupServerMessage *msg, Answer *a)
{
  soup_server_message_set_status (msg, a->status, NULL);
  if (a->location)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location", a->location);
  soup_server_message_set_response (msg, a->content_type, SOUP_MEMORY_COPY, a->body, strlen (a->body));
}

char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static JsonNode *
order_json (const CaSimOrder *order, const char *access_token)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) dossier = json_from_string (order->dossier, NULL);
  g_autofree char *created = format_time (order->created);
  g_autofree char *updated = format_time (order->updated);
  const CaSimOffice *office = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "number");
  json_builder_add_string_value (b, order->number);
  if (access_token)
    {
      json_builder_set_member_name (b, "access_token");
      json_builder_add_string_value (b, access_token);
    }
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, order->status);
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "updated");
  json_builder_add_string_value (b, updated);
  json_builder_set_member_name (b, "dossier");
  json_builder_add_value (b, json_node_copy (dossier));
  if (g_str_equal (order->status, CA_SIM_REJECTED) && order->reason)
    {
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, order->reason);
    }
  if (g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE) && order->validation_due > 0)
    {
      g_autofree char *due = format_time (order->validation_due);
      json_builder_set_member_name (b, "validation_due");
      json_builder_add_string_value (b, due);
    }
  if (order->serial)
    {
      json_builder_set_member_name (b, "serial");
      json_builder_add_string_value (b, order->serial);
    }
  if (dossier && JSON_NODE_HOLDS_OBJECT (dossier))
    office = ca_sim_find_office (porteur_order_member_string (json_node_get_object (dossier), "office"));
  if (office)
    {
      json_builder_set_member_name (b, "office");
      json_builder_add_value (b, ca_sim_office_json (office));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Dossier validation ---------------------------------------------------------- */

static const char *const top_fields[] = {
  "support", "has_compatible_token", "product", "siret", "requester_email", "prerequisites_acknowledged",
  "organisation_type", "requester_role", "organisation", "holder", "legal_representative", "office", NULL };
static const char *const organisation_fields[] = { "name", "address", NULL };
static const char *const address_fields[] = { "line1", "line2", "postal_code", "city", NULL };
static const char *const holder_fields[] = {
  "civility", "given_name", "family_name", "function", "service", "email", "phone", NULL };
static const char *const representative_fields[] = {
  "civility", "given_name", "family_name", "function", "email", NULL };

static void
check_unknown (GPtrArray *errors, JsonObject *object, const char *prefix, const char *const *allowed)
{
  g_autoptr(GList) members = NULL;

  if (object == NULL)
    return;
  members = json_object_get_members (object);
  for (GList *l = members; l; l = l->next)
    if (!g_strv_contains (allowed, l->data))
      {
        g_autofree char *field = *prefix ? g_strconcat (prefix, ".", l->data, NULL) : g_strdup (l->data);
        add_field_error (errors, field, "unknown-field", "This field is not part of the dossier");
      }
}

static gboolean
has_error_at (GPtrArray *errors, const char *field)
{
  for (guint i = 0; i < errors->len; i++)
    if (g_str_equal (((FieldError *) g_ptr_array_index (errors, i))->field, field))
      return TRUE;
  return FALSE;
}

/* Returns the field errors of @dossier (empty when valid). */
static GPtrArray *
validate_dossier (JsonNode *root)
{
  GPtrArray *errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
  g_autoptr(GPtrArray) checks = NULL;
  JsonObject *dossier, *organisation;
  JsonNode *compatible;
  const CaSimProduct *product;
  const char *support;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      add_field_error (errors, "", "bad-syntax", "The dossier must be a JSON object");
      return errors;
    }
  dossier = json_node_get_object (root);
  organisation = porteur_order_member_object (dossier, "organisation");
  check_unknown (errors, dossier, "", top_fields);
  check_unknown (errors, organisation, "organisation", organisation_fields);
  check_unknown (errors, porteur_order_member_object (organisation, "address"), "organisation.address", address_fields);
  check_unknown (errors, porteur_order_member_object (dossier, "holder"), "holder", holder_fields);
  check_unknown (errors, porteur_order_member_object (dossier, "legal_representative"), "legal_representative", representative_fields);

  /* The same rules as the client: porteur-order-check. */
  checks = porteur_order_dossier_validate (dossier);
  for (guint i = 0; i < checks->len; i++)
    {
      PorteurOrderFieldError *fe = g_ptr_array_index (checks, i);
      add_field_error (errors, fe->field, fe->code, fe->message);
    }

  compatible = json_object_get_member (dossier, "has_compatible_token");
  if (compatible == NULL)
    add_field_error (errors, "has_compatible_token", "empty", "This field is required");
  else if (!JSON_NODE_HOLDS_VALUE (compatible) || json_node_get_value_type (compatible) != G_TYPE_BOOLEAN)
    add_field_error (errors, "has_compatible_token", "bad-choice", "Must be true or false");

  if (!has_error_at (errors, "product"))
    {
      product = ca_sim_find_product (porteur_order_member_string (dossier, "product"));
      support = porteur_order_member_string (dossier, "support");
      if (product == NULL)
        add_field_error (errors, "product", "unknown-product", "No such product in the catalogue");
      else if (support && !g_str_equal (support, product->support))
        add_field_error (errors, "product", "support-mismatch", "This product is not sold for this support");
    }
  if (!has_error_at (errors, "office") &&
      ca_sim_find_office (porteur_order_member_string (dossier, "office")) == NULL)
    add_field_error (errors, "office", "unknown-office", "No such registration office");
  return errors;
}

/* Requests ---------------------------------------------------------------------- */

static void add_appointment (CaSim *sim, JsonObject *object, const char *number);

JsonNode *
parse_body (Request *r)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (r->msg), NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (r->body, &len);

  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    {
      answer_problem (&r->answer, 415, "validation", "The body must be application/json", type ? type : "no Content-Type", NULL);
      return NULL;
    }
  if (len > MAX_BODY)
    {
      answer_problem (&r->answer, 413, "validation", "The body is too large", NULL, NULL);
      return NULL;
    }
  if (!g_utf8_validate (data, len, NULL) || !json_parser_load_from_data (parser, data, len, &error))
    {
      answer_problem (&r->answer, 400, "validation", "The body is not JSON", error ? error->message : "not UTF-8", NULL);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

/* The order addressed by the request, after checking its bearer token. */
CaSimOrder *
authorised_order (Request *r, const char *number)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (r->msg), "Authorization");
  g_autofree char *hash = NULL;
  g_autoptr(CaSimOrder) order = NULL;
  sqlite3_stmt *stmt;
  gboolean known_token = FALSE;

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || auth[7] == '\0')
    {
      answer_problem (&r->answer, 401, "unauthorized", "An access token is required", NULL, NULL);
      return NULL;
    }
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, auth + 7, -1);
  order = ca_sim_db_get_order (r->sim->db, number, NULL);
  if (order && g_str_equal (order->token_hash, hash))
    return g_steal_pointer (&order);

  sqlite3_prepare_v2 (ca_sim_db_get_handle (r->sim->db), "SELECT 1 FROM orders WHERE token_hash = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_TRANSIENT);
  known_token = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  if (known_token)
    answer_problem (&r->answer, 404, "not-found", "No such order", NULL, NULL);
  else
    answer_problem (&r->answer, 401, "unauthorized", "The access token is not valid", NULL, NULL);
  return NULL;
}

void
answer_validation (Request *r, GPtrArray *errors)
{
  g_autofree char *detail = g_strdup_printf ("%u field%s not valid", errors->len, errors->len == 1 ? " is" : "s are");
  answer_problem (&r->answer, 422, "validation", "The dossier is not valid", detail, errors);
}

void
answer_order (Request *r, guint status, const char *number, const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (r->sim->db, number, &error);
  g_autoptr(JsonNode) node = NULL;

  if (order == NULL)
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
      return;
    }
  node = order_json (order, token);
  add_appointment (r->sim, json_node_get_object (node), number);
  answer_json (&r->answer, status, node);
}

static void
create_order (Request *r)
{
  g_autoptr(JsonNode) root = parse_body (r);
  g_autoptr(GPtrArray) errors = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *number = NULL;
  g_autofree char *json = NULL;

  if (root == NULL)
    return;
  errors = validate_dossier (root);
  if (errors->len > 0)
    {
      answer_validation (r, errors);
      return;
    }
  json = json_to_string (root, FALSE);
  number = ca_sim_db_create_order (r->sim->db, json, &token, &error);
  if (number == NULL)
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
      return;
    }
  answer_order (r, 201, number, token);
  r->answer.location = g_strdup_printf ("/api/v1/orders/%s", number);
  explicit_bzero (token, strlen (token));
}

static void
rectify_order (Request *r, CaSimOrder *order)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) errors = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (!g_str_equal (order->status, CA_SIM_DRAFT) && !g_str_equal (order->status, CA_SIM_WAITING_DOCUMENTS) &&
      !g_str_equal (order->status, CA_SIM_DOCUMENTS_COMPLETE))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s: its dossier can no longer be changed", order->status);
      answer_problem (&r->answer, 409, "conflict", "The order cannot be rectified", detail, NULL);
      return;
    }
  if ((root = parse_body (r)) == NULL)
    return;
  errors = validate_dossier (root);
  if (errors->len > 0)
    {
      answer_validation (r, errors);
      return;
    }
  json = json_to_string (root, FALSE);
  if (!ca_sim_db_update_dossier (r->sim->db, order->number, json, &error))
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
      return;
    }
  answer_order (r, 200, order->number, NULL);
}

static void
submit_order (Request *r, CaSimOrder *order)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  if ((root = parse_body (r)) == NULL)
    return;
  if (!JSON_NODE_HOLDS_OBJECT (root) || json_object_get_size (json_node_get_object (root)) != 0)
    {
      g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
      add_field_error (errors, "", "unknown-field", "The body of submit is an empty object");
      answer_problem (&r->answer, 422, "validation", "The request is not valid", NULL, errors);
      return;
    }
  if (!g_str_equal (order->status, CA_SIM_DRAFT))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s, not draft", order->status);
      answer_problem (&r->answer, 409, "conflict", "The order cannot be submitted", detail, NULL);
      return;
    }
  if (!ca_sim_db_create_enrollment (r->sim->db, order->number, &error) ||
      !ca_sim_db_set_status (r->sim->db, order->number, CA_SIM_WAITING_DOCUMENTS,
                             "Submitted: waiting for the signed documents", ca_sim_db_now (r->sim->db), &error))
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
      return;
    }
  answer_order (r, 200, order->number, NULL);
}

/* Labels in English, French and Breton; other languages get English. */
typedef struct {
  const char *id;
  const char *en;
  const char *fr;
  const char *help_en;
  const char *help_fr;
  const char *br;
  const char *help_br;
} ChecklistText;

static const ChecklistText checklist_texts[] = {
  { "subscription-form", "Subscription form, signed", "Formulaire d’abonnement signé",
    "Print the form Porteur produced from your order, sign it in block 3", "Imprimez le formulaire produit par Porteur, signez-le dans le bloc n° 3",
    "Furmskrid koumanant sinet", "Moullit ar furmskrid savet gant Porteur diwar ho kourc'hemenn ha sinit anezhañ er bloc'h niv. 3" },
  { "terms-of-use", "Terms of use, initialled on every page", "Conditions générales d’utilisation paraphées",
    "Initial every page from page 3", "Paraphez chaque page à partir de la page 3",
    "Divizoù implijout, sinet e berr war bep pajenn", "Sinit e berr pep pajenn adalek ar bajenn 3" },
  { "holder-id", "Copy of the holder’s identity document", "Copie de la pièce d’identité du porteur",
    "Valid identity card or passport", "Carte d’identité ou passeport en cours de validité",
    "Eilskrid paper-anaout an dalc'her", "Kartenn-anaout pe tremenyezh talvoudek" },
  { "representative-id", "Copy of the legal representative’s identity document", "Copie de la pièce d’identité du représentant légal",
    "Valid identity card or passport", "Carte d’identité ou passeport en cours de validité",
    "Eilskrid paper-anaout an dileuriad lezennel", "Kartenn-anaout pe tremenyezh talvoudek" },
  { "delegation", "Delegation signed by the legal representative", "Délégation signée par le représentant légal",
    "Required when the order is made by a delegate", "Nécessaire quand la commande est faite par un délégué",
    "Dileuriadur sinet gant an dileuriad lezennel", "Ret eo pa vez graet ar gourc'hemenn gant un dileuriad" },
  { "registration-proof", "Kbis extract less than 3 months old", "Extrait Kbis de moins de 3 mois",
    "Proof of registration of the company", "Justificatif d’immatriculation de l’entreprise",
    "Eztenn Kbis nevesoc'h eget 3 miz", "Prouenn enskrivadur an embregerezh" },
  { "purchase-order", "Purchase order for the token", "Bon de commande du support",
    "Required when a token is bought with the certificate", "Nécessaire quand un support est acheté avec le certificat",
    "Urzh-prenañ evit an trevnad", "Ret eo pa vez prenet un trevnad gant an testeni" },
};

/* The first of the languages we speak in Accept-Language (listed in the
 * client's order of preference): "fr", "br" or "en". */
static const char *
label_language (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Accept-Language");
  static const char *const known[] = { "fr", "br", "en" };
  g_auto(GStrv) tags = NULL;

  if (header == NULL)
    return "en";
  tags = g_strsplit (header, ",", -1);
  for (guint i = 0; tags[i]; i++)
    {
      g_autofree char *tag = g_strstrip (g_ascii_strdown (tags[i], -1));

      for (guint k = 0; k < G_N_ELEMENTS (known); k++)
        if (g_str_has_prefix (tag, known[k]) && (tag[2] == '\0' || tag[2] == '-' || tag[2] == ';'))
          return known[k];
    }
  return "en";
}

static void
checklist (Request *r, CaSimOrder *order)
{
  g_autoptr(JsonNode) root = json_from_string (order->dossier, NULL);
  JsonObject *dossier = json_node_get_object (root);
  const char *role = porteur_order_member_string (dossier, "requester_role");
  const char *type = porteur_order_member_string (dossier, "organisation_type");
  JsonNode *compatible = json_object_get_member (dossier, "has_compatible_token");
  const char *language = label_language (r->msg);
  gboolean received = !g_str_equal (order->status, CA_SIM_DRAFT) && !g_str_equal (order->status, CA_SIM_WAITING_DOCUMENTS) &&
                      !g_str_equal (order->status, CA_SIM_REJECTED);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) list = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (checklist_texts); i++)
    {
      const ChecklistText *t = &checklist_texts[i];

      if (g_str_equal (t->id, "delegation") && g_strcmp0 (role, "delegate") != 0)
        continue;
      if (g_str_equal (t->id, "registration-proof") && g_strcmp0 (type, "public-body") == 0)
        continue;
      if (g_str_equal (t->id, "purchase-order") && compatible && json_node_get_boolean (compatible))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, t->id);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, g_str_equal (language, "fr") ? t->fr : g_str_equal (language, "br") ? t->br : t->en);
      json_builder_set_member_name (b, "required");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "received");
      json_builder_add_boolean_value (b, received);
      json_builder_set_member_name (b, "help");
      json_builder_add_string_value (b, g_str_equal (language, "fr") ? t->help_fr : g_str_equal (language, "br") ? t->help_br : t->help_en);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  list = json_builder_get_root (b);
  answer_json (&r->answer, 200, list);
  soup_message_headers_replace (soup_server_message_get_response_headers (r->msg), "Content-Language", language);
}

static void
enrollment (Request *r, CaSimOrder *order)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  /* Given from submission on, so that the CMP IR can wait for the validation. */
  if (order->enroll_reference == NULL || g_str_equal (order->status, CA_SIM_DRAFT) ||
      g_str_equal (order->status, CA_SIM_ISSUED) || g_str_equal (order->status, CA_SIM_REJECTED))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s: enrollment is possible from submission until issue", order->status);
      answer_problem (&r->answer, 409, "conflict", "No enrollment for this order", detail, NULL);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reference");
  json_builder_add_string_value (b, order->enroll_reference);
  json_builder_set_member_name (b, "secret");
  if (order->secret_shown_at == 0)
    {
      json_builder_add_string_value (b, order->enroll_secret);
      if (!ca_sim_db_mark_secret_shown (r->sim->db, order->number, &error))
        {
          answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
          return;
        }
    }
  else
    {
      g_autofree char *shown = format_time (order->secret_shown_at);
      json_builder_add_null_value (b);
      json_builder_set_member_name (b, "secret_shown_at");
      json_builder_add_string_value (b, shown);
    }
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 200, node);
}

/* §3.4 Delivery appointments ------------------------------------------------------ */

/* Slots: the next 15 days of the office's clock, weekdays, at 08:00 and 13:30
 * UTC, 45 minutes each, starting the day after tomorrow. A slot's id is
 * "OFFICE@START" (Unix seconds), so it needs no table until booked. */
#define SLOT_LENGTH (45 * 60)

static gboolean
slot_is_offered (gint64 now, gint64 start)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (start);
  int minute = g_date_time_get_hour (dt) * 60 + g_date_time_get_minute (dt);

  if (dt == NULL || g_date_time_get_second (dt) != 0 || (minute != 8 * 60 && minute != 13 * 60 + 30))
    return FALSE;
  if (g_date_time_get_day_of_week (dt) > 5)
    return FALSE;
  return start >= now - now % 86400 + 2 * 86400 && start < now + 16 * 86400;
}

static gboolean
slot_taken (CaSim *sim, const char *slot)
{
  sqlite3_stmt *stmt = NULL;
  gboolean taken;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db), "SELECT 1 FROM appointments WHERE slot = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, slot, -1, SQLITE_TRANSIENT);
  taken = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return taken;
}

static const char *
order_office (const CaSimOrder *order)
{
  g_autoptr(JsonNode) root = json_from_string (order->dossier, NULL);
  const CaSimOffice *office;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  office = ca_sim_find_office (porteur_order_member_string (json_node_get_object (root), "office"));
  return office ? office->id : NULL;
}

static gint64
query_time (Request *r, const char *name, gint64 fallback, gboolean *bad)
{
  const char *text = r->query ? g_hash_table_lookup (r->query, name) : NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL || *text == '\0')
    return fallback;
  if ((dt = g_date_time_new_from_iso8601 (text, NULL)) == NULL)
    {
      *bad = TRUE;
      return fallback;
    }
  return g_date_time_to_unix (dt);
}

static void
add_slot_json (JsonBuilder *b, const char *id, const char *office, gint64 start, const char *id_name)
{
  g_autofree char *s = format_time (start);
  g_autofree char *e = format_time (start + SLOT_LENGTH);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, id_name);
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "office");
  json_builder_add_string_value (b, office);
  json_builder_set_member_name (b, "start");
  json_builder_add_string_value (b, s);
  json_builder_set_member_name (b, "end");
  json_builder_add_string_value (b, e);
  json_builder_end_object (b);
}

static void
appointment_slots (Request *r, CaSimOrder *order)
{
  gint64 now = ca_sim_db_now (r->sim->db);
  gboolean bad = FALSE;
  gint64 from = query_time (r, "from", now, &bad);
  gint64 to = query_time (r, "to", now + 16 * 86400, &bad);
  const char *office = order_office (order);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  gint64 day0 = now - now % 86400;

  if (bad)
    {
      g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
      add_field_error (errors, "from", "bad-syntax", "from and to are RFC 3339 times");
      answer_problem (&r->answer, 422, "validation", "The request is not valid", NULL, errors);
      return;
    }
  if (!g_str_equal (order->status, CA_SIM_VALIDATED) && !g_str_equal (order->status, CA_SIM_APPOINTMENT))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s: slots are offered once it is validated", order->status);
      answer_problem (&r->answer, 409, "conflict", "No appointment for this order yet", detail, NULL);
      return;
    }
  json_builder_begin_array (b);
  for (gint64 day = day0 + 2 * 86400; day < now + 16 * 86400; day += 86400)
    {
      const gint64 starts[] = { day + 8 * 3600, day + 13 * 3600 + 1800 };

      for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
        {
          g_autofree char *id = g_strdup_printf ("%s@%" G_GINT64_FORMAT, office, starts[i]);

          if (!slot_is_offered (now, starts[i]) || starts[i] < from || starts[i] >= to || slot_taken (r->sim, id))
            continue;
          add_slot_json (b, id, office, starts[i], "id");
        }
    }
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 200, node);
}

gboolean
only_members (Request *r, JsonNode *root, const char *const *allowed)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    add_field_error (errors, "", "bad-syntax", "The body must be a JSON object");
  else
    check_unknown (errors, json_node_get_object (root), "", allowed);
  if (errors->len == 0)
    return TRUE;
  answer_validation (r, errors);
  return FALSE;
}

static void
book_appointment (Request *r, CaSimOrder *order)
{
  static const char *const fields[] = { "slot", NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  const char *slot, *at;
  const char *office = order_office (order);
  gint64 start = 0;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *note = NULL;
  g_autofree char *when = NULL;

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  slot = porteur_order_member_string (json_node_get_object (root), "slot");
  at = slot ? strchr (slot, '@') : NULL;
  if (at)
    start = g_ascii_strtoll (at + 1, NULL, 10);
  if (slot == NULL || at == NULL || office == NULL || strncmp (slot, office, at - slot) != 0 ||
      strlen (office) != (gsize) (at - slot) || !slot_is_offered (ca_sim_db_now (r->sim->db), start))
    {
      g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
      add_field_error (errors, "slot", slot ? "unknown-slot" : "empty", "Not a slot offered to this order");
      answer_validation (r, errors);
      return;
    }
  if (!g_str_equal (order->status, CA_SIM_VALIDATED))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s, not validated", order->status);
      answer_problem (&r->answer, 409, "conflict", "The appointment cannot be booked", detail, NULL);
      return;
    }
  if (slot_taken (r->sim, slot))
    {
      answer_problem (&r->answer, 409, "conflict", "This slot was just taken", "Choose another slot", NULL);
      return;
    }
  sqlite3_prepare_v2 (ca_sim_db_get_handle (r->sim->db),
                      "INSERT INTO appointments (number, slot, office, start, end_at) VALUES (?, ?, ?, ?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, order->number, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, slot, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, office, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, start);
  sqlite3_bind_int64 (stmt, 5, start + SLOT_LENGTH);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", sqlite3_errmsg (ca_sim_db_get_handle (r->sim->db)), NULL);
      sqlite3_finalize (stmt);
      return;
    }
  sqlite3_finalize (stmt);
  when = format_time (start);
  note = g_strdup_printf ("Delivery appointment booked for %s", when);
  if (!ca_sim_db_set_status (r->sim->db, order->number, CA_SIM_APPOINTMENT, note, ca_sim_db_now (r->sim->db), &error))
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", error->message, NULL);
      return;
    }
  answer_order (r, 200, order->number, NULL);
}

/* Adds "appointment" to an order's JSON when one is booked. */
static void
add_appointment (CaSim *sim, JsonObject *object, const char *number)
{
  sqlite3_stmt *stmt = NULL;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db),
                      "SELECT slot, office, start FROM appointments WHERE number = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, number, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      add_slot_json (b, (const char *) sqlite3_column_text (stmt, 0), (const char *) sqlite3_column_text (stmt, 1),
                     sqlite3_column_int64 (stmt, 2), "slot");
      json_object_set_member (object, "appointment", json_builder_get_root (b));
    }
  sqlite3_finalize (stmt);
}

/* §3.5 Security questions ------------------------------------------------------------ */

typedef struct {
  const char *id;
  const char *en;
  const char *fr;
  const char *br;
} QuestionText;

static const QuestionText questions[] = {
  { "first-school", "What was the name of your first school?", "Quel était le nom de votre première école ?",
    "Petra e oa anv ho skol gentañ ?" },
  { "birth-town-mother", "In which town was your mother born?", "Dans quelle ville votre mère est-elle née ?",
    "E peseurt kêr e oa ganet ho mamm ?" },
  { "first-pet", "What was the name of your first pet?", "Quel était le nom de votre premier animal de compagnie ?",
    "Petra e oa anv ho loen-ti kentañ ?" },
  { "childhood-street", "In which street did you live as a child?", "Dans quelle rue habitiez-vous enfant ?",
    "E peseurt straed e oac'h o chom pa oac'h bugel ?" },
  { "favourite-book", "What is the title of your favourite book?", "Quel est le titre de votre livre préféré ?",
    "Petra eo titl ho levr karetañ ?" },
};

static gboolean
known_question (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (questions); i++)
    if (g_str_equal (questions[i].id, id))
      return TRUE;
  return FALSE;
}

static void
list_questions (Request *r)
{
  const char *language = label_language (r->msg);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (questions); i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, questions[i].id);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, g_str_equal (language, "fr") ? questions[i].fr :
                                        g_str_equal (language, "br") ? questions[i].br : questions[i].en);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 200, node);
  soup_message_headers_replace (soup_server_message_get_response_headers (r->msg), "Content-Language", language);
}

/* NFKD, combining marks dropped, case-folded, spaces collapsed. */
static char *
normalise_answer (const char *answer)
{
  g_autofree char *nfkd = g_utf8_normalize (answer, -1, G_NORMALIZE_NFKD);
  g_autoptr(GString) plain = g_string_new (NULL);
  g_autofree char *folded = NULL;
  g_auto(GStrv) words = NULL;

  for (const char *p = nfkd; p && *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) != G_UNICODE_NON_SPACING_MARK)
        g_string_append_unichar (plain, c);
    }
  folded = g_utf8_casefold (plain->str, -1);
  words = g_strsplit_set (g_strstrip (folded), " \t", -1);
  {
    g_autoptr(GString) out = g_string_new (NULL);
    for (guint i = 0; words[i]; i++)
      if (*words[i])
        g_string_append_printf (out, "%s%s", out->len ? " " : "", words[i]);
    explicit_bzero (plain->str, plain->len);
    return g_string_free (g_steal_pointer (&out), FALSE);
  }
}

static char *
hash_answer (const char *salt_hex, const char *answer)
{
  g_autofree char *norm = normalise_answer (answer);
  unsigned char out[32];
  char hex[65];

  if (PKCS5_PBKDF2_HMAC (norm, strlen (norm), (const unsigned char *) salt_hex, strlen (salt_hex),
                         20000, EVP_sha256 (), sizeof out, out) != 1)
    g_error ("ca-sim: PBKDF2 failed");
  for (guint i = 0; i < sizeof out; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", out[i]);
  explicit_bzero (norm, strlen (norm));
  return g_strdup (hex);
}

/* Checks the shape of "answers": exactly 2 distinct known questions, answers
 * of 3–64 characters; field errors into @errors. */
JsonArray *
answers_member (JsonObject *object, GPtrArray *errors)
{
  JsonNode *node = json_object_get_member (object, "answers");
  JsonArray *array;
  const char *first = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      add_field_error (errors, "answers", node ? "bad-syntax" : "empty", "answers is an array of 2 {question, answer}");
      return NULL;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) != 2)
    {
      add_field_error (errors, "answers", "bad-length", "Exactly 2 answers are expected");
      return NULL;
    }
  for (guint i = 0; i < 2; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *question = o ? porteur_order_member_string (o, "question") : NULL;
      const char *answer = o ? porteur_order_member_string (o, "answer") : NULL;
      g_autofree char *qfield = g_strdup_printf ("answers.%u.question", i);
      g_autofree char *afield = g_strdup_printf ("answers.%u.answer", i);
      glong len = answer ? g_utf8_strlen (answer, -1) : 0;

      if (question == NULL || !known_question (question))
        add_field_error (errors, qfield, question ? "bad-choice" : "empty", "Not a question of the catalogue");
      else if (first && g_str_equal (first, question))
        add_field_error (errors, qfield, "duplicate", "The two questions must differ");
      first = question;
      if (answer == NULL)
        add_field_error (errors, afield, "empty", "An answer is required");
      else if (len < 3 || len > 64)
        add_field_error (errors, afield, "bad-length", "Answers have 3 to 64 characters");
    }
  return errors->len == 0 ? array : NULL;
}

static void
set_security_answers (Request *r, CaSimOrder *order)
{
  static const char *const fields[] = { "answers", NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
  sqlite3 *h = ca_sim_db_get_handle (r->sim->db);
  JsonArray *answers;
  sqlite3_stmt *stmt = NULL;

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  if ((answers = answers_member (json_node_get_object (root), errors)) == NULL)
    {
      answer_validation (r, errors);
      return;
    }
  if (!g_str_equal (order->status, CA_SIM_APPOINTMENT) && !g_str_equal (order->status, CA_SIM_ISSUED))
    {
      g_autofree char *detail = g_strdup_printf ("The order is %s: answers are set at delivery", order->status);
      answer_problem (&r->answer, 409, "conflict", "Security answers cannot be set now", detail, NULL);
      return;
    }
  sqlite3_prepare_v2 (h, "DELETE FROM security_answers WHERE number = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, order->number, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *o = json_array_get_object_element (answers, i);
      unsigned char raw[16];
      char salt[33];
      g_autofree char *hash = NULL;

      RAND_bytes (raw, sizeof raw);
      for (guint k = 0; k < sizeof raw; k++)
        g_snprintf (salt + 2 * k, 3, "%02x", raw[k]);
      hash = hash_answer (salt, porteur_order_member_string (o, "answer"));
      sqlite3_prepare_v2 (h, "INSERT INTO security_answers (number, question, salt, hash) VALUES (?, ?, ?, ?)", -1, &stmt, NULL);
      sqlite3_bind_text (stmt, 1, order->number, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, porteur_order_member_string (o, "question"), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, salt, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, hash, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          answer_problem (&r->answer, 500, "internal", "Internal error", sqlite3_errmsg (h), NULL);
          sqlite3_finalize (stmt);
          return;
        }
      sqlite3_finalize (stmt);
    }
  answer_clear (&r->answer);
  r->answer.status = 204;
  r->answer.content_type = g_strdup ("application/json; charset=utf-8");
  r->answer.body = g_strdup ("");
}

/* TRUE when both answers match those stored for @number (constant work). */
static gboolean
answers_match (CaSim *sim, const char *number, JsonArray *answers)
{
  sqlite3 *h = ca_sim_db_get_handle (sim->db);
  guint good = 0;

  for (guint i = 0; i < 2; i++)
    {
      JsonObject *o = json_array_get_object_element (answers, i);
      sqlite3_stmt *stmt = NULL;

      sqlite3_prepare_v2 (h, "SELECT salt, hash FROM security_answers WHERE number = ? AND question = ?", -1, &stmt, NULL);
      sqlite3_bind_text (stmt, 1, number ? number : "", -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, porteur_order_member_string (o, "question"), -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autofree char *hash = hash_answer ((const char *) sqlite3_column_text (stmt, 0),
                                               porteur_order_member_string (o, "answer"));
          if (CRYPTO_memcmp (hash, sqlite3_column_text (stmt, 1), 64) == 0)
            good++;
        }
      else
        {
          g_autofree char *hash G_GNUC_UNUSED = hash_answer ("00", porteur_order_member_string (o, "answer"));
        }
      sqlite3_finalize (stmt);
    }
  return good == 2;
}

#define MAX_ANSWER_FAILURES 5

static guint
recent_failures (CaSim *sim, const char *serial)
{
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db), "SELECT COUNT(*) FROM answer_failures WHERE serial = ? AND at > ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, ca_sim_db_now (sim->db) - 86400);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
record_failure (CaSim *sim, const char *serial)
{
  sqlite3_stmt *stmt = NULL;

  sqlite3_prepare_v2 (ca_sim_db_get_handle (sim->db), "INSERT INTO answer_failures (serial, at) VALUES (?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, ca_sim_db_now (sim->db));
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
}

/* Checks @serial's security answers with the lockout; FALSE with the answer
 * set (403 wrong, 429 locked). Failures are committed (the caller answers
 * 403 with a 4xx status, which commits). */
static const char *
without_leading_zeros (const char *hex)
{
  while (*hex == '0' && hex[1] != '\0')
    hex++;
  return hex;
}

gboolean
check_holder_answers (Request *r, const char *serial_in, JsonArray *answers)
{
  /* one counter per certificate: "0ABC", "abc" and "ABC" are the same serial */
  g_autofree char *serial = g_ascii_strup (without_leading_zeros (serial_in), -1);
  g_autofree char *number = ca_sim_db_order_of_serial (r->sim->db, serial);

  if (recent_failures (r->sim, serial) >= MAX_ANSWER_FAILURES)
    {
      answer_problem (&r->answer, 429, "rate-limited", "Too many wrong answers",
                      "This certificate is locked for 24 hours after 5 wrong answers", NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (r->msg), "Retry-After", "86400");
      return FALSE;
    }
  if (!answers_match (r->sim, number, answers))
    {
      record_failure (r->sim, serial);
      answer_problem (&r->answer, 403, "forbidden", "The security answers are wrong", NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

/* §3.6 CA-driven unblock sessions -------------------------------------------------- */

/* The virtual token's test issuer key (a real CA derives one per token serial). */
static const char issuer_key[] = "porteur-virtual-token-issuer-key";

static gboolean
is_hex (const char *text, gsize min, gsize max)
{
  gsize len = text ? strlen (text) : 0;

  if (len < min || len > max || len % 2)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  return TRUE;
}

static void
open_unblock_session (Request *r)
{
  static const char *const fields[] = { "serial", "challenge", "answers", NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *id = NULL;
  g_autofree char *expires = NULL;
  JsonObject *o;
  JsonArray *answers;
  const char *serial, *challenge;
  sqlite3_stmt *stmt = NULL;
  gint64 until = ca_sim_db_now (r->sim->db) + 600;
  unsigned char raw[16];

  if ((root = parse_body (r)) == NULL || !only_members (r, root, fields))
    return;
  o = json_node_get_object (root);
  serial = porteur_order_member_string (o, "serial");
  challenge = porteur_order_member_string (o, "challenge");
  if (!is_hex (serial, 2, 40))
    add_field_error (errors, "serial", serial ? "bad-syntax" : "empty", "A certificate serial in hex");
  if (!is_hex (challenge, 16, 16))
    add_field_error (errors, "challenge", challenge ? "bad-syntax" : "empty", "The token's 8-byte challenge in hex");
  answers = answers_member (o, errors);
  if (errors->len > 0)
    {
      answer_validation (r, errors);
      return;
    }
  if (!check_holder_answers (r, serial, answers))
    return;
  RAND_bytes (raw, sizeof raw);
  id = g_malloc0 (2 * sizeof raw + 1);
  for (guint i = 0; i < sizeof raw; i++)
    g_snprintf (id + 2 * i, 3, "%02x", raw[i]);
  sqlite3_prepare_v2 (ca_sim_db_get_handle (r->sim->db),
                      "INSERT INTO unblock_sessions (id, serial, challenge, expires) VALUES (?, ?, ?, ?)", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, serial, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, challenge, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, until);
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  expires = format_time (until);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "expires");
  json_builder_add_string_value (b, expires);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 201, node);
  r->answer.location = g_strdup_printf ("/api/v1/unblock-sessions/%s", id);
}

static void
unblock_response (Request *r, const char *id)
{
  g_autoptr(JsonNode) root = NULL;
  sqlite3 *h = ca_sim_db_get_handle (r->sim->db);
  sqlite3_stmt *stmt = NULL;
  g_autofree char *challenge = NULL;
  gboolean used = FALSE;
  gint64 expires = 0;
  unsigned char challenge_raw[8], mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  char hex[33];
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  if ((root = parse_body (r)) == NULL)
    return;
  if (!JSON_NODE_HOLDS_OBJECT (root) || json_object_get_size (json_node_get_object (root)) != 0)
    {
      g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);
      add_field_error (errors, "", "unknown-field", "The body is an empty object");
      answer_validation (r, errors);
      return;
    }
  sqlite3_prepare_v2 (h, "SELECT challenge, expires, used FROM unblock_sessions WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      challenge = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      expires = sqlite3_column_int64 (stmt, 1);
      used = sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_finalize (stmt);
  if (challenge == NULL)
    {
      answer_problem (&r->answer, 404, "not-found", "No such unblock session", NULL, NULL);
      return;
    }
  if (used || expires < ca_sim_db_now (r->sim->db))
    {
      answer_problem (&r->answer, 410, "gone", "This unblock session is closed", used ? "Its cryptogram was already given" : "It expired", NULL);
      return;
    }
  for (guint i = 0; i < 8; i++)
    challenge_raw[i] = (g_ascii_xdigit_value (challenge[2 * i]) << 4) | g_ascii_xdigit_value (challenge[2 * i + 1]);
  if (HMAC (EVP_sha256 (), issuer_key, strlen (issuer_key), challenge_raw, sizeof challenge_raw, mac, &mac_len) == NULL)
    {
      answer_problem (&r->answer, 500, "internal", "Internal error", "HMAC failed", NULL);
      return;
    }
  for (guint i = 0; i < 16; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", mac[i]);
  sqlite3_prepare_v2 (h, "UPDATE unblock_sessions SET used = 1 WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cryptogram");
  json_builder_add_string_value (b, hex);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  answer_json (&r->answer, 200, node);
  OPENSSL_cleanse (mac, sizeof mac);
  OPENSSL_cleanse (hex, sizeof hex);
}

static void
route (Request *r)
{
  gboolean get = g_str_equal (r->method, "GET");
  gboolean post = g_str_equal (r->method, "POST");
  gboolean put = g_str_equal (r->method, "PUT");
  g_autoptr(CaSimOrder) order = NULL;
  const char *sub;

  if (ca_sim_revoke_route (r))
    return;
  if (r->n_parts == 1 && g_str_equal (r->parts[0], "products") && get)
    {
      g_autoptr(JsonNode) node = ca_sim_products_json ();
      answer_json (&r->answer, 200, node);
      return;
    }
  if (r->n_parts == 1 && g_str_equal (r->parts[0], "offices") && get)
    {
      g_autoptr(JsonNode) node = ca_sim_offices_json ();
      answer_json (&r->answer, 200, node);
      return;
    }
  if (r->n_parts == 1 && g_str_equal (r->parts[0], "orders") && post)
    {
      create_order (r);
      return;
    }
  if (r->n_parts == 1 && g_str_equal (r->parts[0], "security-questions") && get)
    {
      list_questions (r);
      return;
    }
  if (r->n_parts == 1 && g_str_equal (r->parts[0], "unblock-sessions") && post)
    {
      open_unblock_session (r);
      return;
    }
  if (r->n_parts == 3 && g_str_equal (r->parts[0], "unblock-sessions") && g_str_equal (r->parts[2], "response") && post)
    {
      unblock_response (r, r->parts[1]);
      return;
    }
  if (ca_sim_challenge_route (r->sim, r->method, r->parts, r->n_parts,
                              soup_message_headers_get_content_type (soup_server_message_get_request_headers (r->msg), NULL),
                              r->body, &r->answer.status, &r->answer.content_type, &r->answer.body, &r->answer.location))
    return;
  if (r->n_parts < 2 || r->n_parts > 3 || !g_str_equal (r->parts[0], "orders"))
    {
      answer_problem (&r->answer, 404, "not-found", "No such resource", NULL, NULL);
      return;
    }
  sub = r->n_parts == 3 ? r->parts[2] : "";
  if (!((g_str_equal (sub, "") && get) || (g_str_equal (sub, "dossier") && put) ||
        (g_str_equal (sub, "submit") && post) || (g_str_equal (sub, "history") && get) ||
        (g_str_equal (sub, "checklist") && get) || (g_str_equal (sub, "enrollment") && get) ||
        (g_str_equal (sub, "appointment-slots") && get) || (g_str_equal (sub, "appointment") && post) ||
        (g_str_equal (sub, "security-questions") && post)))
    {
      answer_problem (&r->answer, 405, "not-found", "Method not allowed on this resource", NULL, NULL);
      return;
    }
  if ((order = authorised_order (r, r->parts[1])) == NULL)
    return;
  if (g_str_equal (sub, ""))
    {
      g_autoptr(JsonNode) node = order_json (order, NULL);
      add_appointment (r->sim, json_node_get_object (node), order->number);
      answer_json (&r->answer, 200, node);
    }
  else if (g_str_equal (sub, "appointment-slots"))
    appointment_slots (r, order);
  else if (g_str_equal (sub, "appointment"))
    book_appointment (r, order);
  else if (g_str_equal (sub, "security-questions"))
    set_security_answers (r, order);
  else if (g_str_equal (sub, "dossier"))
    rectify_order (r, order);
  else if (g_str_equal (sub, "submit"))
    submit_order (r, order);
  else if (g_str_equal (sub, "history"))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *json = ca_sim_db_history_json (r->sim->db, order->number, &error);
      g_autoptr(JsonNode) node = json ? json_from_string (json, NULL) : NULL;

      if (node)
        answer_json (&r->answer, 200, node);
      else
        answer_problem (&r->answer, 500, "internal", "Internal error", error ? error->message : NULL, NULL);
    }
  else if (g_str_equal (sub, "checklist"))
    checklist (r, order);
  else
    enrollment (r, order);
}

static gboolean
valid_key (const char *key)
{
  gsize len = key ? strlen (key) : 0;

  if (len < 1 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (key[i] < 0x21 || key[i] > 0x7e)
      return FALSE;
  return TRUE;
}

static void
idempotency_problem (Answer *a, guint status, const char *code, const char *title)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) field_error_free);

  add_field_error (errors, "Idempotency-Key", code, title);
  answer_problem (a, status, "idempotency", title, NULL, errors);
}

static void
close_without_answer (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);

  if (stream)
    g_io_stream_close (stream, NULL, NULL);
}

static void
api_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  CaSim *sim = user_data;
  Request r = { sim, msg, soup_server_message_get_method (msg), NULL, 0, NULL, { 0 }, query };
  g_autofree char *fault = NULL;
  g_autoptr(GError) error = NULL;
  const char *below = path + strlen ("/api/v1");
  gboolean writes = g_str_equal (r.method, "POST") || g_str_equal (r.method, "PUT") || g_str_equal (r.method, "DELETE");
  g_autofree char *request_hash = NULL;
  const char *key = NULL;
  gboolean lose = FALSE;
  gboolean drop_token = FALSE;

  fault = ca_sim_db_take_fault (sim->db, r.method, path);
  if (fault && !g_str_equal (fault, "lose-answer") && !g_str_equal (fault, "drop-token"))
    {
      ca_sim_apply_fault (sim, msg, fault);
      return;
    }
  lose = fault && g_str_equal (fault, "lose-answer");
  drop_token = fault && g_str_equal (fault, "drop-token");

  if (*below == '/')
    below++;
  r.parts = g_strsplit (below, "/", -1);
  r.n_parts = g_strv_length (r.parts);
  if (r.n_parts > 0 && *r.parts[r.n_parts - 1] == '\0')   /* trailing slash */
    g_clear_pointer (&r.parts[--r.n_parts], g_free);
  r.body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  if (!ca_sim_db_begin (sim->db, &error))
    {
      answer_problem (&r.answer, 503, "internal", "The simulator is busy", error->message, NULL);
      goto send;
    }
  if (writes)
    {
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autoptr(CaSimStoredAnswer) stored = NULL;
      gsize len;
      const guchar *data = g_bytes_get_data (r.body, &len);

      key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Idempotency-Key");
      if (key == NULL)
        {
          idempotency_problem (&r.answer, 400, "idempotency-key-missing", "The Idempotency-Key header is required");
          ca_sim_db_rollback (sim->db);
          goto send;
        }
      if (!valid_key (key))
        {
          idempotency_problem (&r.answer, 400, "idempotency-key-invalid", "The Idempotency-Key is not 1–128 printable ASCII characters");
          ca_sim_db_rollback (sim->db);
          goto send;
        }
      g_checksum_update (sum, (const guchar *) r.method, -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
      g_checksum_update (sum, (const guchar *) path, -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
      g_checksum_update (sum, data, len);
      request_hash = g_strdup (g_checksum_get_string (sum));
      stored = ca_sim_db_get_idempotent (sim->db, key);
      if (stored && g_str_equal (stored->request_hash, request_hash))
        {
          r.answer.status = stored->status;
          r.answer.body = g_strdup (stored->body);
          r.answer.location = g_strdup (stored->location);
          r.answer.content_type = g_strdup (stored->status >= 400 ? "application/problem+json" : "application/json; charset=utf-8");
          ca_sim_db_rollback (sim->db);
          goto send;
        }
      if (stored)
        {
          idempotency_problem (&r.answer, 422, "idempotency-key-reused", "This Idempotency-Key was used for another request");
          ca_sim_db_rollback (sim->db);
          goto send;
        }
    }

  route (&r);

  if (writes && r.answer.status < 500 &&
      !ca_sim_db_put_idempotent (sim->db, key, request_hash, r.answer.status, r.answer.location, r.answer.body, &error))
    {
      ca_sim_db_rollback (sim->db);
      answer_problem (&r.answer, 500, "internal", "Internal error", error->message, NULL);
      goto send;
    }
  if (r.answer.status >= 500)
    ca_sim_db_rollback (sim->db);
  else if (!ca_sim_db_commit (sim->db, &error))
    {
      ca_sim_db_rollback (sim->db);
      answer_problem (&r.answer, 500, "internal", "Internal error", error->message, NULL);
    }

send:
  if (drop_token && r.answer.body)
    {
      /* The work is done and the stored answer whole; only this answer loses its "token". */
      g_autoptr(JsonNode) root = json_from_string (r.answer.body, NULL);

      if (root && JSON_NODE_HOLDS_OBJECT (root))
        {
          json_object_remove_member (json_node_get_object (root), "token");
          g_free (r.answer.body);
          r.answer.body = json_to_string (root, FALSE);
        }
    }
  if (lose)
    close_without_answer (msg);
  else
    send_answer (msg, &r.answer);
  answer_clear (&r.answer);
  g_strfreev (r.parts);
  g_clear_pointer (&r.body, g_bytes_unref);
}

void
ca_sim_ra_register (SoupServer *server,
                    CaSim      *sim)
{
  soup_server_add_handler (server, "/api/v1", api_handler, sim, NULL);
}
