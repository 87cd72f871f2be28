/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ca/porteur-ca-config.h"
#include "ca/porteur-cmp.h"
#include "ca/porteur-crl.h"
#include "ca/porteur-ocsp.h"
#include "ca/porteur-pki-http.h"
#include "cert/porteur-cert.h"
#include "porteur-tool.h"

/* `porteur-tool ca ocsp|crl|cmp`: certificate status (OCSP, CRL) and certificate life cycle
 * (CMP IR, P10CR, KUR, RR). Exit status: 0 good / done, 1 revoked, unknown, outside its
 * validity, or refused by the CA, 2 error. Secrets come from a file descriptor, never argv. */

#define PORTEUR_TOOL_CA_COMMAND(func, name, summary) \
  int porteur_tool_ca_##func (PorteurTool *tool, int argc, char **argv);
#include "porteur-tool-ca-commands.h"
#undef PORTEUR_TOOL_CA_COMMAND

/* ---- reading files ---- */

static int
no_password_cb (char *buf, int size, int rwflag, void *u)
{
  return -1;  /* never prompt: encrypted keys are not supported here */
}

/* All certificates of a PEM file, or the one certificate of a DER file. */
static STACK_OF (X509) *
load_certs (const char  *path,
            GError     **error)
{
  STACK_OF (X509) *certs = sk_X509_new_null ();
  g_autofree char *contents = NULL;
  gsize length = 0;
  BIO *bio;
  X509 *cert;

  if (!g_file_get_contents (path, &contents, &length, error))
    {
      sk_X509_free (certs);
      return NULL;
    }
  bio = BIO_new_mem_buf (contents, (int) MIN (length, G_MAXINT));
  while ((cert = PEM_read_bio_X509 (bio, NULL, no_password_cb, NULL)))
    sk_X509_push (certs, cert);
  BIO_free (bio);
  if (sk_X509_num (certs) == 0)
    {
      const unsigned char *p = (const unsigned char *) contents;

      if ((cert = d2i_X509 (NULL, &p, (long) length)))
        sk_X509_push (certs, cert);
    }
  ERR_clear_error ();
  if (sk_X509_num (certs) == 0)
    {
      sk_X509_free (certs);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s holds no certificate"), path);
      return NULL;
    }
  return certs;
}

static X509 *
load_cert (const char  *path,
           GError     **error)
{
  STACK_OF (X509) *certs = load_certs (path, error);
  X509 *cert;

  if (certs == NULL)
    return NULL;
  cert = sk_X509_shift (certs);
  sk_X509_pop_free (certs, X509_free);
  return cert;
}

static EVP_PKEY *
load_key (const char  *path,
          GError     **error)
{
  BIO *bio = BIO_new_file (path, "r");
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, no_password_cb, NULL) : NULL;

  BIO_free (bio);
  ERR_clear_error ();
  if (key == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("%s holds no unencrypted PEM private key"), path);
  return key;
}

/* Finds @cert's issuer among the certificates of the given files. */
static X509 *
find_issuer (X509        *cert,
             const char  *const *paths,
             GError     **error)
{
  for (guint i = 0; paths[i]; i++)
    {
      STACK_OF (X509) *certs;

      if (*paths[i] == '\0')
        continue;
      if (!(certs = load_certs (paths[i], error)))
        return NULL;
      for (int j = 0; j < sk_X509_num (certs); j++)
        {
          X509 *candidate = sk_X509_value (certs, j);

          if (X509_check_issued (candidate, cert) == X509_V_OK && X509_up_ref (candidate))
            {
              sk_X509_pop_free (certs, X509_free);
              ERR_clear_error ();
              return candidate;
            }
        }
      sk_X509_pop_free (certs, X509_free);
    }
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The issuer of the certificate was not found: give it with --issuer"));
  return NULL;
}

/* ---- printing ---- */

static char *
format_time (GDateTime *time)
{
  return time ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("—");
}

static char *
subject_of (X509 *cert)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  char *text;
  long n;

  X509_NAME_print_ex (bio, X509_get_subject_name (cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  n = BIO_get_mem_data (bio, &data);
  text = g_strndup (data, n);
  BIO_free (bio);
  return text;
}

static char *
serial_of (X509 *cert)
{
  BIGNUM *bn = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
  char *hex = bn ? BN_bn2hex (bn) : NULL;
  char *text = g_ascii_strdown (hex ? hex : "", -1);

  OPENSSL_free (hex);
  BN_free (bn);
  return text;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          GDateTime   *time)
{
  g_autofree char *text = time ? g_date_time_format_iso8601 (time) : NULL;

  add_string (builder, name, text);
}

static void
add_cert (JsonBuilder *builder,
          const char  *name,
          X509        *cert,
          GDateTime   *not_before,
          GDateTime   *not_after,
          gboolean     time_valid)
{
  g_autofree char *subject = subject_of (cert);
  g_autofree char *serial = serial_of (cert);

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_string (builder, "subject", subject);
  add_string (builder, "serial", serial);
  add_time (builder, "not_before", not_before);
  add_time (builder, "not_after", not_after);
  json_builder_set_member_name (builder, "time_valid");
  json_builder_add_boolean_value (builder, time_valid);
  json_builder_end_object (builder);
}

static const char *
status_label (PorteurCertStatus status)
{
  switch (status)
    {
    case PORTEUR_CERT_STATUS_GOOD:
      return C_("certificate status", "good (not revoked)");
    case PORTEUR_CERT_STATUS_REVOKED:
      return C_("certificate status", "revoked");
    case PORTEUR_CERT_STATUS_UNKNOWN:
    default:
      return C_("certificate status", "unknown to the authority");
    }
}

/* A translated sentence for the errors of the core modules used here; the core message
 * (for logs, in English) follows in parentheses. */
static const char *
explain (const GError *error)
{
  if (error->domain == PORTEUR_OCSP_ERROR)
    switch ((PorteurOcspError) error->code)
      {
      case PORTEUR_OCSP_ERROR_NO_RESPONDER:
        return _("The certificate names no OCSP responder: give one with --url.");
      case PORTEUR_OCSP_ERROR_TRANSPORT:
        return _("The OCSP responder could not be reached.");
      case PORTEUR_OCSP_ERROR_RESPONDER_ERROR:
        return _("The OCSP responder refused to answer.");
      case PORTEUR_OCSP_ERROR_BAD_SIGNATURE:
      case PORTEUR_OCSP_ERROR_UNAUTHORIZED:
      case PORTEUR_OCSP_ERROR_BAD_NONCE:
        return _("The OCSP answer cannot be trusted.");
      case PORTEUR_OCSP_ERROR_STALE:
        return _("The OCSP answer is out of date.");
      default:
        return _("The OCSP answer is not usable.");
      }
  if (error->domain == PORTEUR_CRL_ERROR)
    switch ((PorteurCrlError) error->code)
      {
      case PORTEUR_CRL_ERROR_NO_DISTRIBUTION_POINT:
        return _("The certificate names no revocation list: give one with --crl.");
      case PORTEUR_CRL_ERROR_TRANSPORT:
        return _("The revocation list could not be fetched.");
      case PORTEUR_CRL_ERROR_WRONG_ISSUER:
      case PORTEUR_CRL_ERROR_BAD_SIGNATURE:
        return _("The revocation list cannot be trusted.");
      case PORTEUR_CRL_ERROR_STALE:
        return _("The revocation list is out of date.");
      default:
        return _("The revocation list is not usable.");
      }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return _("Cancelled: the certification authority was told to abandon the request.");
  if (error->domain == PORTEUR_CMP_ERROR)
    switch ((PorteurCmpError) error->code)
      {
      case PORTEUR_CMP_ERROR_REJECTED:
        return _("The certification authority refused the request.");
      case PORTEUR_CMP_ERROR_BAD_SECRET:
        return _("The reference or the one-time secret is wrong.");
      case PORTEUR_CMP_ERROR_UNTRUSTED_SERVER:
        return _("The certification authority's answer cannot be trusted.");
      case PORTEUR_CMP_ERROR_TRANSPORT:
        return _("The certification authority could not be reached.");
      case PORTEUR_CMP_ERROR_TIMEOUT:
        return _("The registration office has not validated the request yet: try again later.");
      case PORTEUR_CMP_ERROR_INVALID_ARGUMENT:
        return _("The request is incomplete.");
      default:
        return _("The exchange with the certification authority failed.");
      }
  return NULL;
}

static int
fail (PorteurTool  *tool,
      const GError *error)
{
  const char *sentence = explain (error);

  if (tool->json || sentence == NULL)
    return porteur_tool_fail (tool, error);
  fprintf (stderr, "porteur-tool %s: %s (%s)\n", tool->command, sentence, error->message);
  return PORTEUR_TOOL_EXIT_ERROR;
}

/* The CA roots: --ca-trust / PORTEUR_CA_TRUST, plus --trust files. */
static gboolean
collect_trust (PorteurTool  *tool,
               char        **extra,
               GPtrArray    *out)
{
  if (tool->ca_trust && *tool->ca_trust)
    g_ptr_array_add (out, tool->ca_trust);
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (out, extra[i]);
  return out->len > 0;
}

/* ---- ca ocsp ---- */

int
porteur_tool_ca_ocsp (PorteurTool  *tool,
                      int           argc,
                      char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *issuer_path = NULL;
  g_autofree char *url = NULL;
  g_auto(GStrv) trust_files = NULL;
  g_autoptr(GPtrArray) trust = g_ptr_array_new ();
  g_autoptr(PorteurOcspClient) client = porteur_ocsp_client_new ();
  g_autoptr(PorteurOcspResult) result = NULL;
  g_autoptr(GError) error = NULL;
  X509 *cert = NULL, *issuer = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "issuer", 0, 0, G_OPTION_ARG_FILENAME, &issuer_path, N_("The issuer's certificate (default: found among the CA roots or after the certificate)"), N_("PEM") },
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, N_("Ask this OCSP responder (default: the one the certificate names)"), N_("URL") },
    { "trust", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &trust_files, N_("Also trust the certificates of this PEM file"), N_("PEM") },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, _("CERT"),
                                             _("Ask the OCSP responder whether a certificate is revoked. Exit status 0 when it is good and within its validity, 1 when it is revoked, unknown or outside its validity, 2 on errors."),
                                             entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one certificate file"));
  if (!collect_trust (tool, trust_files, trust))
    return porteur_tool_usage_error (tool, _("The authority's root certificates are needed: --ca-trust PEM or PORTEUR_CA_TRUST"));

  if (!(cert = load_cert (argv[1], &error)))
    return porteur_tool_fail (tool, error);
  {
    const char *paths[] = { issuer_path ? issuer_path : "", argv[1], tool->ca_trust ? tool->ca_trust : "", NULL };

    if (!(issuer = find_issuer (cert, paths, &error)))
      {
        X509_free (cert);
        return porteur_tool_fail (tool, error);
      }
  }
  for (guint i = 0; i < trust->len; i++)
    if (!porteur_ocsp_client_add_trust_file (client, g_ptr_array_index (trust, i), &error))
      {
        status = porteur_tool_fail (tool, error);
        goto out;
      }
  if (tool->ca_trust && *tool->ca_trust)
    {
      /* an HTTPS responder is the CA's: its TLS certificate chains to the CA roots */
      g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (tool->ca_trust, &error);

      if (database == NULL)
        {
          status = porteur_tool_fail (tool, error);
          goto out;
        }
      porteur_ocsp_client_set_tls_database (client, database);
      /* every connection of this command is pinned to it: spare the system store */
      porteur_pki_http_pin_default_trust (database);
    }

  result = porteur_ocsp_client_check_sync (client, cert, issuer, url, NULL, &error);
  if (result == NULL)
    {
      status = fail (tool, error);
      goto out;
    }
  status = porteur_ocsp_result_get_status (result) == PORTEUR_CERT_STATUS_GOOD &&
           porteur_ocsp_result_get_cert_time_valid (result) ? PORTEUR_TOOL_EXIT_OK : PORTEUR_TOOL_EXIT_NEGATIVE;

  if (tool->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      int reason = porteur_ocsp_result_get_revocation_reason (result);

      json_builder_begin_object (builder);
      add_cert (builder, "certificate", cert, porteur_ocsp_result_get_cert_not_before (result),
                porteur_ocsp_result_get_cert_not_after (result), porteur_ocsp_result_get_cert_time_valid (result));
      add_string (builder, "status", porteur_cert_status_to_string (porteur_ocsp_result_get_status (result)));
      add_string (builder, "reason", porteur_crl_reason_to_string (reason));
      add_time (builder, "revoked_at", porteur_ocsp_result_get_revocation_time (result));
      add_string (builder, "url", porteur_ocsp_result_get_url (result));
      add_string (builder, "responder", porteur_ocsp_result_get_responder (result));
      add_time (builder, "produced_at", porteur_ocsp_result_get_produced_at (result));
      add_time (builder, "this_update", porteur_ocsp_result_get_this_update (result));
      add_time (builder, "next_update", porteur_ocsp_result_get_next_update (result));
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      g_autofree char *subject = subject_of (cert);
      g_autofree char *this_update = format_time (porteur_ocsp_result_get_this_update (result));
      g_autofree char *next_update = format_time (porteur_ocsp_result_get_next_update (result));
      g_autofree char *not_before = format_time (porteur_ocsp_result_get_cert_not_before (result));
      g_autofree char *not_after = format_time (porteur_ocsp_result_get_cert_not_after (result));

      g_print (_("Certificate: %s\n"), subject);
      g_print (_("Status: %s\n"), status_label (porteur_ocsp_result_get_status (result)));
      if (porteur_ocsp_result_get_status (result) == PORTEUR_CERT_STATUS_REVOKED)
        {
          g_autofree char *when = format_time (porteur_ocsp_result_get_revocation_time (result));
          const char *reason = porteur_crl_reason_to_string (porteur_ocsp_result_get_revocation_reason (result));

          g_print (_("Revoked on %s, reason: %s\n"), when, reason ? reason : "—");
        }
      g_print (_("Answer of %s (%s), issued %s, valid until %s\n"), porteur_ocsp_result_get_responder (result),
               porteur_ocsp_result_get_url (result), this_update, next_update);
      g_print (_("Certificate valid from %s to %s\n"), not_before, not_after);
      if (!porteur_ocsp_result_get_cert_time_valid (result))
        g_print ("%s\n", _("The certificate is outside its validity period."));
    }

out:
  X509_free (cert);
  X509_free (issuer);
  return status;
}

/* ---- ca crl ---- */

int
porteur_tool_ca_crl (PorteurTool  *tool,
                     int           argc,
                     char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *issuer_path = NULL;
  g_autofree char *source = NULL;
  g_autoptr(PorteurCrlClient) client = porteur_crl_client_new ();
  g_autoptr(PorteurCrlResult) result = NULL;
  g_autoptr(GError) error = NULL;
  X509 *cert = NULL, *issuer = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "issuer", 0, 0, G_OPTION_ARG_FILENAME, &issuer_path, N_("The issuer's certificate (default: found among the CA roots or after the certificate)"), N_("PEM") },
    { "crl", 0, 0, G_OPTION_ARG_FILENAME, &source, N_("Read this revocation list, a file or an http(s) address (default: the one the certificate names)"), N_("FILE|URL") },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, _("CERT"),
                                             _("Look a certificate up in its authority's revocation list. Exit status 0 when it is not revoked and within its validity, 1 when it is revoked or outside its validity, 2 on errors."),
                                             entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one certificate file"));

  if (!(cert = load_cert (argv[1], &error)))
    return porteur_tool_fail (tool, error);
  {
    const char *paths[] = { issuer_path ? issuer_path : "", argv[1], tool->ca_trust ? tool->ca_trust : "", NULL };

    if (!(issuer = find_issuer (cert, paths, &error)))
      {
        X509_free (cert);
        return porteur_tool_fail (tool, error);
      }
  }

  if (tool->ca_trust && *tool->ca_trust)
    {
      /* an HTTPS distribution point is the CA's: its TLS certificate chains to the CA roots */
      g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (tool->ca_trust, &error);

      if (database == NULL)
        {
          status = porteur_tool_fail (tool, error);
          goto out;
        }
      porteur_crl_client_set_tls_database (client, database);
      /* every connection of this command is pinned to it: spare the system store */
      porteur_pki_http_pin_default_trust (database);
    }
  result = porteur_crl_client_check_sync (client, cert, issuer, source, NULL, &error);
  if (result == NULL)
    {
      status = fail (tool, error);
      goto out;
    }
  status = porteur_crl_result_get_status (result) == PORTEUR_CERT_STATUS_GOOD &&
           porteur_crl_result_get_cert_time_valid (result) ? PORTEUR_TOOL_EXIT_OK : PORTEUR_TOOL_EXIT_NEGATIVE;

  if (tool->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      add_cert (builder, "certificate", cert, porteur_crl_result_get_cert_not_before (result),
                porteur_crl_result_get_cert_not_after (result), porteur_crl_result_get_cert_time_valid (result));
      add_string (builder, "status", porteur_cert_status_to_string (porteur_crl_result_get_status (result)));
      add_string (builder, "reason", porteur_crl_reason_to_string (porteur_crl_result_get_revocation_reason (result)));
      add_time (builder, "revoked_at", porteur_crl_result_get_revocation_time (result));
      add_string (builder, "source", porteur_crl_result_get_source (result));
      add_time (builder, "this_update", porteur_crl_result_get_this_update (result));
      add_time (builder, "next_update", porteur_crl_result_get_next_update (result));
      json_builder_set_member_name (builder, "entries");
      json_builder_add_int_value (builder, porteur_crl_result_get_n_entries (result));
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      g_autofree char *subject = subject_of (cert);
      g_autofree char *this_update = format_time (porteur_crl_result_get_this_update (result));
      g_autofree char *next_update = format_time (porteur_crl_result_get_next_update (result));
      g_autofree char *not_before = format_time (porteur_crl_result_get_cert_not_before (result));
      g_autofree char *not_after = format_time (porteur_crl_result_get_cert_not_after (result));

      g_print (_("Certificate: %s\n"), subject);
      g_print (_("Status: %s\n"), status_label (porteur_crl_result_get_status (result)));
      if (porteur_crl_result_get_status (result) == PORTEUR_CERT_STATUS_REVOKED)
        {
          g_autofree char *when = format_time (porteur_crl_result_get_revocation_time (result));
          const char *reason = porteur_crl_reason_to_string (porteur_crl_result_get_revocation_reason (result));

          g_print (_("Revoked on %s, reason: %s\n"), when, reason ? reason : "—");
        }
      g_print (_("Revocation list %s, issued %s, next update %s\n"), porteur_crl_result_get_source (result),
               this_update, next_update);
      g_print (_("Certificate valid from %s to %s\n"), not_before, not_after);
      if (!porteur_crl_result_get_cert_time_valid (result))
        g_print ("%s\n", _("The certificate is outside its validity period."));
    }

out:
  X509_free (cert);
  X509_free (issuer);
  return status;
}

/* ---- ca cmp ---- */

/* Reads the secret from @fd up to EOF or the first newline, into wiped memory. */
static char *
read_secret (int      fd,
             gsize   *out_len,
             GError **error)
{
  gsize capacity = 256, len = 0;
  char *buffer = g_malloc (capacity);

  for (;;)
    {
      ssize_t n = read (fd, buffer + len, capacity - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          OPENSSL_cleanse (buffer, capacity);
          g_free (buffer);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not read the secret from file descriptor %d: %s"), fd, g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      len += n;
      if (memchr (buffer, '\n', len))
        break;
      if (len == capacity)
        {
          OPENSSL_cleanse (buffer, capacity);
          g_free (buffer);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The secret is too long"));
          return NULL;
        }
    }
  {
    char *newline = memchr (buffer, '\n', len);

    if (newline)
      len = newline - buffer;
    if (len > 0 && buffer[len - 1] == '\r')
      len--;
  }
  if (len == 0)
    {
      OPENSSL_cleanse (buffer, capacity);
      g_free (buffer);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The secret is empty"));
      return NULL;
    }
  *out_len = len;
  return buffer;
}

/* Writes @cert, then the CA certificates the server sent (its chain, then its roots), once each. */
static gboolean
write_pem (const char       *path,
           X509             *cert,
           STACK_OF (X509)  *chain,
           STACK_OF (X509)  *roots,
           GError          **error)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  STACK_OF (X509) *written = sk_X509_new_null ();
  STACK_OF (X509) *lists[] = { chain, roots };
  char *data = NULL;
  long n;
  gboolean ok;

  PEM_write_bio_X509 (bio, cert);
  sk_X509_push (written, cert);
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (int i = 0; lists[l] && i < sk_X509_num (lists[l]); i++)
      {
        X509 *extra = sk_X509_value (lists[l], i);
        gboolean seen = FALSE;

        for (int j = 0; j < sk_X509_num (written) && !seen; j++)
          seen = X509_cmp (extra, sk_X509_value (written, j)) == 0;
        if (seen)
          continue;
        PEM_write_bio_X509 (bio, extra);
        sk_X509_push (written, extra);
      }
  sk_X509_free (written);
  n = BIO_get_mem_data (bio, &data);
  ok = g_file_set_contents (path, data, n, error);
  BIO_free (bio);
  return ok;
}

static EVP_PKEY *
generate_key (const char  *path,
              GError     **error)
{
  EVP_PKEY *key = EVP_EC_gen ("P-256");
  BIO *bio = NULL;
  int fd;

  if (key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not generate a key"));
      return NULL;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || !(bio = BIO_new_fd (fd, BIO_CLOSE)) ||
      !PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) || BIO_flush (bio) != 1)
    {
      int saved = errno;

      if (fd >= 0 && bio == NULL)
        close (fd);
      BIO_free (bio);
      EVP_PKEY_free (key);
      ERR_clear_error ();
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Could not write the new key to %s"), path);
      return NULL;
    }
  BIO_free (bio);
  return key;
}

static int
parse_reason (const char *text)
{
  static const char *const names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn", "aACompromise",
  };
  char *end = NULL;
  gint64 number;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i] && g_ascii_strcasecmp (text, names[i]) == 0)
      return (int) i;
  number = g_ascii_strtoll (text, &end, 10);
  if (end && *end == '\0' && end != text && number >= 0 && number <= 10 && number != 7)
    return (int) number;
  return -2;
}

/* Runs the CMP transaction in its GTask worker while the main loop serves the
 * "waiting" signal and SIGINT/SIGTERM, which cancel it: the client then tells
 * the CA to abandon the transaction before returning. */
typedef struct
{
  GMainLoop        *loop;
  GCancellable     *cancellable;
  PorteurCmpResult *result;
  GError           *error;
} CmpRun;

static gboolean
on_cmp_signal (gpointer data)
{
  CmpRun *run = data;

  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_cmp_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  CmpRun *run = data;

  run->result = porteur_cmp_client_execute_finish (PORTEUR_CMP_CLIENT (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

static PorteurCmpResult *
run_cmp (PorteurCmpClient   *client,
         PorteurCmpRequest  *request,
         GError            **error)
{
  CmpRun run = { g_main_loop_new (NULL, FALSE), g_cancellable_new (), NULL, NULL };
  guint sigint = g_unix_signal_add (SIGINT, on_cmp_signal, &run);
  guint sigterm = g_unix_signal_add (SIGTERM, on_cmp_signal, &run);

  porteur_cmp_client_execute_async (client, request, run.cancellable, on_cmp_done, &run);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_main_loop_unref (run.loop);
  g_object_unref (run.cancellable);
  if (run.error)
    g_propagate_error (error, run.error);
  return run.result;
}

static void
on_waiting (PorteurCmpClient *client,
            guint             check_after,
            PorteurTool      *tool)
{
  fprintf (stderr, _("Waiting for the registration office; asking again in %u s…\n"), check_after);
}

int
porteur_tool_ca_cmp (PorteurTool  *tool,
                     int           argc,
                     char        **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *server = NULL, *server_cert_path = NULL, *reference = NULL, *subject = NULL;
  g_autofree char *cert_path = NULL, *key_path = NULL, *old_cert_path = NULL, *newkey_path = NULL;
  g_autofree char *newkey_out = NULL, *csr_path = NULL, *cert_out = NULL, *reason_text = NULL;
  g_autofree char *secret = NULL;
  gsize secret_len = 0;
  int secret_fd = -1, max_wait = 0, status = PORTEUR_TOOL_EXIT_ERROR;
  gboolean allow_http = FALSE;
  g_autoptr(PorteurCmpClient) client = NULL;
  g_autoptr(PorteurCmpRequest) request = NULL;
  g_autoptr(PorteurCmpResult) result = NULL;
  g_autoptr(GError) error = NULL;
  X509 *cert = NULL, *old_cert = NULL, *server_cert = NULL;
  EVP_PKEY *key = NULL, *new_key = NULL;
  X509_REQ *csr = NULL;
  PorteurCmpRequestType type;
  const char *operation;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("The CMP address (default: the authority's address followed by /pkix/)"), N_("URL") },
    { "server-cert", 0, 0, G_OPTION_ARG_FILENAME, &server_cert_path, N_("Accept answers signed by this certificate only"), N_("PEM") },
    { "reference", 0, 0, G_OPTION_ARG_STRING, &reference, N_("The enrollment reference of the order (ir, p10cr)"), N_("REF") },
    { "secret-fd", 0, 0, G_OPTION_ARG_INT, &secret_fd, N_("Read the one-time secret from this file descriptor"), N_("FD") },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject, N_("The subject asked for, like /C=FR/O=…/CN=… (ir)"), N_("DN") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_path, N_("The current certificate, which signs the request (kur, rr)"), N_("PEM") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_path, N_("The current certificate's private key (kur, rr)"), N_("PEM") },
    { "oldcert", 0, 0, G_OPTION_ARG_FILENAME, &old_cert_path, N_("The certificate to revoke, if not --cert (rr)"), N_("PEM") },
    { "newkey", 0, 0, G_OPTION_ARG_FILENAME, &newkey_path, N_("The key to certify (ir, kur)"), N_("PEM") },
    { "newkey-out", 0, 0, G_OPTION_ARG_FILENAME, &newkey_out, N_("Generate the key to certify (EC P-256) and write it here (ir, kur)"), N_("PEM") },
    { "csr", 0, 0, G_OPTION_ARG_FILENAME, &csr_path, N_("The PKCS#10 request (p10cr)"), N_("PEM") },
    { "certout", 0, 0, G_OPTION_ARG_FILENAME, &cert_out, N_("Write the new certificate, then the authority's, here"), N_("PEM") },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason_text, N_("The revocation reason: a CRLReason name or number (rr)"), N_("REASON") },
    { "max-wait", 0, 0, G_OPTION_ARG_INT, &max_wait, N_("Give up after waiting this many seconds for the registration office"), N_("SECONDS") },
    { "allow-loopback-http", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &allow_http, "For tests: allow plain HTTP to a loopback address", NULL },
    { NULL }
  };

  context = porteur_tool_option_context_new (tool, _("ir|p10cr|kur|rr"),
                                             _("Obtain (ir, p10cr), renew (kur) or revoke (rr) a certificate with CMP. Exit status 0 when done, 1 when the authority refuses, 2 on errors."),
                                             entries);
  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Name one operation: ir, p10cr, kur or rr"));
  operation = argv[1];
  if (g_str_equal (operation, "ir"))
    type = PORTEUR_CMP_REQUEST_IR;
  else if (g_str_equal (operation, "p10cr"))
    type = PORTEUR_CMP_REQUEST_P10CR;
  else if (g_str_equal (operation, "kur"))
    type = PORTEUR_CMP_REQUEST_KUR;
  else if (g_str_equal (operation, "rr"))
    type = PORTEUR_CMP_REQUEST_RR;
  else
    return porteur_tool_usage_error (tool, _("Unknown operation “%s”: ir, p10cr, kur or rr"), operation);

  if (server == NULL && tool->ca_url)
    server = g_strconcat (tool->ca_url, g_str_has_suffix (tool->ca_url, "/") ? "" : "/", "pkix/", NULL);
  if (server == NULL)
    return porteur_tool_usage_error (tool, _("No CMP address: --server URL or --ca-url URL"));
  if ((reference == NULL) != (secret_fd < 0))
    return porteur_tool_usage_error (tool, _("--reference and --secret-fd go together"));
  if ((cert_path == NULL) != (key_path == NULL))
    return porteur_tool_usage_error (tool, _("--cert and --key go together"));
  if (newkey_path && newkey_out)
    return porteur_tool_usage_error (tool, _("Give either --newkey or --newkey-out"));
  if (max_wait < 0)
    return porteur_tool_usage_error (tool, _("--max-wait must be positive"));

  client = porteur_cmp_client_new (server, allow_http, &error);
  if (client == NULL)
    return fail (tool, error);
  if (tool->ca_trust && *tool->ca_trust)
    {
      g_autoptr(GTlsDatabase) database = porteur_ca_config_load_trust (tool->ca_trust, &error);

      if (database == NULL || !porteur_cmp_client_set_trust_file (client, tool->ca_trust, &error))
        return porteur_tool_fail (tool, error);
      porteur_cmp_client_set_tls_database (client, database);
      /* every connection of this command is pinned to it: spare the system store */
      porteur_pki_http_pin_default_trust (database);
    }
  porteur_cmp_client_set_max_poll_time (client, (guint) max_wait);
  g_signal_connect (client, "waiting", G_CALLBACK (on_waiting), tool);

  request = porteur_cmp_request_new (type);
  if (server_cert_path)
    {
      if (!(server_cert = load_cert (server_cert_path, &error)))
        goto failed;
      porteur_cmp_client_set_server_cert (client, server_cert);
    }
  if (reference)
    {
      if (!(secret = read_secret (secret_fd, &secret_len, &error)))
        goto failed;
      porteur_cmp_request_set_pbm (request, reference, secret, secret_len);
      OPENSSL_cleanse (secret, secret_len);
    }
  if (cert_path)
    {
      if (!(cert = load_cert (cert_path, &error)) || !(key = load_key (key_path, &error)))
        goto failed;
      porteur_cmp_request_set_signer (request, cert, key);
    }
  if (old_cert_path)
    {
      if (!(old_cert = load_cert (old_cert_path, &error)))
        goto failed;
      porteur_cmp_request_set_old_cert (request, old_cert);
    }
  if (newkey_path && !(new_key = load_key (newkey_path, &error)))
    goto failed;
  if (newkey_out && !(new_key = generate_key (newkey_out, &error)))
    goto failed;
  if (new_key)
    porteur_cmp_request_set_new_key (request, new_key);
  if (subject && !porteur_cmp_request_set_subject (request, subject, &error))
    goto failed;
  if (csr_path)
    {
      BIO *bio = BIO_new_file (csr_path, "r");

      csr = bio ? PEM_read_bio_X509_REQ (bio, NULL, no_password_cb, NULL) : NULL;
      BIO_free (bio);
      ERR_clear_error ();
      if (csr == NULL)
        {
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s holds no PEM certificate request"), csr_path);
          goto failed;
        }
      porteur_cmp_request_set_csr (request, csr);
    }
  if (reason_text)
    {
      int reason = parse_reason (reason_text);

      if (reason < -1)
        {
          status = porteur_tool_usage_error (tool, _("Unknown revocation reason “%s”"), reason_text);
          goto out;
        }
      porteur_cmp_request_set_revocation_reason (request, reason);
    }

  result = run_cmp (client, request, &error);
  if (result == NULL)
    {
      status = fail (tool, error);
      if (g_error_matches (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_REJECTED) ||
          g_error_matches (error, PORTEUR_CMP_ERROR, PORTEUR_CMP_ERROR_BAD_SECRET))
        status = PORTEUR_TOOL_EXIT_NEGATIVE;
      goto out;
    }
  {
    X509 *issued = porteur_cmp_result_get_certificate (result);

    if (issued && cert_out &&
        !write_pem (cert_out, issued, porteur_cmp_result_get_extra_certs (result),
                    porteur_cmp_result_get_ca_certs (result), &error))
      goto failed;
    if (tool->json)
      {
        g_autoptr(JsonBuilder) builder = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object (builder);
        add_string (builder, "operation", operation);
        json_builder_set_member_name (builder, "status");
        json_builder_add_int_value (builder, porteur_cmp_result_get_status (result));
        add_string (builder, "status_text", porteur_cmp_result_get_status_text (result));
        json_builder_set_member_name (builder, "polls");
        json_builder_add_int_value (builder, porteur_cmp_result_get_n_polls (result));
        if (issued)
          {
            g_autoptr(GDateTime) not_before = porteur_asn1_time_to_datetime (X509_get0_notBefore (issued));
            g_autoptr(GDateTime) not_after = porteur_asn1_time_to_datetime (X509_get0_notAfter (issued));

            add_cert (builder, "certificate", issued, not_before, not_after,
                      X509_cmp_current_time (X509_get0_notBefore (issued)) < 0 &&
                      X509_cmp_current_time (X509_get0_notAfter (issued)) > 0);
          }
        add_string (builder, "certout", issued ? cert_out : NULL);
        json_builder_end_object (builder);
        root = json_builder_get_root (builder);
        porteur_tool_print_json (tool, root);
      }
    else if (issued)
      {
        g_autofree char *name = subject_of (issued);
        g_autofree char *serial = serial_of (issued);
        g_autoptr(GDateTime) not_after = porteur_asn1_time_to_datetime (X509_get0_notAfter (issued));
        g_autofree char *until = format_time (not_after);

        g_print (_("Certificate issued: %s\n"), name);
        g_print (_("Serial number: %s, valid until %s\n"), serial, until);
        if (cert_out)
          g_print (_("Written to %s\n"), cert_out);
      }
    else
      g_print ("%s\n", _("The authority accepted the revocation."));
  }
  status = PORTEUR_TOOL_EXIT_OK;
  goto out;

failed:
  status = porteur_tool_fail (tool, error);
out:
  if (secret)
    {
      OPENSSL_cleanse (secret, secret_len);
      g_free (secret);
      secret = NULL;
    }
  X509_free (cert);
  X509_free (old_cert);
  X509_free (server_cert);
  EVP_PKEY_free (key);
  EVP_PKEY_free (new_key);
  X509_REQ_free (csr);
  return status;
}
