/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "porteur-order-text.h"

const char *
porteur_order_check_describe (PorteurOrderCheck check)
{
  switch (check)
    {
    case PORTEUR_ORDER_CHECK_OK: return _("Valid");
    case PORTEUR_ORDER_CHECK_EMPTY: return _("Required");
    case PORTEUR_ORDER_CHECK_TOO_LONG: return _("Too long for the certification authority");
    case PORTEUR_ORDER_CHECK_BAD_CHARACTER: return _("Contains a character the certification authority does not accept");
    case PORTEUR_ORDER_CHECK_BAD_LENGTH: return _("Wrong number of digits");
    case PORTEUR_ORDER_CHECK_NOT_DIGITS: return _("Only digits and spaces are allowed");
    case PORTEUR_ORDER_CHECK_BAD_CHECKSUM: return _("This number does not exist: check for a typing mistake");
    case PORTEUR_ORDER_CHECK_BAD_SYNTAX: return _("Not a valid e-mail address");
    case PORTEUR_ORDER_CHECK_MISMATCH: return _("The two e-mail addresses differ");
    case PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT: return _("No French department has this postal code");
    case PORTEUR_ORDER_CHECK_NOT_FRENCH: return _("Not a French phone number");
    case PORTEUR_ORDER_CHECK_BAD_CHOICE: return _("Choose one of the proposed values");
    default: return _("Not valid");
    }
}

const char *
porteur_order_check_describe_code (const char *code)
{
  static const struct { const char *code; const char *sentence; } server_codes[] = {
    { "unknown-field", N_("The certification authority does not know this field") },
    { "unknown-product", N_("The certification authority does not offer this certificate") },
    { "unknown-office", N_("The certification authority does not know this registration office") },
    { "support-mismatch", N_("This certificate is not sold on the chosen support") },
  };

  if (code == NULL)
    return NULL;
  for (PorteurOrderCheck c = PORTEUR_ORDER_CHECK_OK; c <= PORTEUR_ORDER_CHECK_BAD_CHOICE; c++)
    if (g_str_equal (porteur_order_check_code (c), code))
      return porteur_order_check_describe (c);
  for (guint i = 0; i < G_N_ELEMENTS (server_codes); i++)
    if (g_str_equal (server_codes[i].code, code))
      return _(server_codes[i].sentence);
  return NULL;
}

const char *
porteur_order_field_title (const char *field)
{
  static const struct { const char *field; const char *title; } titles[] = {
    { "support", N_("Support") },
    { "has_compatible_token", N_("Compatible token already owned") },
    { "product", N_("Certificate") },
    { "siret", N_("SIRET of the establishment") },
    { "requester_email", N_("Requester’s e-mail") },
    { "requester_email_confirmation", N_("Requester’s e-mail, again") },
    { "prerequisites_acknowledged", N_("Technical prerequisites") },
    { "organisation_type", N_("Organisation type") },
    { "requester_role", N_("Requester’s role") },
    { "organisation.name", N_("Organisation name") },
    { "organisation.address.line1", N_("Address") },
    { "organisation.address.line2", N_("Address, continued") },
    { "organisation.address.postal_code", N_("Postal code") },
    { "organisation.address.city", N_("City") },
    { "holder.civility", N_("Holder’s civility") },
    { "holder.given_name", N_("Holder’s given name") },
    { "holder.family_name", N_("Holder’s family name") },
    { "holder.function", N_("Holder’s function") },
    { "holder.service", N_("Holder’s service") },
    { "holder.email", N_("Holder’s e-mail") },
    { "holder.phone", N_("Holder’s phone") },
    { "legal_representative.civility", N_("Legal representative’s civility") },
    { "legal_representative.given_name", N_("Legal representative’s given name") },
    { "legal_representative.family_name", N_("Legal representative’s family name") },
    { "legal_representative.function", N_("Legal representative’s function") },
    { "legal_representative.email", N_("Legal representative’s e-mail") },
    { "office", N_("Registration office") },
  };

  for (guint i = 0; field && i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (titles[i].field, field))
      return _(titles[i].title);
  return field;
}

const char *
porteur_order_step_title (guint step)
{
  static const char * const steps[PORTEUR_ORDER_N_STEPS] = {
    N_("Support and Certificate"),
    N_("Establishment and E-mail"),
    N_("Certificate and Price"),
    N_("Organisation Type and Your Role"),
    N_("Organisation"),
    N_("Holder and Legal Representative"),
    N_("Registration Office"),
  };

  return step < PORTEUR_ORDER_N_STEPS ? _(steps[step]) : _("Summary");
}

const char *
porteur_order_choice_label (const char *field,
                            const char *value)
{
  static const struct { const char *field, *value, *label; } choices[] = {
    { "support", "token", N_("USB cryptographic token") },
    { "support", "software", N_("Software certificate") },
    { "organisation_type", "public-body", N_("Public body") },
    { "organisation_type", "private-company", N_("Private company") },
    { "organisation_type", "association", N_("Association") },
    { "organisation_type", "sole-trader", N_("Sole trader") },
    { "organisation_type", "other", N_("Other organisation") },
    { "requester_role", "holder", N_("I am the future holder") },
    { "requester_role", "legal-representative", N_("I am the legal representative") },
    { "requester_role", "delegate", N_("I act on behalf of the legal representative") },
    { "civility", "mrs", N_("Mrs") },
    { "civility", "mr", N_("Mr") },
  };
  const char *dot;

  if (field == NULL || value == NULL)
    return value;
  /* "holder.civility" and "legal_representative.civility" share their labels. */
  dot = strrchr (field, '.');
  if (dot)
    field = dot + 1;
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    if (g_str_equal (choices[i].field, field) && g_str_equal (choices[i].value, value))
      return _(choices[i].label);
  return value;
}

static void
trim_strings (JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      if (JSON_NODE_HOLDS_OBJECT (node))
        trim_strings (json_node_get_object (node));
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *copy = g_strdup (json_node_get_string (node));
          json_object_set_string_member (object, l->data, g_strstrip (copy));
        }
    }
}

JsonObject *
porteur_order_dossier_normalise (JsonObject *dossier)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) copy = NULL;
  g_autofree char *text = NULL;
  JsonObject *out;
  JsonObject *holder;
  g_autofree char *siret = NULL;
  g_autofree char *phone = NULL;

  /* A deep copy (json_node_copy shares the objects). */
  json_node_set_object (node, dossier);
  text = json_to_string (node, FALSE);
  copy = json_from_string (text, NULL);
  out = json_object_ref (json_node_get_object (copy));
  trim_strings (out);
  if (porteur_order_check_siret (porteur_order_member_string (out, "siret"), &siret) == PORTEUR_ORDER_CHECK_OK && siret)
    json_object_set_string_member (out, "siret", siret);
  holder = porteur_order_member_object (out, "holder");
  if (holder && porteur_order_check_phone (porteur_order_member_string (holder, "phone"), &phone) == PORTEUR_ORDER_CHECK_OK && phone)
    json_object_set_string_member (holder, "phone", phone);
  return out;
}
