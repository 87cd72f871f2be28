/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ca-sim-cmp.h"

/* Placeholder until the CMP endpoint (branch ca-pki) lands: every request at
 * /pkix/ is answered 501 Not Implemented, so that a CMP client gets a clear
 * HTTP error instead of a connection failure. */
static void
cmp_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  static const char body[] = "CMP is not implemented by this simulator yet\n";

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_IMPLEMENTED, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, body, sizeof body - 1);
}

void
ca_sim_cmp_register (SoupServer *server,
                     CaSim      *sim)
{
  soup_server_add_handler (server, "/pkix", cmp_handler, sim, NULL);
}
