/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Helpers shared by the CMP, OCSP and CRL tests: the test PKI (made by
 * make-pki.sh with OpenSSL's tools), free loopback ports, and OpenSSL's own
 * servers started as subprocesses. */

typedef struct
{
  GSubprocess *process;
  GThread     *drain;     /* reads the server's output until it exits */
  GPid         pid;       /* the server itself, from its ACCEPT line (faketime forks) */
} PkiServer;

guint16    pki_free_port     (void);
/* Makes the PKI in a new temporary directory, returned. */
char      *pki_make          (guint16 ocsp_port,
                              guint16 crl_port);
char      *pki_path          (const char *dir,
                              const char *name);
/* A PEM certificate or private key, asserted read. */
X509      *pki_read_cert     (const char *path);
EVP_PKEY  *pki_read_key      (const char *path);
/* DIR/NAME.pem, DIR/NAME.key */
X509      *pki_load_cert     (const char *dir,
                              const char *name);
EVP_PKEY  *pki_load_key      (const char *dir,
                              const char *name);
/* Runs argv (NULL-terminated) in @dir, waits until it prints "ACCEPT". */
PkiServer *pki_server_start  (const char  *dir,
                              const char *const *argv);
void       pki_server_stop   (PkiServer  *server);
/* Runs a command in @dir and asserts it succeeds. */
void       pki_run           (const char  *dir,
                              const char *const *argv);
void       pki_remove_tree   (const char *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PkiServer, pki_server_stop)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)

/* Runs porteur-tool ($PORTEUR_TOOL) with @args, feeding @input on stdin; returns its exit status. */
int        pki_run_tool      (const char *const *args,
                              const char        *input,
                              char             **out_stdout,
                              char             **out_stderr);
