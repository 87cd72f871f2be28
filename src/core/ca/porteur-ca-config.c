/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-ca-config.h"

#include <string.h>

G_DEFINE_QUARK (porteur-ca-config-error-quark, porteur_ca_config_error)

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *bare = NULL;
  gsize len;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  len = strlen (host);
  if (len > 2 && host[0] == '[' && host[len - 1] == ']')
    bare = g_strndup (host + 1, len - 2);
  else
    bare = g_strdup (host);
  address = g_inet_address_new_from_string (bare);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

GUri *
porteur_ca_config_parse_url (const char  *text,
                             gboolean     allow_loopback_http,
                             GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local = NULL;
  const char *scheme;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (text == NULL || *text == '\0')
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_URL,
                   "No CA URL is configured");
      return NULL;
    }
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, &local);
  if (uri == NULL)
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_URL,
                   "CA URL “%s” is not valid: %s", text, local->message);
      return NULL;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_URL,
                   "CA URL “%s” is not an absolute HTTPS URL", text);
      return NULL;
    }
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_URL,
                   "CA URL “%s” must not carry credentials, a query or a fragment", text);
      return NULL;
    }
  if (g_ascii_strcasecmp (scheme, "http") == 0 &&
      !(allow_loopback_http && host_is_loopback (g_uri_get_host (uri))))
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_INSECURE,
                   "CA URL “%s” uses plain HTTP; only HTTPS is allowed", text);
      return NULL;
    }
  return g_steal_pointer (&uri);
}

GTlsDatabase *
porteur_ca_config_load_trust (const char  *path,
                              GError     **error)
{
  g_autoptr(GError) local = NULL;
  GTlsDatabase *database;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* g_tls_file_database_new () accepts an empty file; check first. */
  {
    g_autolist(GTlsCertificate) certs = g_tls_certificate_list_new_from_file (path, &local);

    if (local != NULL)
      {
        g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_TRUST,
                     "Cannot read CA trust anchors from “%s”: %s", path, local->message);
        return NULL;
      }
    if (certs == NULL)
      {
        g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_TRUST,
                     "“%s” holds no PEM certificate", path);
        return NULL;
      }
  }
  database = g_tls_file_database_new (path, &local);
  if (database == NULL)
    {
      g_set_error (error, PORTEUR_CA_CONFIG_ERROR, PORTEUR_CA_CONFIG_ERROR_BAD_TRUST,
                   "Cannot use CA trust anchors from “%s”: %s", path, local->message);
      return NULL;
    }
  return database;
}
