/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pdf/porteur-pdf.h"

/*
 * The verdicts a holder relies on, on PDFs signed by poppler's pdfsig with NSS (not by us),
 * rewritten by qpdf, signed in the past under faketime, damaged on purpose; and a comparison
 * with what pdfsig says where pdfsig is right.
 */

static char *fixtures;

static char *
fixture (const char *name)
{
  return g_build_filename (fixtures, name, NULL);
}

static PorteurPdfReport *
verify_with (const char *name,
             const char *trust_file)
{
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *trust_path = fixture (trust_file);
  g_autofree char *path = fixture (name);
  PorteurPdfVerifyOptions options = { trust, FALSE };
  PorteurPdfReport *report;

  g_assert_true (porteur_trust_add_file (trust, trust_path, &error));
  g_assert_no_error (error);
  report = porteur_pdf_verify_file (path, &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

static PorteurPdfReport *
verify (const char *name)
{
  /* Our root and its current CRL. */
  return verify_with (name, "trust.pem");
}

static PorteurPdfSignature *
only_signature (PorteurPdfReport *report)
{
  g_assert_cmpuint (report->signatures->len, ==, 1);
  return g_ptr_array_index (report->signatures, 0);
}

static char *
pdfsig (const char *name)
{
  g_autofree char *path = fixture (name);
  g_autofree char *nss = g_strdup_printf ("sql:%s/nss", fixtures);
  const char *argv[] = { "pdfsig", "-nssdir", nss, path, NULL };
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_signed (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("signed.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("signed.pdf");

  g_assert_cmpint (report->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpuint (s->problems, ==, 0);
  g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_WHOLE);
  g_assert_cmpint (s->signed_length, ==, report->size);
  g_assert_cmpstr (s->sub_filter, ==, "adbe.pkcs7.detached");
  g_assert_cmpstr (s->digest_name, ==, "SHA256");
  g_assert_cmpstr (s->signer->common_name, ==, "Anne Le Goff");
  g_assert_cmpstr (s->signer->organisation, ==, "COMMUNE DE RENNES");
  g_assert_cmpstr (s->signer->organisation_identifier, ==, "NTRFR-21350238800019");
  g_assert_cmpint (s->signer->eidas_level, ==, PORTEUR_EIDAS_QUALIFIED_SIGNATURE);
  g_assert_true (s->signer->qc_sscd);
  g_assert_cmpint (s->chain_status, ==, PORTEUR_CHAIN_TRUSTED);
  g_assert_cmpuint (s->chain->len, ==, 2);
  g_assert_cmpint (s->revocation->status, ==, PORTEUR_REVOCATION_GOOD);
  g_assert_cmpstr (s->revocation->source, ==, "crl");
  g_assert_nonnull (s->claimed_time);

  /* pdfsig agrees. */
  g_assert_nonnull (strstr (peer, "Signature is Valid"));
  g_assert_nonnull (strstr (peer, "Total document signed"));
}

static void
test_signed_twice (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("signed-twice.pdf");
  g_autoptr(PorteurPdfReport) first_revision = verify ("signed.pdf");
  PorteurPdfSignature *first, *second;
  g_autofree char *extracted = g_build_filename (fixtures, "extracted.pdf", NULL);
  g_autofree char *original = fixture ("signed.pdf");
  g_autofree char *twice = fixture ("signed-twice.pdf");
  g_autofree char *a = NULL, *b = NULL;
  gsize a_length, b_length;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (report->signatures->len, ==, 2);
  first = g_ptr_array_index (report->signatures, 0);
  second = g_ptr_array_index (report->signatures, 1);
  g_assert_cmpint (report->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpint (first->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpint (second->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpint (first->coverage, ==, PORTEUR_PDF_COVERAGE_LATER_SIGNATURES);
  g_assert_cmpint (second->coverage, ==, PORTEUR_PDF_COVERAGE_WHOLE);
  g_assert_cmpstr (first->signer->common_name, ==, "Anne Le Goff");
  g_assert_cmpstr (second->signer->common_name, ==, "Yann Kerjean");
  g_assert_cmpuint (first->revision, <, second->revision);

  /* "Show the signed revision": the first signature signed exactly the once-signed file. */
  g_assert_cmpint (first->signed_length, ==, first_revision->size);
  g_assert_true (porteur_pdf_extract_revision (twice, first->signed_length, extracted, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (extracted, &a, &a_length, NULL));
  g_assert_true (g_file_get_contents (original, &b, &b_length, NULL));
  g_assert_cmpmem (a, a_length, b, b_length);
}

static void
test_expired (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("expired.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("expired.pdf");

  /* Valid when it signed, expired now, and nothing but the signer's word says when it signed. */
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_EXPIRED);
  g_assert_false (s->problems & PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING);
  g_assert_cmpint (s->chain_status, ==, PORTEUR_CHAIN_TRUSTED);
  g_assert_cmpint (s->chain_status_now, ==, PORTEUR_CHAIN_EXPIRED);
  g_assert_nonnull (strstr (peer, "Certificate has Expired"));
}

static void
test_past (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("past.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  /* Signed 200 days ago (faketime) with a certificate valid then and now. */
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_nonnull (s->claimed_time);
  g_assert_cmpint (g_date_time_difference (now, s->claimed_time) / G_TIME_SPAN_DAY, >=, 199);
  g_assert_cmpint (g_date_time_difference (now, s->claimed_time) / G_TIME_SPAN_DAY, <=, 201);
}

static void
test_unknown_ca (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("unknown-ca.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("unknown-ca.pdf");

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_UNKNOWN_ISSUER);
  g_assert_cmpint (s->chain_status, ==, PORTEUR_CHAIN_UNKNOWN_ISSUER);
  g_assert_cmpuint (s->chain->len, ==, 0);
  g_assert_nonnull (strstr (peer, "issuer is unknown"));
}

static void
test_revoked (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("revoked.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("revoked.pdf");

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_REVOKED);
  g_assert_cmpint (s->revocation->status, ==, PORTEUR_REVOCATION_REVOKED);
  g_assert_cmpint (s->revocation->reason, ==, 1);  /* keyCompromise */
  g_assert_nonnull (s->revocation->revocation_time);
  /* pdfsig, with no OCSP responder to ask, misses it. */
  g_assert_nonnull (strstr (peer, "Certificate is Trusted"));
}

static void
test_modified_after_signing (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("modified.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("modified.pdf");

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_MODIFIED_AFTER);
  g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_MODIFIED);
  g_assert_false (s->problems & PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH);
  g_assert_cmpuint (report->n_revisions, ==, 3);
  /* pdfsig calls it valid and only notes the partial coverage. */
  g_assert_nonnull (strstr (peer, "Signature is Valid"));
  g_assert_nonnull (strstr (peer, "Not total document signed"));
}

static void
test_tampered (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("tampered.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *peer = pdfsig ("tampered.pdf");

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH);
  g_assert_nonnull (strstr (peer, "Digest Mismatch"));
}

static void
test_rewritten (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("rewritten.pdf");

  g_assert_cmpint (report->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
}

static void
test_revocation_not_checked (void)
{
  g_autoptr(PorteurPdfReport) report = verify_with ("signed.pdf", "root.pem");
  PorteurPdfSignature *s = only_signature (report);

  /* Without the CRL and without the network: never reported as good. */
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_REVOCATION_NOT_CHECKED);
  g_assert_cmpint (s->revocation->status, ==, PORTEUR_REVOCATION_NOT_CHECKED);
}

static void
test_weak_key (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("weak.pdf");
  PorteurPdfSignature *s = only_signature (report);

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_WEAK_KEY);
  g_assert_cmpuint (s->signer->key_bits, ==, 1024);
}

/* Signed by `openssl cms` into a placeholder, timestamped by `openssl ts` (a TSA under our root). */
static void
test_timestamp (void)
{
  g_autoptr(PorteurPdfReport) plain = verify ("openssl-signed.pdf");
  g_autoptr(PorteurPdfReport) report = verify ("timestamped.pdf");
  PorteurPdfSignature *p = only_signature (plain);
  PorteurPdfSignature *s = only_signature (report);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = porteur_pdf_report_to_text (report);
  g_autofree char *when = NULL;

  g_assert_cmpint (p->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_false (p->has_timestamp);
  g_assert_cmpstr (p->signer->common_name, ==, "Anne Le Goff");

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpuint (s->problems, ==, 0);
  g_assert_true (s->has_timestamp);
  g_assert_true (s->timestamp_valid);
  g_assert_nonnull (s->timestamp_time);
  g_assert_nonnull (s->claimed_time);
  /* The token came after the signature, moments ago. */
  g_assert_cmpint (g_date_time_compare (s->timestamp_time, s->claimed_time), >=, 0);
  g_assert_cmpint (g_date_time_difference (now, s->timestamp_time), <, 600 * G_TIME_SPAN_SECOND);
  /* The report gives the timestamp's time and says it is one. */
  {
    g_autoptr(GDateTime) local = g_date_time_to_local (s->timestamp_time);
    when = g_date_time_format (local, "%H:%M");
  }
  g_assert_nonnull (strstr (text, when));
  g_assert_nonnull (strstr (text, "(timestamp)"));
  g_assert_null (strstr (text, "(claimed by the signer)"));
}

static void
test_timestamp_imprint (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("ts-imprint.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *text = porteur_pdf_report_to_text (report);

  /* A token over other bytes proves nothing about this signature. */
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_true (s->has_timestamp);
  g_assert_false (s->timestamp_valid);
  g_assert_null (s->timestamp_time);
  g_assert_cmpuint (s->problems, ==, PORTEUR_PDF_PROBLEM_TIMESTAMP_INVALID);
  g_assert_cmpstr (s->detail, ==, "the timestamp was made for other data than this signature");
  g_assert_nonnull (strstr (text, "(claimed by the signer)"));
  g_assert_nonnull (strstr (text, "timestamp could not be verified"));
}

static void
test_timestamp_untrusted (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("ts-untrusted.pdf");
  g_autoptr(PorteurPdfReport) trusted = verify_with ("ts-untrusted.pdf", "trust-stranger.pem");
  PorteurPdfSignature *s = only_signature (report);
  PorteurPdfSignature *t = only_signature (trusted);

  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_false (s->timestamp_valid);
  g_assert_cmpuint (s->problems, ==, PORTEUR_PDF_PROBLEM_TIMESTAMP_UNTRUSTED);
  g_assert_cmpstr (s->detail, ==, "the time-stamping authority is not trusted");
  /* Trusting the authority's root is all that was missing. */
  g_assert_cmpint (t->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_true (t->timestamp_valid);
}

static void
test_timestamp_expired_signer (void)
{
  g_autoptr(PorteurPdfReport) proven = verify ("ts-expired.pdf");
  g_autoptr(PorteurPdfReport) claimed = verify ("expired-os.pdf");
  g_autoptr(PorteurPdfReport) late = verify ("ts-too-late.pdf");
  PorteurPdfSignature *p = only_signature (proven);
  PorteurPdfSignature *c = only_signature (claimed);
  PorteurPdfSignature *l = only_signature (late);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  /* Signed and timestamped 389 days ago, while the certificate (400 to 370 days ago) was valid:
   * the timestamp proves it, so the expiry since does not matter. */
  g_assert_cmpint (p->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpuint (p->problems, ==, 0);
  g_assert_true (p->timestamp_valid);
  g_assert_cmpint (g_date_time_difference (now, p->timestamp_time) / G_TIME_SPAN_DAY, ==, 389);
  g_assert_cmpint (p->chain_status, ==, PORTEUR_CHAIN_TRUSTED);
  g_assert_cmpint (p->chain_status_now, ==, PORTEUR_CHAIN_EXPIRED);

  /* The same signature without the timestamp: only the signer's word for the time. */
  g_assert_cmpint (c->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_cmpuint (c->problems, ==, PORTEUR_PDF_PROBLEM_EXPIRED);

  /* Timestamped today, after the certificate expired: the timestamp proves it was too late. */
  g_assert_cmpint (l->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
  g_assert_true (l->timestamp_valid);
  g_assert_true (l->problems & PORTEUR_PDF_PROBLEM_NOT_VALID_AT_SIGNING);
}

static void
test_sha1 (void)
{
  g_autoptr(PorteurPdfReport) report = verify ("sha1.pdf");
  PorteurPdfSignature *s = only_signature (report);
  g_autofree char *text = porteur_pdf_report_to_text (report);

  /* Made by `openssl cms -md sha1`: intact, but not safe. */
  g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
  g_assert_cmpuint (s->problems, ==, PORTEUR_PDF_PROBLEM_WEAK_DIGEST);
  g_assert_cmpstr (s->digest_name, ==, "SHA1");
  g_assert_nonnull (strstr (text, "no longer safe (SHA-1)"));

  /* adbe.pkcs7.sha1: the signed content is the SHA-1 digest of the ranges. Intact but weak. */
  {
    g_autoptr(PorteurPdfReport) legacy = verify ("pkcs7-sha1.pdf");
    PorteurPdfSignature *l = only_signature (legacy);

    g_assert_cmpstr (l->sub_filter, ==, "adbe.pkcs7.sha1");
    g_assert_cmpint (l->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
    g_assert_cmpuint (l->problems, ==, PORTEUR_PDF_PROBLEM_WEAK_DIGEST);
    g_assert_cmpint (l->revocation->status, ==, PORTEUR_REVOCATION_GOOD);
  }
  {
    g_autoptr(PorteurPdfReport) tampered = verify ("pkcs7-sha1-tampered.pdf");
    PorteurPdfSignature *t = only_signature (tampered);

    g_assert_cmpint (t->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
    g_assert_true (t->problems & PORTEUR_PDF_PROBLEM_DIGEST_MISMATCH);
  }
}

/* Revocation data carried by the signature or the document, used offline: the trust store has
 * the root only (no CRL) and the network is not used. */
static PorteurPdfSignature *
check_embedded (PorteurPdfReport        *report,
                PorteurPdfVerdict        verdict,
                PorteurRevocationStatus  status,
                const char              *source)
{
  PorteurPdfSignature *s = only_signature (report);

  g_test_message ("%s: %s", report->path, s->detail ? s->detail : "(no problem)");
  g_assert_cmpint (s->verdict, ==, verdict);
  g_assert_nonnull (s->revocation);
  g_assert_cmpint (s->revocation->status, ==, status);
  g_assert_cmpstr (s->revocation->source, ==, source);
  if (status == PORTEUR_REVOCATION_REVOKED)
    {
      g_assert_cmpuint (s->problems, ==, PORTEUR_PDF_PROBLEM_REVOKED);
      g_assert_cmpint (s->revocation->reason, ==, 1);   /* keyCompromise */
      g_assert_nonnull (s->revocation->revocation_time);
    }
  else
    g_assert_cmpuint (s->problems, ==, 0);
  return s;
}

static void
test_embedded_cms (void)
{
  g_autoptr(PorteurPdfReport) revoked = verify_with ("cms-crl-revoked.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) good = verify_with ("cms-crl-good.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) archived_ocsp = verify_with ("revinfo-good.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) archived_crl = verify_with ("revinfo-revoked.pdf", "root.pem");

  /* A CRL in SignedData.crls. */
  check_embedded (revoked, PORTEUR_PDF_VERDICT_INVALID, PORTEUR_REVOCATION_REVOKED, "embedded-crl");
  check_embedded (good, PORTEUR_PDF_VERDICT_VALID, PORTEUR_REVOCATION_GOOD, "embedded-crl");
  /* Adobe's revocationInfoArchival signed attribute: an OCSP response, a CRL. */
  check_embedded (archived_ocsp, PORTEUR_PDF_VERDICT_VALID, PORTEUR_REVOCATION_GOOD, "embedded-ocsp");
  check_embedded (archived_crl, PORTEUR_PDF_VERDICT_INVALID, PORTEUR_REVOCATION_REVOKED, "embedded-crl");
}

static void
test_dss (void)
{
  g_autoptr(PorteurPdfReport) crl = verify_with ("dss-crl.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) ocsp = verify_with ("dss-ocsp.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) good = verify_with ("dss-good.pdf", "root.pem");
  g_autoptr(PorteurPdfReport) without = verify_with ("signed.pdf", "root.pem");
  PorteurPdfSignature *s;

  /* pdfsig signed, then a DSS added by an incremental update: an allowed change. */
  s = check_embedded (crl, PORTEUR_PDF_VERDICT_INVALID, PORTEUR_REVOCATION_REVOKED, "embedded-crl");
  g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_VALIDATION_DATA);
  g_assert_nonnull (crl->dss);
  g_assert_cmpuint (crl->dss->crls->len, ==, 1);
  g_assert_cmpuint (crl->dss->ocsps->len, ==, 0);
  g_assert_cmpuint (crl->n_revisions, ==, 3);

  s = check_embedded (ocsp, PORTEUR_PDF_VERDICT_INVALID, PORTEUR_REVOCATION_REVOKED, "embedded-ocsp");
  g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_VALIDATION_DATA);
  g_assert_cmpuint (ocsp->dss->ocsps->len, ==, 1);
  g_assert_cmpuint (ocsp->dss->certs->len, ==, 1);

  s = check_embedded (good, PORTEUR_PDF_VERDICT_VALID, PORTEUR_REVOCATION_GOOD, "embedded-ocsp");
  g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_VALIDATION_DATA);

  /* The same signature without the DSS: nothing to go on offline. */
  g_assert_null (without->dss);
  g_assert_cmpint (only_signature (without)->revocation->status, ==, PORTEUR_REVOCATION_NOT_CHECKED);
}

static void
test_dss_with_other_changes (void)
{
  /* A DSS update that also turns the page, replaces the page's content stream under its own
   * object number, or adds an action to the catalog: a change. */
  const char *names[] = { "dss-modified.pdf", "dss-content.pdf", "dss-catalog.pdf" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(PorteurPdfReport) report = verify_with (names[i], "root.pem");
      PorteurPdfSignature *s = only_signature (report);

      g_test_message ("%s", names[i]);
      g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
      g_assert_cmpint (s->coverage, ==, PORTEUR_PDF_COVERAGE_MODIFIED);
      g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_MODIFIED_AFTER);
    }
}

static void
test_dss_reader (void)
{
  g_autofree char *seed_path = g_build_filename (TEST_SRCDIR, "fuzz", "corpus", "pdf-scan", "dss", NULL);
  g_autofree char *seed = NULL;
  gsize seed_length = 0;
  g_autoptr(PorteurPdfDss) dss = NULL;
  const char *broken[] = {
    /* /Length past the end of the file */
    "%PDF-1.7\n1 0 obj << /DSS 2 0 R >> endobj 2 0 obj << /CRLs [3 0 R] >> endobj 3 0 obj << /Length 999 >>\nstream\nAB",
    /* not zlib data */
    "%PDF-1.7\n1 0 obj << /DSS 2 0 R >> endobj 2 0 obj << /CRLs [3 0 R] >> endobj 3 0 obj << /Length 2 /Filter /FlateDecode >>\nstream\nAB\nendstream endobj",
    /* a chain of filters, and a stream that refers to itself for its length */
    ("%PDF-1.7\n1 0 obj << /DSS 2 0 R >> endobj 2 0 obj << /CRLs [3 0 R 4 0 R] >> endobj 3 0 obj << /Length 2 /Filter [/FlateDecode /ASCIIHexDecode] >>\nstream\nAB\nendstream endobj"
     " 4 0 obj << /Length 4 0 R >>\nstream\nAB\nendstream endobj"),
    /* the DSS object is missing */
    "%PDF-1.7\n1 0 obj << /DSS 2 0 R >> endobj",
  };

  /* The fuzzing seed: a FlateDecode CRL stream, a certificate stream with an indirect /Length,
   * an indirect /VRI naming a missing OCSP response. */
  g_assert_true (g_file_get_contents (seed_path, &seed, &seed_length, NULL));
  dss = porteur_pdf_read_dss ((const guint8 *) seed, seed_length);
  g_assert_nonnull (dss);
  g_assert_cmpuint (dss->crls->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (dss->crls, 0), NULL), 20, "0\x82\x01\x00not really a CRL", 20);
  g_assert_cmpuint (dss->certs->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (g_ptr_array_index (dss->certs, 0), NULL), 6, "ABCDEF", 6);
  g_assert_cmpuint (dss->ocsps->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autoptr(PorteurPdfDss) none = porteur_pdf_read_dss ((const guint8 *) broken[i], strlen (broken[i]));

      g_test_message ("%u", i);
      if (none)
        g_assert_cmpuint (none->crls->len + none->certs->len + none->ocsps->len, ==, 0);
    }
}

/* The scanner of a file skips the data of large streams whose direct /Length is confirmed by
 * "endstream" at that place; anything else is read. */
static guint
count_signatures_in (const char *name,
                     gsize       declared,
                     gsize       actual)
{
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurPdfReport) report = NULL;
  g_autofree char *path = fixture (name);
  PorteurPdfVerifyOptions options = { trust, FALSE };
  GString *pdf = g_string_new ("%PDF-1.7\n1 0 obj\n<< /Length ");
  g_autofree char *filler = g_strnfill (actual, 'x');
  gsize inside = actual / 2;

  g_string_append_printf (pdf, "%" G_GSIZE_FORMAT " >>\nstream\n", declared);
  /* A signature dictionary hidden in the stream's data. */
  memcpy (filler + inside, "/ByteRange [0 10 20 5] /Contents <00>", 37);
  g_string_append_len (pdf, filler, actual);
  g_string_append (pdf, "\nendstream\nendobj\n%%EOF\n");
  g_assert_true (g_file_set_contents (path, pdf->str, pdf->len, NULL));
  g_string_free (pdf, TRUE);
  report = porteur_pdf_verify_file (path, &options, NULL, &error);
  g_assert_no_error (error);
  return report->signatures->len;
}

static void
test_stream_skipping (void)
{
  /* Right length: stream data, not PDF syntax, so no signature there. */
  g_assert_cmpuint (count_signatures_in ("stream-right.pdf", 200000, 200000), ==, 0);
  /* A length that does not land on "endstream", or a small stream: everything is read. */
  g_assert_cmpuint (count_signatures_in ("stream-wrong.pdf", 100000, 200000), ==, 1);
  g_assert_cmpuint (count_signatures_in ("stream-small.pdf", 1000, 1000), ==, 1);
}

static guint16 ocsp_port;

/* OpenSSL's own OCSP responder answers for our test CA; the verifier asks it over HTTP. */
static GSubprocess *
start_ocsp_responder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", ocsp_port);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GSubprocess *responder;
  g_autoptr(GDataInputStream) err = NULL;
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  g_subprocess_launcher_set_cwd (launcher, fixtures);
  responder = g_subprocess_launcher_spawn (launcher, &error, "openssl", "ocsp", "-index", "index.txt", "-CA", "root.pem",
                                           "-rsigner", "ocsp.pem", "-rkey", "ocsp.key", "-port", port, "-ndays", "1", "-nrequest", "2", NULL);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stdout_pipe (responder));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (strstr (line, "ACCEPT"))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  return responder;
}

static PorteurPdfReport *
verify_online (const char *name)
{
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *root = fixture ("root.pem");
  g_autofree char *path = fixture (name);
  PorteurPdfVerifyOptions options = { trust, TRUE };
  PorteurPdfReport *report;

  /* The root only: no CRL, so the answer must come from the responder. */
  g_assert_true (porteur_trust_add_file (trust, root, &error));
  report = porteur_pdf_verify_file (path, &options, NULL, &error);
  g_assert_no_error (error);
  return report;
}

static void
test_ocsp (void)
{
  g_autoptr(GSubprocess) responder = start_ocsp_responder ();
  g_autoptr(PorteurPdfReport) good = verify_online ("ocsp-good.pdf");
  g_autoptr(PorteurPdfReport) revoked = verify_online ("ocsp-revoked.pdf");
  PorteurPdfSignature *g = only_signature (good);
  PorteurPdfSignature *r = only_signature (revoked);

  g_assert_cmpint (g->verdict, ==, PORTEUR_PDF_VERDICT_VALID);
  g_assert_cmpint (g->revocation->status, ==, PORTEUR_REVOCATION_GOOD);
  g_assert_cmpstr (g->revocation->source, ==, "ocsp");

  g_assert_cmpint (r->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
  g_assert_true (r->problems & PORTEUR_PDF_PROBLEM_REVOKED);
  g_assert_cmpint (r->revocation->status, ==, PORTEUR_REVOCATION_REVOKED);
  g_assert_cmpstr (r->revocation->source, ==, "ocsp");
  g_assert_cmpint (r->revocation->reason, ==, 1);

  g_subprocess_force_exit (responder);
  g_subprocess_wait (responder, NULL, NULL);

  /* Responder gone: "unknown", never good. */
  {
    g_autoptr(PorteurPdfReport) offline = verify_online ("ocsp-good.pdf");
    PorteurPdfSignature *o = only_signature (offline);

    g_assert_cmpint (o->verdict, ==, PORTEUR_PDF_VERDICT_INDETERMINATE);
    g_assert_cmpint (o->revocation->status, ==, PORTEUR_REVOCATION_UNKNOWN);
  }
}

static void
test_malformed (void)
{
  const char *names[] = {
    "range-out-of-bounds.pdf", "range-overlap.pdf", "range-not-integers.pdf", "contents-not-hex.pdf",
    "cms-garbage.pdf", "contents-huge.pdf", "truncated-end.pdf", "encrypted.pdf",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(PorteurPdfReport) report = verify (names[i]);

      g_test_message ("%s", names[i]);
      g_assert_cmpuint (report->signatures->len, >=, 1);
      g_assert_cmpint (report->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
      for (guint j = 0; j < report->signatures->len; j++)
        {
          PorteurPdfSignature *s = g_ptr_array_index (report->signatures, j);
          g_assert_cmpint (s->verdict, ==, PORTEUR_PDF_VERDICT_INVALID);
          g_assert_nonnull (s->detail);
        }
    }
}

static void
test_not_signed_or_not_pdf (void)
{
  g_autoptr(PorteurPdfReport) unsigned_report = verify ("base.pdf");
  g_autoptr(PorteurPdfReport) truncated = verify ("truncated.pdf");
  g_autoptr(PorteurTrust) trust = porteur_trust_new ();
  PorteurPdfVerifyOptions options = { trust, FALSE };
  g_autofree char *not_pdf = fixture ("not-a-pdf.pdf");
  g_autofree char *missing = fixture ("missing.pdf");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_cmpint (unsigned_report->verdict, ==, PORTEUR_PDF_VERDICT_UNSIGNED);
  g_assert_cmpint (truncated->verdict, !=, PORTEUR_PDF_VERDICT_VALID);
  g_assert_null (porteur_pdf_verify_file (not_pdf, &options, NULL, &error));
  g_assert_error (error, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_NOT_PDF);
  g_assert_null (porteur_pdf_verify_file (missing, &options, NULL, &error2));
  g_assert_error (error2, PORTEUR_PDF_ERROR, PORTEUR_PDF_ERROR_IO);
}

static void
test_scan_edges (void)
{
  const char *inputs[] = {
    "%PDF-1.7 /ByteRange [0 99999999999999999 1 1]",
    "%PDF-1.7 /ByteRangeX [0 1 2 3]",
    "%PDF-1.7 /ByteRange [0 4 8 0] <AB>",
    "%PDF-1.7 /ByteRange",
    "%PDF-1.7 /ByteRange [",
    "%%EOF%%EOF /ByteRange [0 1 2 3",
  };
  guint expected[] = { 1, 0, 1, 1, 1, 1 };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      guint revisions = 0;
      g_autoptr(GPtrArray) signatures = porteur_pdf_scan_signatures ((const guint8 *) inputs[i], strlen (inputs[i]), &revisions);

      g_assert_cmpuint (signatures->len, ==, expected[i]);
      for (guint j = 0; j < signatures->len; j++)
        g_assert_true (((PorteurPdfSignature *) g_ptr_array_index (signatures, j))->problems & PORTEUR_PDF_PROBLEM_MALFORMED);
    }

  /* Zero padding after the CMS structure is normal; other bytes hidden there are not. */
  {
    const char *padded[] = {
      "%PDF-1.7 /ByteRange [0 42 50 1] /Contents <300000> ",
      "%PDF-1.7 /ByteRange [0 42 50 1] /Contents <300001> ",
    };

    for (guint i = 0; i < G_N_ELEMENTS (padded); i++)
      {
        guint revisions = 0;
        g_autoptr(GPtrArray) signatures = porteur_pdf_scan_signatures ((const guint8 *) padded[i], strlen (padded[i]), &revisions);
        PorteurPdfSignature *s;

        g_assert_cmpuint (signatures->len, ==, 1);
        s = g_ptr_array_index (signatures, 0);
        g_test_message ("%s: %s", padded[i], s->detail ? s->detail : "(no problem)");
        if (i == 0)
          g_assert_false (s->problems & PORTEUR_PDF_PROBLEM_MALFORMED);
        else
          {
            g_assert_true (s->problems & PORTEUR_PDF_PROBLEM_MALFORMED);
            g_assert_cmpstr (s->detail, ==, "/Contents has data after the CMS structure");
          }
      }
  }
}

static int
run_tool (char **out,
          ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *arg;
  int status;
  va_list ap;

  g_ptr_array_add (args, g_strdup (g_getenv ("PORTEUR_TOOL")));
  va_start (ap, out);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (args, g_str_has_suffix (arg, ".pdf") || g_str_has_suffix (arg, ".pem") ? fixture (arg) : g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (args, NULL);
  /* The tool's output never goes to our stdout, which is the TAP stream. */
  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL,
                               G_SPAWN_STDERR_TO_DEV_NULL | (out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
                               NULL, NULL, out, NULL, &status, &error));
  g_assert_no_error (error);
  return WEXITSTATUS (status);
}

static void
test_tool (void)
{
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *file, *signature;

  g_assert_cmpint (run_tool (&out, "verify", "--json", "--no-network", "--trust", "trust.pem", "signed.pdf", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  file = json_array_get_object_element (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "files"), 0);
  g_assert_cmpstr (json_object_get_string_member (file, "verdict"), ==, "valid");
  signature = json_array_get_object_element (json_object_get_array_member (file, "signatures"), 0);
  g_assert_cmpstr (json_object_get_string_member (signature, "coverage"), ==, "whole-document");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (signature, "signer"), "eidas_level"), ==, "qualified-signature");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (signature, "revocation"), "status"), ==, "good");

  /* --no-network and no CRL: revocation "not checked", so not a pass. */
  g_assert_cmpint (run_tool (&out2, "verify", "--json", "--no-network", "--trust", "root.pem", "signed.pdf", NULL), ==, 1);
  g_assert_nonnull (strstr (out2, "\"not-checked\""));

  g_assert_cmpint (run_tool (&out3, "verify", "--no-network", "--trust", "trust.pem", "signed.pdf", "modified.pdf", NULL), ==, 1);
  /* The human report names both files and says which one fails. */
  g_assert_nonnull (strstr (out3, "signed.pdf"));
  g_assert_nonnull (strstr (out3, "modified after this signature"));
  g_assert_cmpint (run_tool (NULL, "verify", "--no-network", "--trust", "trust.pem", "not-a-pdf.pdf", NULL), ==, 2);

  /* Offline, from the DSS alone: a revoked signer fails, a good one passes. */
  {
    g_autofree char *revoked = NULL;

    g_assert_cmpint (run_tool (&revoked, "verify", "--json", "--no-network", "--trust", "root.pem", "dss-crl.pdf", NULL), ==, 1);
    g_assert_nonnull (strstr (revoked, "\"revoked\""));
    g_assert_nonnull (strstr (revoked, "\"validation-data-added\""));
    g_assert_cmpint (run_tool (NULL, "verify", "--no-network", "--trust", "root.pem", "dss-good.pdf", NULL), ==, 0);
  }

  /* SHA-1 is flagged in both outputs, and is not a pass. */
  {
    g_autofree char *json = NULL;
    g_autofree char *human = NULL;

    g_assert_cmpint (run_tool (&json, "verify", "--json", "--no-network", "--trust", "trust.pem", "sha1.pdf", NULL), ==, 1);
    g_assert_nonnull (strstr (json, "\"weak-digest\""));
    g_assert_nonnull (strstr (json, "\"SHA1\""));
    g_assert_cmpint (run_tool (&human, "verify", "--no-network", "--trust", "trust.pem", "sha1.pdf", NULL), ==, 1);
    g_assert_nonnull (strstr (human, "no longer safe (SHA-1)"));
  }
  g_assert_cmpint (run_tool (NULL, "verify", NULL), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_build_filename (TEST_SRCDIR, "pdf", "make-fixtures.sh", NULL);
  int status, result;

  g_test_init (&argc, &argv, NULL);

  fixtures = g_dir_make_tmp ("porteur-pdf-XXXXXX", &error);
  g_assert_no_error (error);
  {
    /* A free loopback port for the OCSP responder named in some signers' certificates. */
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_true (g_socket_bind (socket, any, FALSE, &error));
    bound = g_socket_get_local_address (socket, &error);
    ocsp_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    g_socket_close (socket, NULL);
  }
  {
    g_autofree char *port = g_strdup_printf ("%u", ocsp_port);
    const char *make[] = { script, fixtures, port, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) make, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("Making the fixtures failed (%s): see %s/make-fixtures.log", error->message, fixtures);
  }

  g_test_add_func ("/pdf/signed", test_signed);
  g_test_add_func ("/pdf/signed-twice", test_signed_twice);
  g_test_add_func ("/pdf/expired", test_expired);
  g_test_add_func ("/pdf/past", test_past);
  g_test_add_func ("/pdf/unknown-ca", test_unknown_ca);
  g_test_add_func ("/pdf/revoked", test_revoked);
  g_test_add_func ("/pdf/modified-after-signing", test_modified_after_signing);
  g_test_add_func ("/pdf/tampered", test_tampered);
  g_test_add_func ("/pdf/rewritten", test_rewritten);
  g_test_add_func ("/pdf/revocation-not-checked", test_revocation_not_checked);
  g_test_add_func ("/pdf/weak-key", test_weak_key);
  g_test_add_func ("/pdf/timestamp", test_timestamp);
  g_test_add_func ("/pdf/timestamp-imprint", test_timestamp_imprint);
  g_test_add_func ("/pdf/timestamp-untrusted", test_timestamp_untrusted);
  g_test_add_func ("/pdf/timestamp-expired-signer", test_timestamp_expired_signer);
  g_test_add_func ("/pdf/sha1", test_sha1);
  g_test_add_func ("/pdf/embedded-cms", test_embedded_cms);
  g_test_add_func ("/pdf/dss", test_dss);
  g_test_add_func ("/pdf/dss-reader", test_dss_reader);
  g_test_add_func ("/pdf/stream-skipping", test_stream_skipping);
  g_test_add_func ("/pdf/dss-with-other-changes", test_dss_with_other_changes);
  g_test_add_func ("/pdf/ocsp", test_ocsp);
  g_test_add_func ("/pdf/malformed", test_malformed);
  g_test_add_func ("/pdf/not-signed-or-not-pdf", test_not_signed_or_not_pdf);
  g_test_add_func ("/pdf/scan-edges", test_scan_edges);
  g_test_add_func ("/pdf/tool", test_tool);

  result = g_test_run ();

  if (result == 0)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", fixtures);
      (void) system (cmd);
    }
  g_free (fixtures);
  return result;
}
