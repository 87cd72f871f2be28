/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "pdf/porteur-pdf.h"
#include "porteur-tool.h"

/* porteur-tool verify FILE.pdf…: every signature of each file, locally. */

static void
add_time (JsonBuilder *builder,
          const char  *name,
          GDateTime   *time)
{
  g_autofree char *text = time ? g_date_time_format_iso8601 (time) : NULL;

  json_builder_set_member_name (builder, name);
  if (text)
    json_builder_add_string_value (builder, text);
  else
    json_builder_add_null_value (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value ? value : "");
}

static void
add_cert (JsonBuilder     *builder,
          PorteurCertInfo *cert)
{
  json_builder_begin_object (builder);
  add_string (builder, "subject", cert->subject_dn);
  add_string (builder, "common_name", cert->common_name);
  add_string (builder, "organisation", cert->organisation);
  add_string (builder, "organisation_identifier", cert->organisation_identifier);
  add_string (builder, "email", cert->email);
  add_string (builder, "issuer", cert->issuer_dn);
  add_string (builder, "serial", cert->serial_hex);
  add_string (builder, "sha256_fingerprint", cert->sha256_fingerprint);
  add_time (builder, "not_before", cert->not_before);
  add_time (builder, "not_after", cert->not_after);
  add_string (builder, "key_type", cert->key_type);
  json_builder_set_member_name (builder, "key_bits");
  json_builder_add_int_value (builder, cert->key_bits);
  add_string (builder, "eidas_level", porteur_eidas_level_to_string (cert->eidas_level));
  json_builder_set_member_name (builder, "qscd");
  json_builder_add_boolean_value (builder, cert->qc_sscd);
  json_builder_set_member_name (builder, "policies");
  json_builder_begin_array (builder);
  for (guint i = 0; cert->policies && cert->policies[i]; i++)
    json_builder_add_string_value (builder, cert->policies[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
add_report_json (JsonBuilder      *builder,
                 PorteurPdfReport *report)
{
  json_builder_begin_object (builder);
  add_string (builder, "file", report->path);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, report->size);
  json_builder_set_member_name (builder, "revisions");
  json_builder_add_int_value (builder, report->n_revisions);
  json_builder_set_member_name (builder, "encrypted");
  json_builder_add_boolean_value (builder, report->encrypted);
  add_string (builder, "verdict", porteur_pdf_verdict_to_string (report->verdict));
  json_builder_set_member_name (builder, "signatures");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->signatures->len; i++)
    {
      PorteurPdfSignature *s = g_ptr_array_index (report->signatures, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, s->index);
      add_string (builder, "verdict", porteur_pdf_verdict_to_string (s->verdict));
      json_builder_set_member_name (builder, "problems");
      json_builder_begin_array (builder);
      for (guint bit = 0; bit < 32; bit++)
        if (s->problems & (1u << bit))
          json_builder_add_string_value (builder, porteur_pdf_problem_to_string (1u << bit));
      json_builder_end_array (builder);
      add_string (builder, "detail", s->detail);
      json_builder_set_member_name (builder, "byte_range");
      json_builder_begin_array (builder);
      for (guint k = 0; k < 4; k++)
        json_builder_add_int_value (builder, s->byte_range[k]);
      json_builder_end_array (builder);
      add_string (builder, "coverage", porteur_pdf_coverage_to_string (s->coverage));
      json_builder_set_member_name (builder, "revision");
      json_builder_add_int_value (builder, s->revision);
      json_builder_set_member_name (builder, "signed_length");
      json_builder_add_int_value (builder, s->signed_length);
      add_string (builder, "sub_filter", s->sub_filter);
      add_string (builder, "digest", s->digest_name);
      add_string (builder, "name", s->signer_name);
      add_string (builder, "reason", s->reason);
      add_string (builder, "location", s->location);
      add_time (builder, "claimed_signing_time", s->claimed_time);
      json_builder_set_member_name (builder, "timestamp");
      if (s->has_timestamp)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "valid");
          json_builder_add_boolean_value (builder, s->timestamp_valid);
          add_time (builder, "time", s->timestamp_time);
          json_builder_end_object (builder);
        }
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "signer");
      if (s->signer)
        add_cert (builder, s->signer);
      else
        json_builder_add_null_value (builder);
      add_string (builder, "chain_status", porteur_chain_status_to_string (s->chain_status));
      add_string (builder, "chain_status_now", porteur_chain_status_to_string (s->chain_status_now));
      json_builder_set_member_name (builder, "chain");
      json_builder_begin_array (builder);
      for (guint k = 0; k < s->chain->len; k++)
        add_cert (builder, g_ptr_array_index (s->chain, k));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "revocation");
      json_builder_begin_object (builder);
      add_string (builder, "status", porteur_revocation_status_to_string (s->revocation ? s->revocation->status : PORTEUR_REVOCATION_NOT_CHECKED));
      add_string (builder, "source", s->revocation ? s->revocation->source : "");
      add_time (builder, "revoked_at", s->revocation ? s->revocation->revocation_time : NULL);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

int
porteur_tool_cmd_verify (PorteurTool  *tool,
                         int           argc,
                         char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_auto(GStrv) trust_files = NULL;
  gboolean no_network = FALSE;
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  int status = PORTEUR_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "no-network", 0, 0, G_OPTION_ARG_NONE, &no_network, N_("Fetch no revocation data (revocation is then reported as not checked)"), NULL },
    { "trust", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &trust_files, N_("Also trust the certificates (and use the CRLs) of this PEM file"), N_("PEM") },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, _("FILE.pdf…"),
                                             _("Verify every signature of PDF documents, locally: integrity, coverage, signer, trust, revocation, eIDAS level. Exit status 0 when every signature is valid, 1 when one is not or cannot be verified, 2 on errors."),
                                             entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc < 2)
    return porteur_tool_usage_error (tool, _("Name at least one PDF file"));

  if (!porteur_trust_add_defaults (trust, &error))
    return porteur_tool_fail (tool, error);
  for (guint i = 0; trust_files && trust_files[i]; i++)
    if (!porteur_trust_add_file (trust, trust_files[i], &error))
      return porteur_tool_fail (tool, error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (int i = 1; i < argc; i++)
    {
      PorteurPdfVerifyOptions options = { trust, !no_network };
      g_autoptr(PorteurPdfReport) report = porteur_pdf_verify_file (argv[i], &options, NULL, &error);

      if (report == NULL)
        {
          porteur_tool_fail (tool, error);
          g_clear_error (&error);
          status = PORTEUR_TOOL_EXIT_ERROR;
          continue;
        }
      if (report->verdict != PORTEUR_PDF_VERDICT_VALID && status == PORTEUR_TOOL_EXIT_OK)
        status = PORTEUR_TOOL_EXIT_NEGATIVE;
      if (tool->json)
        add_report_json (builder, report);
      else
        {
          g_autofree char *text = porteur_pdf_report_to_text (report);
          g_print ("%s\n", text);
        }
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  if (tool->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      porteur_tool_print_json (tool, root);
    }
  return status;
}
