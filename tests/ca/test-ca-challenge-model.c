/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca/porteur-ca-challenge.h"
#include "ca/porteur-ca-model.h"

/* The §3.8 models from JSON: what the client accepts and what it refuses (with the JSON path). */

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_challenge (void)
{
  static const struct { const char *json; const char *message; } bad[] = {
    { "{\"id\":\"a/b\",\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"expires\":\"2026-12-06T02:00:00Z\"}", "test_challenge.id: not 1–128" },
    { "{\"id\":\"ab\",\"nonce\":\"AAAA AAAAAAAAAAAAAAAAA==\",\"expires\":\"2026-12-06T02:00:00Z\"}", "test_challenge.nonce: not base64" },
    { "{\"id\":\"ab\",\"nonce\":\"AAAAAAAAAAAAAAAAAAAA\",\"expires\":\"2026-12-06T02:00:00Z\"}", "test_challenge.nonce: not 16–256 bytes" },
    { "{\"id\":\"ab\",\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"expires\":\"soon\"}", "test_challenge.expires: not an RFC 3339 time" },
    { "{\"id\":\"ab\",\"expires\":\"2026-12-06T02:00:00Z\"}", "test_challenge.nonce: missing" },
    { "[]", "test_challenge: not an object" },
  };
  g_autoptr(JsonNode) node = parse ("{\"id\":\"0f1e\",\"nonce\":\"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\","
                                    "\"expires\":\"2026-12-06T02:00:00Z\",\"later\":1}");
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestChallenge) challenge = porteur_ca_test_challenge_new_from_json (node, &error);
  const guint8 *nonce;

  g_assert_no_error (error);
  g_assert_cmpstr (porteur_ca_test_challenge_get_id (challenge), ==, "0f1e");
  g_assert_cmpuint (g_bytes_get_size (porteur_ca_test_challenge_get_nonce (challenge)), ==, 32);
  nonce = g_bytes_get_data (porteur_ca_test_challenge_get_nonce (challenge), NULL);
  g_assert_cmphex (nonce[0], ==, 0xab);
  g_assert_cmphex (nonce[31], ==, 0x90);
  g_assert_cmpint (g_date_time_get_hour (porteur_ca_test_challenge_get_expires (challenge)), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) b = parse (bad[i].json);
      g_autoptr(GError) e = NULL;

      g_assert_null (porteur_ca_test_challenge_new_from_json (b, &e));
      g_assert_error (e, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
      g_assert_nonnull (strstr (e->message, bad[i].message));
    }
}

static void
test_verdict (void)
{
  static const struct { const char *json; const char *message; } bad[] = {
    { "{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"revoked\",\"qualified\":true}",
      "test_verdict.certificate_valid: contradicts certificate_status" },
    { "{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"fine\",\"qualified\":true}",
      "test_verdict.certificate_status: not one of the allowed values" },
    { "{\"signature_valid\":\"yes\",\"certificate_valid\":true,\"certificate_status\":\"good\",\"qualified\":true}",
      "test_verdict.signature_valid: not a boolean" },
    { "{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"good\"}",
      "test_verdict.qualified: missing" },
    { "{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"good\",\"qualified\":true,\"failures\":[\"\"]}",
      "test_verdict.failures[0]: not a code" },
    { "{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"good\",\"qualified\":true,\"failures\":\"revoked\"}",
      "test_verdict.failures: not an array" },
  };
  g_autoptr(JsonNode) node = parse ("{\"signature_valid\":false,\"certificate_valid\":false,\"certificate_status\":\"expired\","
                                    "\"qualified\":true,\"subject\":\"CN=Anne Le Goff\",\"not_after\":\"2029-12-05T01:55:15Z\","
                                    "\"failures\":[\"bad-signature\",\"expired\",\"from-a-newer-ca\"]}");
  g_autoptr(JsonNode) minimal = parse ("{\"signature_valid\":true,\"certificate_valid\":true,\"certificate_status\":\"good\",\"qualified\":false}");
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaTestVerdict) verdict = porteur_ca_test_verdict_new_from_json (node, &error);
  g_autoptr(PorteurCaTestVerdict) small = NULL;

  g_assert_no_error (error);
  g_assert_false (porteur_ca_test_verdict_get_signature_valid (verdict));
  g_assert_cmpint (porteur_ca_test_verdict_get_certificate_status (verdict), ==, PORTEUR_CA_CERTIFICATE_EXPIRED);
  g_assert_cmpstr (porteur_ca_test_verdict_get_subject (verdict), ==, "CN=Anne Le Goff");
  g_assert_cmpstr (porteur_ca_test_verdict_get_serial (verdict), ==, "");
  g_assert_cmpuint (g_strv_length ((char **) porteur_ca_test_verdict_get_failures (verdict)), ==, 3);
  g_assert_true (porteur_ca_test_verdict_has_failure (verdict, "from-a-newer-ca"));
  g_assert_nonnull (porteur_ca_test_failure_describe ("expired"));
  g_assert_null (porteur_ca_test_failure_describe ("from-a-newer-ca"));

  small = porteur_ca_test_verdict_new_from_json (minimal, &error);
  g_assert_no_error (error);
  g_assert_null (porteur_ca_test_verdict_get_not_after (small));
  g_assert_cmpuint (g_strv_length ((char **) porteur_ca_test_verdict_get_failures (small)), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) b = parse (bad[i].json);
      g_autoptr(GError) e = NULL;

      g_assert_null (porteur_ca_test_verdict_new_from_json (b, &e));
      g_assert_error (e, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE);
      g_assert_nonnull (strstr (e->message, bad[i].message));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca-challenge-model/challenge", test_challenge);
  g_test_add_func ("/ca-challenge-model/verdict", test_verdict);
  return g_test_run ();
}
