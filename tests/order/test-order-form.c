/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "order/porteur-catalog.h"
#include "order/porteur-order-check.h"
#include "order/porteur-order-draft.h"
#include "order/porteur-order-form.h"

static const char *dossier_json =
  "{\"support\":\"token\",\"product\":\"rgs2-sign-token\",\"siret\":\"21350238800019\","
  "\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";
static const char *product_json =
  "{\"id\":\"rgs2-sign-token\",\"name\":\"Certificat RGS** signature sur clé\",\"price_excl_tax\":\"130.00\",\"currency\":\"EUR\"}";
static const char *office_json =
  "{\"id\":\"cci-ille-et-vilaine-rennes\",\"name\":\"CCI Ille-et-Vilaine\",\"address\":{\"line1\":\"2 avenue de la Préfecture\",\"postal_code\":\"35000\",\"city\":\"Rennes\"}}";

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

static char *
pdf_text (const char *pdf)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
render_png (const char *pdf, const char *name)
{
  g_autoptr(GError) error = NULL;
  const char *dir = g_getenv ("PORTEUR_TEST_SCREENSHOT_DIR");
  g_autofree char *tmpdir = g_dir_make_tmp ("form-XXXXXX", &error);
  g_autofree char *prefix = g_build_filename (dir ? dir : tmpdir, name, NULL);
  g_autofree char *png = g_strconcat (prefix, ".png", NULL);
  const char *argv[] = { "pdftoppm", "-png", "-r", "60", "-singlefile", pdf, prefix, NULL };
  int status = 0;
  GStatBuf st;

  if (dir)
    g_mkdir_with_parents (dir, 0755);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpint (g_stat (png, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 1000);
}

static void
check_form (const char *language, const char *type, const char * const *expected,
            const char * const *absent, const char *png_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = parse (dossier_json);
  g_autoptr(JsonObject) product = parse (product_json);
  g_autoptr(JsonObject) office = parse (office_json);
  g_autofree char *dir = g_dir_make_tmp ("order-form-XXXXXX", &error);
  g_autofree char *pdf = g_build_filename (dir, "form.pdf", NULL);
  g_autofree char *text = NULL;

  if (type)
    json_object_set_string_member (dossier, "organisation_type", type);
  g_assert_true (porteur_order_form_write_pdf (dossier, product, office, "PO-2026-000123", language, pdf, &error));
  g_assert_no_error (error);
  text = pdf_text (pdf);
  for (gsize i = 0; expected[i]; i++)
    {
      if (strstr (text, expected[i]) == NULL)
        g_error ("“%s” is not on the form:\n%s", expected[i], text);
    }
  for (gsize i = 0; absent && absent[i]; i++)
    g_assert_null (strstr (text, absent[i]));
  render_png (pdf, png_name);
  g_unlink (pdf);
  g_rmdir (dir);
}

static void
test_form_fr (void)
{
  const char *expected[] = {
    "Formulaire de souscription", "COMMUNE DE RENNES", "21350238800019", "Hôtel de ville",
    "35000 RENNES", "Mme Anne Le Goff", "Acheteuse", "Commande publique", "anne.legoff@example.fr",
    "+33299000000", "M. Yann Kerjean", "Maire", "Certificat RGS** signature sur clé",
    "130.00 EUR HT", "CCI Ille-et-Vilaine", "2 avenue de la Préfecture",
    "Demande n°", "PO-2026-000123", "Fait à", "Entité publique", "Le porteur", "Le représentant légal",
    "Avis de situation au répertoire SIRENE", "Assistance technique", "support@chambersign.fr",
    "https://www.chambersign.fr/contacts/", "08 92 23 02 52", "Page 1 sur 2", NULL };

  const char *absent[] = { "Kbis", NULL };

  check_form ("fr", NULL, expected, absent, "order-form-fr");
}

static void
test_form_en (void)
{
  const char *expected[] = { "Subscription form", "Mrs Anne Le Goff", "130.00 EUR excl. tax",
                             "Request no.", "PO-2026-000123", "The legal representative", "Public body", "Done at",
                             "Technical assistance", "Page 1 of 2", NULL };

  check_form ("en", NULL, expected, NULL, "order-form-en");
}

static void
test_form_br (void)
{
  const char *expected[] = { "Furmskrid koumanant", "It. Anne Le Goff", "Ao. Yann Kerjean", "130.00 EUR hep tailhoù",
                             "An dileuriad lezennel", "Aozadur publik", "Goulenn niv.", "Graet e", NULL };
  const char *absent[] = { "Formulaire", "Kbis", NULL };

  check_form ("br", NULL, expected, absent, "order-form-br");
}

static void
test_form_company (void)
{
  const char *expected[] = { "Entreprise privée", "Extrait Kbis de moins de 3 mois", NULL };
  const char *absent[] = { "SIRENE", NULL };

  check_form ("fr", "private-company", expected, absent, "order-form-company");
}

/* A locale name finds its language's catalogue (br_FR.UTF-8 → br), whatever the process locale
 * (these tests run in C). */
static void
test_form_office_name (void)
{
  const char *expected[] = { "Raison sociale", "Nom", "CCI Ille-et-Vilaine", NULL };
  const char *expected_br[] = { "Anv ofisiel", "Teulioù da gas", NULL };

  check_form ("fr_FR.UTF-8", NULL, expected, NULL, "order-form-fr-variant");
  check_form ("br_FR.UTF-8", NULL, expected_br, NULL, "order-form-br-variant");
}

/* A language Porteur has no catalogue for gets the CA's French. */
static void
test_form_unknown_language (void)
{
  const char *expected[] = { "Formulaire de souscription", "Pièces à envoyer", NULL };

  g_assert_cmpstr (porteur_order_form_language ("de"), ==, "fr");
  g_assert_cmpstr (porteur_order_form_language (NULL), ==, "fr");
  g_assert_cmpstr (porteur_order_form_language ("en_GB.UTF-8"), ==, "en");
  g_assert_cmpstr (porteur_order_form_language ("br"), ==, "br");
  check_form ("de", NULL, expected, NULL, "order-form-de");
}

/* Every label of the form is translated in every catalogue Porteur ships: a label added without
 * its translations fails here, not on a holder's printed form. */
static void
test_form_labels_translated (gconstpointer data)
{
  const char *language = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCatalog) catalog = porteur_catalog_get_for_language (language, &error);
  const char * const *labels = porteur_order_form_get_labels ();
  guint count = 0;

  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  for (gsize i = 0; labels[i]; i++, count++)
    {
      const char *translation = porteur_catalog_lookup (catalog, PORTEUR_ORDER_FORM_CONTEXT, labels[i]);

      if (translation == NULL)
        g_error ("The form label “%s” has no %s translation", labels[i], language);
      g_assert_cmpstr (translation, !=, "");
    }
  g_assert_cmpuint (count, >=, 30);
}

static void
test_form_unwritable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = parse (dossier_json);

  g_assert_false (porteur_order_form_write_pdf (dossier, NULL, NULL, NULL, "fr",
                                                "/nonexistent-dir/form.pdf", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED);
}

/* The longest dossier the checks accept -------------------------------------------------- */

#define FORM_MARGIN 50.0
#define FORM_PAGE_W 595.28
#define FORM_PAGE_H 841.89

/* @length characters of words from @words, separated by spaces (no trailing space). */
static char *
words_of_length (const char *words,
                 guint       length)
{
  GString *out = g_string_new (NULL);

  while (g_utf8_strlen (out->str, -1) < length)
    {
      if (out->len)
        g_string_append_c (out, ' ');
      g_string_append (out, words);
    }
  while (g_utf8_strlen (out->str, -1) > length)
    g_string_truncate (out, g_utf8_offset_to_pointer (out->str, length) - out->str);
  while (out->len && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  while (g_utf8_strlen (out->str, -1) < length)
    g_string_append_c (out, 'e');
  return g_string_free (out, FALSE);
}

static void
set_take (JsonObject *object,
          const char *member,
          char       *value)
{
  json_object_set_string_member (object, member, value);
  g_free (value);
}

static JsonObject *
longest_dossier (void)
{
  JsonObject *dossier = parse (dossier_json);
  JsonObject *org = json_object_get_object_member (dossier, "organisation");
  JsonObject *address = json_object_get_object_member (org, "address");
  JsonObject *holder = json_object_get_object_member (dossier, "holder");
  JsonObject *legal = json_object_get_object_member (dossier, "legal_representative");
  g_autofree char *local = g_strnfill (64, 'a');
  g_autofree char *label = g_strnfill (63, 'b');
  g_autofree char *email = NULL;
  g_autoptr(GPtrArray) errors = NULL;

  /* A 64-character local part and four labels: 64 + 1 + 63 × 3 + 3 dots + "fr" = 254+. */
  email = g_strdup_printf ("%s@%s.%s.%s.%s", local, label, label, label, "example.fr");
  email[254] = '\0';
  if (email[253] == '.')
    email[253] = 'x';
  json_object_set_boolean_member (dossier, "has_compatible_token", FALSE);
  json_object_set_boolean_member (dossier, "prerequisites_acknowledged", TRUE);
  json_object_set_string_member (dossier, "requester_email", email);
  set_take (org, "name", words_of_length ("Établissement public de coopération intercommunale", PORTEUR_ORDER_ORG_NAME_MAX));
  set_take (address, "line1", words_of_length ("Résidence Ker Avel", PORTEUR_ORDER_ADDRESS_LINE_MAX));
  set_take (address, "line2", words_of_length ("Zone artisanale du Penker", PORTEUR_ORDER_ADDRESS_LINE_MAX));
  set_take (address, "city", words_of_length ("Saint Thégonnec Loc Eguiner", PORTEUR_ORDER_CITY_MAX));
  set_take (holder, "given_name", words_of_length ("Marie Françoise Anne", PORTEUR_ORDER_PERSON_NAME_MAX));
  /* One word of 64 letters: wider than the value column, so it goes under its label, whole. */
  set_take (holder, "family_name", g_strnfill (PORTEUR_ORDER_PERSON_NAME_MAX, 'W'));
  set_take (holder, "function", words_of_length ("Responsable administrative des marchés publics", PORTEUR_ORDER_FUNCTION_MAX));
  set_take (holder, "service", words_of_length ("Direction de la commande publique et des affaires juridiques", PORTEUR_ORDER_FUNCTION_MAX));
  json_object_set_string_member (holder, "email", email);
  json_object_set_string_member (holder, "phone", "+33 (0)2 99 12 34 56");
  set_take (legal, "given_name", words_of_length ("Jean Baptiste Yves", PORTEUR_ORDER_PERSON_NAME_MAX));
  set_take (legal, "family_name", words_of_length ("Le Bihan de Kerguelen", PORTEUR_ORDER_PERSON_NAME_MAX));
  set_take (legal, "function", words_of_length ("Président du conseil syndical", PORTEUR_ORDER_FUNCTION_MAX));
  json_object_set_string_member (legal, "email", email);

  /* Accepted by the checks, as the wizard and porteur-tool would let them through. */
  errors = porteur_order_dossier_validate (dossier);
  for (guint i = 0; i < errors->len; i++)
    {
      PorteurOrderFieldError *e = errors->pdata[i];
      g_error ("the longest dossier is refused: %s %s", e->field, e->code);
    }
  return dossier;
}

static char *
run_pdftotext (const char *mode,
               const char *pdf)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "pdftotext", "-enc", "UTF-8", mode, pdf, "-", NULL };
  char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* Every run of white space as one space, and the line-break hyphen of "Jean-\nPierre" undone. */
static char *
squash (const char *text)
{
  g_autoptr(GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);
  g_autoptr(GRegex) hyphen = g_regex_new ("(\\w)- (\\w)", 0, 0, NULL);
  g_autofree char *one = g_regex_replace_literal (space, text, -1, 0, " ", 0, NULL);
  g_autofree char *joined = g_regex_replace (hyphen, one, -1, 0, "\\1-\\2", 0, NULL);

  return g_strstrip (g_steal_pointer (&joined));
}

static char *
no_space (const char *text)
{
  g_autoptr(GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);

  return g_regex_replace_literal (space, text, -1, 0, "", 0, NULL);
}

/* Every word's box inside the page's margins (pdftotext -bbox); returns the number of pages. */
static guint
check_margins (const char *pdf)
{
  g_autofree char *html = run_pdftotext ("-bbox", pdf);
  g_autoptr(GRegex) page_re = g_regex_new ("<page width=\"([0-9.]+)\" height=\"([0-9.]+)\">", 0, 0, NULL);
  g_autoptr(GRegex) word_re = g_regex_new ("<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">([^<]*)</word>", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  guint pages = 0, words = 0;

  g_regex_match (page_re, html, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *w = g_match_info_fetch (match, 1);
      g_autofree char *h = g_match_info_fetch (match, 2);

      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (w, NULL), FORM_PAGE_W, 0.5);
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (h, NULL), FORM_PAGE_H, 0.5);
      pages++;
    }
  g_clear_pointer (&match, g_match_info_free);
  g_regex_match (word_re, html, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      double box[4];
      g_autofree char *word = g_match_info_fetch (match, 5);

      for (guint i = 0; i < 4; i++)
        {
          g_autofree char *v = g_match_info_fetch (match, i + 1);
          box[i] = g_ascii_strtod (v, NULL);
        }
      if (box[0] < FORM_MARGIN - 0.5 || box[2] > FORM_PAGE_W - FORM_MARGIN + 0.5 ||
          box[1] < FORM_MARGIN - 0.5 || box[3] > FORM_PAGE_H - FORM_MARGIN + 0.5)
        g_error ("“%s” is drawn outside the margins: %.1f %.1f %.1f %.1f", word, box[0], box[1], box[2], box[3]);
      words++;
    }
  g_assert_cmpuint (words, >, 200);
  return pages;
}

static void
assert_whole (const char *text,
              const char *expected)
{
  g_autofree char *want = squash (expected);

  if (strstr (text, want) == NULL)
    g_error ("“%s” is not on the form in one piece", want);
}

/* The longest values the checks accept, in @language: every label the form uses and every value
 * is there whole (in drawing order, pdftotext -raw: a wrapped text reads on, a word is never
 * split; the only value longer than a line, the e-mail address, is broken between characters and
 * found whole once the line breaks are taken out), and nothing is drawn outside the margins. */
static void
test_form_longest (gconstpointer data)
{
  const char *language = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) dossier = longest_dossier ();
  g_autoptr(JsonObject) product = parse (product_json);
  g_autoptr(JsonObject) office = parse (office_json);
  g_autofree char *dir = g_dir_make_tmp ("order-form-XXXXXX", &error);
  g_autofree char *pdf = g_build_filename (dir, "form.pdf", NULL);
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;
  g_autofree char *png = g_strdup_printf ("order-form-longest-%s", language);
  const char * const *labels = porteur_order_form_get_labels ();
  JsonObject *holder = json_object_get_object_member (dossier, "holder");
  JsonObject *legal = json_object_get_object_member (dossier, "legal_representative");
  JsonObject *org = json_object_get_object_member (dossier, "organisation");
  JsonObject *address = json_object_get_object_member (org, "address");
  /* Labels this form does not show: the other organisation types, the Kbis (public body), the
   * pending number (it has one), and those only inside a value (civility, tax, page footer). */
  const char *not_here[] = { "Private company", "Association", "Sole trader", "Other",
                             "Kbis extract less than 3 months old", "given when the request is sent",
                             "Mr", "Mrs", "excl. tax", "Page %u of %u", NULL };
  guint pages;

  json_object_set_string_member (office, "name", "CCI Ille et Vilaine Délégation de Fougères Parc d'activités de la Grande Marche");
  g_assert_true (porteur_order_form_write_pdf (dossier, product, office, "PO-2026-000123", language, pdf, &error));
  g_assert_no_error (error);

  pages = check_margins (pdf);
  g_test_message ("%s: %u pages", language, pages);
  g_assert_cmpuint (pages, >=, 1);
  g_assert_cmpuint (pages, <=, 3);

  raw = run_pdftotext ("-raw", pdf);
  text = squash (raw);
  flat = no_space (raw);
  for (gsize i = 0; labels[i]; i++)
    {
      if (g_strv_contains (not_here, labels[i]))
        continue;
      assert_whole (text, porteur_catalog_pgettext (porteur_order_form_language (language), PORTEUR_ORDER_FORM_CONTEXT, labels[i]));
    }
  for (guint p = 1; p <= pages; p++)
    {
      const char *format = porteur_catalog_pgettext (porteur_order_form_language (language), PORTEUR_ORDER_FORM_CONTEXT, "Page %u of %u");
      g_autofree char *footer = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      footer = g_strdup_printf (format, p, pages);
#pragma GCC diagnostic pop
      assert_whole (text, footer);
    }
  assert_whole (text, json_object_get_string_member (org, "name"));
  assert_whole (text, json_object_get_string_member (address, "line1"));
  assert_whole (text, json_object_get_string_member (address, "line2"));
  assert_whole (text, json_object_get_string_member (address, "city"));
  assert_whole (text, json_object_get_string_member (dossier, "siret"));
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *person = i == 0 ? holder : legal;

      assert_whole (text, json_object_get_string_member (person, "given_name"));
      assert_whole (text, json_object_get_string_member (person, "family_name"));
      assert_whole (text, json_object_get_string_member (person, "function"));
    }
  assert_whole (text, json_object_get_string_member (holder, "service"));
  assert_whole (text, json_object_get_string_member (holder, "phone"));
  assert_whole (text, json_object_get_string_member (office, "name"));
  assert_whole (text, "PO-2026-000123");
  assert_whole (text, "Certificat RGS** signature sur clé");
  {
    g_autofree char *email = no_space (json_object_get_string_member (holder, "email"));

    g_assert_nonnull (strstr (flat, email));
  }
  render_png (pdf, png);
  g_unlink (pdf);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/order/form/fr", test_form_fr);
  g_test_add_func ("/order/form/en", test_form_en);
  g_test_add_func ("/order/form/br", test_form_br);
  g_test_add_func ("/order/form/company", test_form_company);
  g_test_add_func ("/order/form/unwritable", test_form_unwritable);
  g_test_add_data_func ("/order/form/longest/en", "en", test_form_longest);
  g_test_add_data_func ("/order/form/longest/fr", "fr", test_form_longest);
  g_test_add_data_func ("/order/form/longest/br", "br", test_form_longest);
  g_test_add_func ("/order/form/office-name", test_form_office_name);
  g_test_add_func ("/order/form/unknown-language", test_form_unknown_language);
  g_test_add_data_func ("/order/form/labels-translated/fr", "fr", test_form_labels_translated);
  g_test_add_data_func ("/order/form/labels-translated/br", "br", test_form_labels_translated);
  return g_test_run ();
}
