/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ca-test-token.h"

/*
 * §3.6 end to end: a blocked PIN of the in-process virtual token is unblocked
 * by porteur_token_unblock_pin_with_ca (), whose cryptogram comes from the
 * simulator through our RA client (session opened with the certificate
 * serial and the security answers set at delivery).
 */

static const PorteurCaSecurityAnswer answers[] = {
  { "birth-town-mother", "Kemper" },
  { "favourite-book", "Le Cheval d'orgueil" },
};

typedef struct {
  PorteurCaClient               *client;
  const char                    *serial;
  const PorteurCaSecurityAnswer *answers;
  guint                          calls;
} Unblocker;

/* The PorteurCryptogramFunc: challenge in, the CA's cryptogram out, synchronously. */
static GBytes *
ca_cryptogram (GBytes        *challenge,
               gpointer       user_data,
               GCancellable  *cancellable,
               GError       **error)
{
  Unblocker *u = user_data;
  g_autoptr(PorteurCaUnblockSession) session = NULL;

  u->calls++;
  session = CA_CALL (porteur_ca_client_open_unblock_session_finish, u->client, error,
                     porteur_ca_client_open_unblock_session_async (u->client, u->serial, challenge, u->answers, 2, NULL, CA_ASYNC_ARGS));
  if (session == NULL)
    return NULL;
  return CA_CALL (porteur_ca_client_get_unblock_cryptogram_finish, u->client, error,
                  porteur_ca_client_get_unblock_cryptogram_async (u->client, porteur_ca_unblock_session_get_id (session),
                                                                  NULL, CA_ASYNC_ARGS));
}

static int
card_tries (VtokenCard *card, guint8 reference)
{
  g_autofree char *dump = vtoken_card_dump (card);
  g_autofree char *key = g_strdup_printf (" pin%u=", reference);
  const char *p = strstr (dump, key);

  g_assert_nonnull (p);
  return atoi (p + strlen (key));
}

static void
test_unblock_with_ca (CaTest *t, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtokenCard) card = NULL;
  g_autoptr(PorteurToken) token = ca_test_token_open ("oberthur-iasecc", &card);
  g_autoptr(PorteurSecret) wrong_pin = ca_test_secret ("9999");
  g_autoptr(PorteurSecret) fresh = ca_test_secret ("2468");
  g_auto(CaTestHolder) h = { 0 };
  const PorteurCaSecurityAnswer bad[] = { { "birth-town-mother", "Brest" }, { "favourite-book", "le cheval d’orgueil" } };
  const PorteurCaSecurityAnswer typed[] = { { "birth-town-mother", "KEMPER" }, { "favourite-book", "le  cheval d'orgueil" } };
  Unblocker u = { t->client, NULL, bad, 0 };

  /* an issued order with its security answers */
  ca_test_issued_order (t, "holder", answers, &h);
  u.serial = h.serial;

  for (int i = 0; i < 3; i++)
    {
      g_assert_false (porteur_token_verify_pin (token, 0x01, wrong_pin, PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED, NULL, &error));
      g_clear_error (&error);
    }
  g_assert_cmpint (card_tries (card, 1), ==, 0);

  /* wrong answers: the CA refuses, the token stays blocked */
  g_assert_false (porteur_token_unblock_pin_with_ca (token, 0x01, fresh, ca_cryptogram, &u, NULL, &error));
  g_assert_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_cmpuint (u.calls, ==, 1);
  g_assert_cmpint (card_tries (card, 1), ==, 0);

  /* the holder's answers, typed differently: unblocked, counter back to 3, new PIN works */
  u.answers = typed;
  g_assert_true (porteur_token_unblock_pin_with_ca (token, 0x01, fresh, ca_cryptogram, &u, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (u.calls, ==, 2);
  g_assert_cmpint (card_tries (card, 1), ==, 3);
  g_assert_true (porteur_token_verify_pin (token, 0x01, fresh, 0, NULL, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  ca_test_token_init (&argc, &argv);
  CA_TEST_ADD ("/ca/unblock/token-with-ca", 0, test_unblock_with_ca);
  return ca_test_token_run ();
}
