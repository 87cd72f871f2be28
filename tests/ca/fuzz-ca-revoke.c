/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "ca/porteur-ca-model.h"
#include "ca/porteur-ca-revoke.h"

/* The §3.7 models (revocation request, nonce) from untrusted bytes, and the
 * canonical request built from what a CA's answer carries. The first byte
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
      g_autoptr(PorteurCaRevocationRequest) rv = porteur_ca_revocation_request_new_from_json (root, NULL);
      g_autoptr(PorteurCaRevocationRequest) created = porteur_ca_revocation_request_new_created_from_json (root, NULL);

      /* a creation's answer is a request with a token */
      if (created)
        g_assert (rv != NULL && porteur_ca_revocation_request_get_token (created) != NULL &&
                  *porteur_ca_revocation_request_get_token (created) != '\0');
      if (rv)
        {
          g_autoptr(JsonNode) node = porteur_ca_revocation_request_to_json (rv);
          g_autoptr(GBytes) canonical = porteur_ca_revocation_canonical_request (porteur_ca_revocation_request_get_serial (rv),
                                                                                 porteur_ca_revocation_request_get_reason (rv),
                                                                                 porteur_ca_revocation_request_get_requester (rv),
                                                                                 porteur_ca_revocation_request_get_id (rv));
          g_assert (node != NULL);
          g_assert (canonical == NULL ||
                    g_str_has_prefix (g_bytes_get_data (canonical, NULL), "porteur-revocation-request/1\n"));
          g_assert (porteur_ca_revocation_reason_code (porteur_ca_revocation_request_get_reason (rv)) >= 0);
        }
    }
  else
    {
      g_autoptr(PorteurCaRevocationNonce) nonce = porteur_ca_revocation_nonce_new_from_json (root, NULL);

      /* a nonce the model accepts can always be carried by the canonical request */
      if (nonce)
        {
          g_autoptr(GBytes) canonical = porteur_ca_revocation_canonical_request ("01", "superseded", "holder",
                                                                                 porteur_ca_revocation_nonce_get_nonce (nonce));
          g_assert (canonical != NULL);
        }
    }
  return 0;
}
