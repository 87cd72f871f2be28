/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A PIN, PUK or one-time secret: kept in locked memory (mlock, excluded from core dumps), wiped
 * with OPENSSL_cleanse when freed. Its value never goes to a log, an error message or argv.
 */
typedef struct _PorteurSecret PorteurSecret;

PorteurSecret *porteur_secret_new          (const char    *value,
                                            gsize          length);
PorteurSecret *porteur_secret_new_from_fd  (int            fd,
                                            GError       **error);
PorteurSecret *porteur_secret_new_from_terminal (const char *prompt,
                                                 GError    **error);
const char    *porteur_secret_get          (const PorteurSecret *secret,
                                            gsize         *length);
gsize          porteur_secret_get_length   (const PorteurSecret *secret);
gboolean       porteur_secret_is_digits    (const PorteurSecret *secret);
void           porteur_secret_free         (PorteurSecret *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurSecret, porteur_secret_free)

G_END_DECLS
