/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PORTEUR_CA_CONFIG_ERROR (porteur_ca_config_error_quark ())
GQuark porteur_ca_config_error_quark (void);

typedef enum {
  PORTEUR_CA_CONFIG_ERROR_BAD_URL,      /* not an absolute http(s) URL */
  PORTEUR_CA_CONFIG_ERROR_INSECURE,     /* plain HTTP to a non-loopback host, or not allowed */
  PORTEUR_CA_CONFIG_ERROR_BAD_TRUST,    /* trust file unreadable or without certificates */
} PorteurCaConfigError;

/* Checks a CA base URL (e.g. "https://ca.example/api/v1") and returns it
 * parsed. Plain HTTP is refused unless @allow_loopback_http is TRUE and the
 * host is a loopback address (127.0.0.0/8, ::1 or "localhost"). */
GUri *porteur_ca_config_parse_url (const char  *text,
                                   gboolean     allow_loopback_http,
                                   GError     **error);

/* Loads the PEM trust anchors of @path into a TLS database that trusts them
 * and nothing else (the CA trust is pinned, not the system store). */
GTlsDatabase *porteur_ca_config_load_trust (const char  *path,
                                            GError     **error);

G_END_DECLS
