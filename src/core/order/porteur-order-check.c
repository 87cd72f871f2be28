/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "porteur-order-check.h"

static const struct {
  const char *code;
  const char *message;
} check_info[] = {
  [PORTEUR_ORDER_CHECK_OK] = { "ok", "Valid" },
  [PORTEUR_ORDER_CHECK_EMPTY] = { "empty", "This field is required" },
  [PORTEUR_ORDER_CHECK_TOO_LONG] = { "too-long", "Too long" },
  [PORTEUR_ORDER_CHECK_BAD_CHARACTER] = { "bad-character", "Contains a character the certification authority does not accept" },
  [PORTEUR_ORDER_CHECK_BAD_LENGTH] = { "bad-length", "Wrong number of digits" },
  [PORTEUR_ORDER_CHECK_NOT_DIGITS] = { "not-digits", "Only digits are allowed" },
  [PORTEUR_ORDER_CHECK_BAD_CHECKSUM] = { "bad-checksum", "The check digit is wrong: this number does not exist" },
  [PORTEUR_ORDER_CHECK_BAD_SYNTAX] = { "bad-syntax", "Not a valid e-mail address" },
  [PORTEUR_ORDER_CHECK_MISMATCH] = { "mismatch", "The two entries differ" },
  [PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT] = { "unknown-department", "No French department has this postal code" },
  [PORTEUR_ORDER_CHECK_NOT_FRENCH] = { "not-french", "Not a French phone number" },
  [PORTEUR_ORDER_CHECK_BAD_CHOICE] = { "bad-choice", "Not one of the allowed values" },
};

const char *
porteur_order_check_code (PorteurOrderCheck check)
{
  g_return_val_if_fail ((gsize) check < G_N_ELEMENTS (check_info), "unknown");
  return check_info[check].code;
}

const char *
porteur_order_check_message (PorteurOrderCheck check)
{
  g_return_val_if_fail ((gsize) check < G_N_ELEMENTS (check_info), "Unknown");
  return check_info[check].message;
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* Keeps the digits; spaces (and non-breaking spaces) are separators. */
static PorteurOrderCheck
digits_only (const char *text,
             GString    *out)
{
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
  for (p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        g_string_append_c (out, (char) c);
      else if (c == ' ' || c == 0xA0 || c == 0x202F || c == '\t')
        continue;
      else
        return PORTEUR_ORDER_CHECK_NOT_DIGITS;
    }
  return PORTEUR_ORDER_CHECK_OK;
}

static gboolean
luhn_ok (const char *digits)
{
  gsize n = strlen (digits);
  guint sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint d = (guint) (digits[n - 1 - i] - '0');

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return sum % 10 == 0;
}

PorteurOrderCheck
porteur_order_check_siret (const char  *text,
                           char       **normalised)
{
  g_autoptr(GString) digits = g_string_new (NULL);
  PorteurOrderCheck check;

  if (normalised)
    *normalised = NULL;
  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  check = digits_only (text, digits);
  if (check != PORTEUR_ORDER_CHECK_OK)
    return check;
  if (digits->len != 14)
    return PORTEUR_ORDER_CHECK_BAD_LENGTH;

  if (!luhn_ok (digits->str))
    {
      /* La Poste (SIREN 356000000): its establishments' SIRETs do not follow
       * Luhn; they are valid when the sum of the 14 digits is a multiple of 5. */
      guint sum = 0;

      if (strncmp (digits->str, "356000000", 9) != 0)
        return PORTEUR_ORDER_CHECK_BAD_CHECKSUM;
      for (gsize i = 0; i < 14; i++)
        sum += (guint) (digits->str[i] - '0');
      if (sum % 5 != 0)
        return PORTEUR_ORDER_CHECK_BAD_CHECKSUM;
    }
  if (normalised)
    *normalised = g_strdup (digits->str);
  return PORTEUR_ORDER_CHECK_OK;
}

static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) || strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

PorteurOrderCheck
porteur_order_check_email (const char *text)
{
  const char *at, *p, *label;
  gsize local_len;
  guint labels = 0;

  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  if (strlen (text) > PORTEUR_ORDER_EMAIL_MAX)
    return PORTEUR_ORDER_CHECK_TOO_LONG;
  at = strchr (text, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    return PORTEUR_ORDER_CHECK_BAD_SYNTAX;

  /* Local part: dot-atom (no quoted strings: the CA refuses them). */
  local_len = (gsize) (at - text);
  if (local_len == 0 || local_len > 64 || text[0] == '.' || at[-1] == '.')
    return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
  for (p = text; p < at; p++)
    {
      if (*p == '.')
        {
          if (p[1] == '.')
            return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
        }
      else if (!is_atext (*p))
        return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
    }

  /* Domain: at least two LDH labels, the last alphabetic. */
  label = at + 1;
  for (;;)
    {
      const char *end = strchr (label, '.');
      gsize len = end ? (gsize) (end - label) : strlen (label);
      gboolean alpha = TRUE;

      if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
        return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
      for (gsize i = 0; i < len; i++)
        {
          if (!g_ascii_isalnum (label[i]) && label[i] != '-')
            return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
          if (!g_ascii_isalpha (label[i]))
            alpha = FALSE;
        }
      labels++;
      if (end == NULL)
        {
          if (labels < 2 || len < 2 || !alpha)
            return PORTEUR_ORDER_CHECK_BAD_SYNTAX;
          break;
        }
      label = end + 1;
    }
  return PORTEUR_ORDER_CHECK_OK;
}

PorteurOrderCheck
porteur_order_check_email_pair (const char *text,
                                const char *confirmation)
{
  PorteurOrderCheck check = porteur_order_check_email (text);

  if (check != PORTEUR_ORDER_CHECK_OK)
    return check;
  /* The domain is case-insensitive, the local part is not: compare as typed. */
  if (g_strcmp0 (text, confirmation) != 0)
    return PORTEUR_ORDER_CHECK_MISMATCH;
  return PORTEUR_ORDER_CHECK_OK;
}

/* extra: ASCII punctuation allowed besides letters (any script's letters
 * with their marks), spaces and, when digits is set, digits. */
static PorteurOrderCheck
check_chars (const char *text,
             gboolean    required,
             gsize       max_chars,
             gboolean    digits,
             const char *extra)
{
  const char *p;

  if (is_blank (text))
    return required ? PORTEUR_ORDER_CHECK_EMPTY : PORTEUR_ORDER_CHECK_OK;
  if (!g_utf8_validate (text, -1, NULL))
    return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
  if (g_utf8_strlen (text, -1) > (glong) max_chars)
    return PORTEUR_ORDER_CHECK_TOO_LONG;
  for (p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalpha (c) || g_unichar_ismark (c) || c == ' ')
        continue;
      if (digits && c >= '0' && c <= '9')
        continue;
      if (c < 128 && c != 0 && strchr (extra, (int) c) != NULL)
        continue;
      if (c == 0x2019 && strchr (extra, '\'') != NULL)   /* typographic apostrophe */
        continue;
      return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
    }
  return PORTEUR_ORDER_CHECK_OK;
}

PorteurOrderCheck
porteur_order_check_person_name (const char *text)
{
  return check_chars (text, TRUE, PORTEUR_ORDER_PERSON_NAME_MAX, FALSE, "-'");
}

PorteurOrderCheck
porteur_order_check_org_name (const char *text)
{
  return check_chars (text, TRUE, PORTEUR_ORDER_ORG_NAME_MAX, TRUE, "-'.,&()/\"");
}

PorteurOrderCheck
porteur_order_check_text (const char *text,
                          gboolean    required,
                          gsize       max_chars)
{
  return check_chars (text, required, max_chars, TRUE, "-'.,&()/");
}

PorteurOrderCheck
porteur_order_check_address_line (const char *text,
                                  gboolean    required)
{
  return check_chars (text, required, PORTEUR_ORDER_ADDRESS_LINE_MAX, TRUE, "-'.,/");
}

PorteurOrderCheck
porteur_order_check_city (const char *text)
{
  return check_chars (text, TRUE, PORTEUR_ORDER_CITY_MAX, FALSE, "-'");
}

PorteurOrderCheck
porteur_order_check_postal_code (const char *text)
{
  g_autoptr(GString) digits = g_string_new (NULL);
  PorteurOrderCheck check;
  guint dep;

  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  check = digits_only (text, digits);
  if (check != PORTEUR_ORDER_CHECK_OK)
    return check;
  if (digits->len != 5)
    return PORTEUR_ORDER_CHECK_BAD_LENGTH;

  /* 01–95 (Corsica, 2A/2B, is 20xxx), 971–978 overseas, 980 Monaco,
   * 984–988 overseas collectivities. */
  dep = (guint) ((digits->str[0] - '0') * 10 + (digits->str[1] - '0'));
  if (dep >= 1 && dep <= 95)
    return PORTEUR_ORDER_CHECK_OK;
  if (dep == 97 && digits->str[2] >= '1' && digits->str[2] <= '8')
    return PORTEUR_ORDER_CHECK_OK;
  if (dep == 98 && strchr ("04678", digits->str[2]) != NULL)
    return PORTEUR_ORDER_CHECK_OK;
  return PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT;
}

PorteurOrderCheck
porteur_order_check_phone (const char  *text,
                           char       **normalised)
{
  g_autoptr(GString) digits = g_string_new (NULL);
  const char *p;
  const char *national;

  if (normalised)
    *normalised = NULL;
  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  if (!g_utf8_validate (text, -1, NULL))
    return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
  for (p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        g_string_append_c (digits, (char) c);
      else if (c == '+' && digits->len == 0 && p == text + strspn (text, " "))
        g_string_append_c (digits, '+');
      else if (c == ' ' || c == '.' || c == '-' || c == 0xA0 || c == 0x202F)
        continue;
      else if ((c == '(' || c == ')') && digits->len >= 3)
        continue;   /* "+33 (0)2 99 …" */
      else
        return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
    }

  if (g_str_has_prefix (digits->str, "+33"))
    national = digits->str + 3;
  else if (g_str_has_prefix (digits->str, "0033"))
    national = digits->str + 4;
  else if (digits->str[0] == '+' || g_str_has_prefix (digits->str, "00"))
    return PORTEUR_ORDER_CHECK_NOT_FRENCH;
  else if (digits->str[0] == '0')
    national = digits->str + 1;
  else
    return digits->len == 10 ? PORTEUR_ORDER_CHECK_NOT_FRENCH : PORTEUR_ORDER_CHECK_BAD_LENGTH;

  /* "+33 (0)2 99…": the trunk 0 after the country code is dropped. */
  if (national != digits->str + 1 && national[0] == '0' && strlen (national) == 10)
    national++;
  if (strlen (national) != 9)
    return PORTEUR_ORDER_CHECK_BAD_LENGTH;
  if (national[0] < '1' || national[0] > '9')
    return PORTEUR_ORDER_CHECK_NOT_FRENCH;
  if (normalised)
    *normalised = g_strconcat ("+33", national, NULL);
  return PORTEUR_ORDER_CHECK_OK;
}

void
porteur_order_field_error_free (PorteurOrderFieldError *error)
{
  if (error == NULL)
    return;
  g_free (error->field);
  g_free (error);
}

static void
add_error (GPtrArray         *errors,
           const char        *field,
           PorteurOrderCheck  check)
{
  PorteurOrderFieldError *error;

  if (check == PORTEUR_ORDER_CHECK_OK)
    return;
  error = g_new0 (PorteurOrderFieldError, 1);
  error->field = g_strdup (field);
  error->check = check;
  error->code = porteur_order_check_code (check);
  error->message = porteur_order_check_message (check);
  g_ptr_array_add (errors, error);
}

/**
 * porteur_order_member_string:
 *
 * Returns: (nullable): @object's member @name when it is a string, else %NULL.
 */
const char *
porteur_order_member_string (JsonObject *object,
                             const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * porteur_order_member_object:
 *
 * Returns: (nullable): @object's member @name when it is an object, else %NULL.
 */
JsonObject *
porteur_order_member_object (JsonObject *object,
                             const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static PorteurOrderCheck
check_choice (const char         *text,
              const char * const *choices)
{
  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  return g_strv_contains (choices, text) ? PORTEUR_ORDER_CHECK_OK : PORTEUR_ORDER_CHECK_BAD_CHOICE;
}

static PorteurOrderCheck
check_identifier (const char *text)
{
  if (is_blank (text))
    return PORTEUR_ORDER_CHECK_EMPTY;
  for (const char *p = text; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return PORTEUR_ORDER_CHECK_BAD_CHARACTER;
  return strlen (text) > 64 ? PORTEUR_ORDER_CHECK_TOO_LONG : PORTEUR_ORDER_CHECK_OK;
}

static void
validate_person (GPtrArray  *errors,
                 JsonObject *person,
                 const char *prefix,
                 gboolean    with_phone)
{
  static const char * const civilities[] = { "mr", "mrs", NULL };
  g_autofree char *f = NULL;

#define FIELD(name) (g_free (f), f = g_strconcat (prefix, ".", name, NULL))
  add_error (errors, FIELD ("civility"), check_choice (porteur_order_member_string (person, "civility"), civilities));
  add_error (errors, FIELD ("given_name"), porteur_order_check_person_name (porteur_order_member_string (person, "given_name")));
  add_error (errors, FIELD ("family_name"), porteur_order_check_person_name (porteur_order_member_string (person, "family_name")));
  add_error (errors, FIELD ("function"), porteur_order_check_text (porteur_order_member_string (person, "function"), TRUE, PORTEUR_ORDER_FUNCTION_MAX));
  add_error (errors, FIELD ("email"), porteur_order_check_email (porteur_order_member_string (person, "email")));
  if (with_phone)
    {
      add_error (errors, FIELD ("service"), porteur_order_check_text (porteur_order_member_string (person, "service"), FALSE, PORTEUR_ORDER_FUNCTION_MAX));
      add_error (errors, FIELD ("phone"), porteur_order_check_phone (porteur_order_member_string (person, "phone"), NULL));
    }
#undef FIELD
}

GPtrArray *
porteur_order_dossier_validate (JsonObject *dossier)
{
  static const char * const supports[] = { "token", "software", NULL };
  static const char * const org_types[] = { "public-body", "private-company", "association", "sole-trader", "other", NULL };
  static const char * const roles[] = { "holder", "legal-representative", "delegate", NULL };
  GPtrArray *errors = g_ptr_array_new_with_free_func ((GDestroyNotify) porteur_order_field_error_free);
  JsonObject *organisation = porteur_order_member_object (dossier, "organisation");
  JsonObject *address = porteur_order_member_object (organisation, "address");
  JsonNode *ack;

  add_error (errors, "support", check_choice (porteur_order_member_string (dossier, "support"), supports));
  add_error (errors, "product", check_identifier (porteur_order_member_string (dossier, "product")));
  add_error (errors, "siret", porteur_order_check_siret (porteur_order_member_string (dossier, "siret"), NULL));
  add_error (errors, "requester_email", porteur_order_check_email (porteur_order_member_string (dossier, "requester_email")));
  ack = dossier ? json_object_get_member (dossier, "prerequisites_acknowledged") : NULL;
  if (ack == NULL || !JSON_NODE_HOLDS_VALUE (ack) || json_node_get_value_type (ack) != G_TYPE_BOOLEAN || !json_node_get_boolean (ack))
    add_error (errors, "prerequisites_acknowledged", PORTEUR_ORDER_CHECK_EMPTY);
  add_error (errors, "organisation_type", check_choice (porteur_order_member_string (dossier, "organisation_type"), org_types));
  add_error (errors, "requester_role", check_choice (porteur_order_member_string (dossier, "requester_role"), roles));
  add_error (errors, "organisation.name", porteur_order_check_org_name (porteur_order_member_string (organisation, "name")));
  add_error (errors, "organisation.address.line1", porteur_order_check_address_line (porteur_order_member_string (address, "line1"), TRUE));
  add_error (errors, "organisation.address.line2", porteur_order_check_address_line (porteur_order_member_string (address, "line2"), FALSE));
  add_error (errors, "organisation.address.postal_code", porteur_order_check_postal_code (porteur_order_member_string (address, "postal_code")));
  add_error (errors, "organisation.address.city", porteur_order_check_city (porteur_order_member_string (address, "city")));
  validate_person (errors, porteur_order_member_object (dossier, "holder"), "holder", TRUE);
  validate_person (errors, porteur_order_member_object (dossier, "legal_representative"), "legal_representative", FALSE);
  add_error (errors, "office", check_identifier (porteur_order_member_string (dossier, "office")));
  return errors;
}
