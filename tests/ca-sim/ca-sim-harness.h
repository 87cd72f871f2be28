/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Tests: a real porteur-ca-sim on a free loopback port, in a temporary state
 * directory (its PKI copied from one generated once per test program). */
typedef struct {
  GSubprocess *process;
  char        *state_dir;
  char        *url;        /* https://127.0.0.1:PORT */
  char        *root_pem;   /* DIR/pki/root.pem */
} CaSimHarness;

CaSimHarness *ca_sim_harness_start (guint validation_delay);
/* Runs porteur-ca-sim-admin on the harness's state; returns its stdout
 * (stripped), failing the test if it fails unless @may_fail. */
char         *ca_sim_harness_admin (CaSimHarness *harness,
                                    gboolean      may_fail,
                                    const char   *first_arg,
                                    ...) G_GNUC_NULL_TERMINATED;
/* The same for a command whose output does not matter: it must succeed. */
void          ca_sim_harness_admin_do (CaSimHarness *harness,
                                       const char   *first_arg,
                                       ...) G_GNUC_NULL_TERMINATED;
void          ca_sim_harness_stop  (CaSimHarness *harness);
/* Removes the PKI template: call once at the end of main (). */
void          ca_sim_harness_cleanup (void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaSimHarness, ca_sim_harness_stop)

/* A command's stdout and exit status (argv NULL-terminated). */
char         *ca_sim_run (int *status, const char *const *argv);

G_END_DECLS
