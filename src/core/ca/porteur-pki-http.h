/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* The HTTP carrier shared by the CMP, OCSP and CRL clients (internal). A
 * session is made in the worker thread that uses it (libsoup ≥ 3.2 allows
 * this), with the caller's TLS database and GIO's default proxy resolver. */

SoupSession *porteur_pki_http_session_new (guint          timeout_seconds,
                                           GTlsDatabase  *tls_database);

/* Makes @database the process's default TLS database, for a process whose
 * every TLS connection is pinned to it anyway (porteur-tool's `ca cmp|ocsp|crl`
 * with a CA trust file). Why: libsoup 3.2 creates each TLS connection before
 * it sets the session's database, and glib-networking 2.74 reads the default
 * database while creating it, so the system trust store (about 140
 * certificates) was parsed at the first connection of every process (about
 * 90 ms of CPU, measured by bench/ca-cmp) and read again at each connection,
 * only to be replaced by @database. Verification is unchanged: every
 * connection still verifies against @database. Not for processes that also
 * talk to servers under the system's trust (the application). */
void         porteur_pki_http_pin_default_trust (GTlsDatabase *database);

/* Sends one request and reads the whole answer (at most @max_size bytes).
 * @body NULL means GET. Redirects are not followed when @follow_redirects is
 * FALSE. When @expected_type is given, the answer must carry that media type.
 * @close adds "Connection: close" (OpenSSL's mock CMP server needs it). Errors
 * are reported in @domain with @code (cancellation stays G_IO_ERROR_CANCELLED). */
GBytes      *porteur_pki_http_exchange    (SoupSession   *session,
                                           const char    *url,
                                           const char    *content_type,
                                           GBytes        *body,
                                           const char    *expected_type,
                                           gboolean       close,
                                           gboolean       follow_redirects,
                                           gsize          max_size,
                                           GQuark         domain,
                                           int            code,
                                           GCancellable  *cancellable,
                                           GError       **error);

/* The OCSP and CRL clients' asynchronous checks: @func (their _check_sync)
 * runs in a GTask worker with its own references to @cert and @issuer, and
 * the task returns the GObject it made. @source_tag is the caller's _async. */
typedef GObject *(*PorteurPkiCheckFunc) (gpointer       self,
                                         X509          *cert,
                                         X509          *issuer,
                                         const char    *location,
                                         GCancellable  *cancellable,
                                         GError       **error);

void         porteur_pki_check_in_thread  (gpointer             self,
                                           PorteurPkiCheckFunc  func,
                                           gpointer             source_tag,
                                           X509                *cert,
                                           X509                *issuer,
                                           const char          *location,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

G_END_DECLS
