/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <libsoup/soup.h>

#include "ca/porteur-ca-client.h"

/*
 * bench-ca-ra URL ROOT.pem RUNS FORM.json
 *
 * RA API round trips against a running simulator, in one process, over one
 * keep-alive HTTPS connection: PorteurCaClient (request, checks, JSON parsing,
 * typed models) against a bare SoupSession GET of the same resource (the
 * transport floor). Prints the median and 95th percentile of each, in
 * microseconds, and the ratio of medians.
 */

static GAsyncResult *result;

static void
on_done (GObject *source, GAsyncResult *res, gpointer data)
{
  result = g_object_ref (res);
}

static void
await (void)
{
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static int
compare (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *name, gint64 *samples, guint n, gint64 *median)
{
  qsort (samples, n, sizeof *samples, compare);
  *median = samples[n / 2];
  printf ("%-34s median %7" G_GINT64_FORMAT " µs   p95 %7" G_GINT64_FORMAT " µs\n",
          name, samples[n / 2], samples[(n * 95) / 100]);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GTlsDatabase) trust = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *products_url = NULL;
  g_autofree gint64 *ours = NULL;
  g_autofree gint64 *raw = NULL;
  g_autofree gint64 *creates = NULL;
  gint64 median_ours, median_raw, median_create;
  guint runs;

  if (argc != 5)
    {
      fprintf (stderr, "usage: bench-ca-ra URL ROOT.pem RUNS FORM.json\n");
      return 2;
    }
  runs = (guint) g_ascii_strtoull (argv[3], NULL, 10);
  if (runs < 10 || !json_parser_load_from_file (parser, argv[4], &error))
    {
      fprintf (stderr, "bench-ca-ra: %s\n", error ? error->message : "RUNS must be at least 10");
      return 2;
    }
  client = porteur_ca_client_new (argv[1], argv[2], FALSE, &error);
  trust = g_tls_file_database_new (argv[2], &error);
  if (client == NULL || trust == NULL)
    {
      fprintf (stderr, "bench-ca-ra: %s\n", error->message);
      return 2;
    }
  session = soup_session_new_with_options ("tls-database", trust, NULL);
  products_url = g_strconcat (argv[1], "/api/v1/products", NULL);
  ours = g_new (gint64, runs);
  raw = g_new (gint64, runs);
  creates = g_new (gint64, runs);

  /* Warm both connections up. */
  for (guint i = 0; i < runs + 2; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GListModel) list = NULL;
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", products_url);
      g_autoptr(GBytes) body = NULL;

      porteur_ca_client_list_products_async (client, NULL, on_done, NULL);
      await ();
      list = porteur_ca_client_list_products_finish (client, result, &error);
      g_clear_object (&result);
      if (list == NULL)
        {
          fprintf (stderr, "bench-ca-ra: %s\n", error->message);
          return 1;
        }
      if (i >= 2)
        ours[i - 2] = g_get_monotonic_time () - start;

      start = g_get_monotonic_time ();
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_done, NULL);
      await ();
      body = soup_session_send_and_read_finish (session, result, &error);
      g_clear_object (&result);
      if (body == NULL || soup_message_get_status (msg) != 200)
        {
          fprintf (stderr, "bench-ca-ra: raw GET failed\n");
          return 1;
        }
      if (i >= 2)
        raw[i - 2] = g_get_monotonic_time () - start;
    }

  for (guint i = 0; i < runs; i++)
    {
      g_autofree char *key = porteur_ca_new_idempotency_key ();
      g_autoptr(PorteurCaOrder) order = NULL;
      gint64 start = g_get_monotonic_time ();

      porteur_ca_client_create_order_async (client, json_node_get_object (json_parser_get_root (parser)), key,
                                            NULL, on_done, NULL);
      await ();
      order = porteur_ca_client_create_order_finish (client, result, &error);
      g_clear_object (&result);
      if (order == NULL)
        {
          fprintf (stderr, "bench-ca-ra: %s\n", error->message);
          return 1;
        }
      creates[i] = g_get_monotonic_time () - start;
    }

  printf ("%u round trips each, one keep-alive HTTPS connection\n", runs);
  report ("GET /products, PorteurCaClient", ours, runs, &median_ours);
  report ("GET /products, bare SoupSession", raw, runs, &median_raw);
  report ("POST /orders (validated, stored)", creates, runs, &median_create);
  printf ("client / bare transport (medians): %.2f\n", (double) median_ours / (double) median_raw);
  return 0;
}
