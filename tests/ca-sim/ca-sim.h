/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "ca-sim-db.h"
#include "ca-sim-pki.h"

G_BEGIN_DECLS

/* The running simulator, shared by its endpoints. */
typedef struct _CaSim
{
  char       *state_dir;
  char       *base_url;          /* https://127.0.0.1:PORT (no trailing slash) */
  CaSimDb    *db;
  CaSimPki   *pki;
  gint64      validation_delay;  /* seconds between documents received and validated */
  SoupServer *server;
} CaSim;

/* The RA API under /api/v1 (docs/ca-api.md). */
void ca_sim_ra_register     (SoupServer *server, CaSim *sim);
/* OCSP at /ocsp and the CRL at /crl/issuing.crl. */
void ca_sim_status_register (SoupServer *server, CaSim *sim);

/* Injected faults (tests): answers @msg as the fault of kind @kind asks;
 * not called for "lose-answer" and "drop-token", which the RA API handles after doing the work. */
gboolean ca_sim_apply_fault (CaSim *sim, SoupServerMessage *msg, const char *kind);

G_END_DECLS
