/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: a response APDU from the token, its status word and its BER-TLV body, walked
 * to any depth as the token core walks FCPs, DOCPs and public-key templates. */
#include "config.h"

#include <stdint.h>

#include "token/porteur-apdu.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
walk (const guint8 *data,
      gsize         length,
      guint         depth)
{
  PorteurTlvIter iter;
  PorteurTlv tlv, child;
  guint32 value;

  if (depth > 16)
    return;
  porteur_tlv_iter_init (&iter, data, length);
  while (porteur_tlv_iter_next (&iter, &tlv, NULL))
    {
      porteur_tlv_get_uint (&tlv, &value);
      porteur_tlv_find_child (&tlv, 0x80, &child);
      if (tlv.constructed)
        walk (tlv.value, tlv.length, depth + 1);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PorteurResponse response = { 0 };
  GError *error = NULL;

  if (porteur_response_parse (data, size, &response, &error))
    {
      gsize n;
      const guint8 *body = g_bytes_get_data (response.data, &n);
      porteur_sw_check (response.sw, "fuzz", &error);
      walk (body, n, 0);
      porteur_response_clear (&response);
    }
  g_clear_error (&error);
  return 0;
}
