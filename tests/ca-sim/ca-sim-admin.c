/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ca-sim-db.h"
#include "ca-sim-pki.h"

/*
 * porteur-ca-sim-admin --state DIR COMMAND [ARGUMENT…]
 *
 * The registration office of the simulator, working on its state directory
 * (the server may be running: both use the same SQLite database).
 */

static const char usage[] =
  "Usage: porteur-ca-sim-admin --state DIR COMMAND [ARGUMENT…]\n"
  "\n"
  "Commands:\n"
  "  show NUMBER                      print the order (JSON)\n"
  "  documents-received NUMBER        the signed documents arrived: documents-complete,\n"
  "                                   validated after the validation delay\n"
  "  validate NUMBER                  validate now (documents-complete → validated)\n"
  "  reject NUMBER REASON             reject the order with a reason\n"
  "  deliver NUMBER                   the holder came to the booked appointment: identity\n"
  "                                   checked face to face (appointment → issuable)\n"
  "  advance-time SECONDS             move the registration office's clock forward\n"
  "  issue NUMBER OUT-PREFIX          test only: issue the order's certificate for a new\n"
  "                                   software RSA key, without CMP; writes OUT-PREFIX.pem\n"
  "                                   and OUT-PREFIX.key and prints the serial\n"
  "  issue-for-key NUMBER PUBKEY.pem OUT-PREFIX\n"
  "                                   test only: the same for a given public key (a token's,\n"
  "                                   an EC key's); writes OUT-PREFIX.pem, prints the serial\n"
  "  revoke SERIAL [REASON]           revoke a certificate (REASON: RFC 5280 code, default 0)\n"
  "  fault METHOD PATH KIND [COUNT]   inject faults for tests (see ca-sim-db.h)\n";

static int
fail (GError *error)
{
  fprintf (stderr, "porteur-ca-sim-admin: %s\n", error->message);
  g_error_free (error);
  return 2;
}

static int
need (int argc, int n)
{
  if (argc != n)
    {
      fputs (usage, stderr);
      return 0;
    }
  return 1;
}

/* @pubkey_path: the public key to certify (PEM), or NULL for a new RSA key written to PREFIX.key. */
static gboolean
issue (CaSimDb *db, const char *state, const char *number, const char *pubkey_path, const char *prefix, GError **error)
{
  g_autoptr(CaSimEnrollment) enrollment = ca_sim_db_lookup_order_enrollment (db, number, error);
  g_autoptr(CaSimPki) pki = NULL;
  g_autofree char *base_url = ca_sim_db_get_setting (db, "base_url");
  g_autofree char *cert_path = g_strconcat (prefix, ".pem", NULL);
  g_autofree char *key_path = g_strconcat (prefix, ".key", NULL);
  g_autofree char *serial = NULL;
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  gboolean ok = FALSE;

  if (enrollment == NULL)
    return FALSE;
  if (!g_str_equal (enrollment->status, CA_SIM_VALIDATED) && !g_str_equal (enrollment->status, CA_SIM_APPOINTMENT))
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE, "Order %s is %s: not issuable", number, enrollment->status);
      return FALSE;
    }
  if ((pki = ca_sim_pki_load_or_create (state, error)) == NULL)
    return FALSE;
  if (base_url == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_STATE, "Start porteur-ca-sim once first (its URL goes in the certificates)");
      return FALSE;
    }
  if (pubkey_path)
    {
      FILE *f = fopen (pubkey_path, "r");

      key = f ? PEM_read_PUBKEY (f, NULL, NULL, NULL) : NULL;
      if (f)
        fclose (f);
      if (key == NULL)
        {
          g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "%s: not a PEM public key", pubkey_path);
          return FALSE;
        }
    }
  else if ((key = EVP_RSA_gen (2048)) == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_PKI, "Cannot generate a key");
      return FALSE;
    }
  if ((cert = ca_sim_pki_issue (pki, key, enrollment->subject, base_url, 3 * 365, error)) == NULL)
    goto out;
  if ((pubkey_path == NULL && !ca_sim_write_pem_key (key_path, key, error)) || !ca_sim_write_pem_cert (cert_path, cert, error))
    goto out;
  if (!ca_sim_db_begin (db, error))
    goto out;
  if (!ca_sim_db_record_certificate (db, number, cert, error))
    {
      ca_sim_db_rollback (db);
      goto out;
    }
  if (!ca_sim_db_commit (db, error))
    goto out;
  serial = ca_sim_serial_hex (X509_get0_serialNumber (cert));
  printf ("%s\n", serial);
  ok = TRUE;

out:
  X509_free (cert);
  EVP_PKEY_free (key);
  return ok;
}

static gboolean
show (CaSimDb *db, const char *number, GError **error)
{
  g_autoptr(CaSimOrder) order = ca_sim_db_get_order (db, number, error);

  if (order == NULL)
    return FALSE;
  printf ("{\"number\":\"%s\",\"status\":\"%s\",\"validation_due\":%" G_GINT64_FORMAT ",\"serial\":%s%s%s}\n",
          order->number, order->status, order->validation_due,
          order->serial ? "\"" : "", order->serial ? order->serial : "null", order->serial ? "\"" : "");
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *state = NULL;
  GOptionEntry entries[] = {
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state, "State directory of the simulator", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COMMAND [ARGUMENT…]");
  g_autoptr(CaSimDb) db = NULL;
  GError *error = NULL;
  const char *command;
  gboolean ok = FALSE;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, usage);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (state == NULL || argc < 2)
    {
      fputs (usage, stderr);
      return 2;
    }
  if ((db = ca_sim_db_open (state, &error)) == NULL)
    return fail (error);
  command = argv[1];

  if (g_str_equal (command, "show") && need (argc, 3))
    ok = show (db, argv[2], &error);
  else if (g_str_equal (command, "documents-received") && need (argc, 3))
    {
      g_autofree char *delay = ca_sim_db_get_setting (db, "validation_delay");
      ok = ca_sim_db_begin (db, &error) &&
           ca_sim_db_documents_received (db, argv[2], delay ? g_ascii_strtoll (delay, NULL, 10) : 48 * 3600, &error);
    }
  else if (g_str_equal (command, "validate") && need (argc, 3))
    ok = ca_sim_db_begin (db, &error) && ca_sim_db_validate (db, argv[2], &error);
  else if (g_str_equal (command, "deliver") && need (argc, 3))
    ok = ca_sim_db_begin (db, &error) && ca_sim_db_deliver (db, argv[2], &error);
  else if (g_str_equal (command, "reject") && need (argc, 4))
    ok = ca_sim_db_begin (db, &error) && ca_sim_db_reject (db, argv[2], argv[3], &error);
  else if (g_str_equal (command, "advance-time") && need (argc, 3))
    {
      g_autofree char *offset = ca_sim_db_get_setting (db, "time_offset");
      g_autofree char *value = NULL;
      guint64 seconds;

      if (g_ascii_string_to_unsigned (argv[2], 10, 0, G_MAXINT32, &seconds, &error))
        {
          value = g_strdup_printf ("%" G_GINT64_FORMAT, (offset ? g_ascii_strtoll (offset, NULL, 10) : 0) + (gint64) seconds);
          ok = ca_sim_db_begin (db, &error) && ca_sim_db_set_setting (db, "time_offset", value, &error);
        }
    }
  else if (g_str_equal (command, "issue") && need (argc, 4))
    return issue (db, state, argv[2], NULL, argv[3], &error) ? 0 : fail (error);
  else if (g_str_equal (command, "issue-for-key") && need (argc, 5))
    return issue (db, state, argv[2], argv[3], argv[4], &error) ? 0 : fail (error);
  else if (g_str_equal (command, "revoke") && (argc == 3 || argc == 4))
    {
      guint64 reason = 0;

      if (argc == 4 && !g_ascii_string_to_unsigned (argv[3], 10, 0, 10, &reason, &error))
        return fail (error);
      ok = ca_sim_db_begin (db, &error) && ca_sim_db_revoke (db, argv[2], (int) reason, &error);
    }
  else if (g_str_equal (command, "fault") && (argc == 5 || argc == 6))
    {
      guint64 count = 1;

      if (argc == 6 && !g_ascii_string_to_unsigned (argv[5], 10, 1, 1000, &count, &error))
        return fail (error);
      ok = ca_sim_db_begin (db, &error) && ca_sim_db_add_fault (db, argv[2], argv[3], argv[4], (guint) count, &error);
    }
  else
    {
      fputs (usage, stderr);
      return 2;
    }

  if (!ok)
    {
      if (!g_str_equal (command, "show"))
        ca_sim_db_rollback (db);
      return fail (error);
    }
  if (!g_str_equal (command, "show") && !ca_sim_db_commit (db, &error))
    return fail (error);
  return 0;
}
