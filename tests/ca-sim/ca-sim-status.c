/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ca-sim.h"

/* OCSP (RFC 6960, POST application/ocsp-request at /ocsp) and the issuing
 * CA's CRL (DER at /crl/issuing.crl), both from the certificates table. */

static void
ocsp_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  CaSim *sim = user_data;
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *fault = ca_sim_db_take_fault (sim->db, soup_server_message_get_method (msg), path);

  if (fault)
    {
      ca_sim_apply_fault (sim, msg, fault);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (type == NULL || g_ascii_strcasecmp (type, "application/ocsp-request") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, NULL);
      return;
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  answer = ca_sim_pki_ocsp_respond (sim->pki, sim->db, body);
  if (answer == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/ocsp-response", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
crl_handler (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  CaSim *sim = user_data;
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fault = ca_sim_db_take_fault (sim->db, soup_server_message_get_method (msg), path);

  if (fault)
    {
      ca_sim_apply_fault (sim, msg, fault);
      return;
    }
  if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (!g_str_equal (path, "/crl/issuing.crl"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if ((crl = ca_sim_pki_crl (sim->pki, sim->db, &error)) == NULL)
    {
      g_warning ("%s", error->message);
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/pkix-crl", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (crl, NULL), g_bytes_get_size (crl));
}

void
ca_sim_status_register (SoupServer *server,
                        CaSim      *sim)
{
  soup_server_add_handler (server, "/ocsp", ocsp_handler, sim, NULL);
  soup_server_add_handler (server, "/crl", crl_handler, sim, NULL);
}

/* Faults ------------------------------------------------------------------ */

typedef struct {
  SoupServerMessage *msg;
  gboolean           finished;
} Delayed;

static void
on_delayed_finished (SoupServerMessage *msg, Delayed *delayed)
{
  delayed->finished = TRUE;
}

static gboolean
on_delay_elapsed (gpointer data)
{
  Delayed *delayed = data;

  if (!delayed->finished)
    {
      soup_server_message_set_status (delayed->msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (delayed->msg);
    }
  g_signal_handlers_disconnect_by_data (delayed->msg, delayed);
  g_object_unref (delayed->msg);
  g_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
set_body (SoupServerMessage *msg, guint status, const char *type, const char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

gboolean
ca_sim_apply_fault (CaSim *sim, SoupServerMessage *msg, const char *kind)
{
  if (g_str_equal (kind, "http-500"))
    set_body (msg, 500, "application/problem+json",
              "{\"type\":\"https://porteur.example/problems/internal\",\"title\":\"Injected failure\",\"status\":500,\"detail\":\"fault http-500\"}");
  else if (g_str_equal (kind, "http-503"))
    {
      set_body (msg, 503, "application/problem+json",
                "{\"type\":\"https://porteur.example/problems/internal\",\"title\":\"Injected unavailability\",\"status\":503}");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
    }
  else if (g_str_equal (kind, "malformed-json"))
    set_body (msg, 200, "application/json", "{\"number\": \"PO-2026-0000");
  else if (g_str_equal (kind, "wrong-content-type"))
    set_body (msg, 200, "text/html; charset=utf-8", "<html><body>Maintenance</body></html>");
  else if (g_str_equal (kind, "redirect-http"))
    {
      GUri *uri = soup_server_message_get_uri (msg);
      g_autofree char *location = g_strdup_printf ("http://%s:%d%s", g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri));

      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, location);
    }
  else if (g_str_equal (kind, "delay"))
    {
      Delayed *delayed = g_new0 (Delayed, 1);

      delayed->msg = g_object_ref (msg);
      g_signal_connect (msg, "finished", G_CALLBACK (on_delayed_finished), delayed);
      soup_server_message_pause (msg);
      g_timeout_add_seconds (60, on_delay_elapsed, delayed);
    }
  else
    return FALSE;
  return TRUE;
}
