/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ca-test-util.h"
#include "token/porteur-token.h"
#include "token-test-transport.h"

G_BEGIN_DECLS

/*
 * The token side of the CA tests that use the in-process virtual token
 * (tests/token's test transport): its cache kept out of the user's, the
 * token opened on a card, test PINs, and the simulator's certificate for a
 * token key.
 */

/* g_test_init () after pointing XDG_CACHE_HOME (where the token core caches
 * card descriptions) to a new temporary directory, not the user's.
 * G_TEST_OPTION_ISOLATE_DIRS would also hide the system's GSettings schemas,
 * which GIO's default proxy resolver needs to reach the simulator. */
void          ca_test_token_init (int    *argc,
                                  char ***argv);
/* ca_test_run (), then that cache directory removed. */
int           ca_test_token_run  (void);

/* A new card of @profile (made once per process) in *card, and the token core opened on it. */
PorteurToken *ca_test_token_open (const char  *profile,
                                  VtokenCard **card);
/* A PIN for the token core. */
PorteurSecret *ca_test_secret    (const char *value);

/* The simulator's certificate for @key, a key of the token (through Porteur's
 * OpenSSL provider): a request for CN=Anne Le Goff signed on the token, sent
 * in a P10CR (ca_test_certify_request ()). */
X509         *ca_test_certify_token_key (CaTest   *t,
                                         EVP_PKEY *key);

G_END_DECLS
