/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "ca/porteur-ca-challenge.h"
#include "ca/porteur-ca-model.h"

/* The §3.8 models (test challenge, test verdict) from untrusted bytes, with
 * what porteur-tool and the future test page read of them. The first byte
 * picks the parser. */
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (size < 1)
    return 0;
  if (!json_parser_load_from_data (parser, (const char *) data + 1, size - 1, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (data[0] % 2 == 0)
    {
      g_autoptr(PorteurCaTestChallenge) challenge = porteur_ca_test_challenge_new_from_json (root, NULL);

      if (challenge)
        g_assert (g_bytes_get_size (porteur_ca_test_challenge_get_nonce (challenge)) >= 16 &&
                  porteur_ca_test_challenge_get_expires (challenge) != NULL);
    }
  else
    {
      g_autoptr(PorteurCaTestVerdict) verdict = porteur_ca_test_verdict_new_from_json (root, NULL);

      if (verdict)
        {
          const char *const *failures = porteur_ca_test_verdict_get_failures (verdict);

          g_assert (porteur_ca_test_verdict_get_certificate_valid (verdict) ==
                    (porteur_ca_test_verdict_get_certificate_status (verdict) == PORTEUR_CA_CERTIFICATE_GOOD));
          g_assert (porteur_ca_certificate_status_describe (porteur_ca_test_verdict_get_certificate_status (verdict)) != NULL);
          g_assert (porteur_ca_test_verdict_get_subject (verdict) != NULL);
          for (guint i = 0; failures[i]; i++)
            (void) porteur_ca_test_failure_describe (failures[i]);
        }
    }
  return 0;
}
