/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/porteur-ca-client.h"
#include "ca/porteur-ca-revoke.h"
#include "ca/porteur-cmp.h"
#include "ca/porteur-ocsp.h"
#include "ca-sim-harness.h"
#include "pki-test-util.h"   /* g_autoptr (X509), g_autoptr (EVP_PKEY), pki_read_cert (), pki_remove_tree () */

G_BEGIN_DECLS

/*
 * The fixture library of the CA tests (tests/ca): a real simulator on
 * loopback and our RA client on it, orders driven to validated or issued
 * through the RA API and the simulator's administrator, certificates for the
 * tests' keys, what OCSP and the CRL say, porteur-tool run against the
 * simulator with its secrets on stdin. Every helper asserts what it relies
 * on, so a test fails where its set-up fails.
 */

/* One test's simulator and what it works with. */
typedef struct {
  CaSimHarness    *sim;
  PorteurCaClient *client;       /* on the simulator, retries 50 ms apart */
  JsonObject      *dossier;      /* the form orders are made from: ca_test_dossier_new (), which a test may change */
  char            *dir;          /* the test's own files; porteur-tool's working directory */
  char            *data_home;    /* porteur-tool's XDG_DATA_HOME */
  char            *issuing_pem;  /* the simulator's issuing CA certificate */
  char            *cmp_url;      /* the simulator's CMP endpoint */
} CaTest;

/* A simulator with @validation_delay (seconds from "documents received" to
 * "validated"; 0: as soon as the order is read), its client and directories
 * (all inside the simulator's state, removed with it). */
void ca_test_set_up    (CaTest *t,
                        guint   validation_delay);
/* Stops the simulator; the client must be finalized by then. */
void ca_test_tear_down (CaTest *t);
/* ca_test_set_up () and ca_test_tear_down () as g_test_add () fixture
 * functions, the validation delay as the test data (CA_TEST_ADD). */
void ca_test_fixture_set_up    (CaTest        *t,
                                gconstpointer  delay);
void ca_test_fixture_tear_down (CaTest        *t,
                                gconstpointer  delay);
#define CA_TEST_ADD(path, delay, func) \
  g_test_add (path, CaTest, GUINT_TO_POINTER (delay), ca_test_fixture_set_up, func, ca_test_fixture_tear_down)

/* g_test_run (), then the simulator's PKI template removed: the end of main (). */
int  ca_test_run (void);

/* --- async calls ------------------------------------------------------------------- */

/* A GAsyncReadyCallback that keeps the result in *(GAsyncResult **) user_data. */
void          ca_test_on_done (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data);
/* Iterates the default main context until *slot is set; returns it. */
GAsyncResult *ca_test_await   (GAsyncResult **slot);

/* CA_CALL (finish, object, error, start): runs @start (an _async call whose
 * last three arguments are CA_ASYNC_ARGS), waits, returns @finish's value as
 * a gpointer (GPOINTER_TO_SIZE () it for a gboolean). */
#define CA_CALL(finish_fn, object, error, start_expr) \
  ({ GAsyncResult *_r = NULL; GAsyncResult **_slot = &_r; (void) _slot; \
     start_expr; ca_test_await (&_r); \
     gpointer _v = GSIZE_TO_POINTER (finish_fn (object, _r, error)); g_object_unref (_r); _v; })
#define CA_ASYNC_ARGS NULL, ca_test_on_done, _slot

/* --- orders ------------------------------------------------------------------------ */

/* The tests' order form: a public body (Rennes), the holder orders a
 * signature certificate on a token she has to buy; a new object each call. */
JsonObject *ca_test_dossier_new (void);
/* t->dossier written to DIR/form.json: its path, for porteur-tool ca order create --from. */
char       *ca_test_write_form  (CaTest *t);

/* The RA API calls the tests share, synchronously. */
PorteurCaOrder *ca_test_create_order (CaTest      *t,
                                      JsonObject  *dossier,
                                      const char  *idempotency_key,
                                      GError     **error);
PorteurCaOrder *ca_test_get_order    (CaTest          *t,
                                      const char      *number,
                                      const char      *access_token,
                                      GError         **error);
GListModel     *ca_test_get_slots    (CaTest          *t,
                                      PorteurCaOrder  *order,
                                      GDateTime       *from,
                                      GDateTime       *to,
                                      GError         **error);
PorteurCaOrder *ca_test_book         (CaTest          *t,
                                      PorteurCaOrder  *order,
                                      const char      *slot,
                                      const char      *idempotency_key,
                                      GError         **error);
gboolean        ca_test_set_answers  (CaTest                        *t,
                                      PorteurCaOrder                *order,
                                      const PorteurCaSecurityAnswer *answers,
                                      guint                          n_answers,
                                      GError                       **error);

/* An order of t->dossier created, submitted and received by the office,
 * checked validated (run with validation delay 0). */
PorteurCaOrder      *ca_test_validated_order (CaTest *t);
/* @order's CMP enrollment (reference and the one-time secret, asserted given). */
PorteurCaEnrollment *ca_test_enrollment      (CaTest         *t,
                                              PorteurCaOrder *order);

/* A new nonce of the CA for a signed revocation request (its expiry asserted given). */
char                       *ca_test_revocation_nonce   (CaTest *t);
/* POST /revocation-requests with @proof. */
PorteurCaRevocationRequest *ca_test_request_revocation (CaTest                         *t,
                                                        const char                     *serial,
                                                        const char                     *reason,
                                                        const PorteurCaRevocationProof *proof,
                                                        const char                     *idempotency_key,
                                                        GError                        **error);

/* The answers to the security questions ca_test_issued_order () usually sets. */
extern const PorteurCaSecurityAnswer ca_test_holder_answers[2];

/* A holder's certificate from the simulator: its order, serial, and the
 * certificate and key, as PEM files and loaded. */
typedef struct {
  PorteurCaOrder *order;
  char           *serial;
  char           *cert_pem;
  char           *key_pem;
  X509           *cert;
  EVP_PKEY       *key;
} CaTestHolder;

/* Frees what @h holds (g_auto (CaTestHolder) calls it). */
void ca_test_holder_clear (CaTestHolder *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CaTestHolder, ca_test_holder_clear)

/* The simulator's certificate for @order (validated at least) and a new RSA
 * key of its making, written as DIR/@name.pem and DIR/@name.key. */
void ca_test_issue        (CaTest         *t,
                           PorteurCaOrder *order,
                           const char     *name,
                           CaTestHolder   *h);
/* An order through validated → appointment (the first slot offered) → security
 * @answers (two) set → delivered → issued (ca_test_issue () as @name). */
void ca_test_issued_order (CaTest                        *t,
                           const char                    *name,
                           const PorteurCaSecurityAnswer *answers,
                           CaTestHolder                  *h);

/* --- certificates ------------------------------------------------------------------ */

/* @cert written as PEM to @path (pki_read_cert () and pki_read_key () read them). */
void      ca_test_write_cert (X509       *cert,
                              const char *path);
/* The serial in upper-case hex, as the simulator writes it. */
char     *ca_test_serial_of  (X509 *cert);

/* The simulator's certificate for @key's public half (admin issue-for-key on
 * a new validated order; no private key from the CA), as DIR/@name.pem; its
 * serial in *serial if not NULL. */
X509 *ca_test_issue_for_key   (CaTest     *t,
                               EVP_PKEY   *key,
                               const char *name,
                               char      **serial);
/* Our CMP client on the simulator's endpoint, trusting its root. */
PorteurCmpClient *ca_test_cmp_client (CaTest *t);
/* The simulator's certificate for @req (its key may be a token key), asked
 * with a CMP P10CR protected by a new validated order's enrollment. */
X509 *ca_test_certify_request (CaTest   *t,
                               X509_REQ *req);

/* What our OCSP client says of @cert (its AIA responder, over HTTPS). */
PorteurOcspResult *ca_test_ocsp              (CaTest *t,
                                              X509   *cert);
/* What our OCSP client and our CRL client (the certificate's distribution
 * point) say of @cert: both must agree; the status, and in *reason the
 * revocation reason when revoked. */
PorteurCertStatus  ca_test_revocation_status (CaTest *t,
                                              X509   *cert,
                                              int    *reason);
void               ca_test_assert_good       (CaTest *t,
                                              X509   *cert);
void               ca_test_assert_revoked    (CaTest *t,
                                              X509   *cert,
                                              int     reason);

/* --- porteur-tool ------------------------------------------------------------------ */

/* A launcher for porteur-tool against the simulator: PORTEUR_CA_URL,
 * PORTEUR_CA_TRUST, XDG_DATA_HOME = t->data_home, working directory t->dir. */
GSubprocessLauncher *ca_test_tool_launcher (CaTest           *t,
                                            GSubprocessFlags  flags);
/* Runs porteur-tool with the arguments (NULL-terminated) and @input on its
 * stdin (a secret for --pin-fd 0, --secret-fd 0, --answers-fd 0…: never in
 * argv; NULL: an empty stdin); returns stdout, sets the exit status and, if
 * @err is not NULL, stderr. */
char *ca_test_tool (CaTest      *t,
                    const char  *input,
                    int         *status,
                    char       **err,
                    const char  *first_arg,
                    ...) G_GNUC_NULL_TERMINATED;

/* How ca_test_tool_run () runs porteur-tool. */
typedef struct {
  const char *input;         /* on stdin (NULL: empty) */
  const char *fd3;           /* on file descriptor 3 too, when not NULL (a second secret) */
  const char *freed_secret;  /* when not NULL: under freed-secret-check.so watching for it
                              * in every block freed (exit 97 if it is there) */
  gboolean    debug;         /* G_MESSAGES_DEBUG=all */
} CaTestToolRun;

/* ca_test_tool () with @run's stdin, fd 3, secret watch and debug log. */
char *ca_test_tool_run (CaTest              *t,
                        const CaTestToolRun *run,
                        int                 *status,
                        char               **err,
                        const char          *first_arg,
                        ...) G_GNUC_NULL_TERMINATED;

/* @text parsed, asserted JSON. */
JsonNode   *ca_test_json        (const char  *text);
/* @text parsed, asserted a JSON object; *keep holds it. */
JsonObject *ca_test_json_object (const char  *text,
                                 JsonNode   **keep);

G_END_DECLS
