/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca/porteur-ca-model.h"
#include "porteur-tool.h"

G_BEGIN_DECLS

/*
 * Secrets read from a file descriptor by the commands that send security
 * answers (`ca revoke --answers-fd`, `ca security-questions set`, `pin unblock
 * --ca`) or a confirmation code (`ca revocation --confirm-fd`): never argv.
 */

/* Reads @fd to its end (at most 4 KiB, UTF-8) into memory that the caller
 * frees with porteur_tool_fd_text_free (), which wipes it whole. */
char     *porteur_tool_fd_text_read     (int                      fd,
                                         GError                 **error);
void      porteur_tool_fd_text_free     (char                    *text);

/* Two "QUESTION=ANSWER" lines of @text (question ids of GET
 * /security-questions, docs/ca-api.md §3.5) into @answers, which point into
 * @text (the parse cuts it with NULs: free it with porteur_tool_fd_text_free ()). */
gboolean  porteur_tool_answers_parse    (char                    *text,
                                         PorteurCaSecurityAnswer  answers[2],
                                         guint                   *n_answers,
                                         GError                 **error);

/* Both: the text in *@text (NULL on failure, already wiped), two answers
 * pointing into it. */
gboolean  porteur_tool_answers_read     (int                      fd,
                                         char                   **text,
                                         PorteurCaSecurityAnswer  answers[2],
                                         GError                 **error);

G_END_DECLS
