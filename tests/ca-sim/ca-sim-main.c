/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <glib-unix.h>

#include "ca-sim.h"
#include "ca-sim-cmp.h"

/*
 * porteur-ca-sim --listen 127.0.0.1:PORT --state DIR [--validation-delay SECONDS]
 *
 * The simulated CA: the RA API (/api/v1), CMP (/pkix/), OCSP (/ocsp) and the
 * CRL (/crl/issuing.crl) over HTTPS, on loopback only. PORT 0 picks a free
 * port. Prints "READY https://127.0.0.1:PORT" on stdout when it serves;
 * SIGTERM or SIGINT stop it. State and PKI live in DIR (see ca-sim-db.h and
 * ca-sim-pki.h); porteur-ca-sim-admin drives the registration office.
 */

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_listen (const char *text, GInetAddress **address, guint16 *port, GError **error)
{
  const char *colon = text ? strrchr (text, ':') : NULL;
  g_autofree char *host = NULL;
  guint64 value;

  if (colon == NULL || colon == text)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "--listen wants ADDRESS:PORT, e.g. 127.0.0.1:8443");
      return FALSE;
    }
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);
      g_free (host);
      host = inner;
    }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, error))
    return FALSE;
  *address = g_inet_address_new_from_string (host);
  if (*address == NULL)
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "“%s” is not an IP address", host);
      return FALSE;
    }
  if (!g_inet_address_get_is_loopback (*address))
    {
      g_set_error (error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE,
                   "Refusing to listen on %s: the simulator only listens on loopback addresses", host);
      g_clear_object (address);
      return FALSE;
    }
  *port = (guint16) value;
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *state = NULL;
  gint64 delay = 48 * 3600;
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Loopback address and port (PORT 0: any free port)", "ADDRESS:PORT" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state, "State directory (database and PKI)", "DIR" },
    { "validation-delay", 0, 0, G_OPTION_ARG_INT64, &delay, "Seconds from documents received to validated (default 172800)", "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— the Porteur CA simulator");
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GTlsCertificate) tls = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *delay_text = NULL;
  g_autofree char *host = NULL;
  GSList *uris;
  guint16 port = 0;
  CaSim sim = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    goto fail;
  if (listen == NULL || state == NULL)
    {
      g_set_error (&error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "--listen and --state are required");
      goto fail;
    }
  if (delay < 0)
    {
      g_set_error (&error, CA_SIM_ERROR, CA_SIM_ERROR_USAGE, "--validation-delay must not be negative");
      goto fail;
    }
  if (!parse_listen (listen, &address, &port, &error))
    goto fail;

  sim.state_dir = state;
  sim.validation_delay = delay;
  if ((sim.db = ca_sim_db_open (state, &error)) == NULL ||
      (sim.pki = ca_sim_pki_load_or_create (state, &error)) == NULL)
    goto fail;

  tls_cert = g_build_filename (state, "pki", "tls.pem", NULL);
  tls_key = g_build_filename (state, "pki", "tls.key", NULL);
  if ((tls = g_tls_certificate_new_from_files (tls_cert, tls_key, &error)) == NULL)
    goto fail;
  sim.server = soup_server_new ("tls-certificate", tls, "server-header", "porteur-ca-sim", NULL);
  ca_sim_ra_register (sim.server, &sim);
  ca_sim_status_register (sim.server, &sim);
  ca_sim_cmp_register (sim.server, &sim);

  socket_address = g_inet_socket_address_new (address, port);
  if (!soup_server_listen (sim.server, socket_address, SOUP_SERVER_LISTEN_HTTPS, &error))
    goto fail;
  uris = soup_server_get_uris (sim.server);
  port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  host = g_inet_address_to_string (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);
      g_free (host);
      host = bracketed;
    }
  sim.base_url = g_strdup_printf ("https://%s:%u", host, port);
  delay_text = g_strdup_printf ("%" G_GINT64_FORMAT, delay);
  if (!ca_sim_db_set_setting (sim.db, "base_url", sim.base_url, &error) ||
      !ca_sim_db_set_setting (sim.db, "validation_delay", delay_text, &error))
    goto fail;

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  printf ("READY %s\n", sim.base_url);
  fflush (stdout);
  g_main_loop_run (loop);

  soup_server_disconnect (sim.server);
  g_object_unref (sim.server);
  ca_sim_pki_free (sim.pki);
  ca_sim_db_close (sim.db);
  g_free (sim.base_url);
  return EXIT_SUCCESS;

fail:
  fprintf (stderr, "porteur-ca-sim: %s\n", error ? error->message : "failed");
  g_clear_object (&sim.server);
  ca_sim_pki_free (sim.pki);
  ca_sim_db_close (sim.db);
  return 2;
}
