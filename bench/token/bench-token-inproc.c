/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token/porteur-token.h"

/*
 * bench-token-inproc SIDE OP RUNS MODE [SIGNATURE-OUT]
 *
 * A token operation inside one process, with no process start-up on either side: the way the
 * application (and Firefox, through PKCS#11) does it. Runs inside tests/pcsc-harness, driven by
 * bench.py (mode "inproc"), which counts the APDUs in pcscd's log and checks the signatures.
 *
 *   SIDE  porteur: our core (porteur_pcsc_transport_new + porteur_token_open_with_flags with the
 *                  flags porteur-tool uses for the operation, then the operation);
 *         opensc:  OpenSC's PKCS#11 module (opensc-pkcs11.so, dlopen'ed; C_Initialize, the first
 *                  slot with a token, a session, then the operation).
 *   OP    status | verify | change | unblock | sign (key 1, RSA PKCS#1 v1.5 over a SHA-256
 *         DigestInfo of the data "bench\n" × 100, as bench.py's process table).
 *   MODE  cold: everything from nothing at each run (porteur: transport and token opened and
 *               freed; opensc: C_Initialize … C_Finalize);
 *         warm: opened once, then RUNS operations (porteur: the same PorteurToken; opensc: the same
 *               C_Initialize, a session per operation, as an application keeps its module loaded).
 *
 * Prints one line per run: the wall time in milliseconds. Test PINs only (1234, PUK 12345678).
 */

#define PIN "1234"
#define PUK "12345678"

static const guint8 digest_info_prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                             0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };

static guint8 digest[32];
static const char *signature_out;

static void
fail (const char *what)
{
  fprintf (stderr, "bench-token-inproc: %s\n", what);
  exit (1);
}

static void
save_signature (const guint8 *data, gsize length)
{
  if (signature_out && !g_file_set_contents (signature_out, (const char *) data, length, NULL))
    fail ("cannot write the signature");
}

/* ---- Porteur ---- */

static PorteurTokenOpenFlags
porteur_flags (const char *op)
{
  if (g_str_equal (op, "sign"))
    return PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS | PORTEUR_TOKEN_OPEN_KEYS_ONLY;
  return PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS | PORTEUR_TOKEN_OPEN_PINS_ONLY;
}

static PorteurToken *
porteur_open (const char *op)
{
  g_autoptr(GError) error = NULL;
  PorteurTransport *transport = porteur_pcsc_transport_new (NULL, &error);
  PorteurToken *token = transport ? porteur_token_open_with_flags (transport, porteur_flags (op), NULL, &error) : NULL;

  if (!token)
    fail (error->message);
  return token;
}

static void
porteur_op (PorteurToken *token, const char *op)
{
  g_autoptr(GError) error = NULL;
  guint8 reference = porteur_token_get_user_pin_reference (token);
  PorteurSecret *pin = porteur_secret_new (PIN, strlen (PIN));
  PorteurSecret *other = NULL;
  gboolean ok = FALSE;

  if (g_str_equal (op, "status"))
    ok = porteur_token_get_pin_status (token, reference, NULL, NULL, &error);
  else if (g_str_equal (op, "verify"))
    ok = porteur_token_verify_pin (token, reference, pin, PORTEUR_PIN_FLAGS_NONE, NULL, &error);
  else if (g_str_equal (op, "change"))
    {
      other = porteur_secret_new (PIN, strlen (PIN));
      ok = porteur_token_change_pin (token, reference, pin, other, PORTEUR_PIN_FLAGS_NONE, NULL, &error);
    }
  else if (g_str_equal (op, "unblock"))
    {
      other = porteur_secret_new (PUK, strlen (PUK));
      ok = porteur_token_unblock_pin (token, reference, other, pin, PORTEUR_PIN_FLAGS_NONE, NULL, &error);
    }
  else if (g_str_equal (op, "sign"))
    {
      g_autoptr(GBytes) signature = porteur_token_sign_checked (token, 1, pin, PORTEUR_PIN_FLAGS_NONE, "SHA256", digest,
                                                                sizeof digest, NULL, NULL, &error);
      if ((ok = signature != NULL))
        save_signature (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
    }
  else
    fail ("unknown operation");
  porteur_secret_free (pin);
  if (other)
    porteur_secret_free (other);
  if (!ok)
    fail (error->message);
}

/* ---- OpenSC through PKCS#11 ---- */

static CK_FUNCTION_LIST_PTR p11;

#define CHECK(call) G_STMT_START { CK_RV rv_ = (call); if (rv_ != CKR_OK) { \
      char m_[128]; snprintf (m_, sizeof m_, "%s: CK_RV 0x%lx", #call, (unsigned long) rv_); fail (m_); } } G_STMT_END

static void
p11_load (void)
{
  const char *paths[] = { "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
                          "/usr/lib/opensc-pkcs11.so", "opensc-pkcs11.so" };
  CK_RV (*get_list) (CK_FUNCTION_LIST_PTR_PTR) = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (paths) && !get_list; i++)
    {
      void *module = dlopen (paths[i], RTLD_NOW | RTLD_LOCAL);
      if (module)
        get_list = (CK_RV (*) (CK_FUNCTION_LIST_PTR_PTR)) dlsym (module, "C_GetFunctionList");
    }
  if (!get_list)
    fail ("OpenSC's PKCS#11 module (opensc-pkcs11.so) not found");
  CHECK (get_list (&p11));
}

static CK_SLOT_ID
p11_start (void)
{
  CK_SLOT_ID slots[8];
  CK_ULONG n = G_N_ELEMENTS (slots);

  CHECK (p11->C_Initialize (NULL));
  CHECK (p11->C_GetSlotList (CK_TRUE, slots, &n));
  if (n == 0)
    fail ("OpenSC sees no token");
  return slots[0];   /* OpenSC's first slot on IAS-ECC: the user PIN's */
}

static void
p11_op (CK_SLOT_ID slot, const char *op)
{
  CK_SESSION_HANDLE session;
  CK_FLAGS flags = CKF_SERIAL_SESSION;

  if (g_str_equal (op, "status"))
    {
      CK_TOKEN_INFO info;
      CHECK (p11->C_GetTokenInfo (slot, &info));
      if (info.flags & CKF_USER_PIN_LOCKED)
        fail ("the PIN is blocked");
      return;
    }
  if (!g_str_equal (op, "verify") && !g_str_equal (op, "sign"))
    flags |= CKF_RW_SESSION;
  CHECK (p11->C_OpenSession (slot, flags, NULL, NULL, &session));
  if (g_str_equal (op, "verify"))
    CHECK (p11->C_Login (session, CKU_USER, (CK_UTF8CHAR_PTR) PIN, strlen (PIN)));
  else if (g_str_equal (op, "change"))
    CHECK (p11->C_SetPIN (session, (CK_UTF8CHAR_PTR) PIN, strlen (PIN), (CK_UTF8CHAR_PTR) PIN, strlen (PIN)));
  else if (g_str_equal (op, "unblock"))
    {
      /* PKCS#11's unblock: the PUK as the SO, then a new user PIN. */
      CHECK (p11->C_Login (session, CKU_SO, (CK_UTF8CHAR_PTR) PUK, strlen (PUK)));
      CHECK (p11->C_InitPIN (session, (CK_UTF8CHAR_PTR) PIN, strlen (PIN)));
    }
  else if (g_str_equal (op, "sign"))
    {
      CK_OBJECT_CLASS class = CKO_PRIVATE_KEY;
      CK_BYTE id = 0x01;
      CK_ATTRIBUTE query[] = { { CKA_CLASS, &class, sizeof class }, { CKA_ID, &id, sizeof id } };
      CK_MECHANISM mechanism = { CKM_RSA_PKCS, NULL, 0 };
      CK_OBJECT_HANDLE key;
      CK_ULONG found = 0;
      guint8 input[sizeof digest_info_prefix + sizeof digest];
      guint8 signature[512];
      CK_ULONG signature_length = sizeof signature;

      memcpy (input, digest_info_prefix, sizeof digest_info_prefix);
      memcpy (input + sizeof digest_info_prefix, digest, sizeof digest);
      CHECK (p11->C_Login (session, CKU_USER, (CK_UTF8CHAR_PTR) PIN, strlen (PIN)));
      CHECK (p11->C_FindObjectsInit (session, query, G_N_ELEMENTS (query)));
      CHECK (p11->C_FindObjects (session, &key, 1, &found));
      CHECK (p11->C_FindObjectsFinal (session));
      if (found != 1)
        fail ("OpenSC finds no private key with ID 01");
      CHECK (p11->C_SignInit (session, &mechanism, key));
      CHECK (p11->C_Sign (session, input, sizeof input, signature, &signature_length));
      save_signature (signature, signature_length);
    }
  else
    fail ("unknown operation");
  CHECK (p11->C_CloseSession (session));
}

int
main (int argc, char **argv)
{
  const char *side, *op, *mode;
  guint runs;
  GString *data = g_string_new (NULL);
  PorteurToken *token = NULL;
  CK_SLOT_ID slot = 0;
  gboolean warm;

  if (argc < 5)
    fail ("usage: bench-token-inproc porteur|opensc status|verify|change|unblock|sign RUNS cold|warm [SIGNATURE-OUT]");
  side = argv[1];
  op = argv[2];
  runs = (guint) atoi (argv[3]);
  mode = argv[4];
  signature_out = argc > 5 ? argv[5] : NULL;
  warm = g_str_equal (mode, "warm");
  for (int i = 0; i < 100; i++)
    g_string_append (data, "bench\n");
  EVP_Digest (data->str, data->len, digest, NULL, EVP_sha256 (), NULL);
  g_string_free (data, TRUE);

  if (g_str_equal (side, "opensc"))
    p11_load ();
  else if (!g_str_equal (side, "porteur"))
    fail ("unknown side");

  if (warm)
    {
      if (g_str_equal (side, "porteur"))
        token = porteur_open (op);
      else
        slot = p11_start ();
    }
  for (guint i = 0; i < runs; i++)
    {
      gint64 start = g_get_monotonic_time ();

      if (g_str_equal (side, "porteur"))
        {
          if (!warm)
            token = porteur_open (op);
          porteur_op (token, op);
          if (!warm)
            g_clear_object (&token);
        }
      else
        {
          if (!warm)
            slot = p11_start ();
          p11_op (slot, op);
          if (!warm)
            CHECK (p11->C_Finalize (NULL));
        }
      printf ("%.3f\n", (g_get_monotonic_time () - start) / 1000.0);
      fflush (stdout);
    }
  g_clear_object (&token);
  if (warm && g_str_equal (side, "opensc"))
    CHECK (p11->C_Finalize (NULL));
  return 0;
}
