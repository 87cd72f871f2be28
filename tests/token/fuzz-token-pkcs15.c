/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: every PKCS#15 parser (EF.DIR, ODF, TokenInfo, AODF, PrKDF, CDF) on the same
 * bytes, then the lookups the token core does on what they found. */
#include "config.h"

#include <stdint.h>

#include "token/porteur-pkcs15.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  PorteurPkcs15 *p15 = porteur_pkcs15_new ();
  GError *error = NULL;

  porteur_pkcs15_parse_dir (p15, data, size, &error);
  g_clear_error (&error);
  porteur_pkcs15_parse_odf (p15, data, size, &error);
  g_clear_error (&error);
  porteur_pkcs15_parse_tokeninfo (p15, data, size, &error);
  g_clear_error (&error);
  porteur_pkcs15_parse_aodf (p15, data, size, &error);
  g_clear_error (&error);
  porteur_pkcs15_parse_prkdf (p15, data, size, &error);
  g_clear_error (&error);
  porteur_pkcs15_parse_cdf (p15, data, size, &error);
  g_clear_error (&error);
  for (guint i = 0; i < p15->pins->len; i++)
    porteur_pkcs15_find_puk_for (p15, g_ptr_array_index (p15->pins, i));
  for (guint i = 0; i < p15->certs->len; i++)
    porteur_pkcs15_find_key (p15, ((PorteurPkcs15Cert *) g_ptr_array_index (p15->certs, i))->id);
  porteur_pkcs15_free (p15);
  return 0;
}
