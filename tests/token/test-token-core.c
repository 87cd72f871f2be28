/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/core_names.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include <PCSC/reader.h>

#include "token/porteur-pinpad.h"
#include "token/porteur-token.h"
#include "token/porteur-token-cache.h"
#include "token-test-transport.h"

/*
 * The token core against the virtual token's card logic in process: identification, PKCS#15,
 * PINs (status, verify, change, unblock by PUK and by the CA, last-try confirmation, format),
 * signatures, key generation and certificate writing, and faults before every APDU.
 */

typedef struct
{
  VtokenCard   *card;
  PorteurToken *token;
  TestTransport *transport;   /* borrowed from the token */
} Fixture;

static PorteurSecret *
secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

static PorteurToken *
open_token (VtokenCard     *card,
            TestTransport **transport_out,
            GError        **error)
{
  PorteurTransport *transport = test_transport_new (card);

  if (transport_out)
    *transport_out = (TestTransport *) transport;
  return porteur_token_open (transport, NULL, error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->card = test_card_new (data ? data : "oberthur-iasecc");
  g_assert_no_error (error);
  f->token = open_token (f->card, &f->transport, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->token);
  vtoken_card_free (f->card);
}

/* The card's own counter, from its dump ("pin1=3/3"). */
static int
card_tries (VtokenCard *card,
            guint8      reference)
{
  g_autofree char *dump = vtoken_card_dump (card);
  g_autofree char *key = g_strdup_printf (" pin%u=", reference);
  const char *p = strstr (dump, key);

  g_assert_nonnull (p);
  return atoi (p + strlen (key));
}

static const PorteurPinStatus *
reported (PorteurToken *token,
          guint8        reference)
{
  GPtrArray *pins = porteur_token_get_pins (token);

  for (guint i = 0; i < pins->len; i++)
    {
      const PorteurPinStatus *s = g_ptr_array_index (pins, i);
      if (s->reference == reference)
        return s;
    }
  g_assert_not_reached ();
}

/* --- TLV and APDU ---------------------------------------------------------------------------- */

static void
test_tlv (void)
{
  static const guint8 nested[] = { 0x30, 0x08, 0x04, 0x01, 0xAA, 0x7F, 0x49, 0x02, 0x01, 0x02, 0x00, 0x00 };
  static const guint8 long_form[] = { 0x04, 0x81, 0x80 };
  static const guint8 indefinite[] = { 0x30, 0x80, 0x00, 0x00 };
  static const guint8 beyond[] = { 0x04, 0x05, 0x01 };
  static const guint8 long_tag[] = { 0x1F, 0x81, 0x82, 0x83, 0x01, 0x00 };
  PorteurTlv tlv, child;
  PorteurTlvIter iter;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) built = g_byte_array_new ();
  guint8 big[300] = { 0 };
  guint32 value;
  gsize consumed;

  g_assert_true (porteur_tlv_parse (nested, sizeof nested, &tlv, &consumed, &error));
  g_assert_cmphex (tlv.tag, ==, 0x30);
  g_assert_true (tlv.constructed);
  g_assert_cmpuint (consumed, ==, 10);
  g_assert_true (porteur_tlv_find_child (&tlv, 0x7F49, &child));
  g_assert_cmpuint (child.length, ==, 2);
  g_assert_true (porteur_tlv_get_uint (&child, &value));
  g_assert_cmphex (value, ==, 0x0102);
  /* Padding after the last object ends the walk quietly. */
  porteur_tlv_iter_init (&iter, nested, sizeof nested);
  g_assert_true (porteur_tlv_iter_next (&iter, &tlv, &error));
  g_assert_false (porteur_tlv_iter_next (&iter, &tlv, &error));
  g_assert_no_error (error);

  g_assert_false (porteur_tlv_parse (long_form, sizeof long_form, &tlv, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (porteur_tlv_parse (indefinite, sizeof indefinite, &tlv, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (porteur_tlv_parse (beyond, sizeof beyond, &tlv, NULL, &error));
  g_clear_error (&error);
  g_assert_false (porteur_tlv_parse (long_tag, sizeof long_tag, &tlv, NULL, &error));
  g_clear_error (&error);

  /* What we build, we parse back. */
  porteur_tlv_append (built, 0x7F49, big, sizeof big);
  g_assert_true (porteur_tlv_parse (built->data, built->len, &tlv, &consumed, &error));
  g_assert_cmphex (tlv.tag, ==, 0x7F49);
  g_assert_cmpuint (tlv.length, ==, 300);
  g_assert_cmpuint (consumed, ==, built->len);
}

static void
test_apdu (void)
{
  static const guint8 data[3] = { 1, 2, 3 };
  guint8 big_data[300] = { 0 };
  guint8 out[400];
  gsize n = 0;
  PorteurApdu case1 = { .ins = 0x20, .p2 = 0x01 };
  PorteurApdu case4 = { .ins = 0x88, .data = data, .lc = 3, .le = 256 };
  PorteurApdu extended = { .ins = 0x2A, .p1 = 0x9E, .p2 = 0x9A, .data = big_data, .lc = 300, .le = 512 };
  PorteurResponse response = { 0 };
  static const guint8 ok[] = { 0xAB, 0x90, 0x00 };
  static const guint8 one[] = { 0x90 };
  g_autoptr(GError) error = NULL;

  g_assert_true (porteur_apdu_encode (&case1, out, sizeof out, &n, &error));
  g_assert_cmpuint (n, ==, 4);
  g_assert_true (porteur_apdu_encode (&case4, out, sizeof out, &n, &error));
  g_assert_cmpuint (n, ==, 9);
  g_assert_cmphex (out[4], ==, 3);
  g_assert_cmphex (out[8], ==, 0x00);  /* Le 256 = 00 */
  g_assert_true (porteur_apdu_encode (&extended, out, sizeof out, &n, &error));
  g_assert_cmpuint (n, ==, 4 + 3 + 300 + 2);
  g_assert_cmphex (out[4], ==, 0x00);
  g_assert_cmphex (out[5], ==, 0x01);
  g_assert_cmphex (out[6], ==, 0x2C);
  g_assert_cmphex (out[n - 2], ==, 0x02);
  g_assert_cmphex (out[n - 1], ==, 0x00);

  g_assert_true (porteur_response_parse (ok, sizeof ok, &response, &error));
  g_assert_cmphex (response.sw, ==, 0x9000);
  g_assert_cmpuint (g_bytes_get_size (response.data), ==, 1);
  porteur_response_clear (&response);
  g_assert_false (porteur_response_parse (one, sizeof one, &response, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED);
  g_clear_error (&error);

  g_assert_false (porteur_sw_check (0x63C2, "x", &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_false (porteur_sw_check (0x6983, "x", &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_BLOCKED);
  g_clear_error (&error);
  g_assert_false (porteur_sw_check (0x6982, "x", &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_SECURITY);
  g_clear_error (&error);
  g_assert_false (porteur_sw_check (0x6F00, "x", &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_CARD);
  g_clear_error (&error);
  g_assert_true (porteur_sw_check (0x6282, "x", &error));
}

static void
test_atr_table (void)
{
  /* Oberthur with another TA1 and TCK: still matched (masked bytes). */
  static const guint8 oberthur[] = { 0x3B, 0xDD, 0x97, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0xF9, 0xA0, 0x00, 0x00, 0x00,
                                     0x77, 0x01, 0x08, 0x00, 0x07, 0x90, 0x00, 0x12 };
  static const guint8 gemalto[] = { 0x3B, 0x7F, 0x96, 0x00, 0x00, 0x00, 0x31, 0xB8, 0x64, 0x40, 0xF3, 0x85, 0x10, 0x73,
                                    0x94, 0x01, 0x80, 0x82, 0x90, 0x00 };
  static const guint8 classic[] = { 0x3B, 0x7D, 0x96, 0x00, 0x00, 0x00, 0x31, 0xB8, 0x64, 0x12, 0x34, 0x56, 0x78, 0x73,
                                    0x11, 0x22, 0x33, 0x82, 0x90, 0x00 };
  static const guint8 other[] = { 0x3B, 0x8F, 0x80, 0x01 };
  g_autoptr(GBytes) a = g_bytes_new_static (oberthur, sizeof oberthur);
  g_autoptr(GBytes) b = g_bytes_new_static (gemalto, sizeof gemalto);
  g_autoptr(GBytes) c = g_bytes_new_static (classic, sizeof classic);
  g_autoptr(GBytes) d = g_bytes_new_static (other, sizeof other);
  PorteurTokenFamily family;

  g_assert_cmpstr (porteur_token_lookup_atr (a, &family), ==, "Oberthur Cosmo v7 IAS-ECC");
  g_assert_cmpint (family, ==, PORTEUR_TOKEN_FAMILY_IAS_ECC);
  g_assert_cmpstr (porteur_token_lookup_atr (b, &family), ==, "Gemalto IAS-ECC");
  g_assert_cmpstr (porteur_token_lookup_atr (c, &family), ==, "Gemalto IDClassic IAS");
  g_assert_cmpint (family, ==, PORTEUR_TOKEN_FAMILY_IAS_CLASSIC);
  g_assert_null (porteur_token_lookup_atr (d, &family));
  g_assert_cmpint (family, ==, PORTEUR_TOKEN_FAMILY_UNKNOWN);
}

/* --- Identification -------------------------------------------------------------------------- */

static void
test_identify_oberthur (Fixture       *f,
                        gconstpointer  data)
{
  GPtrArray *certs = porteur_token_get_certificates (f->token);
  const PorteurPinStatus *pin = reported (f->token, 0x01), *puk = reported (f->token, 0x02);

  g_assert_true (porteur_token_is_supported (f->token));
  g_assert_cmpint (porteur_token_get_family (f->token), ==, PORTEUR_TOKEN_FAMILY_IAS_ECC);
  g_assert_cmpstr (porteur_token_get_model (f->token), ==, "Oberthur Cosmo v7 IAS-ECC");
  g_assert_cmpstr (porteur_token_get_atr_hex (f->token), ==, "3BDD18008131FE4580F9A000000077010800079000FE");
  g_assert_cmpstr (porteur_token_get_serial (f->token), ==, "1C0B1A2D3E4F5061");
  g_assert_cmpstr (porteur_token_get_label (f->token), ==, "Porteur virtual token");
  g_assert_nonnull (strstr (porteur_token_get_chip (f->token), "IAS-ECC 1.0"));
  g_assert_cmpuint (porteur_token_get_user_pin_reference (f->token), ==, 0x01);

  g_assert_cmpstr (pin->label, ==, "User PIN");
  g_assert_false (pin->is_puk);
  g_assert_cmpint (pin->tries_left, ==, 3);
  g_assert_cmpint (pin->tries_max, ==, 3);
  g_assert_cmpuint (pin->min_length, ==, 4);
  g_assert_cmpuint (pin->max_length, ==, 8);
  g_assert_true (puk->is_puk);
  g_assert_cmpint (puk->tries_left, ==, 10);

  g_assert_cmpuint (certs->len, ==, 3);
  for (guint i = 0; i < certs->len; i++)
    {
      PorteurTokenCert *cert = g_ptr_array_index (certs, i);
      const guint8 *p;
      gsize n;
      X509 *x;
      char cn[128] = "";

      g_assert_nonnull (cert->der);
      p = g_bytes_get_data (cert->der, &n);
      x = d2i_X509 (NULL, &p, (long) n);
      g_assert_nonnull (x);
      X509_NAME_get_text_by_NID (X509_get_subject_name (x), NID_commonName, cn, sizeof cn);
      g_assert_cmpstr (cn, ==, "Anne Le Goff");
      X509_free (x);
      g_assert_cmpuint (cert->pin_reference, ==, 0x01);
    }
  g_assert_cmpstr (((PorteurTokenCert *) certs->pdata[0])->label, ==, "Authentication");
  g_assert_cmpuint (((PorteurTokenCert *) certs->pdata[0])->key_reference & 0x7F, ==, 1);
  g_assert_false (((PorteurTokenCert *) certs->pdata[0])->non_repudiation);
  g_assert_cmpuint (((PorteurTokenCert *) certs->pdata[0])->key_bits, ==, 2048);
  g_assert_cmpstr (((PorteurTokenCert *) certs->pdata[1])->label, ==, "Qualified signature");
  g_assert_true (((PorteurTokenCert *) certs->pdata[1])->non_repudiation);
  g_assert_true (((PorteurTokenCert *) certs->pdata[2])->is_ec);
  g_assert_cmpuint (((PorteurTokenCert *) certs->pdata[2])->key_reference & 0x7F, ==, 3);
  g_assert_cmpuint (((PorteurTokenCert *) certs->pdata[2])->key_bits, ==, 256);
}

static void
test_identify_chambersign (Fixture       *f,
                           gconstpointer  data)
{
  /* Not IAS-ECC by its ATR; AID probing finds the IAS-ECC application. */
  g_assert_cmpstr (porteur_token_get_model (f->token), ==, "ChamberSign Gemalto USB Shell Token V2");
  g_assert_cmpint (porteur_token_get_family (f->token), ==, PORTEUR_TOKEN_FAMILY_IAS_ECC);
  g_assert_true (porteur_token_is_supported (f->token));
  g_assert_cmpstr (porteur_token_get_serial (f->token), ==, "2A3B4C5D6E7F8091");
}

static void
test_identify_unknown (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("unknown");
  g_autofree char *dir = g_dir_make_tmp ("porteur-token-XXXXXX", &error);
  g_autofree char *list = g_build_filename (dir, "smartcard_list.txt", NULL);
  g_autoptr(PorteurToken) token = NULL;

  g_assert_true (g_file_set_contents (list, "# test list\n3B 8F 80 01 80 4F 0C A0 00 00 03 06 .. 00 01 00 00 00 00 6A\n"
                                            "\tA storage card\n\thttp://example.org/\n\tsold as a badge\n", -1, &error));
  g_setenv ("PORTEUR_SMARTCARD_LIST", list, TRUE);
  token = open_token (card, NULL, &error);
  g_unsetenv ("PORTEUR_SMARTCARD_LIST");
  g_assert_no_error (error);
  g_assert_false (porteur_token_is_supported (token));
  g_assert_cmpint (porteur_token_get_family (token), ==, PORTEUR_TOKEN_FAMILY_UNKNOWN);
  g_assert_null (porteur_token_get_model (token));
  g_assert_cmpstr (porteur_token_get_atr_label (token), ==, "A storage card; sold as a badge");
  g_assert_cmpuint (porteur_token_get_certificates (token)->len, ==, 0);
  /* Sets and other regular-expression forms of the list. */
  {
    g_autoptr(GBytes) atr = vtoken_card_get_atr (card);
    g_autofree char *label = NULL;
    g_assert_true (g_file_set_contents (list, "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 0[2-9] 00 00 00 00 6A\n\tnot this one\n"
                                              "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 0[0-1] 00 00 00 00 6A\n\tthis one\n"
                                              "3B 8F (80|81) 01 .*\n\ttoo late\n", -1, &error));
    label = porteur_token_lookup_atr_label (atr, list);
    g_assert_cmpstr (label, ==, "this one");
    g_assert_true (g_file_set_contents (list, "3B 8F (80|81) 01 .*\n\tby GRegex\n", -1, &error));
    g_clear_pointer (&label, g_free);
    label = porteur_token_lookup_atr_label (atr, list);
    g_assert_cmpstr (label, ==, "by GRegex");
  }
  g_unlink (list);
  g_rmdir (dir);
}

static EVP_PKEY *cert_key (PorteurToken *token, guint index);

static void
test_open_quick (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  TestTransport *full_t = NULL;
  g_autoptr(PorteurToken) full = open_token (card, &full_t, &error);
  PorteurTransport *transport = test_transport_new (card);
  g_autoptr(PorteurToken) quick = porteur_token_open_with_flags (transport, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS, NULL, &error);
  g_autoptr(PorteurSecret) pin = secret ("1234");
  PorteurTokenCert *cert;
  EVP_PKEY *pub;
  guint before;

  g_assert_no_error (error);
  /* Fewer APDUs, the same PINs and keys; certificates listed, not read. */
  g_assert_cmpuint (porteur_token_get_apdu_count (quick), <, porteur_token_get_apdu_count (full) / 2);
  g_assert_cmpuint (porteur_token_get_certificates (quick)->len, ==, 3);
  cert = g_ptr_array_index (porteur_token_get_certificates (quick), 1);
  g_assert_false (cert->loaded);
  g_assert_null (cert->der);
  g_assert_true (cert->non_repudiation);
  g_assert_cmpint (reported (quick, 1)->tries_left, ==, -1);
  {
    /* PINs only: fewer APDUs still, no keys. */
    g_autoptr(PorteurToken) pins = porteur_token_open_with_flags (test_transport_new (card), PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES |
                                                                  PORTEUR_TOKEN_OPEN_SKIP_DETAILS | PORTEUR_TOKEN_OPEN_PINS_ONLY, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (porteur_token_get_apdu_count (pins), <, porteur_token_get_apdu_count (quick));
    g_assert_cmpuint (porteur_token_get_certificates (pins)->len, ==, 0);
    g_assert_true (porteur_token_verify_pin (pins, 1, pin, 0, NULL, &error));
    g_assert_no_error (error);
  }

  /* The first status also reads the policy. */
  g_assert_true (porteur_token_verify_pin (quick, 1, pin, 0, NULL, &error));
  g_assert_cmpint (reported (quick, 1)->tries_left, ==, 3);
  g_assert_cmpint (reported (quick, 1)->tries_max, ==, 3);

  /* The key as the token holds it, without reading the certificate. */
  pub = porteur_token_get_public_key (quick, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (cert->loaded);
  {
    EVP_PKEY *from_cert = cert_key (full, 1);
    g_assert_cmpint (EVP_PKEY_eq (pub, from_cert), ==, 1);
    EVP_PKEY_free (from_cert);
  }
  EVP_PKEY_free (pub);

  /* A certificate is read when asked for, once. */
  g_assert_true (porteur_token_load_certificate (quick, cert, NULL, &error));
  g_assert_true (cert->loaded);
  g_assert_true (g_bytes_equal (cert->der, ((PorteurTokenCert *) g_ptr_array_index (porteur_token_get_certificates (full), 1))->der));
  before = porteur_token_get_apdu_count (quick);
  g_assert_true (porteur_token_load_certificate (quick, cert, NULL, &error));
  g_assert_cmpuint (porteur_token_get_apdu_count (quick), ==, before);
}

/* Our directory entries read back through our parsers, with 00 runs around them (a removed
 * entry), and the first entry's offset and length as the writer needs them. */
static void
test_pkcs15_encode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurPkcs15) p15 = porteur_pkcs15_new ();
  static const guint8 id_data[20] = { 0xAB, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0xCD };
  static const guint8 auth[] = { 0x01 }, app[] = { 0x3F, 0x00, 0x50, 0x00 }, file[] = { 0x3F, 0x00, 0x50, 0x00, 0x34, 0x04 };
  g_autoptr(GBytes) id = g_bytes_new_static (id_data, sizeof id_data);
  g_autoptr(GBytes) auth_id = g_bytes_new_static (auth, sizeof auth);
  g_autoptr(GBytes) app_path = g_bytes_new_static (app, sizeof app);
  g_autoptr(GBytes) path = g_bytes_new_static (file, sizeof file);
  g_autoptr(GBytes) key = porteur_pkcs15_encode_key ("Clé de signature", id, auth_id,
                                                     PORTEUR_PKCS15_USAGE_NON_REPUDIATION | PORTEUR_PKCS15_USAGE_SIGN,
                                                     0x84, FALSE, 2048, app_path);
  g_autoptr(GBytes) cert = porteur_pkcs15_encode_cert ("Clé de signature", id, path);
  g_autoptr(GByteArray) dir = g_byte_array_new ();
  static const guint8 zeros[24] = { 0 };
  const PorteurPkcs15Key *k;
  const PorteurPkcs15Cert *c;

  g_assert_cmpuint (g_bytes_get_size (key), <=, 0xE7);
  g_byte_array_append (dir, zeros, 10);
  g_byte_array_append (dir, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  g_byte_array_append (dir, zeros, sizeof zeros);
  g_assert_true (porteur_pkcs15_parse_prkdf (p15, dir->data, dir->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p15->keys->len, ==, 1);
  k = g_ptr_array_index (p15->keys, 0);
  g_assert_cmpstr (k->label, ==, "Clé de signature");
  g_assert_true (g_bytes_equal (k->id, id));
  g_assert_true (g_bytes_equal (k->auth_id, auth_id));
  g_assert_cmphex (k->reference, ==, 0x84);
  g_assert_cmphex (k->usage, ==, PORTEUR_PKCS15_USAGE_NON_REPUDIATION | PORTEUR_PKCS15_USAGE_SIGN);
  g_assert_cmpuint (k->bits, ==, 2048);
  g_assert_false (k->is_ec);
  g_assert_cmpuint (k->offset, ==, 10);
  g_assert_cmpuint (k->length, ==, g_bytes_get_size (key));
  g_assert_cmpuint (p15->prkdf_end, ==, 10 + g_bytes_get_size (key));

  g_byte_array_set_size (dir, 0);
  g_byte_array_append (dir, g_bytes_get_data (cert, NULL), g_bytes_get_size (cert));
  g_byte_array_append (dir, zeros, sizeof zeros);
  g_byte_array_append (dir, g_bytes_get_data (cert, NULL), g_bytes_get_size (cert));
  g_assert_true (porteur_pkcs15_parse_cdf (p15, dir->data, dir->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p15->certs->len, ==, 2);
  c = g_ptr_array_index (p15->certs, 1);
  g_assert_true (g_bytes_equal (c->path, path));
  g_assert_true (g_bytes_equal (c->id, id));
  g_assert_cmpuint (c->offset, ==, g_bytes_get_size (cert) + sizeof zeros);
}

/* Sets the contents of one of the card's files, as another application (or a re-personalisation)
 * would, through the card's state. */
static void
card_set_file (VtokenCard *card,
               guint16     fid,
               const char *hex)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = vtoken_card_save_state (card);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *file;
  JsonArray *files;
  g_autofree char *modified = NULL;

  g_assert_true (json_parser_load_from_data (parser, state, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_array_member (root, "files");
  file = json_object_new ();
  json_object_set_int_member (file, "fid", fid);
  json_object_set_string_member (file, "contents", hex);
  json_array_add_object_element (files, file);
  modified = json_to_string (json_parser_get_root (parser), FALSE);
  g_assert_true (vtoken_card_load_state (card, modified, &error));
  g_assert_no_error (error);
}

static PorteurToken *
open_for_pins (VtokenCard    *card,
               TestTransport **transport_out)
{
  g_autoptr(GError) error = NULL;
  PorteurTransport *transport = test_transport_new (card);
  PorteurToken *token;

  *transport_out = (TestTransport *) transport;
  token = porteur_token_open_with_flags (transport, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS |
                                         PORTEUR_TOKEN_OPEN_PINS_ONLY, NULL, &error);
  g_assert_no_error (error);
  return token;
}

/* The PIN description cache: used (3 APDUs to open, 6 for a status), on disk for the next
 * process, dropped when another application rewrote the PINs' directory, and by our own write. */
static void
test_description_cache (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurToken) first = NULL, cached = NULL, from_disk = NULL, changed = NULL, again = NULL;
  g_autoptr(PorteurPinStatus) status = NULL;
  g_autoptr(PorteurSecret) pin = secret ("1234");
  TestTransport *t = NULL;
  g_autofree char *path = NULL, *contents = NULL;
  guint opened, uncached;
  /* The AODF as another tool would leave it after renaming the user PIN ("User PIN" → "Code PIN"). */
  static const char renamed_aodf[] =
    "303A30110C08436F64652050494E030206C00401023003040101A120301E0302028C0A01010201040201080201088001010401FF300604043F005000"
    "303230090C0350554B030206C03003040102A120301E0302018E0A01010201080201080201088001020401FF300604043F005000";

  porteur_token_cache_clear_memory ();
  first = open_for_pins (card, &t);
  uncached = t->count;
  path = porteur_token_cache_path (porteur_token_get_atr_hex (first));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Public directory data only: no PIN, versioned. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"version\" : 1"));
  g_assert_null (strstr (contents, "1234"));
  g_assert_null (strstr (contents, "31323334"));

  /* The same process: 3 APDUs (application, AODF select and read), then the status. */
  cached = open_for_pins (card, &t);
  opened = t->count;
  g_assert_cmpuint (opened, ==, 3);
  g_assert_cmpuint (opened, <, uncached);
  g_assert_true (porteur_token_get_pin_status (cached, 1, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t->count, <=, 6);
  g_assert_cmpint (status->tries_left, ==, 3);
  g_assert_cmpint (status->tries_max, ==, 3);
  g_assert_cmpstr (status->label, ==, "User PIN");

  /* The token pulled out at each APDU of a cached opening: a precise error. */
  for (guint at = 1; at <= 3; at++)
    {
      PorteurTransport *transport = test_transport_new (card);
      g_autoptr(PorteurToken) none = NULL;
      ((TestTransport *) transport)->remove_at = at;
      none = porteur_token_open_with_flags (transport, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS |
                                            PORTEUR_TOKEN_OPEN_PINS_ONLY, NULL, &error);
      g_assert_null (none);
      g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED);
      g_clear_error (&error);
      vtoken_card_reset (card);
    }

  /* A new process: from the disk. */
  porteur_token_cache_clear_memory ();
  from_disk = open_for_pins (card, &t);
  g_assert_cmpuint (t->count, ==, 3);
  g_assert_true (porteur_token_verify_pin (from_disk, 1, pin, 0, NULL, &error));
  g_assert_no_error (error);

  /* Another application rewrote the AODF: the cache is not used, the new label is read. */
  card_set_file (card, 0x4401, renamed_aodf);
  vtoken_card_reset (card);
  changed = open_for_pins (card, &t);
  g_assert_cmpuint (t->count, >, 3);
  g_assert_cmpstr (((PorteurPinStatus *) g_ptr_array_index (porteur_token_get_pins (changed), 0))->label, ==, "Code PIN");
  /* … and the fresh description replaced the cached one. */
  again = open_for_pins (card, &t);
  g_assert_cmpuint (t->count, ==, 3);
  g_assert_cmpstr (((PorteurPinStatus *) g_ptr_array_index (porteur_token_get_pins (again), 0))->label, ==, "Code PIN");

  /* Our own write drops it. */
  {
    g_autoptr(PorteurToken) full = open_token (card, NULL, &error);
    g_autoptr(GBytes) der = NULL;
    g_autoptr(PorteurTokenCacheEntry) entry = NULL;
    const PorteurTokenCert *c;
    g_assert_no_error (error);
    c = g_ptr_array_index (porteur_token_get_certificates (full), 0);
    der = g_bytes_ref (c->der);
    entry = porteur_token_cache_lookup (porteur_token_get_atr_hex (full));
    g_assert_nonnull (entry);
    g_clear_pointer (&entry, porteur_token_cache_entry_free);
    g_assert_true (porteur_token_write_certificate (full, 1, der, pin, 0, NULL, &error));
    g_assert_no_error (error);
    /* Dropped from memory and from the disk; the next opening reads the token. */
    entry = porteur_token_cache_lookup (porteur_token_get_atr_hex (full));
    g_assert_null (entry);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_clear_object (&again);
    again = open_for_pins (card, &t);
    g_assert_cmpuint (t->count, >, 3);
  }
}

/* --- PINs ------------------------------------------------------------------------------------ */

static void
test_pin_verify (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) wrong = secret ("9999");
  g_autoptr(PorteurSecret) right = secret ("1234");
  g_autoptr(PorteurPinStatus) status = NULL;

  g_assert_false (porteur_token_verify_pin (f->token, 0x01, wrong, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 2);
  g_assert_cmpint (card_tries (f->card, 1), ==, 2);

  /* The status asks the token and costs nothing. */
  g_assert_true (porteur_token_get_pin_status (f->token, 0x01, &status, NULL, &error));
  g_assert_cmpint (status->tries_left, ==, 2);
  g_assert_cmpint (card_tries (f->card, 1), ==, 2);

  g_assert_true (porteur_token_verify_pin (f->token, 0x01, right, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 3);
  g_assert_true (reported (f->token, 1)->verified);
  g_assert_cmpint (card_tries (f->card, 1), ==, 3);
}

static void
test_pin_format (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) shortpin = secret ("12");
  g_autoptr(PorteurSecret) letters = secret ("12a4");
  g_autoptr(PorteurSecret) longpin = secret ("123456789");

  g_assert_false (porteur_token_verify_pin (f->token, 0x01, shortpin, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT);
  g_clear_error (&error);
  g_assert_false (porteur_token_verify_pin (f->token, 0x01, letters, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT);
  g_clear_error (&error);
  g_assert_false (porteur_token_verify_pin (f->token, 0x01, longpin, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT);
  g_clear_error (&error);
  /* No try was spent on any of them. */
  g_assert_cmpint (card_tries (f->card, 1), ==, 3);
}

static void
test_pin_last_try (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) wrong = secret ("9999");
  g_autoptr(PorteurSecret) right = secret ("1234");

  for (int i = 0; i < 2; i++)
    {
      g_assert_false (porteur_token_verify_pin (f->token, 0x01, wrong, 0, NULL, &error));
      g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
      g_clear_error (&error);
    }
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 1);

  /* One try left: refused without the confirmation, and nothing is sent to the token. */
  g_assert_false (porteur_token_verify_pin (f->token, 0x01, right, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_LAST_TRY);
  g_clear_error (&error);
  g_assert_cmpint (card_tries (f->card, 1), ==, 1);

  g_assert_true (porteur_token_verify_pin (f->token, 0x01, right, PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (card_tries (f->card, 1), ==, 3);
}

static void
block_pin (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) wrong = secret ("9999");

  for (int i = 0; i < 3; i++)
    {
      g_assert_false (porteur_token_verify_pin (f->token, 0x01, wrong, PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED, NULL, &error));
      g_clear_error (&error);
    }
  g_assert_true (reported (f->token, 1)->blocked);
  g_assert_cmpint (card_tries (f->card, 1), ==, 0);
}

static void
block_pin_on (PorteurToken *token,
              VtokenCard   *card)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) wrong = secret ("9999");

  for (int i = 0; i < 3; i++)
    {
      g_assert_false (porteur_token_verify_pin (token, 0x01, wrong, PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED, NULL, &error));
      g_clear_error (&error);
    }
  g_assert_cmpint (card_tries (card, 1), ==, 0);
}

static void
test_pin_unblock_puk (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) right = secret ("1234");
  g_autoptr(PorteurSecret) wrong_puk = secret ("00000000");
  g_autoptr(PorteurSecret) puk = secret ("12345678");
  g_autoptr(PorteurSecret) fresh = secret ("4321");

  block_pin (f);
  g_assert_false (porteur_token_verify_pin (f->token, 0x01, right, PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_BLOCKED);
  g_clear_error (&error);

  g_assert_false (porteur_token_unblock_pin (f->token, 0x01, wrong_puk, fresh, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_cmpint (reported (f->token, 2)->tries_left, ==, 9);
  g_assert_cmpint (card_tries (f->card, 2), ==, 9);
  g_assert_cmpint (card_tries (f->card, 1), ==, 0);

  g_assert_true (porteur_token_unblock_pin (f->token, 0x01, puk, fresh, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 3);
  g_assert_false (reported (f->token, 1)->blocked);
  g_assert_cmpint (card_tries (f->card, 1), ==, 3);
  g_assert_cmpint (card_tries (f->card, 2), ==, 10);

  g_assert_false (porteur_token_verify_pin (f->token, 0x01, right, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_true (porteur_token_verify_pin (f->token, 0x01, fresh, 0, NULL, &error));
  g_assert_no_error (error);
}

static void
test_pin_change (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) old_pin = secret ("1234");
  g_autoptr(PorteurSecret) wrong = secret ("1111");
  g_autoptr(PorteurSecret) new_pin = secret ("56781234");

  g_assert_false (porteur_token_change_pin (f->token, 0x01, wrong, new_pin, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_cmpint (card_tries (f->card, 1), ==, 2);

  g_assert_true (porteur_token_change_pin (f->token, 0x01, old_pin, new_pin, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 3);
  g_assert_true (porteur_token_verify_pin (f->token, 0x01, new_pin, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (porteur_token_verify_pin (f->token, 0x01, old_pin, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
}

/* The CA's side, with the emulator's test issuer key. */
static GBytes *
test_issuer (GBytes        *challenge,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  static const char key[] = "porteur-virtual-token-issuer-key";
  guint8 mac[32];
  unsigned int n = 0;
  gboolean *wrong = user_data;

  g_assert_cmpuint (g_bytes_get_size (challenge), ==, 8);
  HMAC (EVP_sha256 (), key, 32, g_bytes_get_data (challenge, NULL), 8, mac, &n);
  if (*wrong)
    mac[0] ^= 1;
  return g_bytes_new (mac, 16);
}

static void
test_pin_unblock_ca (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) fresh = secret ("2468");
  gboolean wrong = TRUE;

  block_pin (f);
  g_assert_false (porteur_token_unblock_pin_with_ca (f->token, 0x01, fresh, test_issuer, &wrong, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_CRYPTOGRAM);
  g_clear_error (&error);
  g_assert_cmpint (card_tries (f->card, 1), ==, 0);

  wrong = FALSE;
  g_assert_true (porteur_token_unblock_pin_with_ca (f->token, 0x01, fresh, test_issuer, &wrong, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (card_tries (f->card, 1), ==, 3);
  g_assert_cmpint (reported (f->token, 1)->tries_left, ==, 3);
  g_assert_true (porteur_token_verify_pin (f->token, 0x01, fresh, 0, NULL, &error));
  g_assert_no_error (error);
}

/* --- Signatures and keys --------------------------------------------------------------------- */

static EVP_PKEY *
cert_key (PorteurToken *token,
          guint         index)
{
  PorteurTokenCert *cert = g_ptr_array_index (porteur_token_get_certificates (token), index);
  gsize n;
  const guint8 *p = g_bytes_get_data (cert->der, &n);
  X509 *x = d2i_X509 (NULL, &p, (long) n);
  EVP_PKEY *key = X509_get_pubkey (x);

  X509_free (x);
  return key;
}

static gboolean
signature_verifies (EVP_PKEY     *key,
                    const guint8 *digest,
                    GBytes       *signature)
{
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new (key, NULL);
  int rv;

  g_assert_cmpint (EVP_PKEY_verify_init (ctx), ==, 1);
  if (EVP_PKEY_get_base_id (key) == EVP_PKEY_RSA)
    EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING);
  EVP_PKEY_CTX_set_signature_md (ctx, EVP_sha256 ());
  rv = EVP_PKEY_verify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature), digest, 32);
  EVP_PKEY_CTX_free (ctx);
  return rv == 1;
}

static void
test_sign (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) pin = secret ("1234");
  guint8 digest[32];
  unsigned int n = 0;

  EVP_Digest ("Porteur", 7, digest, &n, EVP_sha256 (), NULL);
  for (guint key = 1; key <= 2; key++)
    {
      g_autoptr(GBytes) signature = porteur_token_sign (f->token, key, pin, 0, "SHA256", digest, 32, NULL, &error);
      g_autoptr(GBytes) again = NULL;
      EVP_PKEY *pub = cert_key (f->token, key - 1);

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (signature), ==, 256);
      g_assert_true (signature_verifies (pub, digest, signature));
      EVP_PKEY_free (pub);

      again = porteur_token_sign (f->token, key, NULL, 0, "SHA256", digest, 32, NULL, &error);
      if (key == 1)
        {
          /* The authentication key stays usable while the PIN is verified. */
          g_assert_no_error (error);
          g_assert_nonnull (again);
        }
      else
        {
          /* The qualified key needs the PIN for each signature. */
          g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_SECURITY);
          g_clear_error (&error);
        }
    }

  /* ECDSA with the third key: DER signature that OpenSSL verifies. */
  {
    g_autoptr(GBytes) signature = porteur_token_sign (f->token, 3, pin, 0, "SHA256", digest, 32, NULL, &error);
    EVP_PKEY *pub = cert_key (f->token, 2);
    g_assert_no_error (error);
    g_assert_cmpint (EVP_PKEY_get_base_id (pub), ==, EVP_PKEY_EC);
    g_assert_true (signature_verifies (pub, digest, signature));
    EVP_PKEY_free (pub);
  }

  /* Unknown key, unsupported digest. */
  g_assert_null (porteur_token_sign (f->token, 9, pin, 0, "SHA256", digest, 32, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (porteur_token_sign (f->token, 1, pin, 0, "MD5", digest, 16, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED);
}

/* A signature as porteur-tool makes it: the token opened for its keys (no CDF), the signature and
 * the public key it is checked with in one transaction. 11 + 8 APDUs the first time, 9 + 8 once the
 * description is cached (application, ODF, AODF, PrKDF select + 3 reads; application, PIN policy,
 * status, VERIFY, MSE SET AT, INTERNAL AUTHENTICATE, GET DATA, GET RESPONSE). A signature that does
 * not check out is never returned. */
static void
test_sign_checked (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(PorteurToken) full = NULL;
  const PorteurTokenOpenFlags flags = PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS |
                                      PORTEUR_TOKEN_OPEN_KEYS_ONLY;
  guint8 digest[32];
  unsigned int n = 0;

  EVP_Digest ("Porteur", 7, digest, &n, EVP_sha256 (), NULL);
  full = open_token (card, NULL, &error);
  g_assert_no_error (error);
  porteur_token_cache_forget (porteur_token_get_atr_hex (full));

  for (guint pass = 0; pass < 2; pass++)
    {
      PorteurTransport *transport = test_transport_new (card);
      TestTransport *t = (TestTransport *) transport;
      g_autoptr(PorteurToken) token = porteur_token_open_with_flags (transport, flags, NULL, &error);
      g_autoptr(GBytes) signature = NULL;
      EVP_PKEY *used = NULL, *cert_pub = cert_key (full, 0);
      guint opened;

      g_assert_no_error (error);
      opened = t->count;
      g_assert_cmpuint (opened, ==, pass == 0 ? 11 : 9);
      g_assert_cmpuint (porteur_token_get_certificates (token)->len, ==, 0);
      signature = porteur_token_sign_checked (token, 1, pin, 0, "SHA256", digest, 32, &used, NULL, &error);
      g_assert_no_error (error);
      g_test_message ("signature, %s description: %u APDUs", pass == 0 ? "uncached" : "cached", t->count);
      g_assert_cmpuint (t->count - opened, ==, 8);
      g_assert_cmpuint (t->count, ==, pass == 0 ? 19 : 17);
      g_assert_true (signature_verifies (cert_pub, digest, signature));
      g_assert_cmpint (EVP_PKEY_eq (used, cert_pub), ==, 1);
      EVP_PKEY_free (used);
      EVP_PKEY_free (cert_pub);
    }

  /* The qualified key (PSO CDS, from the PrKDF's nonRepudiation) and the EC key, opened alike. */
  for (guint key = 2; key <= 3; key++)
    {
      g_autoptr(PorteurToken) token = porteur_token_open_with_flags (test_transport_new (card), flags, NULL, &error);
      g_autoptr(GBytes) signature = NULL;
      EVP_PKEY *cert_pub = cert_key (full, key - 1);

      g_assert_no_error (error);
      signature = porteur_token_sign_checked (token, key, pin, 0, "SHA256", digest, 32, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (signature_verifies (cert_pub, digest, signature));
      EVP_PKEY_free (cert_pub);
    }

  /* A token that does not answer the public key's GET DATA (7th APDU): the CDF and the
   * certificate are read in the same transaction, and the certificate's key checks it. */
  {
    PorteurTransport *transport = test_transport_new (card);
    TestTransport *t = (TestTransport *) transport;
    g_autoptr(PorteurToken) token = porteur_token_open_with_flags (transport, flags, NULL, &error);
    g_autoptr(GBytes) signature = NULL;
    EVP_PKEY *used = NULL, *cert_pub = cert_key (full, 0);

    g_assert_no_error (error);
    t->sw_at = t->count + 7, t->sw_value = 0x6A88;
    signature = porteur_token_sign_checked (token, 1, pin, 0, "SHA256", digest, 32, &used, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (EVP_PKEY_eq (used, cert_pub), ==, 1);
    g_assert_true (signature_verifies (cert_pub, digest, signature));
    g_assert_cmpuint (porteur_token_get_certificates (token)->len, ==, 3);
    EVP_PKEY_free (used);
    EVP_PKEY_free (cert_pub);
  }

  /* The token answers INTERNAL AUTHENTICATE (6th APDU) with one bit flipped: the right length,
   * not a signature. Unchecked it would be returned; checked, it is an error. */
  for (guint checked = 0; checked < 2; checked++)
    {
      PorteurTransport *transport = test_transport_new (card);
      TestTransport *t = (TestTransport *) transport;
      g_autoptr(PorteurToken) token = porteur_token_open_with_flags (transport, flags, NULL, &error);
      g_autoptr(GBytes) signature = NULL;
      EVP_PKEY *cert_pub = cert_key (full, 0);

      g_assert_no_error (error);
      t->corrupt_at = t->count + 6;
      if (checked)
        {
          signature = porteur_token_sign_checked (token, 1, pin, 0, "SHA256", digest, 32, NULL, NULL, &error);
          g_assert_null (signature);
          g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_MALFORMED);
          g_clear_error (&error);
        }
      else
        {
          signature = porteur_token_sign (token, 1, pin, 0, "SHA256", digest, 32, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (g_bytes_get_size (signature), ==, 256);
          g_assert_false (signature_verifies (cert_pub, digest, signature));
        }
      EVP_PKEY_free (cert_pub);
    }
}

static X509 *
make_cert (EVP_PKEY   *subject_key,
           const char *cn)
{
  EVP_PKEY *ca = EVP_RSA_gen (2048);
  X509 *x = X509_new ();
  X509_NAME *name = X509_NAME_new ();

  X509_set_version (x, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x), 42);
  X509_gmtime_adj (X509_getm_notBefore (x), 0);
  X509_gmtime_adj (X509_getm_notAfter (x), 3600);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_set_subject_name (x, name);
  X509_set_issuer_name (x, name);
  X509_set_pubkey (x, subject_key);
  X509_sign (x, ca, EVP_sha256 ());
  X509_NAME_free (name);
  EVP_PKEY_free (ca);
  return x;
}

static void
test_generate_and_write (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(PorteurToken) reopened = NULL;
  EVP_PKEY *old_key = cert_key (f->token, 0);
  EVP_PKEY *fresh = porteur_token_generate_key (f->token, 1, pin, 0, NULL, &error);
  EVP_PKEY *written;
  X509 *x;
  guint8 *der = NULL;
  int der_length;
  g_autoptr(GBytes) der_bytes = NULL;
  guint8 digest[32] = { 1, 2, 3 };
  g_autoptr(GBytes) signature = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (fresh);
  g_assert_cmpint (EVP_PKEY_get_bits (fresh), ==, 2048);
  g_assert_cmpint (EVP_PKEY_eq (fresh, old_key), !=, 1);

  /* The new key signs, and its signatures verify with the public key the token gave. */
  signature = porteur_token_sign (f->token, 1, NULL, 0, "SHA256", digest, 32, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (signature_verifies (fresh, digest, signature));

  x = make_cert (fresh, "Anne Le Goff (renewed)");
  der_length = i2d_X509 (x, &der);
  der_bytes = g_bytes_new (der, der_length);
  g_assert_true (porteur_token_write_certificate (f->token, 1, der_bytes, pin, 0, NULL, &error));
  g_assert_no_error (error);

  /* The token holds it, whoever reads it next. */
  reopened = open_token (f->card, NULL, &error);
  g_assert_no_error (error);
  written = cert_key (reopened, 0);
  g_assert_cmpint (EVP_PKEY_eq (written, fresh), ==, 1);
  g_assert_true (g_bytes_equal (((PorteurTokenCert *) porteur_token_get_certificates (reopened)->pdata[0])->der, der_bytes));

  OPENSSL_free (der);
  X509_free (x);
  EVP_PKEY_free (written);
  EVP_PKEY_free (fresh);
  EVP_PKEY_free (old_key);
}

static const PorteurTokenCert *
cert_for_key (PorteurToken *token,
              guint8        reference)
{
  GPtrArray *certs = porteur_token_get_certificates (token);
  const PorteurTokenCert *found = NULL;

  for (guint i = 0; i < certs->len; i++)
    {
      const PorteurTokenCert *c = g_ptr_array_index (certs, i);
      if ((c->key_reference & 0x7F) == reference)
        {
          g_assert_null (found);   /* one certificate per key, whatever the directory holds */
          found = c;
        }
    }
  return found;
}

static GBytes *
der_of (X509 *x)
{
  guint8 *der = NULL;
  int n = i2d_X509 (x, &der);
  GBytes *bytes = g_bytes_new (der, n);

  OPENSSL_free (der);
  return bytes;
}

/* A key generated in a slot the directory does not list, its certificate written: the token
 * lists the pair with the ID OpenSC would give it (SHA-1 of the modulus), the certificate's
 * subject as label and its key usage. */
static void
test_write_new_entries (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(PorteurToken) reopened = NULL;
  g_autoptr(GBytes) der = NULL, signature = NULL, other_der = NULL;
  EVP_PKEY *fresh, *other;
  X509 *x, *y;
  X509_EXTENSION *ext;
  BIGNUM *modulus = NULL;
  guint8 buffer[512], sha1[20], digest[32] = { 4, 5, 6 };
  g_autofree char *id_hex = NULL;
  const PorteurTokenCert *c;
  guint before = porteur_token_get_certificates (f->token)->len;

  g_assert_null (cert_for_key (f->token, 4));
  fresh = porteur_token_generate_key (f->token, 4, pin, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fresh);

  /* A certificate for another key is refused before anything is written. */
  other = EVP_RSA_gen (2048);
  y = make_cert (other, "Someone else");
  other_der = der_of (y);
  g_assert_false (porteur_token_write_certificate (f->token, 4, other_der, pin, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  x = make_cert (fresh, "Anne Le Goff (signature)");
  ext = X509V3_EXT_conf_nid (NULL, NULL, NID_key_usage, "critical,nonRepudiation");
  X509_add_ext (x, ext, -1);
  X509_EXTENSION_free (ext);
  X509_sign (x, other, EVP_sha256 ());
  der = der_of (x);
  g_assert_true (porteur_token_write_certificate (f->token, 4, der, pin, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (porteur_token_get_certificates (f->token)->len, ==, before + 1);

  EVP_PKEY_get_bn_param (fresh, OSSL_PKEY_PARAM_RSA_N, &modulus);
  EVP_Digest (buffer, BN_bn2bin (modulus, buffer), sha1, NULL, EVP_sha1 (), NULL);
  {
    GString *h = g_string_new (NULL);
    for (int i = 0; i < 20; i++)
      g_string_append_printf (h, "%02X", sha1[i]);
    id_hex = g_string_free (h, FALSE);
  }

  vtoken_card_reset (f->card);
  reopened = open_token (f->card, NULL, &error);
  g_assert_no_error (error);
  c = cert_for_key (reopened, 4);
  g_assert_nonnull (c);
  g_assert_true (g_bytes_equal (c->der, der));
  g_assert_cmpstr (c->label, ==, "Anne Le Goff (signature)");
  g_assert_cmpstr (c->key_label, ==, "Anne Le Goff (signature)");
  g_assert_cmpstr (c->id_hex, ==, id_hex);
  g_assert_true (c->non_repudiation);
  g_assert_cmpuint (c->key_bits, ==, 2048);
  g_assert_cmpuint (c->pin_reference, ==, 1);
  /* The other keys are still listed with their certificates. */
  g_assert_cmpuint (porteur_token_get_certificates (reopened)->len, ==, before + 1);
  for (guint8 k = 1; k <= 3; k++)
    g_assert_nonnull (cert_for_key (reopened, k)->der);

  /* The new key signs through the reopened token (qualified path: PIN each time). */
  signature = porteur_token_sign (reopened, 4, pin, 0, "SHA256", digest, 32, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (signature_verifies (fresh, digest, signature));

  BN_free (modulus);
  X509_free (x);
  X509_free (y);
  EVP_PKEY_free (fresh);
  EVP_PKEY_free (other);
}

/* The token is pulled out before each APDU of a certificate write (new entries in a spare slot,
 * and a renewal that replaces a key's entries): the next opening reads a consistent directory —
 * the old pair or the new one, never a broken one — and writing again completes it. */
/* Opened as a quick operation would (certificates listed, read when asked for). */
static PorteurToken *
open_quick (VtokenCard     *card,
            TestTransport **transport_out)
{
  g_autoptr(GError) error = NULL;
  PorteurTransport *transport = test_transport_new (card);
  PorteurToken *token;

  if (transport_out)
    *transport_out = (TestTransport *) transport;
  token = porteur_token_open_with_flags (transport, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS, NULL, &error);
  g_assert_no_error (error);
  return token;
}

static const PorteurTokenCert *
loaded_cert_for_key (PorteurToken *token,
                     guint8        reference)
{
  g_autoptr(GError) error = NULL;
  PorteurTokenCert *c = (PorteurTokenCert *) cert_for_key (token, reference);

  if (c)
    {
      g_assert_true (porteur_token_load_certificate (token, c, NULL, &error));
      g_assert_no_error (error);
    }
  return c;
}

static void
test_write_faults (gconstpointer data)
{
  guint8 slot = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(GBytes) der = NULL, old_der = NULL;
  g_autofree char *state = NULL;
  EVP_PKEY *fresh;
  X509 *x;
  guint total = 0, certs_before;

  {
    g_autoptr(PorteurToken) token = open_token (card, NULL, &error);
    const PorteurTokenCert *old;
    g_assert_no_error (error);
    old = cert_for_key (token, slot);
    old_der = old ? g_bytes_ref (old->der) : NULL;
    certs_before = porteur_token_get_certificates (token)->len;
    /* A spare slot gets a new key; a renewal here keeps the key (its new certificate still gets
     * a new entry: the ID becomes the key's SHA-1). RSA generation is what is slow under the
     * sanitizers: once, and the CA key is an EC one. */
    fresh = old ? porteur_token_get_public_key (token, slot, NULL, &error)
                : porteur_token_generate_key (token, slot, pin, 0, NULL, &error);
    g_assert_no_error (error);
  }
  {
    EVP_PKEY *ca = EVP_EC_gen ("P-256");
    X509_NAME *name = X509_NAME_new ();
    x = X509_new ();
    X509_set_version (x, 2);
    ASN1_INTEGER_set (X509_get_serialNumber (x), 43);
    X509_gmtime_adj (X509_getm_notBefore (x), 0);
    X509_gmtime_adj (X509_getm_notAfter (x), 3600);
    X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) "Anne Le Goff (renewed)", -1, -1, 0);
    X509_set_subject_name (x, name);
    X509_set_issuer_name (x, name);
    X509_set_pubkey (x, fresh);
    X509_sign (x, ca, EVP_sha256 ());
    X509_NAME_free (name);
    EVP_PKEY_free (ca);
  }
  der = der_of (x);
  if (old_der)
    g_assert_false (g_bytes_equal (der, old_der));
  /* Between runs only the files and counters change (the new certificate goes to a spare file,
   * never into a key's own file): reload those, not the keys (parsing RSA keys a hundred times is
   * slow under the sanitizers). */
  {
    g_autofree char *full_state = vtoken_card_save_state (card);
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_assert_true (json_parser_load_from_data (parser, full_state, -1, &error));
    json_object_set_array_member (json_node_get_object (json_parser_get_root (parser)), "keys", json_array_new ());
    state = json_to_string (json_parser_get_root (parser), FALSE);
  }

  for (guint at = 1; total == 0 || at <= total; at++)
    {
      g_autoptr(PorteurToken) token = NULL, after = NULL;
      TestTransport *t = NULL;
      const PorteurTokenCert *c;
      guint base;
      gboolean ok;

      g_assert_true (vtoken_card_load_state (card, state, &error));
      vtoken_card_reset (card);
      token = open_quick (card, &t);
      base = t->count;
      if (total == 0)
        {
          /* First pass: no fault, to count the APDUs. */
          g_assert_true (porteur_token_write_certificate (token, slot, der, pin, 0, NULL, &error));
          g_assert_no_error (error);
          total = t->count - base;
          g_test_message ("writing the certificate of key %u: %u APDUs", slot, total);
          g_assert_cmpuint (total, >=, 5);
          at = 0;
          continue;
        }
      t->remove_at = base + at;
      ok = porteur_token_write_certificate (token, slot, der, pin, 0, NULL, &error);
      g_assert_false (ok);
      g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED);
      g_clear_error (&error);

      /* Put back: the directory reads, and the key has its old certificate or its new one. */
      vtoken_card_reset (card);
      after = open_quick (card, NULL);
      c = loaded_cert_for_key (after, slot);
      if (c == NULL)
        g_assert_null (old_der);
      else
        g_assert_true (g_bytes_equal (c->der, der) || (old_der && g_bytes_equal (c->der, old_der)));
      g_test_message ("removed at APDU %u of %u: %s", at, total,
                      c == NULL ? "no certificate yet" : g_bytes_equal (c->der, der) ? "new certificate" : "old certificate");
      g_assert_cmpuint (porteur_token_get_certificates (after)->len, <=, certs_before + 1);

      /* A signature's opening reads the PrKDF without the CDF: whichever entries the write left,
       * the slot's key signs and the signature checks out with the key the slot holds. */
      {
        g_autoptr(PorteurToken) keys = NULL;
        g_autoptr(GBytes) signature = NULL;
        EVP_PKEY *used = NULL;
        guint8 digest[32] = { 0x5A };

        vtoken_card_reset (card);
        keys = porteur_token_open_with_flags (test_transport_new (card), PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES |
                                              PORTEUR_TOKEN_OPEN_SKIP_DETAILS | PORTEUR_TOKEN_OPEN_KEYS_ONLY, NULL, &error);
        g_assert_no_error (error);
        signature = porteur_token_sign_checked (keys, slot, pin, 0, "SHA256", digest, 32, &used, NULL, &error);
        g_assert_no_error (error);
        g_assert_true (signature_verifies (fresh, digest, signature));
        g_assert_cmpint (EVP_PKEY_eq (used, fresh), ==, 1);
        EVP_PKEY_free (used);
      }

      /* Writing again completes it. */
      g_assert_true (porteur_token_write_certificate (after, slot, der, pin, 0, NULL, &error));
      g_assert_no_error (error);
      g_clear_object (&after);
      vtoken_card_reset (card);
      after = open_quick (card, NULL);
      g_assert_true (g_bytes_equal (loaded_cert_for_key (after, slot)->der, der));
      g_assert_cmpuint (porteur_token_get_certificates (after)->len, ==, certs_before + (old_der ? 0 : 1));
    }
  X509_free (x);
  EVP_PKEY_free (fresh);
}

/* --- Pinpad readers ------------------------------------------------------------------------- */

/* Our blocks, byte for byte, against pcsc-lite's own structures (reader.h). */
static void
test_pinpad_blocks (void)
{
  static const guint8 verify_apdu[] = { 0x00, 0x20, 0x00, 0x01, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
  guint8 change_apdu[5 + 16] = { 0x00, 0x24, 0x00, 0x01, 0x10 };
  PorteurPinpadParams params = { .timeout = 30, .min_length = 4, .max_length = 8, .block_size = 8, .ascii = TRUE, .lang_id = 0x040C };
  g_autoptr(GByteArray) verify = porteur_pinpad_build_verify (&params, verify_apdu, sizeof verify_apdu);
  g_autoptr(GByteArray) modify = NULL;
  guint8 golden[sizeof (PIN_MODIFY_STRUCTURE) + 32] = { 0 };
  PIN_VERIFY_STRUCTURE *v = (PIN_VERIFY_STRUCTURE *) golden;
  PIN_MODIFY_STRUCTURE *m = (PIN_MODIFY_STRUCTURE *) golden;
  PorteurPinpadFeatures features;
  static const guint8 feature_list[] = { 0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x07, 4, 0x42, 0x33, 0x00, 0x07,
                                         0x12, 4, 0x42, 0x33, 0x00, 0x12 };

  v->bTimerOut = 30;
  v->bTimerOut2 = 30;
  v->bmFormatString = 0x82;
  v->bmPINBlockString = 0x08;
  v->bmPINLengthFormat = 0x00;
  v->wPINMaxExtraDigit = 0x0408;
  v->bEntryValidationCondition = 0x02;
  v->bNumberMessage = 0x01;
  v->wLangId = 0x040C;
  v->bMsgIndex = 0;
  v->ulDataLength = sizeof verify_apdu;
  memcpy (v->abData, verify_apdu, sizeof verify_apdu);
  g_assert_cmpuint (verify->len, ==, offsetof (PIN_VERIFY_STRUCTURE, abData) + sizeof verify_apdu);
  g_assert_cmpmem (verify->data, verify->len, golden, verify->len);

  memset (change_apdu + 5, 0xFF, 16);
  modify = porteur_pinpad_build_modify (&params, 0, 8, change_apdu, sizeof change_apdu);
  memset (golden, 0, sizeof golden);
  m->bTimerOut = 30;
  m->bTimerOut2 = 30;
  m->bmFormatString = 0x82;
  m->bmPINBlockString = 0x08;
  m->bmPINLengthFormat = 0x00;
  m->bInsertionOffsetOld = 0;
  m->bInsertionOffsetNew = 8;
  m->wPINMaxExtraDigit = 0x0408;
  m->bConfirmPIN = 0x03;
  m->bEntryValidationCondition = 0x02;
  m->bNumberMessage = 0x03;
  m->wLangId = 0x040C;
  m->bMsgIndex1 = 0;
  m->bMsgIndex2 = 1;
  m->bMsgIndex3 = 2;
  m->ulDataLength = sizeof change_apdu;
  memcpy (m->abData, change_apdu, sizeof change_apdu);
  g_assert_cmpuint (modify->len, ==, offsetof (PIN_MODIFY_STRUCTURE, abData) + sizeof change_apdu);
  g_assert_cmpmem (modify->data, modify->len, golden, modify->len);

  g_assert_true (porteur_pinpad_parse_features (feature_list, sizeof feature_list, &features));
  g_assert_cmphex (features.verify_ioctl, ==, 0x42330006);
  g_assert_cmphex (features.modify_ioctl, ==, 0x42330007);
  g_assert_cmphex (features.tlv_properties_ioctl, ==, 0x42330012);
  g_assert_false (porteur_pinpad_parse_features (feature_list, 5, &features));
  g_assert_cmpuint (porteur_pinpad_lang_id_for_locale ("br_FR.UTF-8"), ==, 0x040C);
}

static void
test_pinpad_reader (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* A reader without a pinpad says so. */
  g_assert_false (porteur_token_has_pinpad (f->token, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (porteur_token_verify_pin_pinpad (f->token, 1, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
}

static void
test_pinpad_typed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  TestTransport *t = NULL;
  g_autoptr(PorteurToken) token = open_token (card, &t, &error);

  g_assert_no_error (error);
  t->typed[0] = "1234";
  g_assert_true (porteur_token_has_pinpad (token, NULL, &error));
  g_assert_true (porteur_token_verify_pin_pinpad (token, 1, 0, NULL, &error));
  g_assert_no_error (error);
  /* The PIN typed on the keypad never went through Porteur: the block carried padding only. */
  g_assert_null (memmem (t->last_block, t->last_block_length, "1234", 4));

  t->typed[0] = "9999";
  g_assert_false (porteur_token_verify_pin_pinpad (token, 1, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_INCORRECT);
  g_clear_error (&error);
  g_assert_cmpint (reported (token, 1)->tries_left, ==, 2);
  g_assert_cmpint (card_tries (card, 1), ==, 2);

  t->typed[0] = "1234", t->typed[1] = "5555", t->typed[2] = "5556";
  g_assert_false (porteur_token_change_pin_pinpad (token, 1, 0, NULL, &error));
  g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PINPAD_MISMATCH);
  g_clear_error (&error);
  t->typed[2] = "5555";
  g_assert_true (porteur_token_change_pin_pinpad (token, 1, 0, NULL, &error));
  g_assert_no_error (error);
  t->typed[0] = "5555";
  g_assert_true (porteur_token_verify_pin_pinpad (token, 1, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (card_tries (card, 1), ==, 3);
}

/* --- Async forms ---------------------------------------------------------------------------- */

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  TestTransport *t = NULL;
  g_autoptr(PorteurToken) token = open_token (card, &t, &error);
  g_autoptr(PorteurSecret) fresh = secret ("8642");
  GAsyncResult *result = NULL;
  gboolean wrong = FALSE;
  EVP_PKEY *key;
  X509 *x;
  guint8 *der = NULL;
  int n;
  g_autoptr(GBytes) der_bytes = NULL;

  g_assert_no_error (error);
  t->typed[0] = "1234";
  porteur_token_verify_pin_pinpad_async (token, 1, 0, NULL, on_done, &result);
  g_assert_true (porteur_token_pin_operation_finish (token, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  block_pin_on (token, card);
  porteur_token_unblock_pin_with_ca_async (token, 1, fresh, test_issuer, &wrong, NULL, on_done, &result);
  g_assert_true (porteur_token_pin_operation_finish (token, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (card_tries (card, 1), ==, 3);

  porteur_token_generate_key_async (token, 1, fresh, 0, NULL, on_done, &result);
  key = porteur_token_generate_key_finish (token, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  x = make_cert (key, "Anne Le Goff");
  n = i2d_X509 (x, &der);
  der_bytes = g_bytes_new (der, n);
  porteur_token_write_certificate_async (token, 1, der_bytes, fresh, 0, NULL, on_done, &result);
  g_assert_true (porteur_token_pin_operation_finish (token, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (g_bytes_equal (((PorteurTokenCert *) porteur_token_get_certificates (token)->pdata[0])->der, der_bytes));
  OPENSSL_free (der);
  X509_free (x);
  EVP_PKEY_free (key);
}

/* --- Faults ---------------------------------------------------------------------------------- */

typedef enum { FAULT_REMOVE, FAULT_SW, FAULT_GARBAGE } FaultKind;
typedef enum { OP_OPEN, OP_STATUS, OP_VERIFY, OP_VERIFY_WRONG, OP_CHANGE, OP_UNBLOCK, OP_SIGN, OP_SIGN_CHECKED, N_OPS } Op;
static const char *op_names[] = { "open", "status", "verify", "verify-wrong", "change", "unblock", "sign", "sign-checked" };

static gboolean
run_op (PorteurToken  *token,
        Op             op,
        GError       **error)
{
  g_autoptr(PorteurSecret) pin = secret ("1234");
  g_autoptr(PorteurSecret) wrong = secret ("9999");
  g_autoptr(PorteurSecret) puk = secret ("12345678");
  g_autoptr(PorteurPinStatus) status = NULL;
  g_autoptr(GBytes) signature = NULL;
  guint8 digest[32] = { 0 };

  switch (op)
    {
    case OP_STATUS: return porteur_token_get_pin_status (token, 1, &status, NULL, error);
    case OP_VERIFY: return porteur_token_verify_pin (token, 1, pin, 0, NULL, error);
    case OP_VERIFY_WRONG: return porteur_token_verify_pin (token, 1, wrong, 0, NULL, error);
    case OP_CHANGE: return porteur_token_change_pin (token, 1, pin, pin, 0, NULL, error);
    case OP_UNBLOCK: return porteur_token_unblock_pin (token, 1, puk, NULL, 0, NULL, error);
    case OP_SIGN: return (signature = porteur_token_sign (token, 2, pin, 0, "SHA256", digest, 32, NULL, error)) != NULL;
    case OP_SIGN_CHECKED:
      return (signature = porteur_token_sign_checked (token, 1, pin, 0, "SHA256", digest, 32, NULL, NULL, error)) != NULL;
    default: g_assert_not_reached ();
    }
}

/* For every operation and every one of its APDUs in turn: the token vanishes, answers a wrong
 * status word, or answers garbage. Each time: an error (never a crash or a hang), and the card's
 * counters are what the API last reported. */
static void
test_faults (gconstpointer data)
{
  FaultKind kind = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = test_card_new ("oberthur-iasecc");
  g_autofree char *full_state = vtoken_card_save_state (card);
  g_autofree char *fresh_state = NULL;

  /* Between runs only the PIN counters change: reload those, not the keys (parsing three RSA keys
   * hundreds of times is what made this test slow under the sanitizers). */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *root;
    g_assert_true (json_parser_load_from_data (parser, full_state, -1, &error));
    root = json_node_get_object (json_parser_get_root (parser));
    json_object_set_array_member (root, "keys", json_array_new ());
    fresh_state = json_to_string (json_parser_get_root (parser), FALSE);
  }

  for (Op op = OP_OPEN; op < N_OPS; op++)
    {
      guint total;

      /* How many APDUs does the operation take? */
      {
        TestTransport *t = NULL;
        g_autoptr(PorteurToken) token = NULL;
        guint before;

        g_assert_true (vtoken_card_load_state (card, fresh_state, &error));
        vtoken_card_reset (card);
        token = open_token (card, &t, &error);
        g_assert_no_error (error);
        before = t->count;
        if (op == OP_OPEN)
          total = before;
        else
          {
            run_op (token, op, NULL);
            total = t->count - before;
          }
        g_assert_cmpuint (total, >, 0);
      }

      for (guint at = 1; at <= total; at++)
        {
          g_autoptr(PorteurToken) token = NULL;
          PorteurTransport *transport;
          TestTransport *t;
          guint base = 0;
          gboolean ok;

          g_assert_true (vtoken_card_load_state (card, fresh_state, &error));
          vtoken_card_reset (card);
          transport = test_transport_new (card);
          t = (TestTransport *) transport;
          if (op != OP_OPEN)
            {
              token = porteur_token_open (transport, NULL, &error);
              g_assert_no_error (error);
              base = t->count;
            }
          if (kind == FAULT_REMOVE)
            t->remove_at = base + at;
          else if (kind == FAULT_SW)
            t->sw_at = base + at, t->sw_value = 0x6F00;
          else
            t->garbage_at = base + at;

          if (op == OP_OPEN)
            ok = (token = porteur_token_open (transport, NULL, &error)) != NULL;
          else
            ok = run_op (token, op, &error);
          g_test_message ("%s, fault %d at APDU %u of %u: %s", op_names[op], kind, at, total, ok ? "done" : error->message);
          if (!ok)
            g_assert_nonnull (error);
          if (kind == FAULT_REMOVE && !(op == OP_SIGN && at == total))
            {
              /* (A token pulled out during the log-out that follows a signature still gave the
               * signature: it is returned, and the next operation finds the token gone.) */
              g_assert_false (ok);
              g_assert_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_REMOVED);
            }
          else if (kind == FAULT_SW && op != OP_OPEN && !(op == OP_SIGN && at == total) &&
                   !(op == OP_SIGN_CHECKED && at + 1 >= total))
            {
              /* Only the log-out after a signature may fail without failing the signature, and
               * the public key's GET DATA (then GET RESPONSE): refused, the certificate's key
               * checks the signature instead. */
              g_assert_false (ok);
            }
          /* The card's counters are what the API last reported. */
          if (token)
            for (guint i = 0; i < porteur_token_get_pins (token)->len; i++)
              {
                const PorteurPinStatus *s = g_ptr_array_index (porteur_token_get_pins (token), i);
                if (s->tries_left >= 0)
                  g_assert_cmpint (card_tries (card, s->reference), ==, s->tries_left);
              }
          if (op == OP_OPEN)
            {
              g_assert_cmpint (card_tries (card, 1), ==, 3);
              g_assert_cmpint (card_tries (card, 2), ==, 10);
            }
          g_clear_error (&error);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/token/tlv", test_tlv);
  g_test_add_func ("/token/apdu", test_apdu);
  g_test_add_func ("/token/atr-table", test_atr_table);
  g_test_add ("/token/identify/oberthur", Fixture, NULL, fixture_set_up, test_identify_oberthur, fixture_tear_down);
  g_test_add ("/token/identify/chambersign", Fixture, "chambersign-gemalto", fixture_set_up, test_identify_chambersign, fixture_tear_down);
  g_test_add_func ("/token/identify/unknown", test_identify_unknown);
  g_test_add_func ("/token/identify/quick", test_open_quick);
  g_test_add_func ("/token/identify/cache", test_description_cache);
  g_test_add_func ("/token/pkcs15/encode", test_pkcs15_encode);
  g_test_add ("/token/pin/verify", Fixture, NULL, fixture_set_up, test_pin_verify, fixture_tear_down);
  g_test_add ("/token/pin/format", Fixture, NULL, fixture_set_up, test_pin_format, fixture_tear_down);
  g_test_add ("/token/pin/last-try", Fixture, NULL, fixture_set_up, test_pin_last_try, fixture_tear_down);
  g_test_add ("/token/pin/unblock-puk", Fixture, NULL, fixture_set_up, test_pin_unblock_puk, fixture_tear_down);
  g_test_add ("/token/pin/change", Fixture, NULL, fixture_set_up, test_pin_change, fixture_tear_down);
  g_test_add ("/token/pin/unblock-ca", Fixture, NULL, fixture_set_up, test_pin_unblock_ca, fixture_tear_down);
  g_test_add ("/token/sign", Fixture, NULL, fixture_set_up, test_sign, fixture_tear_down);
  g_test_add_func ("/token/sign/checked", test_sign_checked);
  g_test_add ("/token/generate-and-write", Fixture, NULL, fixture_set_up, test_generate_and_write, fixture_tear_down);
  g_test_add ("/token/write/new-entries", Fixture, NULL, fixture_set_up, test_write_new_entries, fixture_tear_down);
  g_test_add_data_func ("/token/write/faults/new-slot", GUINT_TO_POINTER (4), test_write_faults);
  g_test_add_data_func ("/token/write/faults/renewal", GUINT_TO_POINTER (1), test_write_faults);
  g_test_add_func ("/token/pinpad/blocks", test_pinpad_blocks);
  g_test_add ("/token/pinpad/none", Fixture, NULL, fixture_set_up, test_pinpad_reader, fixture_tear_down);
  g_test_add_func ("/token/pinpad/typed", test_pinpad_typed);
  g_test_add_func ("/token/async", test_async);
  g_test_add_data_func ("/token/faults/removed", GINT_TO_POINTER (FAULT_REMOVE), test_faults);
  g_test_add_data_func ("/token/faults/status-word", GINT_TO_POINTER (FAULT_SW), test_faults);
  g_test_add_data_func ("/token/faults/garbage", GINT_TO_POINTER (FAULT_GARBAGE), test_faults);

  return g_test_run ();
}
