/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the .mo reader (porteur-catalog) on arbitrary bytes; every message found is
 * looked up again, with and without a context. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "order/porteur-catalog.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCatalog) catalog = porteur_catalog_new_from_bytes (bytes, &error);

  if (catalog == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_no_error (error);
  (void) porteur_catalog_get_size (catalog);
  (void) porteur_catalog_lookup (catalog, NULL, "Name");
  (void) porteur_catalog_lookup (catalog, "subscription form", "Mrs");
  (void) porteur_catalog_lookup (catalog, "", "");
  return 0;
}
