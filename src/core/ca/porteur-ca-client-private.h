/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca/porteur-ca-client.h"

G_BEGIN_DECLS

/*
 * For the client's other source files (one file per group of endpoints): the
 * request machinery of porteur-ca-client.c. Not for use outside src/core/ca.
 */

typedef gpointer (*PorteurCaParseFunc) (JsonNode *node, GError **error);

/* Starts one API call (retries, errors and problems as for every call): a
 * GTask of @self with @source_tag whose result is the object @parse made of
 * the answer's JSON (g_task_propagate_pointer). @body may be NULL; a POST/PUT
 * without @idempotency_key gets one for this call. @sensitive: the request
 * body and the answer are wiped when done, and every string of @body is
 * wiped in place once it is written (so @body must be made for this call). */
void porteur_ca_client_start_call (PorteurCaClient     *self,
                                   gboolean             sensitive,
                                   gpointer             source_tag,
                                   const char          *method,
                                   const char          *path,
                                   JsonObject          *body,
                                   const char          *idempotency_key,
                                   const char          *access_token,
                                   PorteurCaParseFunc   parse,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);

G_END_DECLS
