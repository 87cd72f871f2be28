/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The real CA simulator (tests/ca-sim) for the order tests: started on a free loopback port with
 * a fresh state directory, spoken to over HTTPS with its own root pinned. */
typedef struct {
  GSubprocess *process;
  char        *state_dir;
  char        *url;        /* https://127.0.0.1:PORT/api/v1 */
  char        *trust;      /* the simulator's root certificate (PEM) */
} OrderTestSim;

OrderTestSim *order_test_sim_start (void);
/* Runs porteur-ca-sim-admin --state DIR ARGS…; asserts it succeeds; returns its stdout. */
char         *order_test_sim_admin (OrderTestSim *sim,
                                    ...) G_GNUC_NULL_TERMINATED;
void          order_test_sim_stop  (OrderTestSim *sim);

/* A complete, valid dossier (docs/ca-api.md §2). */
JsonObject   *order_test_dossier   (void);

G_END_DECLS
