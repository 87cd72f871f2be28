/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-test-util.h"

/* The RA API's §3.7 revocation requests (three proofs) and DELETE
 * …/appointment: our client against the real simulator over HTTPS; the
 * outcome checked with our OCSP and CRL clients; porteur-tool ca revoke,
 * ca revocation and order cancel-appointment. */

typedef CaTest Fixture;

#define NUMBER(o) porteur_ca_order_get_number (o)
#define TOKEN(o) porteur_ca_order_get_access_token (o)

static void
assert_ca_error (const GError *error, PorteurCaError code)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == PORTEUR_CA_ERROR);
  g_assert_cmpint (error->code, ==, (int) code);
}

/* The first field error's code of a problem, or NULL. */
static const char *
field_code (const GError *error, const char *field)
{
  const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

  for (guint i = 0; problem && i < problem->errors->len; i++)
    {
      PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
      if (g_str_equal (fe->field, field))
        return fe->code;
    }
  return NULL;
}

/* The CA refused with @code and, if @field is not NULL, with @field_error
 * for that field; *error cleared for the next request. */
static void
assert_refused (GError **error, PorteurCaError code, const char *field, const char *field_error)
{
  assert_ca_error (*error, code);
  if (field)
    g_assert_cmpstr (field_code (*error, field), ==, field_error);
  g_clear_error (error);
}

static PorteurCaOrder *
cancel (Fixture *f, PorteurCaOrder *order, const char *key, GError **error)
{
  return CA_CALL (porteur_ca_client_cancel_appointment_finish, f->client, error,
                  porteur_ca_client_cancel_appointment_async (f->client, NUMBER (order), TOKEN (order), key, CA_ASYNC_ARGS));
}

static PorteurCaRevocationRequest *
with_answers (Fixture *f, const char *serial, const char *reason, const PorteurCaSecurityAnswer *answers,
              const char *key, GError **error)
{
  PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_ANSWERS, .answers = answers, .n_answers = 2 };

  return ca_test_request_revocation (f, serial, reason, &proof, key, error);
}

static PorteurCaRevocationRequest *
status_of (Fixture *f, const char *id, const char *token, GError **error)
{
  return CA_CALL (porteur_ca_client_get_revocation_finish, f->client, error,
                  porteur_ca_client_get_revocation_async (f->client, id, token, CA_ASYNC_ARGS));
}

/* A CMS detached signature of the canonical request by @key with @cert. */
static GBytes *
sign (const char *serial, const char *reason, const char *nonce, EVP_PKEY *key, X509 *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) canonical = porteur_ca_revocation_canonical_request (serial, reason, "holder", nonce);
  GBytes *signature;

  g_assert_nonnull (canonical);
  signature = porteur_ca_revocation_sign (canonical, key, cert, NULL, NULL, &error);
  g_assert_no_error (error);
  return signature;
}

static PorteurCaRevocationRequest *
with_signature (Fixture *f, const char *serial, const char *reason, const char *nonce, GBytes *signature, GError **error)
{
  PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_SIGNATURE, .nonce = nonce, .signature = signature };

  return ca_test_request_revocation (f, serial, reason, &proof, NULL, error);
}

static void
test_canonical (void)
{
  g_autoptr(GBytes) canonical = porteur_ca_revocation_canonical_request ("00a1b2", "keyCompromise", "holder", "N0nce-_x");
  static const char want[] = "porteur-revocation-request/1\nserial=A1B2\nreason=keyCompromise\nrequester=holder\nnonce=N0nce-_x\n";

  g_assert_cmpmem (g_bytes_get_data (canonical, NULL), g_bytes_get_size (canonical), want, strlen (want));
  g_assert_null (porteur_ca_revocation_canonical_request ("xyz", "keyCompromise", "holder", "n"));
  g_assert_null (porteur_ca_revocation_canonical_request ("01", "stolen", "holder", "n"));
  g_assert_null (porteur_ca_revocation_canonical_request ("01", "superseded", "holder", "a\nserial=02"));
  g_assert_null (porteur_ca_revocation_canonical_request ("01", "superseded", "holder", ""));
  g_assert_cmpint (porteur_ca_revocation_reason_code ("affiliationChanged"), ==, 3);
  g_assert_cmpint (porteur_ca_revocation_reason_code ("removeFromCRL"), ==, -1);
}

static void
test_answers (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(PorteurCaRevocationRequest) again = NULL;
  g_autoptr(PorteurCaRevocationRequest) read = NULL;
  g_autoptr(PorteurCaRevocationRequest) none = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  /* case, accents and spaces do not matter */
  const PorteurCaSecurityAnswer typed[] = { { "first-pet", "PIKOU" }, { "first-school", " ecole jules-ferry" } };

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  ca_test_assert_good (f, h.cert);
  rv = with_answers (f, h.serial, "keyCompromise", typed, key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  g_assert_nonnull (porteur_ca_revocation_request_get_token (rv));
  g_assert_nonnull (porteur_ca_revocation_request_get_revoked_at (rv));
  g_assert_cmpstr (porteur_ca_revocation_request_get_reason (rv), ==, "keyCompromise");
  g_assert_cmpstr (porteur_ca_revocation_request_get_requester (rv), ==, "holder");
  g_assert_cmpint (g_ascii_strcasecmp (porteur_ca_revocation_request_get_serial (rv), h.serial), ==, 0);
  /* at once in OCSP and in the CRL */
  ca_test_assert_revoked (f, h.cert, 1);

  /* a retry with the same key gets the same request, revokes nothing more */
  again = with_answers (f, h.serial, "keyCompromise", typed, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_revocation_request_get_id (again), ==, porteur_ca_revocation_request_get_id (rv));
  g_assert_cmpstr (porteur_ca_revocation_request_get_token (again), ==, porteur_ca_revocation_request_get_token (rv));
  /* a new request: the certificate is already revoked */
  g_clear_object (&again);
  again = with_answers (f, h.serial, "superseded", typed, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_CONFLICT, "serial", "already-revoked");
  ca_test_assert_revoked (f, h.cert, 1);

  /* followed with its token */
  read = status_of (f, porteur_ca_revocation_request_get_id (rv), porteur_ca_revocation_request_get_token (rv), &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (read), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  g_assert_null (porteur_ca_revocation_request_get_token (read));
  g_assert_true (g_date_time_equal (porteur_ca_revocation_request_get_revoked_at (read),
                                    porteur_ca_revocation_request_get_revoked_at (rv)));
  /* a wrong token, an unknown id: not found alike */
  none = status_of (f, porteur_ca_revocation_request_get_id (rv), "not-the-token", &error);
  assert_refused (&error, PORTEUR_CA_ERROR_NOT_FOUND, NULL, NULL);
  none = status_of (f, "0123456789abcdef0123456789abcdef", porteur_ca_revocation_request_get_token (rv), &error);
  assert_refused (&error, PORTEUR_CA_ERROR_NOT_FOUND, NULL, NULL);
}

static void
test_wrong_answers (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  const PorteurCaSecurityAnswer wrong[] = { { "first-school", "Diwan" }, { "first-pet", "Pikou" } };

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  /* refused and counted, locked after 5 for this certificate, however its serial is written */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *zeros = g_strnfill (i, '0');
      g_autofree char *written = g_strconcat (zeros, h.serial, NULL);

      if (i % 2)
        for (char *p = written; *p; p++)
          *p = g_ascii_tolower (*p);
      rv = with_answers (f, written, "keyCompromise", wrong, NULL, &error);
      g_assert_null (rv);
      assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
    }
  rv = with_answers (f, h.serial, "keyCompromise", ca_test_holder_answers, NULL, &error);
  g_assert_null (rv);
  assert_refused (&error, PORTEUR_CA_ERROR_RATE_LIMITED, NULL, NULL);
  ca_test_assert_good (f, h.cert);

  /* an unknown certificate looks like wrong answers (no enumeration) */
  rv = with_answers (f, "0BADC0DE", "keyCompromise", ca_test_holder_answers, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
  /* field errors */
  rv = with_answers (f, h.serial, "stolen", ca_test_holder_answers, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_VALIDATION, "reason", "bad-choice");
  rv = with_answers (f, "not hex", "superseded", ca_test_holder_answers, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_VALIDATION, "serial", "bad-syntax");
  {
    PorteurCaRevocationProof one = { .type = PORTEUR_CA_PROOF_ANSWERS, .answers = ca_test_holder_answers, .n_answers = 1 };

    rv = ca_test_request_revocation (f, h.serial, "superseded", &one, NULL, &error);
    assert_refused (&error, PORTEUR_CA_ERROR_VALIDATION, "proof.answers", "bad-length");
  }

  /* the lock lasts 24 hours on the CA's clock */
  {
    ca_sim_harness_admin_do (f->sim, "advance-time", "86401", NULL);
  }
  rv = with_answers (f, h.serial, "cessationOfOperation", ca_test_holder_answers, NULL, &error);
  g_assert_no_error (error);
  ca_test_assert_revoked (f, h.cert, 5);
  g_clear_object (&rv);
}

static void
test_signature (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(PorteurCaRevocationRequest) replay = NULL;
  g_autofree char *nonce = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *lower = NULL;

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  nonce = ca_test_revocation_nonce (f);
  /* the serial as the holder types it: any case, leading zero */
  lower = g_strconcat ("0", h.serial, NULL);
  for (char *p = lower; *p; p++)
    *p = g_ascii_tolower (*p);
  signature = sign (lower, "superseded", nonce, h.key, h.cert);
  rv = with_signature (f, lower, "superseded", nonce, signature, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  ca_test_assert_revoked (f, h.cert, 4);
  /* the same signature and nonce again (a new request, not a retry): refused */
  replay = with_signature (f, lower, "superseded", nonce, signature, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.nonce", "used");
}

static void
test_signature_refused (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_auto(CaTestHolder) other = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autofree char *n1 = NULL, *n2 = NULL, *n3 = NULL, *n4 = NULL, *n5 = NULL;
  g_autoptr(GBytes) by_other = NULL;
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("not a CMS", 9);

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  ca_test_issued_order (f, "other", ca_test_holder_answers, &other);

  /* signed by another certificate of this CA */
  n1 = ca_test_revocation_nonce (f);
  by_other = sign (h.serial, "keyCompromise", n1, other.key, other.cert);
  rv = with_signature (f, h.serial, "keyCompromise", n1, by_other, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.signature", "wrong-signer");
  /* the nonce served once, even refused */
  good = sign (h.serial, "keyCompromise", n1, h.key, h.cert);
  rv = with_signature (f, h.serial, "keyCompromise", n1, good, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.nonce", "used");

  /* canonical bytes that are not the request's (another reason signed) */
  n2 = ca_test_revocation_nonce (f);
  tampered = sign (h.serial, "superseded", n2, h.key, h.cert);
  rv = with_signature (f, h.serial, "keyCompromise", n2, tampered, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.signature", "bad-signature");
  /* not a CMS at all */
  n3 = ca_test_revocation_nonce (f);
  rv = with_signature (f, h.serial, "keyCompromise", n3, garbage, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.signature", "bad-signature");
  /* a nonce the CA never gave; one that expired */
  rv = with_signature (f, h.serial, "keyCompromise", "made-up-nonce", good, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.nonce", "unknown");
  n4 = ca_test_revocation_nonce (f);
  {
    ca_sim_harness_admin_do (f->sim, "advance-time", "601", NULL);
    g_autoptr(GBytes) late = sign (h.serial, "keyCompromise", n4, h.key, h.cert);

    rv = with_signature (f, h.serial, "keyCompromise", n4, late, &error);
    assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, "proof.nonce", "expired");
  }
  /* our signer refuses a key that is not the certificate's */
  {
    g_autoptr(GBytes) canonical = porteur_ca_revocation_canonical_request (h.serial, "keyCompromise", "holder", "n");
    g_autoptr(GBytes) none = porteur_ca_revocation_sign (canonical, other.key, h.cert, NULL, NULL, &error);

    g_assert_null (none);
    assert_refused (&error, PORTEUR_CA_ERROR_SIGNATURE, NULL, NULL);
  }
  /* nothing was revoked; a good proof still works */
  ca_test_assert_good (f, h.cert);
  ca_test_assert_good (f, other.cert);
  n5 = ca_test_revocation_nonce (f);
  {
    g_autoptr(GBytes) fine = sign (h.serial, "keyCompromise", n5, h.key, h.cert);

    rv = with_signature (f, h.serial, "keyCompromise", n5, fine, &error);
    g_assert_no_error (error);
    g_clear_object (&rv);
  }
  ca_test_assert_revoked (f, h.cert, 1);
  ca_test_assert_good (f, other.cert);
}

/* The confirmation link of the mail the simulator "sent" for @id. */
static char *
mailed_link (Fixture *f, const char *id, const char *to)
{
  g_autofree char *name = g_strdup_printf ("%s.eml", id);
  g_autofree char *path = g_build_filename (f->sim->state_dir, "outbox", name, NULL);
  g_autofree char *mail = NULL;
  g_autofree char *to_line = g_strdup_printf ("\r\nTo: <%s>\r\n", to);
  g_autofree char *prefix = g_strdup_printf ("%s/api/v1/revocation-requests/%s/confirm?code=", f->sim->url, id);
  const char *start, *end;

  g_assert_true (g_file_get_contents (path, &mail, NULL, NULL));
  g_assert_nonnull (strstr (mail, to_line));
  g_assert_nonnull (strstr (mail, "\r\n\r\n"));   /* headers, blank line, body */
  start = strstr (mail, prefix);
  g_assert_nonnull (start);
  end = strstr (start, "\r\n");
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

static PorteurCaRevocationRequest *
confirm (Fixture *f, const char *id, const char *code, GError **error)
{
  return CA_CALL (porteur_ca_client_confirm_revocation_finish, f->client, error,
                  porteur_ca_client_confirm_revocation_async (f->client, id, code, NULL, CA_ASYNC_ARGS));
}

static void
test_legal_representative (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_auto(CaTestHolder) other = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(PorteurCaRevocationRequest) done = NULL;
  g_autoptr(PorteurCaRevocationRequest) read = NULL;
  g_autofree char *link = NULL;
  PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE };
  const char *code;

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  ca_test_issued_order (f, "other", ca_test_holder_answers, &other);
  /* the holder's e-mail, a made-up one: refused */
  proof.order = NUMBER (h.order);
  proof.email = "anne.legoff@example.fr";
  rv = ca_test_request_revocation (f, h.serial, "affiliationChanged", &proof, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
  /* the right representative, but another order's certificate */
  proof.email = "yann.kerjean@example.fr";
  rv = ca_test_request_revocation (f, other.serial, "affiliationChanged", &proof, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
  proof.order = "PO-2026-999999";
  rv = ca_test_request_revocation (f, h.serial, "affiliationChanged", &proof, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);

  /* the e-mail in another case: pending until confirmed */
  proof.order = NUMBER (h.order);
  proof.email = "Yann.Kerjean@Example.FR";
  rv = ca_test_request_revocation (f, h.serial, "affiliationChanged", &proof, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_PENDING_CONFIRMATION);
  g_assert_cmpstr (porteur_ca_revocation_request_get_requester (rv), ==, "legal-representative");
  g_assert_null (porteur_ca_revocation_request_get_revoked_at (rv));
  g_assert_nonnull (porteur_ca_revocation_request_get_confirmation_expires (rv));
  ca_test_assert_good (f, h.cert);

  link = mailed_link (f, porteur_ca_revocation_request_get_id (rv), "Yann.Kerjean@Example.FR");
  code = strstr (link, "?code=") + strlen ("?code=");
  g_assert_cmpuint (strlen (code), ==, 20);
  /* a wrong code: refused, nothing revoked */
  done = confirm (f, porteur_ca_revocation_request_get_id (rv), "AAAAAAAAAAAAAAAAAAAA", &error);
  assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
  ca_test_assert_good (f, h.cert);
  /* the link's code confirms */
  done = confirm (f, porteur_ca_revocation_request_get_id (rv), code, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (done), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  g_assert_nonnull (porteur_ca_revocation_request_get_revoked_at (done));
  ca_test_assert_revoked (f, h.cert, 3);
  ca_test_assert_good (f, other.cert);
  /* used: gone */
  g_clear_object (&done);
  done = confirm (f, porteur_ca_revocation_request_get_id (rv), code, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_GONE, NULL, NULL);
  read = status_of (f, porteur_ca_revocation_request_get_id (rv), porteur_ca_revocation_request_get_token (rv), &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (read), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
}

static void
test_confirmation_lockout (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(PorteurCaRevocationRequest) done = NULL;
  g_autoptr(PorteurCaRevocationRequest) read = NULL;
  g_autofree char *link = NULL;
  PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE };

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  proof.order = NUMBER (h.order);
  proof.email = "yann.kerjean@example.fr";
  rv = ca_test_request_revocation (f, h.serial, "unspecified", &proof, NULL, &error);
  g_assert_no_error (error);
  link = mailed_link (f, porteur_ca_revocation_request_get_id (rv), "yann.kerjean@example.fr");
  /* five wrong codes reject the request: the right one then comes too late */
  for (guint i = 0; i < 5; i++)
    {
      done = confirm (f, porteur_ca_revocation_request_get_id (rv), "WRONGWRONGWRONGWRONG", &error);
      assert_refused (&error, PORTEUR_CA_ERROR_FORBIDDEN, NULL, NULL);
    }
  done = confirm (f, porteur_ca_revocation_request_get_id (rv), strstr (link, "?code=") + 6, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_GONE, NULL, NULL);
  read = status_of (f, porteur_ca_revocation_request_get_id (rv), porteur_ca_revocation_request_get_token (rv), &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (read), ==, PORTEUR_CA_REVOCATION_REJECTED);
  ca_test_assert_good (f, h.cert);
}

/* A lost answer: the client's retry with the same key gets the request the
 * CA already made (no second revocation, no "already revoked"). */
static void
test_lost_answer (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autofree char *out = NULL;

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  out = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/revocation-requests", "lose-answer", "1", NULL);
  rv = with_answers (f, h.serial, "keyCompromise", ca_test_holder_answers, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  ca_test_assert_revoked (f, h.cert, 1);
}

/* docs/ca-api.md §3.7: the creation's answer is the only one that carries the request's token.
 * An answer without it is refused with a precise error (the same key then gets the stored, whole
 * answer), and porteur-tool says so instead of crashing. */
static void
test_no_token (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_auto(CaTestHolder) tool = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *e3 = NULL;
  int status = -1;

  porteur_ca_client_set_max_retries (f->client, 0);
  ca_test_issued_order (f, "tool", ca_test_holder_answers, &tool);
  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);

  /* porteur-tool: the CA revoked, its answer has no token: an error (2), no crash */
  o1 = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/revocation-requests", "drop-token", "1", NULL);
  o3 = ca_test_tool (f, "first-school=ecole jules-ferry\nfirst-pet=Pikou\n", &status, &e3,
                     "ca", "revoke", tool.serial, "--reason", "keyCompromise", "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (e3, "revocation_request.token: missing"));
  ca_test_assert_revoked (f, tool.cert, 1);

  /* the client */
  o2 = ca_sim_harness_admin (f->sim, FALSE, "fault", "POST", "/api/v1/revocation-requests", "drop-token", "1", NULL);
  rv = with_answers (f, h.serial, "keyCompromise", ca_test_holder_answers, key, &error);
  g_assert_null (rv);
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "revocation_request.token: missing"));
  g_clear_error (&error);
  ca_test_assert_revoked (f, h.cert, 1);
  /* the same request again: the CA's stored answer, whole */
  rv = with_answers (f, h.serial, "keyCompromise", ca_test_holder_answers, key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_ACCEPTED);
  g_assert_nonnull (porteur_ca_revocation_request_get_token (rv));
}

/* Faults at each new request: a precise error, nothing half-done. */
static void
test_faults (Fixture *f, gconstpointer data)
{
  static const struct { const char *kind; PorteurCaError code; } faults[] = {
    { "http-500", PORTEUR_CA_ERROR_SERVER },
    { "malformed-json", PORTEUR_CA_ERROR_MALFORMED },
    { "wrong-content-type", PORTEUR_CA_ERROR_BAD_CONTENT_TYPE },
  };
  g_auto(CaTestHolder) h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaRevocationRequest) pending = NULL;
  g_autofree char *link = NULL;
  PorteurCaRevocationProof proof = { .type = PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE };
  const char *id;

  porteur_ca_client_set_max_retries (f->client, 0);
  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  proof.order = NUMBER (h.order);
  proof.email = "yann.kerjean@example.fr";
  pending = ca_test_request_revocation (f, h.serial, "superseded", &proof, NULL, &error);
  g_assert_no_error (error);
  id = porteur_ca_revocation_request_get_id (pending);
  link = mailed_link (f, id, "yann.kerjean@example.fr");
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *status_path = g_strdup_printf ("/api/v1/revocation-requests/%s", id);
      ca_sim_harness_admin_do (f->sim, "fault", "POST", "/api/v1/revocation-requests", faults[i].kind, "3", NULL);
      ca_sim_harness_admin_do (f->sim, "fault", "GET", status_path, faults[i].kind, "1", NULL);
      g_autoptr(PorteurCaRevocationRequest) rv = NULL;
      g_autoptr(PorteurCaRevocationNonce) nonce = NULL;

      g_test_message ("fault %s", faults[i].kind);
      rv = with_answers (f, h.serial, "keyCompromise", ca_test_holder_answers, NULL, &error);
      assert_refused (&error, faults[i].code, NULL, NULL);
      nonce = CA_CALL (porteur_ca_client_get_revocation_nonce_finish, f->client, &error,
                       porteur_ca_client_get_revocation_nonce_async (f->client, NULL, CA_ASYNC_ARGS));
      assert_refused (&error, faults[i].code, NULL, NULL);
      rv = confirm (f, id, strstr (link, "?code=") + 6, &error);
      assert_refused (&error, faults[i].code, NULL, NULL);
      rv = status_of (f, id, porteur_ca_revocation_request_get_token (pending), &error);
      assert_refused (&error, faults[i].code, NULL, NULL);
      /* nothing half-done: still good, still pending */
      ca_test_assert_good (f, h.cert);
      rv = status_of (f, id, porteur_ca_revocation_request_get_token (pending), &error);
      g_assert_no_error (error);
      g_assert_cmpint (porteur_ca_revocation_request_get_status (rv), ==, PORTEUR_CA_REVOCATION_PENDING_CONFIRMATION);
    }
  /* the confirmation still works after all that */
  {
    g_autoptr(PorteurCaRevocationRequest) done = confirm (f, id, strstr (link, "?code=") + 6, &error);
    g_assert_no_error (error);
    g_assert_nonnull (done);
  }
  ca_test_assert_revoked (f, h.cert, 4);
}

static void
test_cancel_appointment (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaOrder) order = ca_test_validated_order (f);
  g_autoptr(GListModel) slots = ca_test_get_slots (f, order, NULL, NULL, &error);
  g_autoptr(GListModel) after = NULL;
  g_autoptr(GListModel) history = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autoptr(PorteurCaOrder) booked = NULL;
  g_autoptr(PorteurCaOrder) cancelled = NULL;
  g_autoptr(PorteurCaOrder) again = NULL;
  g_autoptr(PorteurCaOrder) none = NULL;
  g_autoptr(PorteurCaOrder) rebooked = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  g_autofree char *out = NULL;
  gboolean noted = FALSE;
  guint n;

  g_assert_no_error (error);
  n = g_list_model_get_n_items (slots);
  /* nothing to cancel yet */
  none = cancel (f, order, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_CONFLICT, NULL, NULL);

  slot = g_list_model_get_item (slots, 0);
  booked = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (slot), NULL, &error);
  g_assert_no_error (error);
  cancelled = cancel (f, order, key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (cancelled), ==, PORTEUR_CA_ORDER_STATUS_VALIDATED);
  g_assert_null (porteur_ca_order_get_appointment (cancelled));
  /* a retry (same key) answers the same; a new request is a conflict */
  again = cancel (f, order, key, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (again), ==, PORTEUR_CA_ORDER_STATUS_VALIDATED);
  g_clear_object (&none);
  none = cancel (f, order, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_CONFLICT, NULL, NULL);
  /* the slot is free again, and the same slot can be booked again */
  after = ca_test_get_slots (f, order, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (after), ==, n);
  rebooked = ca_test_book (f, order, porteur_ca_appointment_slot_get_id (slot), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (porteur_ca_order_get_status (rebooked), ==, PORTEUR_CA_ORDER_STATUS_APPOINTMENT);
  g_assert_cmpstr (porteur_ca_appointment_slot_get_id (porteur_ca_order_get_appointment (rebooked)), ==,
                   porteur_ca_appointment_slot_get_id (slot));
  /* the history says so */
  history = CA_CALL (porteur_ca_client_get_history_finish, f->client, &error,
                     porteur_ca_client_get_history_async (f->client, NUMBER (order), TOKEN (order), CA_ASYNC_ARGS));
  g_assert_no_error (error);
  for (guint i = 0; i < g_list_model_get_n_items (history); i++)
    {
      g_autoptr(PorteurCaHistoryEntry) e = g_list_model_get_item (history, i);

      if (porteur_ca_history_entry_get_status (e) == PORTEUR_CA_ORDER_STATUS_VALIDATED &&
          strstr (porteur_ca_history_entry_get_note (e), "cancelled"))
        noted = TRUE;
    }
  g_assert_true (noted);
  /* once delivered, it stays */
  out = ca_sim_harness_admin (f->sim, FALSE, "deliver", NUMBER (order), NULL);
  g_clear_object (&none);
  none = cancel (f, order, NULL, &error);
  assert_refused (&error, PORTEUR_CA_ERROR_CONFLICT, NULL, NULL);
  /* another order's token: not found (no enumeration) */
  {
    g_autoptr(PorteurCaOrder) other = ca_test_validated_order (f);
    g_autoptr(PorteurCaOrder) x = CA_CALL (porteur_ca_client_cancel_appointment_finish, f->client, &error,
                                           porteur_ca_client_cancel_appointment_async (f->client, NUMBER (order), TOKEN (other),
                                                                                       NULL, CA_ASYNC_ARGS));
    g_assert_null (x);
    assert_refused (&error, PORTEUR_CA_ERROR_NOT_FOUND, NULL, NULL);
  }
}

/* porteur-tool ------------------------------------------------------------ */

/* porteur-tool @argv with @input on stdin, under freed-secret-check.so watching for @secret in
 * every block freed: returns the exit status (97: the secret was left in freed memory). */
static int
tool_watching_secret (Fixture *f, const char *input, const char *secret, const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ca_test_tool_launcher (f, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *preload = g_test_build_filename (G_TEST_BUILT, "ca", "freed-secret-check.so", NULL);
  g_autofree char *hex = g_malloc0 (2 * strlen (secret) + 1);
  g_autofree char *asan = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                                       ":verify_asan_link_order=0", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (g_file_test (preload, G_FILE_TEST_EXISTS));
  for (gsize i = 0; secret[i]; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", (guchar) secret[i]);
  g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", preload, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORTEUR_TEST_FREED_SECRET_HEX", hex, TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
  g_ptr_array_add (args, (gpointer) g_getenv ("PORTEUR_TOOL"));
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_test_message ("porteur-tool exit %d (watching for a secret in freed memory)\n%s\n%s",
                  g_subprocess_get_exit_status (process), out, err);
  return g_subprocess_get_exit_status (process);
}

/* The security answers porteur-tool reads are wiped from every buffer it frees: when the text
 * is refused (its parse already cut it into pieces), and when the request is sent. */
static void
test_tool_answers_wiped (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  const char *const argv[] = { "ca", "revoke", NULL, "--reason", "keyCompromise", "--answers-fd", "0", NULL };
  const char *const *args = argv;

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  ((const char **) argv)[2] = h.serial;
  /* three lines: refused after the first two were parsed */
  g_assert_cmpint (tool_watching_secret (f, "first-school=ecole jules-ferry\nfirst-pet=Pikou\nthird=x\n", "Pikou", args), ==, 2);
  ca_test_assert_good (f, h.cert);
  /* accepted: the request body built from them is wiped too */
  g_assert_cmpint (tool_watching_secret (f, "first-school=ecole jules-ferry\nfirst-pet=Pikou\n", "Pikou", args), ==, 0);
  ca_test_assert_revoked (f, h.cert, 1);
}

static void
test_tool_revoke (Fixture *f, gconstpointer data)
{
  g_auto(CaTestHolder) h = { 0 };
  g_auto(CaTestHolder) signer = { 0 };
  g_auto(CaTestHolder) represented = { 0 };
  g_autoptr(JsonNode) n1 = NULL, n2 = NULL, n3 = NULL, n4 = NULL, n5 = NULL;
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *o6 = NULL, *o7 = NULL, *o8 = NULL, *o9 = NULL;
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *e6 = NULL, *e7 = NULL, *e8 = NULL, *e9 = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *document = NULL;
  g_autofree char *link = NULL;
  JsonObject *o;
  const char *id;
  int status;

  ca_test_issued_order (f, "holder", ca_test_holder_answers, &h);
  ca_test_issued_order (f, "signer", ca_test_holder_answers, &signer);
  ca_test_issued_order (f, "represented", ca_test_holder_answers, &represented);

  /* usage: one proof, never the answers in argv */
  o1 = ca_test_tool (f, NULL, &status, &e1, "ca", "revoke", h.serial, "--reason", "keyCompromise", NULL);
  g_assert_cmpint (status, ==, 2);
  o2 = ca_test_tool (f, NULL, &status, &e2, "ca", "revoke", h.serial, "--reason", "stolen", "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&o2, g_free);
  g_clear_pointer (&e2, g_free);

  /* wrong answers: a negative answer (1), nothing revoked */
  o2 = ca_test_tool (f, "first-school=Diwan\nfirst-pet=Pikou\n", &status, &e2,
             "ca", "revoke", h.serial, "--reason", "keyCompromise", "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);
  ca_test_assert_good (f, h.cert);

  /* the answers from a file descriptor */
  o3 = ca_test_tool (f, "first-school=ecole jules-ferry\nfirst-pet=Pikou\n", &status, &e3,
             "--json", "ca", "revoke", h.serial, "--reason", "keyCompromise", "--answers-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o3, &n1);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "accepted");
  g_assert_false (json_object_has_member (o, "token"));
  id = json_object_get_string_member (o, "id");
  ca_test_assert_revoked (f, h.cert, 1);
  /* its token is in the store, not on the screen */
  document = g_strdup_printf ("%s/porteur/ca/revocations/%s.json", f->data_home, id);
  g_assert_true (g_file_get_contents (document, &stored, NULL, NULL));
  g_assert_nonnull (strstr (stored, "\"token\""));
  o4 = ca_test_tool (f, NULL, &status, &e4, "--json", "ca", "revocation", id, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o4, &n2);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "accepted");
  g_assert_nonnull (json_object_get_string_member (o, "revoked_at"));
  g_assert_false (json_object_has_member (o, "token"));

  /* a signature by the certificate's key */
  o5 = ca_test_tool (f, NULL, &status, &e5, "--json", "ca", "revoke", signer.serial, "--reason", "superseded",
             "--key-file", signer.key_pem, "--cert", signer.cert_pem, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o5, &n3);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "accepted");
  ca_test_assert_revoked (f, signer.cert, 4);

  /* the legal representative, then the link from the mail confirms */
  o6 = ca_test_tool (f, NULL, &status, &e6, "--json", "ca", "revoke", represented.serial, "--reason", "affiliationChanged",
             "--legal-representative", NUMBER (represented.order), "--email", "yann.kerjean@example.fr", NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o6, &n4);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "pending-confirmation");
  id = json_object_get_string_member (o, "id");
  ca_test_assert_good (f, represented.cert);
  link = mailed_link (f, id, "yann.kerjean@example.fr");
  o7 = ca_test_tool (f, link, &status, &e7, "ca", "revocation", id, "--confirm-fd", "0", NULL);
  g_assert_cmpint (status, ==, 0);
  ca_test_assert_revoked (f, represented.cert, 3);
  o8 = ca_test_tool (f, link, &status, &e8, "--json", "ca", "revocation", id, "--confirm-fd", "0", NULL);
  g_assert_cmpint (status, ==, 1);   /* used: gone */
  o9 = ca_test_tool (f, NULL, &status, &e9, "--json", "ca", "revocation", id, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o9, &n5);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "accepted");
}

static void
test_tool_cancel_appointment (Fixture *f, gconstpointer data)
{
  g_autofree char *form = ca_test_write_form (f);
  g_autoptr(JsonNode) created = NULL, slots = NULL, cancelled = NULL, shown = NULL;
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *o6 = NULL, *o7 = NULL;
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *e6 = NULL, *e7 = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *slot = NULL;
  const char *number;
  JsonObject *o;
  int status;

  o1 = ca_test_tool (f, NULL, &status, &e1, "--json", "ca", "order", "create", "--from", form, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o1, &created);
  number = json_object_get_string_member (o, "number");
  o2 = ca_test_tool (f, NULL, &status, &e2, "--json", "ca", "order", "submit", number, NULL);
  g_assert_cmpint (status, ==, 0);
  admin = ca_sim_harness_admin (f->sim, FALSE, "documents-received", number, NULL);
  o3 = ca_test_tool (f, NULL, &status, &e3, "--json", "order", "slots", number, NULL);
  g_assert_cmpint (status, ==, 0);
  slots = json_from_string (o3, NULL);
  slot = g_strdup (json_object_get_string_member (json_array_get_object_element (json_node_get_array (slots), 0), "slot"));
  /* nothing to cancel before the booking: a negative answer */
  o4 = ca_test_tool (f, NULL, &status, &e4, "order", "cancel-appointment", number, NULL);
  g_assert_cmpint (status, ==, 1);
  o5 = ca_test_tool (f, NULL, &status, &e5, "--json", "order", "book", number, slot, NULL);
  g_assert_cmpint (status, ==, 0);
  o6 = ca_test_tool (f, NULL, &status, &e6, "--json", "order", "cancel-appointment", number, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o6, &cancelled);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "validated");
  g_assert_false (json_object_has_member (o, "appointment"));
  g_assert_false (json_object_has_member (o, "access_token"));
  /* the order's record follows: no appointment any more, the slot can be booked again */
  o7 = ca_test_tool (f, NULL, &status, &e7, "--json", "order", "show", number, NULL);
  g_assert_cmpint (status, ==, 0);
  o = ca_test_json_object (o7, &shown);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "validated");
  g_assert_false (json_object_has_member (o, "appointment"));
  g_clear_pointer (&o5, g_free);
  g_clear_pointer (&e5, g_free);
  o5 = ca_test_tool (f, NULL, &status, &e5, "--json", "order", "book", number, slot, NULL);
  g_assert_cmpint (status, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/revoke/canonical", test_canonical);
#define ADD(path, func) CA_TEST_ADD (path, 0, func)
  ADD ("/ca/revoke/answers", test_answers);
  ADD ("/ca/revoke/wrong-answers", test_wrong_answers);
  ADD ("/ca/revoke/signature", test_signature);
  ADD ("/ca/revoke/signature-refused", test_signature_refused);
  ADD ("/ca/revoke/legal-representative", test_legal_representative);
  ADD ("/ca/revoke/confirmation-lockout", test_confirmation_lockout);
  ADD ("/ca/revoke/lost-answer", test_lost_answer);
  ADD ("/ca/revoke/faults", test_faults);
  ADD ("/ca/revoke/no-token", test_no_token);
  ADD ("/ca/revoke/cancel-appointment", test_cancel_appointment);
  ADD ("/ca/revoke/tool", test_tool_revoke);
  ADD ("/ca/revoke/tool-answers-wiped", test_tool_answers_wiped);
  ADD ("/ca/revoke/tool-cancel-appointment", test_tool_cancel_appointment);
  return ca_test_run ();
}
