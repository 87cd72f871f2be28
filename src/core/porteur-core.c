/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-core.h"

#include <string.h>

const char *
porteur_core_get_version (void)
{
  return PACKAGE_VERSION;
}

typedef struct
{
  gsize  length;
  guint8 data[];
} WipedBytes;

static void
wiped_bytes_free (gpointer data)
{
  WipedBytes *w = data;

  explicit_bzero (w->data, w->length);
  g_free (w);
}

GBytes *
porteur_wiped_bytes_new (gconstpointer data,
                         gsize         length)
{
  WipedBytes *w = g_malloc (sizeof *w + length);

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  w->length = length;
  if (length > 0)
    memcpy (w->data, data, length);
  return g_bytes_new_with_free_func (w->data, length, wiped_bytes_free, w);
}
