/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>

#include "ca/porteur-ca-challenge.h"
#include "porteur-tool-ca-common.h"
#include "porteur-tool-token-key.h"
#include "token/porteur-token.h"

/*
 * porteur-tool ca test-signature (--key-file KEY.pem --cert CERT.pem | --token-key K [--reader R]
 *                                 [--cert CERT.pem] [--pin-fd N] [--last-try])
 *
 * The CA's "test your certificate" page (RA API §3.8): signs the CA's nonce
 * with the key and prints the CA's verdict. Exit 0 when the signature and the
 * certificate are both valid, 1 when the CA says otherwise, 2 on error. The
 * token path takes its PIN as `porteur-tool sign` does (terminal without echo
 * or --pin-fd; never argv; the last try only with --last-try).
 */

int porteur_tool_ca_test_signature (PorteurTool *tool, int argc, char **argv);

static X509 *
read_certificate (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  X509 *cert = NULL;
  BIO *bio;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  bio = BIO_new_mem_buf (contents, (int) length);
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  if (cert == NULL)
    {
      const unsigned char *p = (const unsigned char *) contents;
      cert = d2i_X509 (NULL, &p, (long) length);
    }
  ERR_clear_error ();
  if (cert == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s is not a certificate (PEM or DER)"), path);
  return cert;
}

static EVP_PKEY *
read_key (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  EVP_PKEY *key;
  BIO *bio;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  bio = BIO_new_mem_buf (contents, (int) length);
  key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  OPENSSL_cleanse (contents, length);
  ERR_clear_error ();
  if (key == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s is not a private key in PEM without a passphrase"), path);
  return key;
}

typedef struct {
  PorteurTool          *tool;
  GCancellable         *cancellable;
  PorteurCaTestVerdict *verdict;
  GError               *error;
  gboolean              done;
} TestRun;

static void
on_progress (PorteurCaTestStep step, gpointer data)
{
  TestRun *run = data;

  if (run->tool->json)
    return;
  switch (step)
    {
    case PORTEUR_CA_TEST_STEP_CHALLENGE: fprintf (stderr, "%s\n", _("Asking the certification authority for a challenge…")); break;
    case PORTEUR_CA_TEST_STEP_SIGNING: fprintf (stderr, "%s\n", _("Signing the challenge…")); break;
    case PORTEUR_CA_TEST_STEP_VERDICT: fprintf (stderr, "%s\n", _("Sending the signature to the certification authority…")); break;
    default: break;
    }
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  TestRun *run = data;

  run->verdict = porteur_ca_test_signature_finish (result, &run->error);
  run->done = TRUE;
}

static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (((TestRun *) data)->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
print_verdict (PorteurTool *tool, PorteurCaTestVerdict *verdict, const char *algorithm)
{
  const char * const *failures = porteur_ca_test_verdict_get_failures (verdict);
  GDateTime *not_after = porteur_ca_test_verdict_get_not_after (verdict);
  g_autofree char *until = not_after ? g_date_time_format_iso8601 (not_after) : NULL;

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "signature_valid");
      json_builder_add_boolean_value (b, porteur_ca_test_verdict_get_signature_valid (verdict));
      json_builder_set_member_name (b, "certificate_valid");
      json_builder_add_boolean_value (b, porteur_ca_test_verdict_get_certificate_valid (verdict));
      json_builder_set_member_name (b, "certificate_status");
      json_builder_add_string_value (b, porteur_ca_certificate_status_to_string (porteur_ca_test_verdict_get_certificate_status (verdict)));
      json_builder_set_member_name (b, "qualified");
      json_builder_add_boolean_value (b, porteur_ca_test_verdict_get_qualified (verdict));
      json_builder_set_member_name (b, "subject");
      json_builder_add_string_value (b, porteur_ca_test_verdict_get_subject (verdict));
      json_builder_set_member_name (b, "serial");
      json_builder_add_string_value (b, porteur_ca_test_verdict_get_serial (verdict));
      json_builder_set_member_name (b, "not_after");
      if (until)
        json_builder_add_string_value (b, until);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "algorithm");
      json_builder_add_string_value (b, algorithm);
      json_builder_set_member_name (b, "failures");
      json_builder_begin_array (b);
      for (guint i = 0; failures[i]; i++)
        {
          const char *sentence = porteur_ca_test_failure_describe (failures[i]);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "code");
          json_builder_add_string_value (b, failures[i]);
          json_builder_set_member_name (b, "message");
          json_builder_add_string_value (b, sentence ? sentence : failures[i]);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return;
    }

  printf ("%s %s\n", _("Signature:"), porteur_ca_test_verdict_get_signature_valid (verdict) ? _("valid") : _("not valid"));
  printf ("%s %s\n", _("Certificate:"), porteur_ca_certificate_status_describe (porteur_ca_test_verdict_get_certificate_status (verdict)));
  printf ("%s %s\n", _("Qualified:"), porteur_ca_test_verdict_get_qualified (verdict) ? _("yes") : _("no"));
  if (*porteur_ca_test_verdict_get_subject (verdict))
    printf ("%s %s\n", _("Subject:"), porteur_ca_test_verdict_get_subject (verdict));
  if (until)
    printf ("%s %s\n", _("Valid until:"), until);
  for (guint i = 0; failures[i]; i++)
    {
      const char *sentence = porteur_ca_test_failure_describe (failures[i]);

      if (sentence)
        printf ("  • %s\n", sentence);
      else
        printf ("  • %s %s\n", _("Another problem reported by the authority:"), failures[i]);
    }
  if (porteur_ca_test_verdict_get_signature_valid (verdict) && porteur_ca_test_verdict_get_certificate_valid (verdict))
    printf ("%s\n", _("The certification authority accepts this signature and this certificate."));
}

int
porteur_tool_ca_test_signature (PorteurTool *tool, int argc, char **argv)
{
  char *opt_key_file = NULL, *opt_cert = NULL, *opt_reader = NULL;
  int opt_token_key = 0, opt_pin_fd = -1;
  gboolean opt_last_try = FALSE;
  const GOptionEntry entries[] = {
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_key_file, N_("Sign with this private key (PEM, no passphrase)"), N_("FILE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert, N_("The certificate to test (PEM or DER; with --token-key, default: the token’s)"), N_("FILE") },
    { "token-key", 0, 0, G_OPTION_ARG_INT, &opt_token_key, N_("Sign with this key of the token (its number, as `porteur-tool token` lists it)"), N_("KEY") },
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &opt_reader, N_("Use the token in this reader"), N_("READER") },
    { "pin-fd", 0, 0, G_OPTION_ARG_INT, &opt_pin_fd, N_("Read the PIN from this file descriptor"), N_("FD") },
    { "last-try", 0, 0, G_OPTION_ARG_NONE, &opt_last_try, N_("Use the last try left (a wrong PIN then blocks it)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL,
                                                                       _("Sign the certification authority’s challenge and print its verdict on the signature and the certificate."), entries);
  g_autofree char *key_file = NULL, *cert_path = NULL, *reader = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  TestRun run = { tool, NULL, NULL, NULL, FALSE };
  const char *algorithm;
  guint sigint, sigterm;
  int status = PORTEUR_TOOL_EXIT_ERROR;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  key_file = opt_key_file, cert_path = opt_cert, reader = opt_reader;
  if (argc != 1 || (key_file == NULL) == (opt_token_key <= 0))
    return porteur_tool_usage_error (tool, _("Give either --key-file and --cert, or --token-key."));
  if (key_file && cert_path == NULL)
    return porteur_tool_usage_error (tool, _("Give the certificate of the key file with --cert."));
  if (!(client = porteur_tool_ca_client_new (tool, &error)))
    return porteur_tool_ca_fail (tool, error);
  if (cert_path && !(cert = read_certificate (cert_path, &error)))
    return porteur_tool_fail (tool, error);

  if (key_file)
    {
      if (!(key = read_key (key_file, &error)))
        {
          X509_free (cert);
          return porteur_tool_fail (tool, error);
        }
    }
  else
    {
      X509 *on_token = NULL;

      if (!(key = porteur_tool_token_key (tool, reader, opt_token_key, opt_pin_fd, opt_last_try, &token,
                                          cert ? NULL : &on_token, &status)))
        {
          X509_free (cert);
          return status;
        }
      if (cert == NULL && (cert = on_token) == NULL)
        {
          EVP_PKEY_free (key);
          return porteur_tool_usage_error (tool, _("The token has no certificate for this key: give it with --cert."));
        }
    }
  if ((algorithm = porteur_ca_test_algorithm_for_key (key)) == NULL)
    algorithm = "";

  run.cancellable = g_cancellable_new ();
  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  porteur_ca_test_signature_async (client, cert, key, on_progress, &run, NULL, run.cancellable, on_done, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_object_unref (run.cancellable);
  EVP_PKEY_free (key);
  X509_free (cert);

  if (run.verdict == NULL)
    {
      g_autoptr(GError) failed = run.error;

      if (token && failed->domain == PORTEUR_TOKEN_ERROR)
        return porteur_tool_token_result (tool, token, failed);
      if (failed->domain == PORTEUR_CA_ERROR)
        return porteur_tool_ca_fail (tool, failed);
      if (g_error_matches (failed, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !tool->json)
        {
          fprintf (stderr, "porteur-tool %s: %s\n", tool->command, _("Cancelled: the test was not finished."));
          return PORTEUR_TOOL_EXIT_ERROR;
        }
      return porteur_tool_fail (tool, failed);
    }
  print_verdict (tool, run.verdict, algorithm);
  status = porteur_ca_test_verdict_get_signature_valid (run.verdict) && porteur_ca_test_verdict_get_certificate_valid (run.verdict)
             ? PORTEUR_TOOL_EXIT_OK : PORTEUR_TOOL_EXIT_NEGATIVE;
  g_object_unref (run.verdict);
  return status;
}
