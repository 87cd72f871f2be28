/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-pki-http.h"

#include <string.h>

SoupSession *
porteur_pki_http_session_new (guint         timeout_seconds,
                              GTlsDatabase *tls_database)
{
  SoupSession *session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                        "idle-timeout", timeout_seconds,
                                                        "proxy-resolver", g_proxy_resolver_get_default (),
                                                        NULL);

  if (tls_database)
    soup_session_set_tls_database (session, tls_database);
  return session;
}

void
porteur_pki_http_pin_default_trust (GTlsDatabase *database)
{
  g_return_if_fail (G_IS_TLS_DATABASE (database));
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
}

static gboolean
media_type_is (const char *header,
               const char *expected)
{
  g_autofree char *bare = NULL;
  const char *semicolon;

  if (header == NULL)
    return FALSE;
  semicolon = strchr (header, ';');
  bare = g_strstrip (semicolon ? g_strndup (header, semicolon - header) : g_strdup (header));
  return g_ascii_strcasecmp (bare, expected) == 0;
}

GBytes *
porteur_pki_http_exchange (SoupSession   *session,
                           const char    *url,
                           const char    *content_type,
                           GBytes        *body,
                           const char    *expected_type,
                           gboolean       close,
                           gboolean       follow_redirects,
                           gsize          max_size,
                           GQuark         domain,
                           int            code,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) local = NULL;
  const char *type;
  guint status;

  message = soup_message_new (body ? "POST" : "GET", url);
  if (message == NULL)
    {
      g_set_error (error, domain, code, "“%s” is not a valid address", url);
      return NULL;
    }
  if (body)
    soup_message_set_request_body_from_bytes (message, content_type, body);
  if (close)
    soup_message_headers_append (soup_message_get_request_headers (message), "Connection", "close");
  if (!follow_redirects)
    soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);

  response = soup_session_send_and_read (session, message, cancellable, &local);
  if (response == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, domain, code, "%s: %s", url, local->message);
      return NULL;
    }
  status = soup_message_get_status (message);
  if (status != SOUP_STATUS_OK)
    {
      g_set_error (error, domain, code, "%s answered HTTP %u %s", url, status,
                   soup_message_get_reason_phrase (message) ? soup_message_get_reason_phrase (message) : "");
      return NULL;
    }
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);
  if (expected_type && !media_type_is (type, expected_type))
    {
      g_set_error (error, domain, code, "%s answered with content type “%s” instead of %s",
                   url, type ? type : "(none)", expected_type);
      return NULL;
    }
  if (g_bytes_get_size (response) > max_size)
    {
      g_set_error (error, domain, code, "%s answered more than %" G_GSIZE_FORMAT " bytes", url, max_size);
      return NULL;
    }
  return g_steal_pointer (&response);
}

typedef struct
{
  PorteurPkiCheckFunc func;
  X509 *cert;
  X509 *issuer;
  char *location;
} CheckData;

static void
check_data_free (CheckData *data)
{
  X509_free (data->cert);
  X509_free (data->issuer);
  g_free (data->location);
  g_free (data);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckData *data = task_data;
  GError *error = NULL;
  GObject *result = data->func (source_object, data->cert, data->issuer, data->location,
                                cancellable, &error);

  if (result)
    g_task_return_pointer (task, result, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
porteur_pki_check_in_thread (gpointer             self,
                             PorteurPkiCheckFunc  func,
                             gpointer             source_tag,
                             X509                *cert,
                             X509                *issuer,
                             const char          *location,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CheckData *data = g_new0 (CheckData, 1);

  data->func = func;
  if (cert && X509_up_ref (cert))
    data->cert = cert;
  if (issuer && X509_up_ref (issuer))
    data->issuer = issuer;
  data->location = g_strdup (location);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
}
