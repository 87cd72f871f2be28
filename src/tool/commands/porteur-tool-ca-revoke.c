/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca/porteur-ca-client.h"
#include "ca/porteur-ca-revoke.h"
#include "store/porteur-store.h"
#include "token/porteur-token.h"
#include "token/porteur-token-provider.h"
#include "porteur-tool.h"
#include "porteur-tool-answers.h"
#include "porteur-tool-ca-common.h"
#include "porteur-tool-token-key.h"

/*
 * porteur-tool ca revoke SERIAL --reason R (--answers-fd N | --key-file PEM --cert PEM |
 *                                           --token-key K [--reader R] [--pin-fd N] [--last-try] |
 *                                           --legal-representative ORDER --email E)
 * porteur-tool ca revocation ID [--confirm-fd N]
 *
 * RA API §3.7 (docs/ca-api.md; `order cancel-appointment`, DELETE …/appointment, is in
 * porteur-tool-order.c, on the order core's porteur_order_cancel_appointment_async ()). The request's token
 * is kept in the store (ca/revocations/<id>.json, kind "ca-revocation"), never
 * printed; `ca revocation ID` reads it from there. Security answers and the
 * confirmation code are read from file descriptors only, into memory that is
 * wiped after use.
 *
 * Exit status: 0 when the CA accepted (or waits for the legal representative's
 * confirmation), 1 when it refused the proof (wrong answers, signature or
 * representative, too many attempts, wrong code, a token PIN refused) or the
 * request was rejected, 2 when the command could not run.
 */

#define REVOCATION_KIND "ca-revocation"
#define REVOCATION_VERSION 1

int porteur_tool_ca_revoke (PorteurTool *tool, int argc, char **argv);
int porteur_tool_ca_revocation (PorteurTool *tool, int argc, char **argv);

/* The CA's refusals of a proof are a negative answer (1); the rest cannot run (2). */
static int
fail (PorteurTool *tool, const GError *error)
{
  const char *sentence = NULL;
  gboolean negative = FALSE;

  if (error->domain == PORTEUR_CA_ERROR)
    switch ((PorteurCaError) error->code)
      {
      case PORTEUR_CA_ERROR_FORBIDDEN:
        sentence = _("The certification authority refused the proof: nothing was revoked");
        negative = TRUE;
        break;
      case PORTEUR_CA_ERROR_RATE_LIMITED:
        sentence = _("Too many wrong answers for this certificate: try again in 24 hours");
        negative = TRUE;
        break;
      case PORTEUR_CA_ERROR_CONFLICT:
        sentence = _("The certificate is already revoked, or the order’s state does not allow this");
        negative = TRUE;
        break;
      case PORTEUR_CA_ERROR_GONE:
        sentence = _("This revocation request is closed: already confirmed, rejected or expired");
        negative = TRUE;
        break;
      case PORTEUR_CA_ERROR_NOT_FOUND:
        sentence = _("The certification authority does not know this request or order");
        break;
      case PORTEUR_CA_ERROR_VALIDATION:
        sentence = _("The certification authority found errors in the request:");
        break;
      case PORTEUR_CA_ERROR_SIGNATURE:
        sentence = _("The request could not be signed with this key and certificate");
        break;
      case PORTEUR_CA_ERROR_NETWORK:
      case PORTEUR_CA_ERROR_TIMEOUT:
        sentence = _("Cannot reach the certification authority");
        break;
      case PORTEUR_CA_ERROR_TLS:
        sentence = _("The certification authority’s certificate is not trusted");
        break;
      case PORTEUR_CA_ERROR_BAD_CONTENT_TYPE:
      case PORTEUR_CA_ERROR_MALFORMED:
      case PORTEUR_CA_ERROR_INVALID_RESPONSE:
        sentence = _("The certification authority’s answer cannot be understood");
        break;
      default:
        sentence = _("The certification authority could not handle the request");
        break;
      }
  if (tool->json || sentence == NULL)
    {
      porteur_tool_fail (tool, error);
      return negative ? PORTEUR_TOOL_EXIT_NEGATIVE : PORTEUR_TOOL_EXIT_ERROR;
    }
  fprintf (stderr, "porteur-tool %s: %s\n", tool->command, sentence);
  {
    const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

    for (guint i = 0; problem && i < problem->errors->len; i++)
      {
        PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
        fprintf (stderr, "  %s: %s\n", fe->field, fe->code);
      }
  }
  fprintf (stderr, "  (%s)\n", error->message);
  return negative ? PORTEUR_TOOL_EXIT_NEGATIVE : PORTEUR_TOOL_EXIT_ERROR;
}

static void
wipe_free (char *text)
{
  if (text)
    explicit_bzero (text, strlen (text));
  g_free (text);
}

static int
no_password (char *buf, int size, int rwflag, void *u)
{
  return 0;
}

static gpointer
read_pem (const char *path, gboolean key, GError **error)
{
  BIO *bio = BIO_new_file (path, "r");
  gpointer object = NULL;

  if (bio)
    object = key ? (gpointer) PEM_read_bio_PrivateKey (bio, NULL, no_password, NULL)
                 : (gpointer) PEM_read_bio_X509 (bio, NULL, no_password, NULL);
  BIO_free (bio);
  ERR_clear_error ();
  if (object == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 key ? _("“%s” is not an unencrypted PEM private key") : _("“%s” is not a PEM certificate"), path);
  return object;
}

/* The store ---------------------------------------------------------------- */

static gboolean
valid_id (const char *id)
{
  gsize len = strlen (id);

  if (len < 1 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_')
      return FALSE;
  return TRUE;
}

static char *
revocation_document (const char *id)
{
  return g_strdup_printf ("ca/revocations/%s.json", id);
}

static gboolean
save_revocation (PorteurCaClient *client, PorteurCaRevocationRequest *rv, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = NULL;
  const char *id = porteur_ca_revocation_request_get_id (rv);
  gboolean ok;

  if (!valid_id (id))
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: revocation_request.id: not a usable name");
      return FALSE;
    }
  /* The request's model checks it (§3.7): never NULL here, but never written as NULL either. */
  if (porteur_ca_revocation_request_get_token (rv) == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: revocation_request.token: missing");
      return FALSE;
    }
  path = revocation_document (id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, porteur_ca_revocation_request_get_token (rv));
  json_builder_set_member_name (b, "serial");
  json_builder_add_string_value (b, porteur_ca_revocation_request_get_serial (rv));
  json_builder_set_member_name (b, "ca_url");
  json_builder_add_string_value (b, porteur_ca_client_get_base_url (client));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  ok = porteur_store_write_document (path, REVOCATION_KIND, REVOCATION_VERSION, root, error);
  return ok;
}

static char *
load_revocation_token (const char *id, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *token;

  if (!valid_id (id))
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NOT_FOUND, _("“%s” is not a revocation request"), id);
      return NULL;
    }
  path = revocation_document (id);
  node = porteur_store_read_document (path, REVOCATION_KIND, REVOCATION_VERSION, NULL, error);
  if (node == NULL)
    return NULL;
  token = JSON_NODE_HOLDS_OBJECT (node) ? json_object_get_string_member_with_default (json_node_get_object (node), "token", NULL) : NULL;
  if (token == NULL)
    {
      g_set_error (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_CORRUPT, "%s: no token", path);
      return NULL;
    }
  return g_strdup (token);
}

/* Output ----------------------------------------------------------------- */

static const char *
status_label (PorteurCaRevocationStatus status)
{
  switch (status)
    {
    case PORTEUR_CA_REVOCATION_PENDING_CONFIRMATION:
      return _("Waiting for the legal representative’s confirmation (a link was sent by e-mail)");
    case PORTEUR_CA_REVOCATION_ACCEPTED: return _("Accepted: the certificate is revoked");
    case PORTEUR_CA_REVOCATION_REJECTED: return _("Rejected");
    default: return "";
    }
}

static int
print_revocation (PorteurTool *tool, PorteurCaRevocationRequest *rv)
{
  PorteurCaRevocationStatus status = porteur_ca_revocation_request_get_status (rv);

  if (tool->json)
    {
      g_autoptr(JsonNode) node = porteur_ca_revocation_request_to_json (rv);
      porteur_tool_print_json (tool, node);
    }
  else
    {
      g_print (_("Revocation request %s"), porteur_ca_revocation_request_get_id (rv));
      g_print ("\n  %s\n  ", status_label (status));
      g_print (_("Certificate serial number: %s"), porteur_ca_revocation_request_get_serial (rv));
      g_print ("\n  ");
      g_print (_("Reason: %s"), porteur_ca_revocation_request_get_reason (rv));
      g_print ("\n");
      if (porteur_ca_revocation_request_get_revoked_at (rv))
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (porteur_ca_revocation_request_get_revoked_at (rv));
          g_autofree char *at = g_date_time_format (local, "%x %X");
          g_print ("  ");
          g_print (_("Revoked on %s"), at);
          g_print ("\n");
        }
    }
  return status == PORTEUR_CA_REVOCATION_REJECTED ? PORTEUR_TOOL_EXIT_NEGATIVE : PORTEUR_TOOL_EXIT_OK;
}

/* ca revoke ----------------------------------------------------------------- */

/* Asks a nonce, signs the canonical request with the key and certificate. */
static GBytes *
signature_proof (PorteurCaClient *client, const char *serial, const char *reason, const char *key_file,
                 const char *cert_file, char **nonce_out, GError **error)
{
  g_autoptr(PorteurCaRevocationNonce) nonce = NULL;
  g_autoptr(GBytes) canonical = NULL;
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  GBytes *signature = NULL;
  GAsyncResult *result = NULL;

  if ((key = read_pem (key_file, TRUE, error)) == NULL || (cert = read_pem (cert_file, FALSE, error)) == NULL)
    goto out;
  porteur_ca_client_get_revocation_nonce_async (client, NULL, NULL, porteur_tool_async_done, &result);
  nonce = porteur_ca_client_get_revocation_nonce_finish (client, porteur_tool_await (&result), error);
  g_object_unref (result);
  if (nonce == NULL)
    goto out;
  canonical = porteur_ca_revocation_canonical_request (serial, reason, "holder", porteur_ca_revocation_nonce_get_nonce (nonce));
  if (canonical == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: revocation_nonce.nonce: cannot be signed");
      goto out;
    }
  if ((signature = porteur_ca_revocation_sign (canonical, key, cert, NULL, NULL, error)) != NULL)
    *nonce_out = g_strdup (porteur_ca_revocation_nonce_get_nonce (nonce));
out:
  EVP_PKEY_free (key);
  X509_free (cert);
  return signature;
}

/* The token's key @key_ref and the certificate the token keeps for it (the
 * same rules as `porteur-tool sign`: porteur-tool-token-key.h), the request
 * signed on the token. NULL with *@status set (the error printed). */
static GBytes *
token_signature_proof (PorteurTool *tool, PorteurCaClient *client, const char *serial, const char *reason,
                       const char *reader, int key_ref, int pin_fd, gboolean last_try, char **nonce_out, int *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(PorteurCaRevocationNonce) nonce = NULL;
  g_autoptr(GBytes) canonical = NULL;
  X509 *cert = NULL;
  EVP_PKEY *key;
  GBytes *signature = NULL;
  GAsyncResult *result = NULL;

  if ((key = porteur_tool_token_key (tool, reader, key_ref, pin_fd, last_try, &token, &cert, status)) == NULL)
    return NULL;
  if (cert == NULL)
    {
      g_set_error (&error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SIGNATURE,
                   _("The token has no certificate for key %d (see “porteur-tool token”)"), key_ref);
      *status = fail (tool, error);
      goto out;
    }
  porteur_ca_client_get_revocation_nonce_async (client, NULL, NULL, porteur_tool_async_done, &result);
  nonce = porteur_ca_client_get_revocation_nonce_finish (client, porteur_tool_await (&result), &error);
  g_object_unref (result);
  if (nonce == NULL)
    {
      *status = fail (tool, error);
      goto out;
    }
  canonical = porteur_ca_revocation_canonical_request (serial, reason, "holder", porteur_ca_revocation_nonce_get_nonce (nonce));
  if (canonical == NULL)
    {
      g_set_error (&error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: revocation_nonce.nonce: cannot be signed");
      *status = fail (tool, error);
      goto out;
    }
  signature = porteur_ca_revocation_sign (canonical, key, cert, porteur_token_provider_get_libctx (), NULL, &error);
  if (signature == NULL)
    {
      g_autoptr(GError) token_error = NULL;

      /* the token's own reason (a wrong PIN…), with the PIN's state, as `sign` says it */
      if (porteur_token_provider_take_error (&token_error) && token_error)
        *status = porteur_tool_token_result (tool, token, token_error);
      else
        *status = fail (tool, error);
      goto out;
    }
  *nonce_out = g_strdup (porteur_ca_revocation_nonce_get_nonce (nonce));
out:
  EVP_PKEY_free (key);
  X509_free (cert);
  return signature;
}

static gboolean
hex_serial (const char *serial)
{
  gsize len = strlen (serial);

  if (len < 1 || len > 40)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (serial[i]))
      return FALSE;
  return TRUE;
}

int
porteur_tool_ca_revoke (PorteurTool *tool, int argc, char **argv)
{
  g_autofree char *reason = NULL, *key_file = NULL, *cert_file = NULL, *order = NULL, *email = NULL, *reader = NULL;
  int answers_fd = -1, token_key = 0, pin_fd = -1;
  gboolean last_try = FALSE;
  const GOptionEntry entries[] = {
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, N_("keyCompromise, affiliationChanged, superseded, cessationOfOperation or unspecified"), N_("REASON") },
    { "answers-fd", 0, 0, G_OPTION_ARG_INT, &answers_fd, N_("Prove with the security answers read from this file descriptor, one QUESTION=ANSWER per line"), N_("FD") },
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, N_("Prove with a signature by this private key (PEM), the certificate’s"), N_("FILE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_file, N_("The certificate to revoke (PEM), with --key-file"), N_("FILE") },
    { "token-key", 0, 0, G_OPTION_ARG_INT, &token_key, N_("Prove with a signature by this key of the token (its number, as “porteur-tool token” lists it)"), N_("KEY") },
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &reader, N_("Use the token in this reader"), N_("READER") },
    { "pin-fd", 0, 0, G_OPTION_ARG_INT, &pin_fd, N_("Read the PIN from this file descriptor"), N_("FD") },
    { "last-try", 0, 0, G_OPTION_ARG_NONE, &last_try, N_("Use the last try left (a wrong PIN then blocks it)"), NULL },
    { "legal-representative", 0, 0, G_OPTION_ARG_STRING, &order, N_("Ask as the legal representative named in this order"), N_("ORDER") },
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, N_("The legal representative’s e-mail address, as in the order"), N_("EMAIL") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("SERIAL --reason REASON PROOF"),
      _("Ask the certification authority to revoke a certificate, proven by the security answers, a signature by its key, or its legal representative (who confirms by e-mail)."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *key = porteur_ca_new_idempotency_key ();
  char *answers_text = NULL;
  PorteurCaSecurityAnswer answers[2] = { { 0 } };
  PorteurCaRevocationProof proof = { 0 };
  GAsyncResult *result = NULL;
  guint n_proofs;
  const char *serial;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Give one certificate serial number (hexadecimal)"));
  serial = argv[1];
  if (!hex_serial (serial))
    return porteur_tool_usage_error (tool, _("“%s” is not a certificate serial number (hexadecimal)"), serial);
  if (reason == NULL || !porteur_ca_revocation_reason_is_valid (reason))
    return porteur_tool_usage_error (tool, _("Give --reason: keyCompromise, affiliationChanged, superseded, cessationOfOperation or unspecified"));
  n_proofs = (answers_fd >= 0) + (key_file != NULL || cert_file != NULL) + (order != NULL || email != NULL) + (token_key != 0);
  if (n_proofs != 1)
    return porteur_tool_usage_error (tool, _("Give one proof: --answers-fd, --key-file with --cert, --token-key, or --legal-representative with --email"));
  if (token_key < 0 || token_key > 127 || ((reader != NULL || pin_fd >= 0 || last_try) && token_key == 0))
    return porteur_tool_usage_error (tool, _("--reader and --pin-fd go with --token-key, a key number from 1 to 127"));
  if ((key_file != NULL) != (cert_file != NULL))
    return porteur_tool_usage_error (tool, _("--key-file and --cert go together"));
  if ((order != NULL) != (email != NULL))
    return porteur_tool_usage_error (tool, _("--legal-representative and --email go together"));
  if ((client = porteur_tool_ca_client_new (tool, &error)) == NULL)
    return fail (tool, error);

  if (answers_fd >= 0)
    {
      if (!porteur_tool_answers_read (answers_fd, &answers_text, answers, &error))
        return porteur_tool_fail (tool, error);
      proof.n_answers = G_N_ELEMENTS (answers);
      proof.type = PORTEUR_CA_PROOF_ANSWERS;
      proof.answers = answers;
    }
  else if (token_key)
    {
      int status = PORTEUR_TOOL_EXIT_ERROR;

      if ((signature = token_signature_proof (tool, client, serial, reason, reader, token_key, pin_fd, last_try, &nonce,
                                              &status)) == NULL)
        return status;
      proof.type = PORTEUR_CA_PROOF_SIGNATURE;
      proof.nonce = nonce;
      proof.signature = signature;
    }
  else if (key_file)
    {
      if ((signature = signature_proof (client, serial, reason, key_file, cert_file, &nonce, &error)) == NULL)
        return fail (tool, error);
      proof.type = PORTEUR_CA_PROOF_SIGNATURE;
      proof.nonce = nonce;
      proof.signature = signature;
    }
  else
    {
      proof.type = PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE;
      proof.order = order;
      proof.email = email;
    }

  porteur_ca_client_request_revocation_async (client, serial, reason, &proof, key, NULL, porteur_tool_async_done, &result);
  rv = porteur_ca_client_request_revocation_finish (client, porteur_tool_await (&result), &error);
  g_object_unref (result);
  /* the text holds the answers; the parsed lines point into it */
  porteur_tool_fd_text_free (answers_text);
  if (rv == NULL)
    return fail (tool, error);
  if (!save_revocation (client, rv, &error))
    {
      fprintf (stderr, _("porteur-tool %s: revocation request %s was made but its token could not be saved"),
               tool->command, porteur_ca_revocation_request_get_id (rv));
      fprintf (stderr, "\n");
      return porteur_tool_fail (tool, error);
    }
  return print_revocation (tool, rv);
}

/* ca revocation --------------------------------------------------------------- */

/* The code of a confirmation link (…/confirm?code=CODE) or the code itself. */
static char *
code_of (const char *text)
{
  const char *start = strstr (text, "code=");
  const char *p = start ? start + 5 : text;
  gsize len = 0;

  while (g_ascii_isspace (*p))
    p++;
  while (p[len] && g_ascii_isalnum (p[len]))
    len++;
  return len ? g_strndup (p, len) : NULL;
}

int
porteur_tool_ca_revocation (PorteurTool *tool, int argc, char **argv)
{
  int confirm_fd = -1;
  const GOptionEntry entries[] = {
    { "confirm-fd", 0, 0, G_OPTION_ARG_INT, &confirm_fd, N_("Confirm as the legal representative: read the e-mailed link (or its code) from this file descriptor"), N_("FD") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, _("ID"),
      _("Show where a revocation request stands, or confirm it with the link the legal representative received."), entries);
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(PorteurCaRevocationRequest) rv = NULL;
  GAsyncResult *result = NULL;
  const char *id;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Give one revocation request"));
  id = argv[1];
  if (!valid_id (id))
    return porteur_tool_usage_error (tool, _("“%s” is not a revocation request"), id);
  if ((client = porteur_tool_ca_client_new (tool, &error)) == NULL)
    return fail (tool, error);

  if (confirm_fd >= 0)
    {
      char *text = porteur_tool_fd_text_read (confirm_fd, &error);
      char *code = text ? code_of (text) : NULL;

      porteur_tool_fd_text_free (text);
      if (code == NULL)
        {
          if (error == NULL)
            g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("No confirmation code on file descriptor %d"), confirm_fd);
          return porteur_tool_fail (tool, error);
        }
      porteur_ca_client_confirm_revocation_async (client, id, code, NULL, NULL, porteur_tool_async_done, &result);
      rv = porteur_ca_client_confirm_revocation_finish (client, porteur_tool_await (&result), &error);
      wipe_free (code);
    }
  else
    {
      char *token = load_revocation_token (id, &error);

      if (token == NULL)
        {
          if (!tool->json && (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
                              g_error_matches (error, PORTEUR_STORE_ERROR, PORTEUR_STORE_ERROR_IO)))
            {
              fprintf (stderr, "porteur-tool %s: ", tool->command);
              fprintf (stderr, _("No revocation request %s was made from this computer"), id);
              fprintf (stderr, "\n  (%s)\n", error->message);
              return PORTEUR_TOOL_EXIT_ERROR;
            }
          return porteur_tool_fail (tool, error);
        }
      porteur_ca_client_get_revocation_async (client, id, token, NULL, porteur_tool_async_done, &result);
      rv = porteur_ca_client_get_revocation_finish (client, porteur_tool_await (&result), &error);
      wipe_free (token);
    }
  g_object_unref (result);
  if (rv == NULL)
    return fail (tool, error);
  return print_revocation (tool, rv);
}
