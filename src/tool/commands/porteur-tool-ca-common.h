/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca/porteur-ca-client.h"
#include "porteur-tool.h"

G_BEGIN_DECLS

/* Shared by the `ca` subcommands of the RA API (defined in porteur-tool-ca-ra.c). */

/* The client of the configured CA: --ca-url/--ca-trust, PORTEUR_CA_URL/PORTEUR_CA_TRUST, GSettings. */
PorteurCaClient *porteur_tool_ca_client_new (PorteurTool   *tool,
                                             GError       **error);
/* Prints a CA error as a translated sentence (field codes of a 422, then the
 * technical message) and returns PORTEUR_TOOL_EXIT_ERROR. */
int              porteur_tool_ca_fail       (PorteurTool   *tool,
                                             const GError  *error);

/* The access token of order @number, from its record in the store (never
 * argv), or NULL with the error printed and *@status set. The caller wipes
 * it (explicit_bzero) before freeing it. */
char            *porteur_tool_ca_order_token (PorteurTool   *tool,
                                              const char    *number,
                                              int           *status);

G_END_DECLS
