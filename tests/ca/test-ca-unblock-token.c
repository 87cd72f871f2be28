/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "ca/porteur-ca-client.h"
#include "token/porteur-token.h"
#include "ca-sim-harness.h"
#include "token-test-transport.h"

/*
 * §3.6 end to end: a blocked PIN of the in-process virtual token is unblocked
 * by porteur_token_unblock_pin_with_ca (), whose cryptogram comes from the
 * simulator through our RA client (session opened with the certificate
 * serial and the security answers set at delivery).
 */

static const char good_dossier[] =
  "{\"support\":\"token\",\"has_compatible_token\":false,\"product\":\"rgs2-sign-token\","
  "\"siret\":\"21350238800019\",\"requester_email\":\"agent@example.fr\","
  "\"prerequisites_acknowledged\":true,\"organisation_type\":\"public-body\",\"requester_role\":\"holder\","
  "\"organisation\":{\"name\":\"COMMUNE DE RENNES\",\"address\":{\"line1\":\"Hôtel de ville\",\"line2\":\"\","
  "\"postal_code\":\"35000\",\"city\":\"RENNES\"}},"
  "\"holder\":{\"civility\":\"mrs\",\"given_name\":\"Anne\",\"family_name\":\"Le Goff\",\"function\":\"Acheteuse\","
  "\"service\":\"Commande publique\",\"email\":\"anne.legoff@example.fr\",\"phone\":\"+33299000000\"},"
  "\"legal_representative\":{\"civility\":\"mr\",\"given_name\":\"Yann\",\"family_name\":\"Kerjean\","
  "\"function\":\"Maire\",\"email\":\"yann.kerjean@example.fr\"},"
  "\"office\":\"cci-ille-et-vilaine-rennes\"}";

static const PorteurCaSecurityAnswer answers[] = {
  { "birth-town-mother", "Kemper" },
  { "favourite-book", "Le Cheval d'orgueil" },
};

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

#define CALL(finish_fn, client, error, start_expr) \
  ({ GAsyncResult *_r = NULL; GAsyncResult **_slot = &_r; (void) _slot; \
     start_expr; await (&_r); \
     gpointer _v = GSIZE_TO_POINTER (finish_fn (client, _r, error)); g_object_unref (_r); _v; })

#define ASYNC_ARGS NULL, on_done, _slot

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
  session = CALL (porteur_ca_client_open_unblock_session_finish, u->client, error,
                  porteur_ca_client_open_unblock_session_async (u->client, u->serial, challenge, u->answers, 2, NULL, ASYNC_ARGS));
  if (session == NULL)
    return NULL;
  return CALL (porteur_ca_client_get_unblock_cryptogram_finish, u->client, error,
               porteur_ca_client_get_unblock_cryptogram_async (u->client, porteur_ca_unblock_session_get_id (session),
                                                               NULL, ASYNC_ARGS));
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

static PorteurSecret *
secret (const char *value)
{
  return porteur_secret_new (value, strlen (value));
}

/* An issued order with its security answers; returns the certificate serial. */
static char *
issue_with_answers (CaSimHarness *sim, PorteurCaClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (good_dossier, NULL);
  g_autoptr(PorteurCaOrder) order = NULL;
  g_autoptr(PorteurCaOrder) submitted = NULL;
  g_autoptr(PorteurCaOrder) booked = NULL;
  g_autoptr(GListModel) slots = NULL;
  g_autoptr(PorteurCaAppointmentSlot) slot = NULL;
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *prefix = g_build_filename (sim->state_dir, "holder", NULL);
  const char *number, *token;

  order = CALL (porteur_ca_client_create_order_finish, client, &error,
                porteur_ca_client_create_order_async (client, json_node_get_object (node), NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  number = porteur_ca_order_get_number (order);
  token = porteur_ca_order_get_access_token (order);
  submitted = CALL (porteur_ca_client_submit_order_finish, client, &error,
                    porteur_ca_client_submit_order_async (client, number, token, NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  out = ca_sim_harness_admin (sim, FALSE, "documents-received", number, NULL);
  slots = CALL (porteur_ca_client_get_appointment_slots_finish, client, &error,
                porteur_ca_client_get_appointment_slots_async (client, number, token, NULL, NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  slot = g_list_model_get_item (slots, 0);
  booked = CALL (porteur_ca_client_book_appointment_finish, client, &error,
                 porteur_ca_client_book_appointment_async (client, number, token, porteur_ca_appointment_slot_get_id (slot),
                                                           NULL, ASYNC_ARGS));
  g_assert_no_error (error);
  g_assert_true (GPOINTER_TO_SIZE (CALL (porteur_ca_client_set_security_answers_finish, client, &error,
                                         porteur_ca_client_set_security_answers_async (client, number, token, answers, 2,
                                                                                       NULL, ASYNC_ARGS))));
  g_assert_no_error (error);
  out2 = ca_sim_harness_admin (sim, FALSE, "deliver", number, NULL);
  return ca_sim_harness_admin (sim, FALSE, "issue", number, prefix, NULL);
}

static void
test_unblock_with_ca (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaSimHarness) sim = ca_sim_harness_start (0);
  g_autoptr(PorteurCaClient) client = porteur_ca_client_new (sim->url, sim->root_pem, FALSE, &error);
  g_autoptr(VtokenCard) card = NULL;
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(PorteurSecret) wrong_pin = secret ("9999");
  g_autoptr(PorteurSecret) fresh = secret ("2468");
  g_autofree char *serial = NULL;
  const PorteurCaSecurityAnswer bad[] = { { "birth-town-mother", "Brest" }, { "favourite-book", "le cheval d’orgueil" } };
  const PorteurCaSecurityAnswer typed[] = { { "birth-town-mother", "KEMPER" }, { "favourite-book", "le  cheval d'orgueil" } };
  Unblocker u = { client, NULL, bad, 0 };

  g_assert_no_error (error);
  serial = issue_with_answers (sim, client);
  u.serial = serial;

  card = vtoken_card_new ("oberthur-iasecc", &error);
  g_assert_no_error (error);
  token = porteur_token_open (test_transport_new (card), NULL, &error);
  g_assert_no_error (error);
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

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autofree char *cache_dir = NULL;
  int status;

  /* The token core caches card descriptions under the user cache directory: keep this test's
   * out of the real one. G_TEST_OPTION_ISOLATE_DIRS would also hide the system's GSettings
   * schemas, which GIO's default proxy resolver needs to reach the simulator. */
  cache_dir = g_dir_make_tmp ("porteur-unblock-cache-XXXXXX", NULL);
  g_assert_nonnull (cache_dir);
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ca/unblock/token-with-ca", test_unblock_with_ca);
  status = g_test_run ();
  ca_sim_harness_cleanup ();
  remove_tree (cache_dir);
  return status;
}
