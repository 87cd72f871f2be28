/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "order/porteur-order-check.h"

#define OK PORTEUR_ORDER_CHECK_OK

static void
assert_siret (const char *text, PorteurOrderCheck expected, const char *normal)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (porteur_order_check_siret (text, &out), ==, expected);
  g_assert_cmpstr (out, ==, normal);
}

static void
test_siret (void)
{
  assert_siret ("21350238800019", OK, "21350238800019");
  assert_siret ("213 502 388 00019", OK, "21350238800019");
  assert_siret ("  732 829 320 00074 ", OK, "73282932000074");
  assert_siret ("213\xc2\xa0" "502\xc2\xa0" "388\xc2\xa0" "00019", OK, "21350238800019");
  /* Luhn key wrong */
  assert_siret ("21350238800018", PORTEUR_ORDER_CHECK_BAD_CHECKSUM, NULL);
  /* digit sum a multiple of 5, but not La Poste: the Luhn rule applies */
  assert_siret ("12345678901234", PORTEUR_ORDER_CHECK_BAD_CHECKSUM, NULL);
  /* La Poste: head office (Luhn) and an establishment (sum of digits multiple of 5) */
  assert_siret ("35600000000048", OK, "35600000000048");
  assert_siret ("356 000 000 49837", OK, "35600000049837");
  assert_siret ("35600000012345", PORTEUR_ORDER_CHECK_BAD_CHECKSUM, NULL);
  assert_siret ("2135023880001", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_siret ("213502388000190", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_siret ("213502388", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_siret ("2135O238800019", PORTEUR_ORDER_CHECK_NOT_DIGITS, NULL);
  assert_siret ("213-502-388-00019", PORTEUR_ORDER_CHECK_NOT_DIGITS, NULL);
  assert_siret ("", PORTEUR_ORDER_CHECK_EMPTY, NULL);
  assert_siret ("   ", PORTEUR_ORDER_CHECK_EMPTY, NULL);
  assert_siret (NULL, PORTEUR_ORDER_CHECK_EMPTY, NULL);
  assert_siret ("\xff\xfe", PORTEUR_ORDER_CHECK_BAD_CHARACTER, NULL);
}

static void
test_email (void)
{
  const char *valid[] = { "agent@example.fr", "anne.le-goff@rennes.bzh", "a+b@sub.example.org",
                          "x@a-b.example.fr", "o'neil@example.com" };
  const struct { const char *text; PorteurOrderCheck check; } invalid[] = {
    { "", PORTEUR_ORDER_CHECK_EMPTY },
    { "agent", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "agent@", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "agent@example", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "agent@example.f", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "agent@example.123", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "agent@@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "a@b@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "a..b@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { ".ab@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "ab.@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "a b@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "ab@-example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "ab@example..fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
    { "anné@example.fr", PORTEUR_ORDER_CHECK_BAD_SYNTAX },
  };
  g_autofree char *long_local = g_strnfill (65, 'a');
  g_autofree char *too_long_local = g_strconcat (long_local, "@example.fr", NULL);
  g_autofree char *max_local = g_strnfill (64, 'a');
  g_autofree char *ok_local = g_strconcat (max_local, "@example.fr", NULL);
  g_autofree char *huge = g_strnfill (300, 'a');

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_cmpint (porteur_order_check_email (valid[i]), ==, OK);
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_test_message ("%s", invalid[i].text);
      g_assert_cmpint (porteur_order_check_email (invalid[i].text), ==, invalid[i].check);
    }
  g_assert_cmpint (porteur_order_check_email (ok_local), ==, OK);
  g_assert_cmpint (porteur_order_check_email (too_long_local), ==, PORTEUR_ORDER_CHECK_BAD_SYNTAX);
  g_assert_cmpint (porteur_order_check_email (huge), ==, PORTEUR_ORDER_CHECK_TOO_LONG);

  g_assert_cmpint (porteur_order_check_email_pair ("a@example.fr", "a@example.fr"), ==, OK);
  g_assert_cmpint (porteur_order_check_email_pair ("a@example.fr", "b@example.fr"), ==, PORTEUR_ORDER_CHECK_MISMATCH);
  g_assert_cmpint (porteur_order_check_email_pair ("a@example.fr", ""), ==, PORTEUR_ORDER_CHECK_MISMATCH);
  g_assert_cmpint (porteur_order_check_email_pair ("a@example.fr", NULL), ==, PORTEUR_ORDER_CHECK_MISMATCH);
  g_assert_cmpint (porteur_order_check_email_pair ("bad", "bad"), ==, PORTEUR_ORDER_CHECK_BAD_SYNTAX);
}

static void
test_names (void)
{
  g_autofree char *max = g_strnfill (PORTEUR_ORDER_PERSON_NAME_MAX, 'a');
  g_autofree char *over = g_strnfill (PORTEUR_ORDER_PERSON_NAME_MAX + 1, 'a');
  g_autoptr(GString) accents = g_string_new (NULL);

  g_assert_cmpint (porteur_order_check_person_name ("Anne"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("Le Goff"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("Jean-Hervé"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("N'Guyen"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("N\xe2\x80\x99Guyen"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("Gwenaël Ar C'halvez"), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name (max), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name (over), ==, PORTEUR_ORDER_CHECK_TOO_LONG);
  /* length counts characters, not bytes */
  for (guint i = 0; i < PORTEUR_ORDER_PERSON_NAME_MAX; i++)
    g_string_append (accents, "é");
  g_assert_cmpint (porteur_order_check_person_name (accents->str), ==, OK);
  g_assert_cmpint (porteur_order_check_person_name ("Anne2"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
  g_assert_cmpint (porteur_order_check_person_name ("Anne;"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
  g_assert_cmpint (porteur_order_check_person_name ("<b>"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
  g_assert_cmpint (porteur_order_check_person_name (""), ==, PORTEUR_ORDER_CHECK_EMPTY);
  g_assert_cmpint (porteur_order_check_person_name ("\xc3"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);

  g_assert_cmpint (porteur_order_check_org_name ("COMMUNE DE RENNES"), ==, OK);
  g_assert_cmpint (porteur_order_check_org_name ("SARL Breizh & Co (Brest)"), ==, OK);
  g_assert_cmpint (porteur_order_check_org_name ("Mégalis Bretagne"), ==, OK);
  g_assert_cmpint (porteur_order_check_org_name ("A{B}"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
  g_assert_cmpint (porteur_order_check_org_name (" "), ==, PORTEUR_ORDER_CHECK_EMPTY);

  g_assert_cmpint (porteur_order_check_address_line ("Hôtel de ville", TRUE), ==, OK);
  g_assert_cmpint (porteur_order_check_address_line ("2, rue de l'Horloge", TRUE), ==, OK);
  g_assert_cmpint (porteur_order_check_address_line ("", FALSE), ==, OK);
  g_assert_cmpint (porteur_order_check_address_line ("", TRUE), ==, PORTEUR_ORDER_CHECK_EMPTY);
  g_assert_cmpint (porteur_order_check_address_line ("BP 123 @ mairie", TRUE), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
  g_assert_cmpint (porteur_order_check_address_line ("123456789012345678901234567890123456789", TRUE),
                   ==, PORTEUR_ORDER_CHECK_TOO_LONG);
  g_assert_cmpint (porteur_order_check_city ("SAINT-BRIEUC"), ==, OK);
  g_assert_cmpint (porteur_order_check_city ("Rennes Cedex 9"), ==, PORTEUR_ORDER_CHECK_BAD_CHARACTER);
}

static void
test_postal_code (void)
{
  const char *valid[] = { "35000", "01000", "29200", "95000", "20000", "20200", "97100", "97400",
                          "97600", "98000", "98714", "98800", "22 000" };
  const struct { const char *text; PorteurOrderCheck check; } invalid[] = {
    { "00100", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "96000", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "97000", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "97900", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "98100", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "99000", PORTEUR_ORDER_CHECK_UNKNOWN_DEPARTMENT },
    { "3500", PORTEUR_ORDER_CHECK_BAD_LENGTH },
    { "350000", PORTEUR_ORDER_CHECK_BAD_LENGTH },
    { "2A000", PORTEUR_ORDER_CHECK_NOT_DIGITS },
    { "", PORTEUR_ORDER_CHECK_EMPTY },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_cmpint (porteur_order_check_postal_code (valid[i]), ==, OK);
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_cmpint (porteur_order_check_postal_code (invalid[i].text), ==, invalid[i].check);
}

static void
assert_phone (const char *text, PorteurOrderCheck expected, const char *normal)
{
  g_autofree char *out = NULL;

  g_test_message ("%s", text);
  g_assert_cmpint (porteur_order_check_phone (text, &out), ==, expected);
  g_assert_cmpstr (out, ==, normal);
}

static void
test_phone (void)
{
  assert_phone ("02 99 00 00 00", OK, "+33299000000");
  assert_phone ("02.99.00.00.00", OK, "+33299000000");
  assert_phone ("0299000000", OK, "+33299000000");
  assert_phone ("+33 2 99 00 00 00", OK, "+33299000000");
  assert_phone ("+33299000000", OK, "+33299000000");
  assert_phone ("+33 (0)2 99 00 00 00", OK, "+33299000000");
  assert_phone ("0033 6 12 34 56 78", OK, "+33612345678");
  assert_phone ("06-12-34-56-78", OK, "+33612345678");
  assert_phone ("02 99 00 00 0", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_phone ("02 99 00 00 000", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_phone ("+33 2 99 00 00", PORTEUR_ORDER_CHECK_BAD_LENGTH, NULL);
  assert_phone ("00 99 00 00 00", PORTEUR_ORDER_CHECK_NOT_FRENCH, NULL);
  assert_phone ("+32 2 123 45 67", PORTEUR_ORDER_CHECK_NOT_FRENCH, NULL);
  assert_phone ("2299000000", PORTEUR_ORDER_CHECK_NOT_FRENCH, NULL);
  assert_phone ("02 99 ab 00 00", PORTEUR_ORDER_CHECK_BAD_CHARACTER, NULL);
  assert_phone ("02 99 00 00 00+", PORTEUR_ORDER_CHECK_BAD_CHARACTER, NULL);
  assert_phone ("", PORTEUR_ORDER_CHECK_EMPTY, NULL);
}

static const char *good_dossier =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

static void
test_dossier (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (good_dossier, &error);
  g_autoptr(GPtrArray) errors = NULL;
  JsonObject *object, *holder;
  PorteurOrderFieldError *e;

  g_assert_no_error (error);
  object = json_node_get_object (node);
  errors = porteur_order_dossier_validate (object);
  g_assert_cmpuint (errors->len, ==, 0);
  g_clear_pointer (&errors, g_ptr_array_unref);

  holder = json_object_get_object_member (object, "holder");
  json_object_set_string_member (holder, "phone", "12");
  json_object_set_string_member (object, "siret", "21350238800018");
  json_object_remove_member (object, "office");
  json_object_set_boolean_member (object, "prerequisites_acknowledged", FALSE);
  errors = porteur_order_dossier_validate (object);
  g_assert_cmpuint (errors->len, ==, 4);
  e = errors->pdata[0];
  g_assert_cmpstr (e->field, ==, "siret");
  g_assert_cmpstr (e->code, ==, "bad-checksum");
  g_assert_cmpint (e->check, ==, PORTEUR_ORDER_CHECK_BAD_CHECKSUM);
  e = errors->pdata[1];
  g_assert_cmpstr (e->field, ==, "prerequisites_acknowledged");
  e = errors->pdata[2];
  g_assert_cmpstr (e->field, ==, "holder.phone");
  g_assert_cmpstr (e->code, ==, "bad-length");
  e = errors->pdata[3];
  g_assert_cmpstr (e->field, ==, "office");
  g_assert_cmpstr (e->code, ==, "empty");
  g_clear_pointer (&errors, g_ptr_array_unref);

  /* wrong types and missing objects are errors, not crashes */
  g_clear_pointer (&node, json_node_unref);
  node = json_from_string ("{\"siret\": 21350238800019, \"holder\": [], \"organisation\": \"x\"}", &error);
  g_assert_no_error (error);
  errors = porteur_order_dossier_validate (json_node_get_object (node));
  g_assert_cmpuint (errors->len, >, 10);
  g_clear_pointer (&errors, g_ptr_array_unref);
  errors = porteur_order_dossier_validate (NULL);
  g_assert_cmpuint (errors->len, >, 10);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/order/check/siret", test_siret);
  g_test_add_func ("/order/check/email", test_email);
  g_test_add_func ("/order/check/names", test_names);
  g_test_add_func ("/order/check/postal-code", test_postal_code);
  g_test_add_func ("/order/check/phone", test_phone);
  g_test_add_func ("/order/check/dossier", test_dossier);
  return g_test_run ();
}
