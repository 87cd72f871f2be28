/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "porteur-catalog.h"
#include "porteur-order-check.h"
#include "porteur-order-draft.h"
#include "porteur-order-form.h"

/* The form's labels: gettext messages in the "subscription form" context, looked up in the
 * holder's language through porteur-catalog (the form is drawn in a worker thread, and gettext's
 * language is the process's). The CA's offices read French: the fallback when the language has
 * no catalogue. The wording follows ChamberSign's form in the ordering guide (section 2). */
enum {
  L_TITLE, L_SUBTITLE, L_ORG, L_NAME, L_SIRET, L_TYPE, L_ADDRESS, L_HOLDER, L_CIVILITY_NAME,
  L_FUNCTION, L_SERVICE, L_EMAIL, L_PHONE, L_LEGAL, L_PRODUCT, L_PRICE, L_OFFICE, L_DOCUMENTS,
  L_DOC_FORM, L_DOC_ID_HOLDER, L_DOC_ID_LEGAL, L_DOC_KBIS, L_DOC_INSEE, L_SIGNATURES,
  L_SIGN_HOLDER, L_SIGN_LEGAL, L_EXCL_TAX, L_MR, L_MRS, L_PRODUCT_NAME,
  L_T_PUBLIC, L_T_COMPANY, L_T_ASSOCIATION, L_T_SOLE, L_T_OTHER,
  L_REQUEST, L_REQUEST_PENDING, L_DONE_AT, L_SIGNATURE, L_ORIGINAL, L_HOLDER_COMMIT,
  L_LEGAL_COMMIT, L_TERMS, L_ASSIST, L_ASSIST_WEB, L_ASSIST_PHONE, L_ASSIST_PHONE_TERMS,
  L_PAGE, L_COUNT
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
  NC_("subscription form", "This form, signed in original by the holder and by the legal representative"),
  NC_("subscription form", "Copy of a valid identity document of the holder (national identity card, passport or residence permit), signed by the holder"),
  NC_("subscription form", "Copy of a valid identity document of the legal representative (national identity card, passport or residence permit), signed by the legal representative"),
  NC_("subscription form", "Kbis extract less than 3 months old"),
  NC_("subscription form", "INSEE SIRENE registration notice"),
  NC_("subscription form", "6. Signatures"),
  NC_("subscription form", "The holder"),
  NC_("subscription form", "The legal representative"),
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
  /* Translators: before the request number (French: Demande n°). */
  NC_("subscription form", "Request no."),
  NC_("subscription form", "given when the request is sent"),
  /* Translators: the place and date line of a signature block, filled in by hand (French:
   * "Fait à … le …"); keep the underscores, they are the lines to write on. */
  NC_("subscription form", "Done at ____________________ on ______________"),
  NC_("subscription form", "Signature:"),
  NC_("subscription form", "This form is signed in original, by hand, by the holder and by the legal representative: a scan or a copy is refused."),
  NC_("subscription form", "I undertake not to use the certificate against public order and morality and, in general, to keep my certificate confidential."),
  NC_("subscription form", "I, the undersigned legal representative of the organisation above, authorise this certificate request for the holder named on this form, declare that I hold every authorisation it requires, and will inform ChamberSign France of any change to them."),
  NC_("subscription form", "I have read and understood ChamberSign’s terms of use, accept them fully and am bound by all their provisions."),
  NC_("subscription form", "7. Technical assistance"),
  NC_("subscription form", "ChamberSign France online"),
  NC_("subscription form", "ChamberSign France by phone"),
  NC_("subscription form", "€0.45 incl. VAT per minute plus the cost of the call, from metropolitan France only; 9:00–12:30 and 13:30–18:00, Fridays until 17:00"),
  /* Translators: the footer of each page of the form: page number, number of pages. */
  NC_("subscription form", "Page %u of %u"),
  NULL
};

/* ChamberSign France's technical assistance, as the guide gives it (section 2, form block 6). */
#define ASSIST_WEB "https://www.chambersign.fr/contacts/ — support@chambersign.fr"
#define ASSIST_PHONE "08 92 23 02 52"

const char * const *
porteur_order_form_get_labels (void)
{
  return labels;
}

#define MARGIN 50.0
#define PAGE_W 595.28
#define PAGE_H 841.89
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define FOOTER_H 16.0
#define BOTTOM (PAGE_H - MARGIN - FOOTER_H)
#define LABEL_W 125.0
#define GAP 6.0
#define FONT "DejaVu Sans"

/* The form is laid out twice: once without drawing, to count the pages (the footer says "page 1
 * of 2"), then for real. Every text goes through a PangoLayout that wraps it at word boundaries
 * to its column (a word longer than a whole line, like a long e-mail address, is the only thing
 * broken, between characters); a block that does not fit on the page starts a new one, so
 * nothing is drawn outside the margins and nothing is cut. */
typedef struct {
  cairo_t    *cr;
  gboolean    draw;
  double      y;
  guint       page;
  guint       pages;
  const char *language;
  const char *number;
} Form;

static const char *
label (Form *f,
       guint id)
{
  return porteur_catalog_pgettext (f->language, PORTEUR_ORDER_FORM_CONTEXT, labels[id]);
}

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

static PangoLayout *
layout_new (Form       *f,
            double      size,
            gboolean    bold,
            double      width,
            const char *text)
{
  PangoLayout *layout = pango_cairo_create_layout (f->cr);
  PangoContext *context = pango_layout_get_context (layout);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (FONT);
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *language = g_strdelimit (g_strdup (f->language), "_.@", '\0');
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoAttrList *attrs;

  /* Unhinted metrics: the counting pass and the drawing pass measure the same. */
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);
  pango_context_set_language (context, pango_language_from_string (language));
  pango_layout_context_changed (layout);

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  /* A word broken between characters gets no hyphen: an e-mail address must read as it is. */
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
  /* No ligatures: "Le Goff" stays six letters when the PDF is re-rendered (printing) and searched. */
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("liga 0, clig 0, dlig 0, hlig 0"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_set_text (layout, valid, -1);
  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int h;

  pango_layout_get_size (layout, NULL, &h);
  return (double) h / PANGO_SCALE;
}

static void
layout_draw (Form        *f,
             PangoLayout *layout,
             double       x,
             double       y)
{
  if (!f->draw)
    return;
  cairo_move_to (f->cr, x, y);
  pango_cairo_show_layout (f->cr, layout);
}

/* The widest word of @text at this size: a value whose words do not all fit beside its label
 * goes under it, on the whole width. */
static double
widest_word (Form       *f,
             double      size,
             gboolean    bold,
             const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\n", -1);
  double widest = 0;

  for (guint i = 0; words[i]; i++)
    {
      g_autoptr(PangoLayout) layout = NULL;
      int w;

      if (*words[i] == '\0')
        continue;
      layout = layout_new (f, size, bold, -1, words[i]);
      pango_layout_set_width (layout, -1);
      pango_layout_get_size (layout, &w, NULL);
      widest = MAX (widest, (double) w / PANGO_SCALE);
    }
  return widest;
}

static void
footer (Form *f)
{
  g_autofree char *page = NULL;
  g_autofree char *line = NULL;
  g_autoptr(PangoLayout) layout = NULL;

  /* The translated format has the two %u of the msgid (msgfmt checks c-format); the request
   * number, the CA's, is never part of a format. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  page = g_strdup_printf (label (f, L_PAGE), f->page, MAX (f->pages, f->page));
#pragma GCC diagnostic pop
  if (f->number)
    line = g_strdup_printf ("%s %s — %s", label (f, L_REQUEST), f->number, page);
  layout = layout_new (f, 7.5, FALSE, CONTENT_W, line ? line : page);
  pango_layout_set_alignment (layout, PANGO_ALIGN_RIGHT);
  layout_draw (f, layout, MARGIN, PAGE_H - MARGIN - layout_height (layout));
}

static void
new_page (Form *f)
{
  footer (f);
  if (f->draw)
    cairo_show_page (f->cr);
  f->page++;
  f->y = MARGIN;
}

/* Makes room for a block of @height: a new page when it does not fit on this one. */
static void
need (Form   *f,
      double  height)
{
  if (f->y + height > BOTTOM && f->y > MARGIN)
    new_page (f);
}

static void
paragraph (Form       *f,
           double      indent,
           double      size,
           gboolean    bold,
           const char *text)
{
  g_autoptr(PangoLayout) layout = layout_new (f, size, bold, CONTENT_W - indent, text);
  double h = layout_height (layout);

  need (f, h);
  layout_draw (f, layout, MARGIN + indent, f->y);
  f->y += h;
}

static void
rule (Form *f)
{
  if (!f->draw)
    return;
  cairo_set_line_width (f->cr, 0.5);
  cairo_move_to (f->cr, MARGIN, f->y);
  cairo_line_to (f->cr, PAGE_W - MARGIN, f->y);
  cairo_stroke (f->cr);
}

/* A section title, kept on the page of the block that follows (@next high). */
static void
heading (Form       *f,
         const char *text,
         double      next)
{
  g_autoptr(PangoLayout) layout = layout_new (f, 11, TRUE, CONTENT_W, text);
  double h = layout_height (layout);

  f->y += 7;
  need (f, h + 6 + next);
  layout_draw (f, layout, MARGIN, f->y);
  f->y += h + 2;
  rule (f);
  f->y += 4;
}

/* A label and its value; the value under the label when one of its words does not fit beside,
 * in a smaller size when a word (a 64-letter name) is wider than the whole line at 9 pt; only a
 * word that would not fit even at 6 pt (an e-mail address of 254 characters) is broken. */
static double
row_layouts (Form         *f,
             const char   *name,
             const char   *value,
             PangoLayout **out_label,
             PangoLayout **out_value,
             gboolean     *below)
{
  double value_w = CONTENT_W - LABEL_W - GAP;
  double full_w = CONTENT_W - 12;
  double widest = widest_word (f, 9, TRUE, value);
  double size = 9;

  *below = widest > value_w;
  if (widest > full_w && widest * 6 / 9 <= full_w)
    size = floor (9 * full_w / widest * 10) / 10;
  *out_label = layout_new (f, 9, FALSE, LABEL_W, name);
  *out_value = layout_new (f, size, TRUE, *below ? full_w : value_w, value);
  if (*below)
    return layout_height (*out_label) + layout_height (*out_value) + 1.5;
  return MAX (layout_height (*out_label), layout_height (*out_value)) + 1.5;
}

static double
row_height (Form       *f,
            const char *name,
            const char *value)
{
  g_autoptr(PangoLayout) l = NULL;
  g_autoptr(PangoLayout) v = NULL;
  gboolean below;

  return row_layouts (f, name, value, &l, &v, &below);
}

static void
row (Form       *f,
     const char *name,
     const char *value)
{
  g_autoptr(PangoLayout) l = NULL;
  g_autoptr(PangoLayout) v = NULL;
  gboolean below;
  double h = row_layouts (f, name, value, &l, &v, &below);

  need (f, h);
  layout_draw (f, l, MARGIN, f->y);
  if (below)
    layout_draw (f, v, MARGIN + 12, f->y + layout_height (l));
  else
    layout_draw (f, v, MARGIN + LABEL_W + GAP, f->y);
  f->y += h;
}

static void
checkbox (Form       *f,
          const char *text)
{
  g_autoptr(PangoLayout) layout = layout_new (f, 8.5, FALSE, CONTENT_W - 18, text);
  double h = layout_height (layout);

  need (f, h + 2);
  if (f->draw)
    {
      cairo_set_line_width (f->cr, 0.5);
      cairo_rectangle (f->cr, MARGIN + 4, f->y + 2, 8, 8);
      cairo_stroke (f->cr);
    }
  layout_draw (f, layout, MARGIN + 18, f->y);
  f->y += h + 2;
}

static char *
person_name (Form       *f,
             JsonObject *p)
{
  const char *civ = str (p, "civility");
  g_autofree char *name = g_strdup_printf ("%s %s %s",
                                           g_str_equal (civ, "mrs") ? label (f, L_MRS) :
                                           g_str_equal (civ, "mr") ? label (f, L_MR) : "",
                                           str (p, "given_name"), str (p, "family_name"));

  return g_strdup (g_strstrip (name));
}

static void
person (Form       *f,
        JsonObject *p,
        gboolean    holder)
{
  g_autofree char *name = person_name (f, p);

  row (f, label (f, L_CIVILITY_NAME), name);
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

/* One signature block: who signs, their name, what they declare, the place and date line and
 * room for the signature. Returns its height; draws it at (x, y) when drawing. */
#define SIGN_ROOM 44.0
static double
signature_block (Form       *f,
                 double      x,
                 double      y,
                 double      width,
                 const char *title,
                 const char *name,
                 const char *commitment,
                 double      min_height)
{
  const char *texts[] = { title, name, commitment, label (f, L_TERMS), label (f, L_DONE_AT), label (f, L_SIGNATURE) };
  const double sizes[] = { 9, 9, 7.5, 7.5, 8.5, 8.5 };
  const gboolean bold[] = { TRUE, TRUE, FALSE, FALSE, FALSE, FALSE };
  const double after[] = { 1, 4, 3, 8, 6, SIGN_ROOM };
  double top = y + 5;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(PangoLayout) layout = layout_new (f, sizes[i], bold[i], width - 10, texts[i]);

      layout_draw (f, layout, x + 5, top);
      top += layout_height (layout) + after[i];
    }
  top = MAX (top, y + min_height);
  if (f->draw)
    {
      cairo_set_line_width (f->cr, 0.5);
      cairo_rectangle (f->cr, x, y, width, top - y);
      cairo_stroke (f->cr);
    }
  return top - y;
}

static void
signatures (Form       *f,
            JsonObject *dossier)
{
  g_autofree char *holder = person_name (f, porteur_order_member_object (dossier, "holder"));
  g_autofree char *legal = person_name (f, porteur_order_member_object (dossier, "legal_representative"));
  double half = (CONTENT_W - 10) / 2;
  gboolean draw = f->draw;
  double h;

  /* Measure both blocks (no drawing), keep them together, then draw them the same height. */
  f->draw = FALSE;
  h = MAX (signature_block (f, MARGIN, 0, half, label (f, L_SIGN_HOLDER), holder, label (f, L_HOLDER_COMMIT), 0),
           signature_block (f, MARGIN, 0, half, label (f, L_SIGN_LEGAL), legal, label (f, L_LEGAL_COMMIT), 0));
  f->draw = draw;
  heading (f, label (f, L_SIGNATURES), 40 + h);
  paragraph (f, 0, 8.5, TRUE, label (f, L_ORIGINAL));
  f->y += 4;
  need (f, h);
  signature_block (f, MARGIN, f->y, half, label (f, L_SIGN_HOLDER), holder, label (f, L_HOLDER_COMMIT), h);
  signature_block (f, MARGIN + half + 10, f->y, half, label (f, L_SIGN_LEGAL), legal, label (f, L_LEGAL_COMMIT), h);
  f->y += h;
}

static void
layout_form (Form       *f,
             JsonObject *dossier,
             JsonObject *product,
             JsonObject *office)
{
  JsonObject *org = porteur_order_member_object (dossier, "organisation");
  JsonObject *address = porteur_order_member_object (org, "address");
  g_autofree char *line_city = NULL;
  g_autofree char *price = NULL;
  const char *type = str (dossier, "organisation_type");

  f->page = 1;
  f->y = MARGIN;
  paragraph (f, 0, 15, TRUE, label (f, L_TITLE));
  f->y += 1;
  paragraph (f, 0, 9.5, FALSE, label (f, L_SUBTITLE));
  f->y += 5;
  {
    g_autoptr(PangoLayout) l = layout_new (f, 12, FALSE, LABEL_W, label (f, L_REQUEST));
    g_autoptr(PangoLayout) v = layout_new (f, f->number ? 12 : 9, f->number != NULL, CONTENT_W - LABEL_W - GAP,
                                           f->number ? f->number : label (f, L_REQUEST_PENDING));

    layout_draw (f, l, MARGIN, f->y);
    layout_draw (f, v, MARGIN + LABEL_W + GAP, f->y + (f->number ? 0 : 2));
    f->y += MAX (layout_height (l), layout_height (v));
  }

  line_city = g_strdup_printf ("%s %s", str (address, "postal_code"), str (address, "city"));
  heading (f, label (f, L_ORG), row_height (f, label (f, L_NAME), str (org, "name")));
  row (f, label (f, L_NAME), str (org, "name"));
  row (f, label (f, L_SIRET), str (dossier, "siret"));
  row (f, label (f, L_TYPE), type_label (f, type));
  row (f, label (f, L_ADDRESS), str (address, "line1"));
  if (*str (address, "line2"))
    row (f, "", str (address, "line2"));
  row (f, "", line_city);

  heading (f, label (f, L_HOLDER), 30);
  person (f, porteur_order_member_object (dossier, "holder"), TRUE);
  heading (f, label (f, L_LEGAL), 30);
  person (f, porteur_order_member_object (dossier, "legal_representative"), FALSE);

  heading (f, label (f, L_PRODUCT), 30);
  row (f, label (f, L_PRODUCT_NAME), product ? str (product, "name") : str (dossier, "product"));
  if (product)
    {
      price = g_strdup_printf ("%s %s %s", str (product, "price_excl_tax"),
                               str (product, "currency"), label (f, L_EXCL_TAX));
      row (f, label (f, L_PRICE), price);
    }

  heading (f, label (f, L_OFFICE), 30);
  if (office)
    {
      JsonObject *oa = porteur_order_member_object (office, "address");
      g_autofree char *oc = g_strdup_printf ("%s %s", str (oa, "postal_code"), str (oa, "city"));

      row (f, label (f, L_CIVILITY_NAME), str (office, "name"));
      row (f, label (f, L_ADDRESS), str (oa, "line1"));
      if (*str (oa, "line2"))
        row (f, "", str (oa, "line2"));
      row (f, "", oc);
    }
  else
    row (f, label (f, L_CIVILITY_NAME), str (dossier, "office"));

  signatures (f, dossier);

  heading (f, label (f, L_ASSIST), 30);
  row (f, label (f, L_ASSIST_WEB), ASSIST_WEB);
  {
    g_autofree char *phone = g_strdup_printf ("%s\n%s", ASSIST_PHONE, label (f, L_ASSIST_PHONE_TERMS));

    row (f, label (f, L_ASSIST_PHONE), phone);
  }

  /* The checklist last, as on ChamberSign's form (its page 2 when the form has two). */
  heading (f, label (f, L_DOCUMENTS), 30);
  checkbox (f, label (f, L_DOC_FORM));
  checkbox (f, label (f, L_DOC_ID_HOLDER));
  checkbox (f, label (f, L_DOC_ID_LEGAL));
  checkbox (f, g_str_equal (type, "private-company") ? label (f, L_DOC_KBIS) : label (f, L_DOC_INSEE));

  footer (f);
}

static cairo_status_t
discard (void                *closure,
         const unsigned char *data,
         unsigned int         length)
{
  return CAIRO_STATUS_SUCCESS;
}

gboolean
porteur_order_form_write_pdf (JsonObject  *dossier,
                              JsonObject  *product,
                              JsonObject  *office,
                              const char  *number,
                              const char  *language,
                              const char  *path,
                              GError     **error)
{
  cairo_surface_t *surface;
  cairo_status_t status;
  Form f = { 0 };

  g_return_val_if_fail (dossier != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  f.language = porteur_order_form_language (language);
  f.number = number && *number ? number : NULL;

  /* The counting pass, on a PDF surface too (the same font metrics), written nowhere. */
  surface = cairo_pdf_surface_create_for_stream (discard, NULL, PAGE_W, PAGE_H);
  f.cr = cairo_create (surface);
  layout_form (&f, dossier, product, office);
  f.pages = f.page;
  cairo_destroy (f.cr);
  cairo_surface_finish (surface);
  cairo_surface_destroy (surface);

  surface = cairo_pdf_surface_create (path, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Porteur");
  f.cr = cairo_create (surface);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, label (&f, L_TITLE));
  cairo_set_source_rgb (f.cr, 0, 0, 0);
  f.draw = TRUE;
  layout_form (&f, dossier, product, office);
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
