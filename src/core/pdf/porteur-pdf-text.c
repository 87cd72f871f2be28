/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "porteur-pdf.h"

/* The words a holder reads about a verification, shared by the window and porteur-tool. */

const char *
porteur_pdf_verdict_describe (PorteurPdfVerdict verdict)
{
  switch (verdict)
    {
    case PORTEUR_PDF_VERDICT_VALID:
      return _("The signature is valid");
    case PORTEUR_PDF_VERDICT_INDETERMINATE:
      return _("The signature could not be fully verified");
    case PORTEUR_PDF_VERDICT_INVALID:
      return _("The signature is not valid");
    case PORTEUR_PDF_VERDICT_UNSIGNED:
    default:
      return _("The document is not signed");
    }
}

const char *
porteur_pdf_document_verdict_describe (PorteurPdfVerdict verdict)
{
  switch (verdict)
    {
    case PORTEUR_PDF_VERDICT_VALID:
      return _("Every signature is valid");
    case PORTEUR_PDF_VERDICT_INDETERMINATE:
      return _("Some signatures could not be fully verified");
    case PORTEUR_PDF_VERDICT_INVALID:
      return _("At least one signature is not valid");
    case PORTEUR_PDF_VERDICT_UNSIGNED:
    default:
      return _("The document is not signed");
    }
}

const char *
porteur_pdf_problem_describe (PorteurPdfProblem problem)
{
  switch (problem)
    {
    case PORTEUR_PDF_PROBLEM_MALFORMED:
      return _("The signature is damaged or not in a format Porteur can read.");
    case PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH:
      return _("The signed content was changed after signing.");
    case PORTEUR_PDF_PROBLEM_BAD_SIGNATURE:
      return _("The signature does not match the signer’s certificate.");
    case PORTEUR_PDF_PROBLEM_MODIFIED_AFTER:
      return _("The document was modified after this signature.");
    case PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER:
      return _("The signer’s certificate was not issued by an authority you trust.");
    case PORTEUR_PDF_PROBLEM_CHAIN_INVALID:
      return _("The signer’s certificate chain is not valid.");
    case PORTEUR_PDF_PROBLEM_EXPIRED:
      return _("The signer’s certificate has expired since, and no timestamp proves when the document was signed.");
    case PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING:
      return _("The signer’s certificate was not valid when the document was signed.");
    case PORTEUR_PDF_PROBLEM_REVOKED:
      return _("The signer’s certificate has been revoked.");
    case PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED:
      return _("Whether the signer’s certificate was revoked was not checked.");
    case PORTEUR_PDF_PROBLEM_REVOCATION_UNKNOWN:
      return _("Whether the signer’s certificate was revoked could not be established.");
    case PORTEUR_PDF_PROBLEM_WEAK_DIGEST:
      return _("The signature uses a hash algorithm that is no longer safe (SHA-1).");
    case PORTEUR_PDF_PROBLEM_WEAK_KEY:
      return _("The signer’s key is too short to be safe.");
    case PORTEUR_PDF_PROBLEM_KEY_USAGE:
      return _("The signer’s certificate is not meant for signatures.");
    case PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID:
      return _("The signature’s timestamp could not be verified.");
    case PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED:
      return _("The signature’s timestamp comes from an authority you do not trust.");
    default:
      return "";
    }
}

const char *
porteur_pdf_coverage_describe (PorteurPdfCoverage coverage)
{
  switch (coverage)
    {
    case PORTEUR_PDF_COVERAGE_WHOLE:
      return _("The signature covers the whole document.");
    case PORTEUR_PDF_COVERAGE_LATER_SIGNATURES:
      return _("Only other signatures were added after this one.");
    case PORTEUR_PDF_COVERAGE_VALIDATION_DATA:
      return _("Only validation data was added after this signature.");
    case PORTEUR_PDF_COVERAGE_MODIFIED:
    default:
      return _("Content was added or changed after this signature.");
    }
}

const char *
porteur_eidas_level_describe (PorteurEidasLevel level)
{
  switch (level)
    {
    case PORTEUR_EIDAS_QUALIFIED_SIGNATURE:
      return _("Qualified electronic signature");
    case PORTEUR_EIDAS_QUALIFIED_SEAL:
      return _("Qualified electronic seal");
    case PORTEUR_EIDAS_QUALIFIED_WEB:
      return _("Qualified website certificate (not for signing documents)");
    case PORTEUR_EIDAS_ADVANCED:
      return _("Advanced electronic signature");
    case PORTEUR_EIDAS_UNKNOWN:
    default:
      return _("Not an eIDAS qualified certificate");
    }
}

const char *
porteur_revocation_describe (PorteurRevocationStatus status)
{
  switch (status)
    {
    case PORTEUR_REVOCATION_GOOD:
      return _("Not revoked");
    case PORTEUR_REVOCATION_REVOKED:
      return _("Revoked");
    case PORTEUR_REVOCATION_UNKNOWN:
      return _("Unknown");
    case PORTEUR_REVOCATION_NOT_CHECKED:
    default:
      return _("Not checked");
    }
}

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = time ? g_date_time_to_local (time) : NULL;

  /* Translators: a date and time, see g_date_time_format() */
  return local ? g_date_time_format (local, _("%e %B %Y, %H:%M")) : g_strdup (_("unknown"));
}

/**
 * porteur_pdf_report_to_text:
 *
 * The verification report as the holder reads it (translated), for the terminal, the clipboard
 * or a file.
 */
char *
porteur_pdf_report_to_text (PorteurPdfReport *report)
{
  GString *text = g_string_new (NULL);
  g_autofree char *base = g_path_get_basename (report->path);

  g_string_append_printf (text, "%s — %s\n", base, porteur_pdf_document_verdict_describe (report->verdict));
  for (guint i = 0; i < report->signatures->len; i++)
    {
      PorteurPdfSignature *s = g_ptr_array_index (report->signatures, i);
      g_autofree char *when = format_time (s->timestamp_valid ? s->timestamp_time : s->claimed_time);

      g_string_append_printf (text, "\n  %s %u: %s\n", _("Signature"), s->index, porteur_pdf_verdict_describe (s->verdict));
      if (s->signer)
        {
          g_string_append_printf (text, "    %-16s %s", _("Signer:"), s->signer->common_name);
          if (s->signer->organisation[0])
            g_string_append_printf (text, " (%s)", s->signer->organisation);
          g_string_append_printf (text, "\n    %-16s %s\n", _("Issued by:"), s->signer->issuer_common_name);
          g_string_append_printf (text, "    %-16s %s%s\n", _("eIDAS level:"), porteur_eidas_level_describe (s->signer->eidas_level),
                                  s->signer->qc_sscd ? _(", key in a qualified signature device") : "");
        }
      g_string_append_printf (text, "    %-16s %s%s\n", _("Signed on:"), when,
                              s->timestamp_valid ? _(" (timestamp)") : _(" (claimed by the signer)"));
      if (!(s->problems & PORTEUR_PDF_PROBLEM_MALFORMED))
        g_string_append_printf (text, "    %-16s %s\n", _("Coverage:"), porteur_pdf_coverage_describe (s->coverage));
      g_string_append_printf (text, "    %-16s %s\n", _("Revocation:"),
                              porteur_revocation_describe (s->revocation ? s->revocation->status : PORTEUR_REVOCATION_NOT_CHECKED));
      if (s->digest_name[0] || s->sub_filter[0])
        g_string_append_printf (text, "    %-16s %s, %s\n", _("Algorithm:"), s->digest_name, s->sub_filter);
      for (guint bit = 0; bit < 32; bit++)
        if (s->problems & (1u << bit))
          g_string_append_printf (text, "    • %s\n", porteur_pdf_problem_describe (1u << bit));
    }
  if (report->signatures->len == 0)
    g_string_append_printf (text, "  %s\n", porteur_pdf_verdict_describe (PORTEUR_PDF_VERDICT_UNSIGNED));
  return g_string_free (text, FALSE);
}
