/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/porteur-ca-config.h"
#include "ca/porteur-cmp.h"

/*
 * bench-cmp CMP-URL ROOT.pem ORDERS NEWKEY.pem RUNS
 *
 * Our CMP client inside one process, as the application runs it: one IR per
 * line "REFERENCE SECRET" of the file ORDERS (validated orders), then RUNS KUR
 * of the last certificate, all with the key NEWKEY.pem. The first IR of the
 * process is reported apart (it pays for GIO's TLS backend, the proxy
 * resolver and the first TLS set-up); then the median of the others and of
 * the KURs, in milliseconds. The TLS database is the CA root, set on the
 * client only (not as the process default).
 */

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare);
  return samples->len ? g_array_index (samples, double, samples->len / 2) : 0;
}

static EVP_PKEY *
load_key (const char *path)
{
  BIO *bio = BIO_new_file (path, "r");
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;

  BIO_free (bio);
  if (key == NULL)
    {
      fprintf (stderr, "bench-cmp: cannot read the key %s\n", path);
      exit (2);
    }
  return key;
}

static PorteurCmpResult *
run (PorteurCmpClient *client, PorteurCmpRequest *request, double *ms)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  PorteurCmpResult *result = porteur_cmp_client_execute_sync (client, request, NULL, &error);

  *ms = (g_get_monotonic_time () - start) / 1000.0;
  if (result == NULL)
    {
      fprintf (stderr, "bench-cmp: %s failed: %s\n",
               porteur_cmp_request_type_to_string (porteur_cmp_request_get_request_type (request)), error->message);
      exit (1);
    }
  return result;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCmpClient) client = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GArray) irs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) kurs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *orders = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(PorteurCmpResult) last = NULL;
  EVP_PKEY *key;
  double first = -1, ms;
  int runs;

  if (argc != 6)
    {
      fprintf (stderr, "usage: bench-cmp CMP-URL ROOT.pem ORDERS NEWKEY.pem RUNS\n");
      return 2;
    }
  runs = atoi (argv[5]);
  client = porteur_cmp_client_new (argv[1], FALSE, &error);
  if (client == NULL || !(database = porteur_ca_config_load_trust (argv[2], &error)) ||
      !porteur_cmp_client_set_trust_file (client, argv[2], &error) ||
      !g_file_get_contents (argv[3], &orders, NULL, &error))
    {
      fprintf (stderr, "bench-cmp: %s\n", error->message);
      return 2;
    }
  porteur_cmp_client_set_tls_database (client, database);
  key = load_key (argv[4]);

  lines = g_strsplit (orders, "\n", -1);
  OPENSSL_cleanse (orders, strlen (orders));
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 2);
      g_autoptr(PorteurCmpRequest) ir = NULL;

      if (g_strv_length (fields) != 2)
        continue;
      ir = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_IR);
      porteur_cmp_request_set_pbm (ir, fields[0], fields[1], strlen (fields[1]));
      OPENSSL_cleanse (fields[1], strlen (fields[1]));
      OPENSSL_cleanse (lines[i], strlen (lines[i]));
      porteur_cmp_request_set_new_key (ir, key);
      porteur_cmp_request_set_subject (ir, "/CN=Anne Le Goff", NULL);
      g_clear_object (&last);
      last = run (client, ir, &ms);
      if (first < 0)
        first = ms;
      else
        g_array_append_val (irs, ms);
    }
  if (last == NULL)
    {
      fprintf (stderr, "bench-cmp: no order in %s\n", argv[3]);
      return 2;
    }
  for (int i = 0; i < runs; i++)
    {
      g_autoptr(PorteurCmpRequest) kur = porteur_cmp_request_new (PORTEUR_CMP_REQUEST_KUR);
      g_autoptr(PorteurCmpResult) renewed = NULL;

      porteur_cmp_request_set_signer (kur, porteur_cmp_result_get_certificate (last), key);
      porteur_cmp_request_set_new_key (kur, key);
      renewed = run (client, kur, &ms);
      g_array_append_val (kurs, ms);
    }
  printf ("first-ir %.1f\nir %.1f\nkur %.1f\n", first, median (irs), median (kurs));
  EVP_PKEY_free (key);
  return 0;
}
