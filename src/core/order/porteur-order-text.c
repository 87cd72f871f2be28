/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ca/porteur-ca-client.h"
#include "porteur-order-catalogue.h"
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

const char *
porteur_order_status_label (const char *status)
{
  static const struct { const char *status, *label; } labels[] = {
    { "draft", N_("Not sent yet") },
    { "waiting-documents", N_("Waiting for your signed file") },
    { "documents-complete", N_("File received, being validated") },
    { "validated", N_("Validated") },
    { "appointment", N_("Delivery booked") },
    { "issued", N_("Certificate issued") },
    { "rejected", N_("Rejected") },
  };

  for (guint i = 0; status && i < G_N_ELEMENTS (labels); i++)
    if (g_str_equal (labels[i].status, status))
      return _(labels[i].label);
  return status ? status : "";
}

static void
builder_add_take (GStrvBuilder *builder,
                  char         *text)
{
  g_strv_builder_add (builder, text);
  g_free (text);
}

GStrv
porteur_order_next_steps (const char *status,
                          const char *support,
                          JsonObject *office,
                          const char *reason)
{
  g_autoptr(GStrvBuilder) steps = g_strv_builder_new ();
  const char *office_name = porteur_order_member_string (office, "name");
  g_autofree char *address = office ? porteur_order_office_dup_address (office) : NULL;
  g_autofree char *where = NULL;
  gboolean software = g_strcmp0 (support, "software") == 0;

  if (office_name)
    where = address && *address ? g_strdup_printf ("%s, %s", office_name, address) : g_strdup (office_name);
  else
    where = g_strdup (_("your registration office"));

  if (g_strcmp0 (status, "draft") == 0)
    g_strv_builder_add (steps, _("Check the summary and send the order."));
  else if (g_strcmp0 (status, "waiting-documents") == 0)
    {
      g_strv_builder_add (steps, _("Check the data of your order; you can still correct it here until it is validated."));
      g_strv_builder_add (steps, _("Print the subscription form that Porteur made from your order."));
      g_strv_builder_add (steps, _("The holder signs the form in the holder’s block and initials each page of the terms of use."));
      g_strv_builder_add (steps, _("The legal representative signs the authorisation block."));
      g_strv_builder_add (steps, _("Gather the documents: a copy of the holder’s identity document, a copy of the legal representative’s identity document, and the Kbis extract (less than 3 months old) for a company."));
      builder_add_take (steps, g_strdup_printf (_("Post the signed form, the terms of use and the documents to %s."), where));
      g_strv_builder_add (steps, _("Validation takes 48 hours once the complete file has arrived; Porteur tells you when it is done."));
    }
  else if (g_strcmp0 (status, "documents-complete") == 0)
    g_strv_builder_add (steps, _("Your file arrived complete. The registration office validates it within 48 hours: nothing to do meanwhile."));
  else if (g_strcmp0 (status, "validated") == 0)
    {
      if (software)
        g_strv_builder_add (steps, _("Your order is validated: download your software certificate from Porteur’s My Certificate section."));
      else
        builder_add_take (steps, g_strdup_printf (_("Your order is validated: book the face-to-face delivery at %s. Bring the holder’s identity document."), where));
    }
  else if (g_strcmp0 (status, "appointment") == 0)
    builder_add_take (steps, g_strdup_printf (_("Go to your appointment at %s with the holder’s identity document to collect the token and choose its PIN."), where));
  else if (g_strcmp0 (status, "issued") == 0)
    g_strv_builder_add (steps, _("Your certificate is issued. Plug in your token and check it in the Token & PIN section."));
  else if (g_strcmp0 (status, "rejected") == 0)
    {
      if (reason && *reason)
        builder_add_take (steps, g_strdup_printf (_("The registration office rejected the order: %s"), reason));
      else
        g_strv_builder_add (steps, _("The registration office rejected the order."));
      g_strv_builder_add (steps, _("Start a new order with the corrections."));
    }
  return g_strv_builder_end (steps);
}

/* Delivery appointment (§3.4) ------------------------------------------------------------- */

char *
porteur_order_appointment_time (GDateTime *start,
                                GDateTime *end)
{
  g_autoptr(GDateTime) local_start = g_date_time_to_local (start);
  g_autoptr(GDateTime) local_end = g_date_time_to_local (end);
  /* Translators: the day of a delivery appointment, a g_date_time_format() format ("Tuesday
   * 1 December 2026"); reorder it as your language writes dates. */
  /* xgettext:no-c-format */
  g_autofree char *day = g_date_time_format (local_start, _("%A %-d %B %Y"));
  g_autofree char *from = g_date_time_format (local_start, "%H:%M");
  g_autofree char *to = g_date_time_format (local_end, "%H:%M");

  /* Translators: a delivery appointment: the day, the start time, the end time */
  return g_strdup_printf (_("%s, %s–%s"), day ? day : "", from ? from : "", to ? to : "");
}

char *
porteur_order_appointment_time_iso (const char *start,
                                    const char *end)
{
  g_autoptr(GDateTime) s = start ? g_date_time_new_from_iso8601 (start, NULL) : NULL;
  g_autoptr(GDateTime) e = end ? g_date_time_new_from_iso8601 (end, NULL) : NULL;

  if (s == NULL || e == NULL)
    return NULL;
  return porteur_order_appointment_time (s, e);
}

GStrv
porteur_order_appointment_bring (JsonObject *dossier)
{
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();
  JsonNode *node = dossier ? json_object_get_member (dossier, "has_compatible_token") : NULL;
  gboolean owns_token = node && JSON_NODE_HOLDS_VALUE (node) &&
                        json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);

  g_strv_builder_add (lines, _("The holder comes in person, with the original of a valid identity document (national identity card, passport or residence permit): the office checks it face to face."));
  if (owns_token)
    g_strv_builder_add (lines, _("Bring your ChamberSign token: the certificate is put on it there."));
  else
    g_strv_builder_add (lines, _("The office hands over the token there: nothing else to bring."));
  return g_strv_builder_end (lines);
}

char *
porteur_order_booking_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup (_("Booking cancelled. If the certification authority had already received it, the appointment appears when the order is refreshed."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
    return g_strdup (_("This time is no longer free, or the order can no longer be booked: choose another time."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_VALIDATION))
    return g_strdup (_("The certification authority does not offer this time: choose another one."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK) ||
      g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TIMEOUT))
    return g_strdup (_("The certification authority could not be reached. Nothing was booked twice: try again when the connection is back."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_UNAUTHORIZED) ||
      g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND))
    return g_strdup (_("The certification authority does not recognise this order from this computer."));
  /* Translators: %s is the technical reason */
  return g_strdup_printf (_("The appointment could not be booked (%s)."), error->message);
}

char *
porteur_order_cancel_appointment_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup (_("Cancellation stopped. If the certification authority had already received it, the order is validated again when it is refreshed."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFLICT))
    return g_strdup (_("There is no appointment to cancel any more: it was already cancelled, or the delivery took place. Refresh the order."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK) ||
      g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TIMEOUT))
    return g_strdup (_("The certification authority could not be reached: try again when the connection is back. If it had received the cancellation, the order is validated again when it is refreshed."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SERVER))
    return g_strdup (_("The certification authority failed to cancel the appointment: try again later."));
  if (g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_UNAUTHORIZED) ||
      g_error_matches (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND))
    return g_strdup (_("The certification authority does not recognise this order from this computer."));
  /* Translators: %s is the technical reason */
  return g_strdup_printf (_("The appointment could not be cancelled (%s)."), error->message);
}
