/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *porteur_core_get_version (void);

/* A GBytes holding a copy of @data (a cryptogram, a key) whose memory is wiped when its last
 * reference goes. */
GBytes     *porteur_wiped_bytes_new (gconstpointer data,
                                     gsize         length);

G_END_DECLS
