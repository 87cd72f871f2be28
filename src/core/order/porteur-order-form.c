/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "porteur-catalog.h"
#include "porteur-order-check.h"
#include "porteur-order-draft.h"
#include "porteur-order-form.h"

/* The form's labels: gettext messages in the "subscription form" context, looked up in the
 * holder's language through porteur-catalog (the form is drawn in a worker thread, and gettext's
 * language is the process's). The CA's offices read French: the fallback when the language has
 * no catalogue. */
enum {
  L_TITLE, L_SUBTITLE, L_ORG, L_NAME, L_SIRET, L_TYPE, L_ADDRESS, L_HOLDER, L_CIVILITY_NAME,
  L_FUNCTION, L_SERVICE, L_EMAIL, L_PHONE, L_LEGAL, L_PRODUCT, L_PRICE, L_OFFICE, L_DOCUMENTS,
  L_DOC_FORM, L_DOC_ID_HOLDER, L_DOC_ID_LEGAL, L_DOC_KBIS, L_DOC_INSEE, L_SIGNATURES,
  L_SIGN_HOLDER, L_SIGN_LEGAL, L_DATE_SIGN, L_EXCL_TAX, L_MR, L_MRS, L_PRODUCT_NAME,
  L_T_PUBLIC, L_T_COMPANY, L_T_ASSOCIATION, L_T_SOLE, L_T_OTHER, L_COUNT
};

static const char * const labels[L_COUNT + 1] = {
  NC_("subscription form", "Subscription form — ChamberSign certificate"),
  NC_("subscription form", "Mégalis Bretagne purchasing centre"),
  NC_("subscription form", "1. Organisation"),
  /* Translators: the organisation's name as registered (French: raison sociale). */
  NC_("subscription form", "Registered name"),
  NC_("subscription form", "SIRET"),
  NC_("subscription form", "Type"),
  NC_("subscription form", "Address"),
  NC_("subscription form", "2. Certificate holder"),
  NC_("subscription form", "Name"),
  NC_("subscription form", "Function"),
  NC_("subscription form", "Department"),
  NC_("subscription form", "E-mail"),
  NC_("subscription form", "Phone"),
  NC_("subscription form", "3. Legal representative"),
  NC_("subscription form", "4. Product and price"),
  NC_("subscription form", "Price"),
  NC_("subscription form", "5. Registration office"),
  NC_("subscription form", "Documents to send"),
  NC_("subscription form", "This form, dated and signed"),
  NC_("subscription form", "Copy of the holder’s identity document"),
  NC_("subscription form", "Copy of the legal representative’s identity document"),
  NC_("subscription form", "Kbis extract less than 3 months old"),
  NC_("subscription form", "INSEE SIRENE registration notice"),
  NC_("subscription form", "6. Signatures"),
  NC_("subscription form", "The holder"),
  NC_("subscription form", "The legal representative"),
  NC_("subscription form", "Date and signature:"),
  /* Translators: after a price, "excluding taxes" (French: HT). */
  NC_("subscription form", "excl. tax"),
  /* Translators: abbreviated civility before a name (French: M.). */
  NC_("subscription form", "Mr"),
  /* Translators: abbreviated civility before a name (French: Mme). */
  NC_("subscription form", "Mrs"),
  NC_("subscription form", "Product"),
  NC_("subscription form", "Public body"),
  NC_("subscription form", "Private company"),
  NC_("subscription form", "Association"),
  NC_("subscription form", "Sole trader"),
  NC_("subscription form", "Other"),
  NULL
};

const char * const *
porteur_order_form_get_labels (void)
{
  return labels;
}

typedef struct {
  cairo_t    *cr;
  double      y;
  const char *language;
} Form;

static const char *
label (Form *f,
       guint id)
{
  return porteur_catalog_pgettext (f->language, PORTEUR_ORDER_FORM_CONTEXT, labels[id]);
}

#define MARGIN 50.0
#define PAGE_W 595.28
#define PAGE_H 841.89

const char *
porteur_order_form_language (const char *language)
{
  g_autoptr(PorteurCatalog) catalog = NULL;

  if (language == NULL || *language == '\0')
    return "fr";
  if (g_str_has_prefix (language, "en") || g_str_equal (language, "C"))
    return "en";
  catalog = porteur_catalog_get_for_language (language, NULL);
  return catalog ? language : "fr";
}

static const char *
str (JsonObject *object,
     const char *name)
{
  const char *value = porteur_order_member_string (object, name);

  return value ? value : "";
}

static void
text_at (Form       *f,
         double      x,
         double      size,
         gboolean    bold,
         const char *text)
{
  /* Keep the text on the page: cut by characters until it fits. */
  g_autofree char *copy = g_utf8_make_valid (text, -1);
  cairo_text_extents_t ext;

  cairo_select_font_face (f->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (f->cr, size);
  cairo_text_extents (f->cr, copy, &ext);
  while (x + ext.x_advance > PAGE_W - MARGIN && g_utf8_strlen (copy, -1) > 1)
    {
      *g_utf8_offset_to_pointer (copy, g_utf8_strlen (copy, -1) - 1) = '\0';
      cairo_text_extents (f->cr, copy, &ext);
    }
  cairo_move_to (f->cr, x, f->y);
  cairo_show_text (f->cr, copy);
}

static void
heading (Form       *f,
         const char *text)
{
  f->y += 20;
  text_at (f, MARGIN, 12, TRUE, text);
  cairo_set_line_width (f->cr, 0.5);
  cairo_move_to (f->cr, MARGIN, f->y + 4);
  cairo_line_to (f->cr, PAGE_W - MARGIN, f->y + 4);
  cairo_stroke (f->cr);
  f->y += 16;
}

static void
row (Form       *f,
     const char *label,
     const char *value)
{
  text_at (f, MARGIN, 9, FALSE, label);
  text_at (f, MARGIN + 120, 9, TRUE, value);
  f->y += 13;
}

static void
checkbox (Form       *f,
          const char *text)
{
  cairo_rectangle (f->cr, MARGIN + 4, f->y - 8, 8, 8);
  cairo_stroke (f->cr);
  text_at (f, MARGIN + 18, 9, FALSE, text);
  f->y += 13;
}

static void
person (Form       *f,
        JsonObject *p,
        gboolean    holder)
{
  const char *civ = str (p, "civility");
  g_autofree char *name = g_strdup_printf ("%s %s %s",
                                           g_str_equal (civ, "mrs") ? label (f, L_MRS) :
                                           g_str_equal (civ, "mr") ? label (f, L_MR) : "",
                                           str (p, "given_name"), str (p, "family_name"));

  row (f, label (f, L_CIVILITY_NAME), g_strstrip (name));
  row (f, label (f, L_FUNCTION), str (p, "function"));
  if (holder)
    row (f, label (f, L_SERVICE), str (p, "service"));
  row (f, label (f, L_EMAIL), str (p, "email"));
  if (holder)
    row (f, label (f, L_PHONE), str (p, "phone"));
}

static const char *
type_label (Form       *f,
            const char *type)
{
  static const char * const ids[] = { "public-body", "private-company", "association", "sole-trader", "other" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (g_str_equal (type, ids[i]))
      return label (f, L_T_PUBLIC + i);
  return type;
}

gboolean
porteur_order_form_write_pdf (JsonObject  *dossier,
                              JsonObject  *product,
                              JsonObject  *office,
                              const char  *language,
                              const char  *path,
                              GError     **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  Form f = { 0 };
  JsonObject *org = porteur_order_member_object (dossier, "organisation");
  JsonObject *address = porteur_order_member_object (org, "address");
  g_autofree char *line_city = NULL;
  g_autofree char *price = NULL;
  const char *type = str (dossier, "organisation_type");
  double sign_top;

  g_return_val_if_fail (dossier != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  surface = cairo_pdf_surface_create (path, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Porteur");
  f.cr = cairo_create (surface);
  f.language = porteur_order_form_language (language);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, label (&f, L_TITLE));
  cairo_set_source_rgb (f.cr, 0, 0, 0);

  f.y = MARGIN + 10;
  text_at (&f, MARGIN, 16, TRUE, label (&f, L_TITLE));
  f.y += 16;
  text_at (&f, MARGIN, 10, FALSE, label (&f, L_SUBTITLE));

  heading (&f, label (&f, L_ORG));
  row (&f, label (&f, L_NAME), str (org, "name"));
  row (&f, label (&f, L_SIRET), str (dossier, "siret"));
  row (&f, label (&f, L_TYPE), type_label (&f, type));
  row (&f, label (&f, L_ADDRESS), str (address, "line1"));
  if (*str (address, "line2"))
    row (&f, "", str (address, "line2"));
  line_city = g_strdup_printf ("%s %s", str (address, "postal_code"), str (address, "city"));
  row (&f, "", line_city);

  heading (&f, label (&f, L_HOLDER));
  person (&f, porteur_order_member_object (dossier, "holder"), TRUE);
  heading (&f, label (&f, L_LEGAL));
  person (&f, porteur_order_member_object (dossier, "legal_representative"), FALSE);

  heading (&f, label (&f, L_PRODUCT));
  row (&f, label (&f, L_PRODUCT_NAME), product ? str (product, "name") : str (dossier, "product"));
  if (product)
    {
      price = g_strdup_printf ("%s %s %s", str (product, "price_excl_tax"),
                               str (product, "currency"), label (&f, L_EXCL_TAX));
      row (&f, label (&f, L_PRICE), price);
    }

  heading (&f, label (&f, L_OFFICE));
  if (office)
    {
      JsonObject *oa = porteur_order_member_object (office, "address");
      g_autofree char *oc = g_strdup_printf ("%s %s", str (oa, "postal_code"), str (oa, "city"));

      row (&f, label (&f, L_CIVILITY_NAME), str (office, "name"));
      row (&f, label (&f, L_ADDRESS), str (oa, "line1"));
      row (&f, "", oc);
    }
  else
    row (&f, label (&f, L_CIVILITY_NAME), str (dossier, "office"));

  heading (&f, label (&f, L_DOCUMENTS));
  checkbox (&f, label (&f, L_DOC_FORM));
  checkbox (&f, label (&f, L_DOC_ID_HOLDER));
  checkbox (&f, label (&f, L_DOC_ID_LEGAL));
  checkbox (&f, g_str_equal (type, "private-company") ? label (&f, L_DOC_KBIS) : label (&f, L_DOC_INSEE));

  heading (&f, label (&f, L_SIGNATURES));
  sign_top = f.y;
  text_at (&f, MARGIN, 9, TRUE, label (&f, L_SIGN_HOLDER));
  text_at (&f, PAGE_W / 2 + 5, 9, TRUE, label (&f, L_SIGN_LEGAL));
  f.y += 13;
  text_at (&f, MARGIN, 8, FALSE, label (&f, L_DATE_SIGN));
  text_at (&f, PAGE_W / 2 + 5, 8, FALSE, label (&f, L_DATE_SIGN));
  cairo_rectangle (f.cr, MARGIN, sign_top - 12, PAGE_W / 2 - MARGIN - 5, 90);
  cairo_rectangle (f.cr, PAGE_W / 2 + 0, sign_top - 12, PAGE_W / 2 - MARGIN, 90);
  cairo_stroke (f.cr);

  cairo_show_page (f.cr);
  cairo_destroy (f.cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, PORTEUR_ORDER_ERROR, PORTEUR_ORDER_ERROR_FAILED,
                   "Cannot write the form to %s: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
