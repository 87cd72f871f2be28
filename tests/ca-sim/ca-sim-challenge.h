/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca-sim.h"

G_BEGIN_DECLS

/* §3.8 test challenges (docs/ca-api.md), under /api/v1/test-challenges.
 * Called by the RA API's router inside the request's transaction (the
 * Idempotency-Key is already checked): returns FALSE when @parts is not a
 * test-challenge path, else fills the answer (status, content type, body,
 * Location; the strings newly allocated) and returns TRUE. */
gboolean ca_sim_challenge_route (CaSim       *sim,
                                 const char  *method,
                                 char       **parts,
                                 guint        n_parts,
                                 const char  *content_type,
                                 GBytes      *body,
                                 guint       *status,
                                 char       **answer_type,
                                 char       **answer_body,
                                 char       **location);

G_END_DECLS
