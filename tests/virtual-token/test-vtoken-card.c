/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <string.h>

#include "vtoken-card.h"

/* The card logic in process: what a token does with each command, fast. */

static guint16
run (VtokenCard  *card,
     const char  *hex,
     GBytes     **out_data)
{
  GByteArray *apdu = g_byte_array_new ();
  g_autoptr(GBytes) response = NULL;
  const guint8 *r;
  gsize n;

  for (const char *p = hex; *p;)
    {
      if (!g_ascii_isxdigit (*p))
        {
          p++;
          continue;
        }
      guint8 b = g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]);
      g_byte_array_append (apdu, &b, 1);
      p += 2;
    }
  response = vtoken_card_process (card, apdu->data, apdu->len);
  g_byte_array_unref (apdu);
  r = g_bytes_get_data (response, &n);
  g_assert_cmpuint (n, >=, 2);
  if (out_data)
    *out_data = g_bytes_new (r, n - 2);
  return r[n - 2] << 8 | r[n - 1];
}

/* Key generation is slow (minutes under valgrind): the first card's state is
 * kept, and every test starts from a copy of it. */
static VtokenCard *
new_card (void)
{
  static char *state;
  g_autoptr(GError) error = NULL;
  VtokenCard *card;

  if (state == NULL)
    {
      g_autoptr(VtokenCard) first = vtoken_card_new ("oberthur-iasecc", &error);

      g_assert_no_error (error);
      state = vtoken_card_save_state (first);
    }
  card = vtoken_card_new_from_state ("oberthur-iasecc", state, &error);
  g_assert_no_error (error);
  g_assert_cmphex (run (card, "00A4040C10A000000077010800070000FE00000100", NULL), ==, 0x9000);
  return card;
}

#define PIN_1234  "08 31323334 FFFFFFFF"
#define PIN_9999  "08 39393939 FFFFFFFF"

static void
test_pin_counter (void)
{
  g_autoptr(VtokenCard) card = new_card ();

  /* Status does not consume a try. */
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C3);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C3);
  g_assert_cmphex (run (card, "00200001" PIN_9999, NULL), ==, 0x63C2);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C2);
  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x9000);   /* verified */
  /* A power cycle forgets the verification, not the counter. */
  g_assert_cmphex (run (card, "00200001" PIN_9999, NULL), ==, 0x63C2);
  vtoken_card_reset (card);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C2);
  g_assert_cmphex (run (card, "00200001" PIN_9999, NULL), ==, 0x63C1);
  g_assert_cmphex (run (card, "00200001" PIN_9999, NULL), ==, 0x6983);
  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x6983);   /* blocked stays blocked */
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x6983);
}

static void
test_change_and_unblock (void)
{
  g_autoptr(VtokenCard) card = new_card ();

  g_assert_cmphex (run (card, "00240001 10 31323334FFFFFFFF 39393939FFFFFFFF", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "00200001" PIN_9999, NULL), ==, 0x9000);
  for (int i = 0; i < 3; i++)
    run (card, "00200001" PIN_1234, NULL);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x6983);
  /* Unblocking needs the PUK first. */
  g_assert_cmphex (run (card, "002C0201" PIN_1234, NULL), ==, 0x6982);
  g_assert_cmphex (run (card, "00200002 08 3132333435363738", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "002C0201" PIN_1234, NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C3);
  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x9000);
}

static void
test_unblock_by_issuer (void)
{
  g_autoptr(VtokenCard) card = new_card ();
  g_autoptr(GBytes) challenge = NULL;
  static const guint8 key[32] = "porteur-virtual-token-issuer-key";
  guint8 mac[32];
  unsigned int mac_length;
  g_autofree char *apdu = NULL;
  GString *hex = g_string_new ("00820000 10 ");

  for (int i = 0; i < 3; i++)
    run (card, "00200001" PIN_9999, NULL);
  g_assert_cmphex (run (card, "0082000010 00000000000000000000000000000000", NULL), ==, 0x6985); /* no challenge yet */
  /* Role authentication needs the issuer key chosen first (MSE SET AT, algorithm 1C). */
  g_assert_cmphex (run (card, "0084000008", &challenge), ==, 0x9000);
  g_clear_pointer (&challenge, g_bytes_unref);
  g_assert_cmphex (run (card, "0082000010 00000000000000000000000000000000", NULL), ==, 0x6985);
  g_assert_cmphex (run (card, "002281A4 06 800101 830101", NULL), ==, 0x6A80);  /* wrong algorithm */
  g_assert_cmphex (run (card, "002281A4 06 80011C 830101", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "0084000008", &challenge), ==, 0x9000);
  g_assert_cmpuint (g_bytes_get_size (challenge), ==, 8);
  HMAC (EVP_sha256 (), key, sizeof key, g_bytes_get_data (challenge, NULL), 8, mac, &mac_length);
  for (int i = 0; i < 16; i++)
    g_string_append_printf (hex, "%02X", mac[i]);
  apdu = g_string_free (hex, FALSE);
  g_assert_cmphex (run (card, apdu, NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "002C0301", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "00200001", NULL), ==, 0x63C3);
  /* A replayed cryptogram is refused: the challenge is used once. */
  g_assert_cmphex (run (card, apdu, NULL), ==, 0x6985);
}

static X509 *
read_certificate (VtokenCard *card,
                  const char *select)
{
  GByteArray *der = g_byte_array_new ();
  const guint8 *p;
  X509 *cert;

  g_assert_cmphex (run (card, select, NULL), ==, 0x9000);
  for (guint offset = 0;; offset += 0xE7)
    {
      g_autoptr(GBytes) chunk = NULL;
      g_autofree char *apdu = g_strdup_printf ("00B0%04XE7", offset);
      guint16 sw = run (card, apdu, &chunk);

      if (sw == 0x6B00)
        break;
      g_assert_true (sw == 0x9000 || sw == 0x6282);
      g_byte_array_append (der, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      if (g_bytes_get_size (chunk) < 0xE7)
        break;
    }
  p = der->data;
  cert = d2i_X509 (NULL, &p, der->len);
  g_assert_nonnull (cert);
  g_byte_array_unref (der);
  return cert;
}

static void
test_sign (void)
{
  g_autoptr(VtokenCard) card = new_card ();
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) ec_signature = NULL;
  X509 *cert = read_certificate (card, "00A4000C 02 3402");
  X509 *ec_cert = read_certificate (card, "00A4000C 02 3403");
  static const char message[] = "Deliberation 2026-042";
  guint8 hash[32];
  GString *apdu = g_string_new ("002A9E9A 20 ");
  EVP_PKEY_CTX *ctx;

  SHA256 ((const guint8 *) message, strlen (message), hash);
  for (int i = 0; i < 32; i++)
    g_string_append_printf (apdu, "%02X", hash[i]);

  /* No signature without the PIN. */
  g_assert_cmphex (run (card, "0022 41B6 06 840182 800142", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, apdu->str, NULL), ==, 0x6982);
  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x9000);
  g_assert_cmphex (run (card, apdu->str, &signature), ==, 0x9000);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 256);

  /* Plain OpenSSL verifies it with the certificate read from the card. */
  ctx = EVP_PKEY_CTX_new (X509_get0_pubkey (cert), NULL);
  g_assert_cmpint (EVP_PKEY_verify_init (ctx), ==, 1);
  g_assert_cmpint (EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ()), ==, 1);
  g_assert_cmpint (EVP_PKEY_verify (ctx, g_bytes_get_data (signature, NULL), 256, hash, 32), ==, 1);
  EVP_PKEY_CTX_free (ctx);

  /* ECDSA P-256 on key 3: r || s. */
  g_assert_cmphex (run (card, "0022 41B6 06 840183 800142", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, apdu->str, &ec_signature), ==, 0x9000);
  g_assert_cmpuint (g_bytes_get_size (ec_signature), ==, 64);
  {
    ECDSA_SIG *sig = ECDSA_SIG_new ();
    const guint8 *rs = g_bytes_get_data (ec_signature, NULL);
    unsigned char *der = NULL;
    int der_length;

    ECDSA_SIG_set0 (sig, BN_bin2bn (rs, 32, NULL), BN_bin2bn (rs + 32, 32, NULL));
    der_length = i2d_ECDSA_SIG (sig, &der);
    ctx = EVP_PKEY_CTX_new (X509_get0_pubkey (ec_cert), NULL);
    g_assert_cmpint (EVP_PKEY_verify_init (ctx), ==, 1);
    g_assert_cmpint (EVP_PKEY_verify (ctx, der, der_length, hash, 32), ==, 1);
    EVP_PKEY_CTX_free (ctx);
    OPENSSL_free (der);
    ECDSA_SIG_free (sig);
  }

  g_string_free (apdu, TRUE);
  X509_free (cert);
  X509_free (ec_cert);
}

/* The private key SDO as OpenSC's IAS-ECC driver reads it before signing, and the access rules
 * it announces, enforced. */
static void
test_private_key_sdo (void)
{
  g_autoptr(VtokenCard) card = new_card ();
  g_autoptr(GBytes) docp = NULL;
  static const guint8 auth_docp[] = { 0xBF, 0x90, 0x01, 0x0F, 0xA0, 0x0D, 0x80, 0x02, 0x01, 0x00,
                                      0xA1, 0x07, 0x8C, 0x05, 0x3A, 0x11, 0x11, 0x11, 0x11 };
  static const guint8 qsig_docp[] = { 0xBF, 0x90, 0x02, 0x0E, 0xA0, 0x0C, 0x80, 0x02, 0x01, 0x00,
                                      0xA1, 0x06, 0x8C, 0x04, 0x4A, 0x11, 0x11, 0x11 };
  /* A SHA-256 DigestInfo (of zeros). */
  const char *int_auth = "00880000 33 3031300D060960864801650304020105000420"
                         "0000000000000000000000000000000000000000000000000000000000000000 00";

  /* The private components never leave the card; the DOCP does. */
  g_assert_cmphex (run (card, "00CB3FFF 0B 4D097007BF9001037F4880 00", NULL), ==, 0x6A80);
  g_assert_cmphex (run (card, "00CB3FFF 0A 4D087006BF900102A080 00", &docp), ==, 0x9000);
  g_assert_cmpmem (g_bytes_get_data (docp, NULL), g_bytes_get_size (docp), auth_docp, sizeof auth_docp);
  g_clear_pointer (&docp, g_bytes_unref);
  g_assert_cmphex (run (card, "00CB3FFF 0A 4D087006BF900202A080 00", &docp), ==, 0x9000);
  g_assert_cmpmem (g_bytes_get_data (docp, NULL), g_bytes_get_size (docp), qsig_docp, sizeof qsig_docp);
  /* The spare slot allows both signature commands (AMB 7A); key 3 is not an RSA key, key 9 does not exist. */
  g_clear_pointer (&docp, g_bytes_unref);
  g_assert_cmphex (run (card, "00CB3FFF 0A 4D087006BF900402A080 00", &docp), ==, 0x9000);
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (docp, NULL))[14], ==, 0x7A);
  g_assert_cmphex (run (card, "00CB3FFF 0A 4D087006BF900302A080 00", NULL), ==, 0x6A88);
  g_assert_cmphex (run (card, "00CB3FFF 0A 4D087006BF900902A080 00", NULL), ==, 0x6A88);

  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x9000);
  /* Authentication key: INTERNAL AUTHENTICATE yes, PSO CDS no. */
  g_assert_cmphex (run (card, "0022 41A4 06 840181 800102", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, int_auth, NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "0022 41B6 06 840181 800142", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, "002A9E9A 20 0000000000000000000000000000000000000000000000000000000000000000", NULL), ==, 0x6982);
  /* Qualified key: PSO CDS yes (test_sign), INTERNAL AUTHENTICATE no. */
  g_assert_cmphex (run (card, "0022 41A4 06 840182 800102", NULL), ==, 0x9000);
  g_assert_cmphex (run (card, int_auth, NULL), ==, 0x6982);
}

static void
test_generate_and_chaining (void)
{
  g_autoptr(VtokenCard) card = new_card ();
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) rest = NULL;
  guint16 sw;

  g_assert_cmphex (run (card, "00470000 05 7003BF900200", NULL), ==, 0x6982);
  g_assert_cmphex (run (card, "00200001" PIN_1234, NULL), ==, 0x9000);
  /* RSA: the public exponent first (PUT DATA), as IAS-ECC wants it; then GENERATE. */
  g_assert_cmphex (run (card, "00470000 05 7003BF900200", NULL), ==, 0x6985);
  g_assert_cmphex (run (card, "00DB3FFF 0E 700CBFA002087F4905820300FFFF", NULL), ==, 0x6A80);
  g_assert_cmphex (run (card, "00DB3FFF 0E 700CBFA002087F490582030100 01", NULL), ==, 0x9000);
  sw = run (card, "00470000 05 7003BF900200 00", &first);
  /* An RSA-2048 public key does not fit in 256 bytes: the rest comes with GET RESPONSE. */
  g_assert_cmphex (sw & 0xFF00, ==, 0x6100);
  g_assert_cmpuint (g_bytes_get_size (first), ==, 256);
  g_assert_cmpmem (g_bytes_get_data (first, NULL), 2, "\x7F\x49", 2);
  g_assert_cmphex (run (card, "00C0000000", &rest), ==, 0x9000);
  g_assert_cmpuint (g_bytes_get_size (rest), ==, (sw & 0xFF));
}

static void
test_state_roundtrip (void)
{
  g_autoptr(VtokenCard) card = new_card ();
  g_autoptr(VtokenCard) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *dump_copy = NULL;

  run (card, "00200001" PIN_9999, NULL);
  state = vtoken_card_save_state (card);
  copy = vtoken_card_new ("oberthur-iasecc", &error);
  g_assert_true (vtoken_card_load_state (copy, state, &error));
  g_assert_no_error (error);
  g_assert_cmphex (run (copy, "00200001", NULL), ==, 0x63C2);
  dump = vtoken_card_dump (card);
  dump_copy = vtoken_card_dump (copy);
  g_assert_cmpstr (dump, ==, dump_copy);
  /* The dump never shows PIN values. */
  g_assert_null (strstr (dump, "1234"));
}

static void
test_malformed (void)
{
  g_autoptr(VtokenCard) card = new_card ();

  g_assert_cmphex (run (card, "00", NULL), ==, 0x6700);
  g_assert_cmphex (run (card, "00200001 08 3132", NULL), ==, 0x6700);
  g_assert_cmphex (run (card, "80CA0000", NULL), ==, 0x6E00);
  g_assert_cmphex (run (card, "00EE0000", NULL), ==, 0x6D00);
  g_assert_cmphex (run (card, "00A4000C 02 ABCD", NULL), ==, 0x6A82);
  g_assert_cmphex (run (card, "00200009", NULL), ==, 0x6A88);
  g_assert_cmphex (run (card, "00C0000000", NULL), ==, 0x6985);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vtoken/pin-counter", test_pin_counter);
  g_test_add_func ("/vtoken/change-and-unblock", test_change_and_unblock);
  g_test_add_func ("/vtoken/unblock-by-issuer", test_unblock_by_issuer);
  g_test_add_func ("/vtoken/sign", test_sign);
  g_test_add_func ("/vtoken/private-key-sdo", test_private_key_sdo);
  g_test_add_func ("/vtoken/generate-and-chaining", test_generate_and_chaining);
  g_test_add_func ("/vtoken/state", test_state_roundtrip);
  g_test_add_func ("/vtoken/malformed", test_malformed);

  return g_test_run ();
}
