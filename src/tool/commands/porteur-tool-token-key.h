/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "porteur-tool.h"
#include "token/porteur-token.h"

G_BEGIN_DECLS

/* For commands that sign with a token key outside porteur-tool-token.c, with
 * the same rules as `porteur-tool sign`: the token in @reader (NULL: the only
 * one), the PIN from @pin_fd (one line) or the terminal without echo when
 * @pin_fd < 0 — never argv; the last try is used only with @last_try. Returns
 * key @key as an EVP_PKEY of the token provider (it verifies the PIN before
 * signing), the token in *@token_out, and in *@certificate (when not NULL)
 * the token's certificate of that key or NULL. On failure the error is
 * printed and *@status set. */
EVP_PKEY *porteur_tool_token_key    (PorteurTool   *tool,
                                     const char    *reader,
                                     int            key,
                                     int            pin_fd,
                                     gboolean       last_try,
                                     PorteurToken **token_out,
                                     X509         **certificate,
                                     int           *status);

/* Prints a token error of a signature (PIN refused, blocked, last try…) with
 * the PIN's state, as `sign` does; returns the exit status (1 for a PIN
 * answer, 2 for other errors). */
int       porteur_tool_token_result (PorteurTool   *tool,
                                     PorteurToken  *token,
                                     const GError  *error);

G_END_DECLS
