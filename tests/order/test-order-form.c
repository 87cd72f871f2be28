/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "order/porteur-catalog.h"
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
  g_assert_true (porteur_order_form_write_pdf (dossier, product, office, language, pdf, &error));
  g_assert_no_error (error);
  text = pdf_text (pdf);
  for (gsize i = 0; expected[i]; i++)
    {
      g_test_message ("expecting %s", expected[i]);
      g_assert_nonnull (strstr (text, expected[i]));
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
    "Copie de la pièce d'identité du porteur", "Copie de la pièce d'identité du représentant légal",
    "Avis de situation au répertoire SIRENE", "Le porteur", "Le représentant légal", "Organisme public", NULL };

  const char *absent[] = { "Kbis", NULL };

  check_form ("fr", NULL, expected, absent, "order-form-fr");
}

static void
test_form_en (void)
{
  const char *expected[] = { "Subscription form", "Mrs Anne Le Goff", "130.00 EUR excl. tax",
                             "Copy of the holder’s identity document", "The legal representative", "Public body", NULL };

  check_form ("en", NULL, expected, NULL, "order-form-en");
}

static void
test_form_br (void)
{
  const char *expected[] = { "Furmskrid koumanant", "It. Anne Le Goff", "Ao. Yann Kerjean", "130.00 EUR hep tailhoù",
                             "Eilskrid paper-anaout an dalc'her", "An dileuriad lezennel", "Aozadur publik", NULL };
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

  g_assert_false (porteur_order_form_write_pdf (dossier, NULL, NULL, "fr",
                                                "/nonexistent-dir/form.pdf", &error));
  g_assert_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED);
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
  g_test_add_func ("/order/form/office-name", test_form_office_name);
  g_test_add_func ("/order/form/unknown-language", test_form_unknown_language);
  g_test_add_data_func ("/order/form/labels-translated/fr", "fr", test_form_labels_translated);
  g_test_add_data_func ("/order/form/labels-translated/br", "br", test_form_labels_translated);
  return g_test_run ();
}
