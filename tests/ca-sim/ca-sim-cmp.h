/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca-sim.h"

G_BEGIN_DECLS

/* The CMP endpoint at /pkix/ (RFC 4210/9480 over HTTP, application/pkixcmp).
 * It finds orders with ca_sim_db_lookup_enrollment (), issues with
 * ca_sim_pki_issue (), records with ca_sim_db_record_certificate () and
 * revokes with ca_sim_db_revoke (). Until branch ca-pki lands it answers 501. */
void ca_sim_cmp_register (SoupServer *server, CaSim *sim);

G_END_DECLS
