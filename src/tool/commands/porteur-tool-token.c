/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "ca/porteur-ca-client.h"
#include "porteur-tool.h"
#include "porteur-tool-answers.h"
#include "porteur-tool-ca-common.h"
#include "porteur-tool-token-key.h"
#include "token/porteur-token.h"
#include "token/porteur-token-monitor.h"
#include "token/porteur-token-provider.h"
#include "token/porteur-token-text.h"

/*
 * The holder's token from the command line: readers, token, pin, sign, wait.
 * PINs are read from the terminal without echo, or one per line from --pin-fd N; never from argv.
 * `pin unblock --ca` asks the certification authority for the unblock cryptogram (RA API §3.6),
 * proving the holder with the security answers read from --answers-fd N.
 */

static int
token_fail (PorteurTool  *tool,
            const GError *error)
{
  g_autoptr(GError) shown = NULL;

  if (tool->json)
    return porteur_tool_fail (tool, error);
  shown = g_error_new_literal (error->domain, error->code, porteur_token_error_describe (error));
  g_debug ("%s", error->message);
  return porteur_tool_fail (tool, shown);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static char *
hex (GBytes *bytes)
{
  GString *s = g_string_new (NULL);
  gsize n;
  const guint8 *d = bytes ? g_bytes_get_data (bytes, &n) : NULL;

  for (gsize i = 0; d && i < n; i++)
    g_string_append_printf (s, "%02X", d[i]);
  return g_string_free (s, FALSE);
}

/* --- readers ---------------------------------------------------------------------------------- */

int porteur_tool_cmd_readers (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_readers (PorteurTool  *tool,
                          int           argc,
                          char        **argv)
{
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL, _("List the token readers and what is in them."), NULL);
  g_autoptr(GPtrArray) readers = NULL;
  g_autoptr(GError) error = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (!(readers = porteur_pcsc_list_readers (&error)))
    return token_fail (tool, error);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "readers");
      json_builder_begin_array (b);
      for (guint i = 0; i < readers->len; i++)
        {
          PorteurReaderInfo *r = g_ptr_array_index (readers, i);
          g_autofree char *atr = hex (r->atr);
          const char *model = r->atr ? porteur_token_lookup_atr (r->atr, NULL) : NULL;

          json_builder_begin_object (b);
          add_string (b, "name", r->name);
          add_bool (b, "token_present", r->present);
          add_string (b, "atr", r->atr ? atr : NULL);
          add_string (b, "model", model);
          add_bool (b, "in_use", r->in_use);
          add_bool (b, "mute", r->mute);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return PORTEUR_TOOL_EXIT_OK;
    }

  if (readers->len == 0)
    printf ("%s\n", _("No token reader is connected."));
  for (guint i = 0; i < readers->len; i++)
    {
      PorteurReaderInfo *r = g_ptr_array_index (readers, i);
      g_autofree char *atr = hex (r->atr);
      const char *model = r->atr ? porteur_token_lookup_atr (r->atr, NULL) : NULL;

      printf ("%s\n", r->name);
      if (!r->present)
        printf ("  %s\n", _("empty"));
      else
        printf ("  %s %s%s%s\n", _("token, ATR"), atr, model ? " — " : "", model ? model : "");
    }
  return PORTEUR_TOOL_EXIT_OK;
}

/* --- token ------------------------------------------------------------------------------------ */

static char *opt_reader;

static PorteurToken *
open_token (PorteurTool          *tool,
            PorteurTokenOpenFlags flags,
            int                  *status)
{
  g_autoptr(GError) error = NULL;
  PorteurTransport *transport = porteur_pcsc_transport_new (opt_reader, &error);
  PorteurToken *token = transport ? porteur_token_open_with_flags (transport, flags, NULL, &error) : NULL;

  if (token == NULL)
    *status = token_fail (tool, error);
  return token;
}

static void
cert_summary (GBytes     *der,
              char      **subject,
              char      **not_after)
{
  gsize n;
  const guint8 *p = der ? g_bytes_get_data (der, &n) : NULL;
  X509 *x = p ? d2i_X509 (NULL, &p, (long) n) : NULL;
  char cn[256] = "";
  struct tm tm;

  *subject = NULL;
  *not_after = NULL;
  if (x == NULL)
    return;
  X509_NAME_get_text_by_NID (X509_get_subject_name (x), NID_commonName, cn, sizeof cn);
  *subject = g_strdup (cn);
  if (ASN1_TIME_to_tm (X509_get0_notAfter (x), &tm))
    *not_after = g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  X509_free (x);
}

static void
add_pin_json (JsonBuilder            *b,
              const PorteurPinStatus *pin)
{
  json_builder_begin_object (b);
  add_string (b, "label", pin->label);
  add_int (b, "reference", pin->reference);
  add_bool (b, "puk", pin->is_puk);
  add_int (b, "tries_left", pin->tries_left);
  add_int (b, "tries_max", pin->tries_max);
  add_bool (b, "blocked", pin->blocked);
  add_int (b, "min_length", pin->min_length);
  add_int (b, "max_length", pin->max_length);
  json_builder_end_object (b);
}

int porteur_tool_cmd_token (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_token (PorteurTool  *tool,
                        int           argc,
                        char        **argv)
{
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &opt_reader, N_("Use the token in this reader"), N_("READER") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL, _("Identify the token and list its certificates and PINs."), entries);
  g_autoptr(PorteurToken) token = NULL;
  GPtrArray *certs, *pins;
  int status = PORTEUR_TOOL_EXIT_ERROR;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (!(token = open_token (tool, PORTEUR_TOKEN_OPEN_FULL, &status)))
    return status;
  certs = porteur_token_get_certificates (token);
  pins = porteur_token_get_pins (token);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      add_string (b, "reader", porteur_token_get_reader (token));
      add_string (b, "atr", porteur_token_get_atr_hex (token));
      add_bool (b, "supported", porteur_token_is_supported (token));
      add_string (b, "family", porteur_token_family_to_string (porteur_token_get_family (token)));
      add_string (b, "model", porteur_token_get_model (token));
      add_string (b, "atr_label", porteur_token_get_atr_label (token));
      add_string (b, "chip", porteur_token_get_chip (token));
      add_string (b, "serial", porteur_token_get_serial (token));
      add_string (b, "label", porteur_token_get_label (token));
      json_builder_set_member_name (b, "certificates");
      json_builder_begin_array (b);
      for (guint i = 0; i < certs->len; i++)
        {
          PorteurTokenCert *c = g_ptr_array_index (certs, i);
          g_autofree char *subject = NULL, *not_after = NULL, *b64 = NULL;

          cert_summary (c->der, &subject, &not_after);
          if (c->der)
            b64 = g_base64_encode (g_bytes_get_data (c->der, NULL), g_bytes_get_size (c->der));
          json_builder_begin_object (b);
          add_string (b, "label", c->label);
          add_string (b, "id", c->id_hex);
          add_int (b, "key", c->key_reference & 0x7F);
          add_string (b, "key_type", c->is_ec ? "EC" : "RSA");
          add_int (b, "key_bits", c->key_bits);
          add_bool (b, "non_repudiation", c->non_repudiation);
          add_int (b, "pin", c->pin_reference);
          add_string (b, "subject", subject);
          add_string (b, "not_after", not_after);
          add_string (b, "der", b64);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "pins");
      json_builder_begin_array (b);
      for (guint i = 0; i < pins->len; i++)
        add_pin_json (b, g_ptr_array_index (pins, i));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
      return porteur_token_is_supported (token) ? PORTEUR_TOOL_EXIT_OK : PORTEUR_TOOL_EXIT_NEGATIVE;
    }

  printf ("%s: %s\n", _("Reader"), porteur_token_get_reader (token));
  printf ("%s: %s\n", _("ATR"), porteur_token_get_atr_hex (token));
  if (!porteur_token_is_supported (token))
    {
      printf ("%s\n", _("This token is not one Porteur knows."));
      if (porteur_token_get_atr_label (token))
        printf ("%s: %s\n", _("Known elsewhere as"), porteur_token_get_atr_label (token));
      return PORTEUR_TOOL_EXIT_NEGATIVE;
    }
  printf ("%s: %s\n", _("Model"), porteur_token_get_model (token) ? porteur_token_get_model (token)
                                                                   : porteur_token_family_to_string (porteur_token_get_family (token)));
  if (porteur_token_get_serial (token))
    printf ("%s: %s\n", _("Serial number"), porteur_token_get_serial (token));
  printf ("\n%s\n", _("Certificates:"));
  for (guint i = 0; i < certs->len; i++)
    {
      PorteurTokenCert *c = g_ptr_array_index (certs, i);
      g_autofree char *subject = NULL, *not_after = NULL;

      cert_summary (c->der, &subject, &not_after);
      printf ("  %s — %s (%s %u, %s %u)%s\n", c->label, subject ? subject : _("empty"),
              c->is_ec ? "EC" : "RSA", c->key_bits, _("key"), c->key_reference & 0x7F,
              c->non_repudiation ? _(", qualified signature") : "");
      if (not_after)
        printf ("    %s %s\n", _("valid until"), not_after);
    }
  printf ("\n%s\n", _("PINs:"));
  for (guint i = 0; i < pins->len; i++)
    {
      PorteurPinStatus *p = g_ptr_array_index (pins, i);
      g_autofree char *state = porteur_pin_status_describe (p);
      printf ("  %s: %s\n", p->label, state);
    }
  return PORTEUR_TOOL_EXIT_OK;
}

/* --- pin -------------------------------------------------------------------------------------- */

static int opt_pin_fd = -1;
static gboolean opt_last_try;
static gboolean opt_puk;
static gboolean opt_keep_pin;
static gboolean opt_ca;
static char *opt_serial;
static int opt_answers_fd = -1;

static PorteurSecret *
read_secret (const char *prompt,
             GError    **error)
{
  if (opt_pin_fd >= 0)
    return porteur_secret_new_from_fd (opt_pin_fd, error);
  return porteur_secret_new_from_terminal (prompt, error);
}

/* A new PIN: typed twice on a terminal; once from --pin-fd. */
static PorteurSecret *
read_new_pin (GError **error)
{
  g_autoptr(PorteurSecret) first = read_secret (_("New PIN: "), error);
  g_autoptr(PorteurSecret) again = NULL;
  gsize a, b;
  const char *x, *y;

  if (first == NULL || opt_pin_fd >= 0)
    return g_steal_pointer (&first);
  if (!(again = read_secret (_("New PIN again: "), error)))
    return NULL;
  x = porteur_secret_get (first, &a);
  y = porteur_secret_get (again, &b);
  if (a != b || memcmp (x, y, a) != 0)
    {
      g_set_error_literal (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_PIN_FORMAT, _("The two new PINs differ."));
      return NULL;
    }
  return g_steal_pointer (&first);
}

static int
pin_result (PorteurTool  *tool,
            PorteurToken *token,
            guint8        reference,
            const GError *error,
            const char   *done)
{
  GPtrArray *pins = porteur_token_get_pins (token);
  const PorteurPinStatus *status = NULL;

  for (guint i = 0; i < pins->len; i++)
    if (((PorteurPinStatus *) g_ptr_array_index (pins, i))->reference == reference)
      status = g_ptr_array_index (pins, i);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      add_bool (b, "done", error == NULL);
      if (error)
        {
          json_builder_set_member_name (b, "error");
          json_builder_begin_object (b);
          add_string (b, "domain", g_quark_to_string (error->domain));
          add_int (b, "code", error->code);
          add_string (b, "message", porteur_token_error_describe (error));
          json_builder_end_object (b);
        }
      json_builder_set_member_name (b, "pins");
      json_builder_begin_array (b);
      for (guint i = 0; i < pins->len; i++)
        add_pin_json (b, g_ptr_array_index (pins, i));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      g_autofree char *state = status ? porteur_pin_status_describe (status) : NULL;
      if (error)
        fprintf (stderr, "%s\n", porteur_token_error_describe (error));
      else if (done)
        printf ("%s\n", done);
      if (state)
        printf ("%s: %s\n", status->label, state);
    }
  if (error == NULL)
    return PORTEUR_TOOL_EXIT_OK;
  /* A PIN refused, blocked or waiting for the last-try confirmation is an answer; the rest are
   * errors. */
  if (error->domain == PORTEUR_TOKEN_ERROR &&
      (error->code == PORTEUR_TOKEN_ERROR_PIN_INCORRECT || error->code == PORTEUR_TOKEN_ERROR_PIN_BLOCKED ||
       error->code == PORTEUR_TOKEN_ERROR_LAST_TRY || error->code == PORTEUR_TOKEN_ERROR_PIN_FORMAT ||
       error->code == PORTEUR_TOKEN_ERROR_CRYPTOGRAM))
    return PORTEUR_TOOL_EXIT_NEGATIVE;
  return PORTEUR_TOOL_EXIT_ERROR;
}

/* --- pin unblock --ca ------------------------------------------------------------------------- */

typedef struct
{
  PorteurCaClient               *client;
  const char                    *serial;
  const PorteurCaSecurityAnswer *answers;
} CaUnblock;

/* The PorteurCryptogramFunc of porteur_token_unblock_pin_with_ca (): the token's challenge, the
 * certificate's serial and the holder's answers open a session at the CA, whose answer is the
 * cryptogram (one Idempotency-Key per POST, for the client's own retries). It runs inside the
 * token's transaction, on this thread: the CA's answers come through the main context. */
static GBytes *
ca_cryptogram (GBytes        *challenge,
               gpointer       user_data,
               GCancellable  *cancellable,
               GError       **error)
{
  CaUnblock *u = user_data;
  g_autofree char *open_key = porteur_ca_new_idempotency_key ();
  g_autofree char *response_key = porteur_ca_new_idempotency_key ();
  g_autoptr(PorteurCaUnblockSession) session = NULL;
  GAsyncResult *result = NULL;
  GBytes *cryptogram;

  /* the questions, never the answers */
  g_debug ("Unblock by the CA: certificate %s, the answers to the questions %s and %s", u->serial,
           u->answers[0].question, u->answers[1].question);
  porteur_ca_client_open_unblock_session_async (u->client, u->serial, challenge, u->answers, 2, open_key, cancellable,
                                                porteur_tool_async_done, &result);
  session = porteur_ca_client_open_unblock_session_finish (u->client, porteur_tool_await (&result), error);
  g_clear_object (&result);
  if (session == NULL)
    return NULL;
  porteur_ca_client_get_unblock_cryptogram_async (u->client, porteur_ca_unblock_session_get_id (session), response_key,
                                                  cancellable, porteur_tool_async_done, &result);
  /* (a copy wiped when the token drops it) */
  cryptogram = porteur_ca_client_get_unblock_cryptogram_finish (u->client, porteur_tool_await (&result), error);
  g_clear_object (&result);
  return cryptogram;
}

/* A refusal by the CA (wrong answers, locked out) is a negative answer; the CA's other errors
 * cannot run. Either way the PIN's state as the token says it now. */
static int
ca_unblock_result (PorteurTool  *tool,
                   PorteurToken *token,
                   guint8        reference,
                   const GError *error)
{
  const char *sentence = NULL;
  gboolean negative = FALSE;
  GPtrArray *pins;

  if (error == NULL || error->domain != PORTEUR_CA_ERROR)
    return pin_result (tool, token, reference, error, _("The PIN is unblocked: the new PIN is set."));
  /* the CA answered before the token's counter was touched: read it again */
  porteur_token_get_pin_status (token, reference, NULL, NULL, NULL);
  switch ((PorteurCaError) error->code)
    {
    case PORTEUR_CA_ERROR_FORBIDDEN:
      sentence = _("The certification authority refused the security answers (or does not know this certificate): the PIN stays blocked.");
      negative = TRUE;
      break;
    case PORTEUR_CA_ERROR_RATE_LIMITED:
      sentence = _("Too many wrong answers for this certificate: the certification authority will not unblock it for 24 hours.");
      negative = TRUE;
      break;
    case PORTEUR_CA_ERROR_GONE:
      sentence = _("The certification authority closed the unblock session before the token got its answer: nothing was changed, run the command again.");
      break;
    case PORTEUR_CA_ERROR_VALIDATION:
      sentence = _("The certification authority found errors in the request:");
      break;
    default:
      break;
    }
  if (tool->json)
    {
      pin_result (tool, token, reference, error, NULL);
      return negative ? PORTEUR_TOOL_EXIT_NEGATIVE : PORTEUR_TOOL_EXIT_ERROR;
    }
  if (sentence)
    {
      const PorteurCaProblem *problem = porteur_ca_error_get_problem (error);

      fprintf (stderr, "porteur-tool %s: %s\n", tool->command, sentence);
      for (guint i = 0; problem && error->code == PORTEUR_CA_ERROR_VALIDATION && i < problem->errors->len; i++)
        {
          PorteurCaFieldError *fe = g_ptr_array_index (problem->errors, i);
          fprintf (stderr, "  %s: %s\n", fe->field, fe->code);
        }
      fprintf (stderr, "  (%s)\n", error->message);
    }
  else
    porteur_tool_ca_fail (tool, error);
  pins = porteur_token_get_pins (token);
  for (guint i = 0; i < pins->len; i++)
    {
      PorteurPinStatus *p = g_ptr_array_index (pins, i);

      if (p->reference == reference)
        {
          g_autofree char *state = porteur_pin_status_describe (p);
          printf ("%s: %s\n", p->label, state);
        }
    }
  return negative ? PORTEUR_TOOL_EXIT_NEGATIVE : PORTEUR_TOOL_EXIT_ERROR;
}

/* A certificate serial in hex, as the CA takes it (an even number of digits). */
static char *
normalise_serial (const char *serial)
{
  gsize len = strlen (serial);

  if (len < 1 || len > 40)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (serial[i]))
      return NULL;
  return len % 2 ? g_strconcat ("0", serial, NULL) : g_strdup (serial);
}

static int
unblock_with_ca (PorteurTool  *tool,
                 PorteurToken *token,
                 guint8        reference,
                 const char   *serial,
                 int           answers_fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PorteurCaClient) client = NULL;
  g_autoptr(PorteurSecret) new_pin = NULL;
  PorteurCaSecurityAnswer answers[2] = { { 0 } };
  CaUnblock u = { NULL, serial, answers };
  char *text = NULL;
  int status;

  if ((client = porteur_tool_ca_client_new (tool, &error)) == NULL)
    return porteur_tool_ca_fail (tool, error);
  if (!porteur_tool_answers_read (answers_fd, &text, answers, &error))
    return porteur_tool_fail (tool, error);
  if ((new_pin = read_new_pin (&error)) == NULL)
    {
      porteur_tool_fd_text_free (text);
      return pin_result (tool, token, reference, error, NULL);
    }
  u.client = client;
  porteur_token_unblock_pin_with_ca (token, reference, new_pin, ca_cryptogram, &u, NULL, &error);
  /* the answers point into the text */
  porteur_tool_fd_text_free (text);
  g_clear_pointer (&new_pin, porteur_secret_free);
  status = ca_unblock_result (tool, token, reference, error);
  return status;
}

int porteur_tool_cmd_pin (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_pin (PorteurTool  *tool,
                      int           argc,
                      char        **argv)
{
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &opt_reader, N_("Use the token in this reader"), N_("READER") },
    { "pin-fd", 0, 0, G_OPTION_ARG_INT, &opt_pin_fd, N_("Read the PIN, PUK and new PIN from this file descriptor, one per line"), N_("FD") },
    { "last-try", 0, 0, G_OPTION_ARG_NONE, &opt_last_try, N_("Use the last try left (a wrong PIN then blocks it)"), NULL },
    { "puk", 0, 0, G_OPTION_ARG_NONE, &opt_puk, N_("status: show the PUK instead of the PIN"), NULL },
    { "keep-pin", 0, 0, G_OPTION_ARG_NONE, &opt_keep_pin, N_("unblock: keep the current PIN instead of setting a new one"), NULL },
    { "ca", 0, 0, G_OPTION_ARG_NONE, &opt_ca, N_("unblock: through the certification authority instead of the PUK, with the security answers"), NULL },
    { "serial", 0, 0, G_OPTION_ARG_STRING, &opt_serial, N_("unblock --ca: the serial number (hexadecimal) of the certificate whose security answers are given"), N_("SERIAL") },
    { "answers-fd", 0, 0, G_OPTION_ARG_INT, &opt_answers_fd, N_("unblock --ca: read the two security answers from this file descriptor, one QUESTION=ANSWER per line"), N_("FD") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, "status|verify|change|unblock",
                                                                       _("Check, verify, change or unblock the token's PIN."), entries);
  g_autofree char *serial = NULL;
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(GError) error = NULL;
  PorteurPinFlags flags;
  const char *action;
  guint8 reference;
  int status = PORTEUR_TOOL_EXIT_ERROR;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  if (argc != 2)
    return porteur_tool_usage_error (tool, _("Say what to do with the PIN: status, verify, change or unblock."));
  action = argv[1];
  if (!g_str_equal (action, "status") && !g_str_equal (action, "verify") &&
      !g_str_equal (action, "change") && !g_str_equal (action, "unblock"))
    return porteur_tool_usage_error (tool, _("Unknown PIN action “%s”."), action);
  if ((opt_ca || opt_serial || opt_answers_fd >= 0) && !g_str_equal (action, "unblock"))
    return porteur_tool_usage_error (tool, _("--ca, --serial and --answers-fd go with “unblock”."));
  if (opt_ca && (opt_serial == NULL || opt_answers_fd < 0))
    return porteur_tool_usage_error (tool, _("“unblock --ca” needs --serial SERIAL and --answers-fd FD."));
  if (!opt_ca && (opt_serial || opt_answers_fd >= 0))
    return porteur_tool_usage_error (tool, _("--serial and --answers-fd go with “unblock --ca”."));
  if (opt_ca && opt_keep_pin)
    return porteur_tool_usage_error (tool, _("“unblock --ca” always sets a new PIN: --keep-pin goes with the PUK."));
  if (opt_ca && opt_answers_fd == opt_pin_fd)
    return porteur_tool_usage_error (tool, _("Give the answers and the new PIN on two different file descriptors."));
  if (opt_ca && (serial = normalise_serial (opt_serial)) == NULL)
    return porteur_tool_usage_error (tool, _("“%s” is not a certificate serial number (hexadecimal)"), opt_serial);
  flags = opt_last_try ? PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED : PORTEUR_PIN_FLAGS_NONE;
  /* A PIN operation needs the PINs' descriptions only. */
  if (!(token = open_token (tool, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS | PORTEUR_TOKEN_OPEN_PINS_ONLY, &status)))
    return status;
  reference = porteur_token_get_user_pin_reference (token);
  if (!porteur_token_is_supported (token) || reference == 0)
    {
      g_set_error (&error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_UNKNOWN_TOKEN, "No PIN on this token");
      return token_fail (tool, error);
    }

  if (g_str_equal (action, "status"))
    {
      if (opt_puk)
        {
          GPtrArray *pins = porteur_token_get_pins (token);
          for (guint i = 0; i < pins->len; i++)
            if (((PorteurPinStatus *) g_ptr_array_index (pins, i))->is_puk)
              reference = ((PorteurPinStatus *) g_ptr_array_index (pins, i))->reference;
        }
      if (!porteur_token_get_pin_status (token, reference, NULL, NULL, &error))
        return pin_result (tool, token, reference, error, NULL);
      status = pin_result (tool, token, reference, NULL, NULL);
      {
        GPtrArray *pins = porteur_token_get_pins (token);
        for (guint i = 0; i < pins->len; i++)
          {
            PorteurPinStatus *s = g_ptr_array_index (pins, i);
            if (s->reference == reference && s->blocked)
              return PORTEUR_TOOL_EXIT_NEGATIVE;
          }
      }
      return status;
    }
  if (g_str_equal (action, "verify"))
    {
      g_autoptr(PorteurSecret) pin = read_secret (_("PIN: "), &error);
      if (pin)
        porteur_token_verify_pin (token, reference, pin, flags, NULL, &error);
      return pin_result (tool, token, reference, error, _("The PIN is correct."));
    }
  if (g_str_equal (action, "change"))
    {
      g_autoptr(PorteurSecret) old_pin = read_secret (_("Current PIN: "), &error);
      g_autoptr(PorteurSecret) new_pin = old_pin ? read_new_pin (&error) : NULL;
      if (new_pin)
        porteur_token_change_pin (token, reference, old_pin, new_pin, flags, NULL, &error);
      return pin_result (tool, token, reference, error, _("The PIN was changed."));
    }
  if (opt_ca)
    return unblock_with_ca (tool, token, reference, serial, opt_answers_fd);
  {
    g_autoptr(PorteurSecret) puk = read_secret (_("PUK: "), &error);
    g_autoptr(PorteurSecret) new_pin = NULL;
    if (puk && !opt_keep_pin)
      new_pin = read_new_pin (&error);
    if (puk && (new_pin || opt_keep_pin))
      porteur_token_unblock_pin (token, reference, puk, new_pin, flags, NULL, &error);
    return pin_result (tool, token, reference, error, _("The PIN is unblocked."));
  }
}

/* --- a token key for other commands (porteur-tool-token-key.h) ------------------------------ */

EVP_PKEY *
porteur_tool_token_key (PorteurTool   *tool,
                        const char    *reader,
                        int            key,
                        int            pin_fd,
                        gboolean       last_try,
                        PorteurToken **token_out,
                        X509         **certificate,
                        int           *status)
{
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(PorteurSecret) pin = NULL;
  g_autoptr(GError) error = NULL;
  EVP_PKEY *pkey;

  g_free (opt_reader);
  opt_reader = g_strdup (reader);
  opt_pin_fd = pin_fd;
  if (!(token = open_token (tool, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS, status)))
    return NULL;
  if (certificate)
    {
      GPtrArray *certs = porteur_token_get_certificates (token);

      *certificate = NULL;
      for (guint i = 0; i < certs->len && *certificate == NULL; i++)
        {
          PorteurTokenCert *c = g_ptr_array_index (certs, i);

          if ((c->key_reference & 0x7F) == key && porteur_token_load_certificate (token, c, NULL, NULL) && c->der)
            {
              const guint8 *p = g_bytes_get_data (c->der, NULL);
              *certificate = d2i_X509 (NULL, &p, (long) g_bytes_get_size (c->der));
            }
        }
      ERR_clear_error ();
    }
  if (!(pin = read_secret (_("PIN: "), &error)) ||
      !(pkey = porteur_token_get_evp_pkey (token, key, pin, last_try ? PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED : PORTEUR_PIN_FLAGS_NONE, &error)))
    {
      if (certificate)
        g_clear_pointer (certificate, X509_free);
      *status = token_fail (tool, error);
      return NULL;
    }
  *token_out = g_steal_pointer (&token);
  return pkey;
}

int
porteur_tool_token_result (PorteurTool  *tool,
                           PorteurToken *token,
                           const GError *error)
{
  return pin_result (tool, token, porteur_token_get_user_pin_reference (token), error, NULL);
}

/* --- sign ------------------------------------------------------------------------------------- */

int porteur_tool_cmd_sign (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_sign (PorteurTool  *tool,
                       int           argc,
                       char        **argv)
{
  int opt_key = 0;
  char *opt_in = NULL, *opt_out = NULL;
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &opt_reader, N_("Use the token in this reader"), N_("READER") },
    { "key", 'k', 0, G_OPTION_ARG_INT, &opt_key, N_("The key to sign with (its number, as `porteur-tool token` lists it)"), N_("KEY") },
    { "in", 'i', 0, G_OPTION_ARG_FILENAME, &opt_in, N_("The file to sign"), N_("FILE") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, N_("Write the signature to this file"), N_("FILE") },
    { "pin-fd", 0, 0, G_OPTION_ARG_INT, &opt_pin_fd, N_("Read the PIN from this file descriptor"), N_("FD") },
    { "last-try", 0, 0, G_OPTION_ARG_NONE, &opt_last_try, N_("Use the last try left (a wrong PIN then blocks it)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL,
                                                                       _("Sign a file's SHA-256 digest with a token key, and check the signature with its certificate."), entries);
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(PorteurSecret) pin = NULL;
  g_autoptr(GBytes) signature = NULL;
  guint8 digest[32];
  unsigned int digest_length = 0;
  int status = PORTEUR_TOOL_EXIT_ERROR;
  g_autofree char *in = NULL, *out = NULL;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  in = opt_in;
  out = opt_out;
  if (opt_key <= 0 || in == NULL)
    return porteur_tool_usage_error (tool, _("Give the key with --key and the file with --in."));
  if (!(file = g_mapped_file_new (in, FALSE, &error)))
    return porteur_tool_fail (tool, error);
  EVP_Digest (g_mapped_file_get_contents (file), g_mapped_file_get_length (file), digest, &digest_length, EVP_sha256 (), NULL);
  /* The keys as the PrKDF describes them: the certificates' directory is not needed to sign. */
  if (!(token = open_token (tool, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS |
                                  PORTEUR_TOKEN_OPEN_KEYS_ONLY, &status)))
    return status;
  if (!(pin = read_secret (_("PIN: "), &error)))
    return token_fail (tool, error);
  /* Checked with the key's public key before it is returned, as anyone receiving it would. */
  signature = porteur_token_sign_checked (token, opt_key, pin, opt_last_try ? PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED : 0,
                                          "SHA256", digest, digest_length, NULL, NULL, &error);
  g_clear_pointer (&pin, porteur_secret_free);
  if (signature == NULL)
    return pin_result (tool, token, porteur_token_get_user_pin_reference (token), error, NULL);
  if (out && !g_file_set_contents (out, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature), &error))
    return porteur_tool_fail (tool, error);

  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *b64 = g_base64_encode (g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
      g_autofree char *digest_hex = NULL;
      g_autoptr(GBytes) d = g_bytes_new (digest, digest_length);

      digest_hex = hex (d);
      json_builder_begin_object (b);
      add_int (b, "key", opt_key);
      add_string (b, "digest_algorithm", "SHA256");
      add_string (b, "digest", digest_hex);
      add_string (b, "signature", b64);
      add_bool (b, "verified", TRUE);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
    }
  else
    {
      printf ("%s\n", _("Signed; the signature checks out with the certificate."));
      if (out)
        printf ("%s %s\n", _("Signature written to"), out);
    }
  return PORTEUR_TOOL_EXIT_OK;
}

/* --- wait ------------------------------------------------------------------------------------- */

typedef struct
{
  PorteurTool *tool;
  GMainLoop   *loop;
  int          remaining;
  gboolean     service_seen;
} Wait;

static void
print_event (Wait       *wait,
             const char *event,
             const char *reader,
             GBytes     *atr)
{
  g_autofree char *atr_hex = atr ? hex (atr) : NULL;

  if (wait->tool->json)
    {
      /* One JSON object per line, as the events come. */
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) g = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *time = g_date_time_format_iso8601 (now);

      json_builder_begin_object (b);
      add_string (b, "event", event);
      add_string (b, "reader", reader);
      if (atr)
        {
          add_string (b, "atr", atr_hex);
          add_string (b, "model", porteur_token_lookup_atr (atr, NULL));
        }
      add_string (b, "time", time);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (g, root);
      text = json_generator_to_data (g, NULL);
      printf ("%s\n", text);
    }
  else if (g_str_equal (event, "token-inserted"))
    printf (_("Token inserted in %s (ATR %s)\n"), reader, atr_hex);
  else if (g_str_equal (event, "token-removed"))
    printf (_("Token removed from %s\n"), reader);
  else if (g_str_equal (event, "reader-added"))
    printf (_("Reader connected: %s\n"), reader);
  else if (g_str_equal (event, "reader-removed"))
    printf (_("Reader disconnected: %s\n"), reader);
  else if (g_str_equal (event, "service-lost"))
    printf ("%s\n", _("The smart card service (pcscd) stopped."));
  else if (g_str_equal (event, "service-back"))
    printf ("%s\n", _("The smart card service (pcscd) is back."));
  fflush (stdout);
  if (wait->remaining > 0 && --wait->remaining == 0)
    g_main_loop_quit (wait->loop);
}

static void on_reader_added (PorteurTokenMonitor *m, const char *r, Wait *w) { print_event (w, "reader-added", r, NULL); }
static void on_reader_removed (PorteurTokenMonitor *m, const char *r, Wait *w) { print_event (w, "reader-removed", r, NULL); }
static void on_token_inserted (PorteurTokenMonitor *m, const char *r, GBytes *atr, Wait *w) { print_event (w, "token-inserted", r, atr); }
static void on_token_removed (PorteurTokenMonitor *m, const char *r, Wait *w) { print_event (w, "token-removed", r, NULL); }

static void
on_service_notify (PorteurTokenMonitor *monitor,
                   GParamSpec          *pspec,
                   Wait                *wait)
{
  gboolean available = porteur_token_monitor_get_service_available (monitor);

  /* The first contact with pcscd is not news; losing it and getting it back are. */
  if (available && !wait->service_seen)
    {
      wait->service_seen = TRUE;
      return;
    }
  wait->service_seen = TRUE;
  print_event (wait, available ? "service-back" : "service-lost", NULL, NULL);
}

static gboolean
on_stop (gpointer data)
{
  g_main_loop_quit (((Wait *) data)->loop);
  return G_SOURCE_REMOVE;
}

int porteur_tool_cmd_wait (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_wait (PorteurTool  *tool,
                       int           argc,
                       char        **argv)
{
  int opt_count = 0, opt_timeout = 0;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count, N_("Stop after this many events"), N_("N") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, N_("Stop after this many seconds"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, NULL,
                                                                       _("Print reader and token events as they happen (with --json, one JSON object per line)."), entries);
  g_autoptr(PorteurTokenMonitor) monitor = porteur_token_monitor_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait wait = { tool, loop, 0, FALSE };

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  wait.remaining = opt_count;
  g_signal_connect (monitor, "reader-added", G_CALLBACK (on_reader_added), &wait);
  g_signal_connect (monitor, "reader-removed", G_CALLBACK (on_reader_removed), &wait);
  g_signal_connect (monitor, "token-inserted", G_CALLBACK (on_token_inserted), &wait);
  g_signal_connect (monitor, "token-removed", G_CALLBACK (on_token_removed), &wait);
  g_signal_connect (monitor, "notify::service-available", G_CALLBACK (on_service_notify), &wait);
  if (opt_timeout > 0)
    g_timeout_add_seconds (opt_timeout, on_stop, &wait);
  g_unix_signal_add (SIGINT, on_stop, &wait);
  g_unix_signal_add (SIGTERM, on_stop, &wait);
  porteur_token_monitor_start (monitor);
  g_main_loop_run (loop);
  porteur_token_monitor_stop (monitor);
  return PORTEUR_TOOL_EXIT_OK;
}

/* --- key -------------------------------------------------------------------------------------- */

static int
key_print (PorteurTool *tool,
           const char  *member,
           const char  *pem,
           const char  *out,
           const char  *done)
{
  g_autoptr(GError) error = NULL;

  if (out && !g_file_set_contents (out, pem, -1, &error))
    return porteur_tool_fail (tool, error);
  if (tool->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      add_string (b, member, pem);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      porteur_tool_print_json (tool, root);
    }
  else if (out)
    printf ("%s %s\n", done, out);
  else
    fputs (pem, stdout);
  return PORTEUR_TOOL_EXIT_OK;
}

static char *
pem_of_public_key (EVP_PKEY *key)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long n;
  char *pem;

  PEM_write_bio_PUBKEY (bio, key);
  n = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, n);
  BIO_free (bio);
  return pem;
}

/* "/CN=Anne Le Goff/O=COMMUNE DE RENNES" → X509_NAME; NULL when malformed. */
static X509_NAME *
parse_subject (const char *text)
{
  g_auto(GStrv) parts = NULL;
  X509_NAME *name;

  if (text == NULL || text[0] != '/')
    return NULL;
  name = X509_NAME_new ();
  parts = g_strsplit (text + 1, "/", -1);
  for (guint i = 0; parts[i]; i++)
    {
      char *eq = strchr (parts[i], '=');
      if (eq == NULL || eq == parts[i] ||
          !X509_NAME_add_entry_by_txt (name, (*eq = '\0', parts[i]), MBSTRING_UTF8, (const unsigned char *) eq + 1, -1, -1, 0))
        {
          X509_NAME_free (name);
          return NULL;
        }
    }
  return name;
}

int porteur_tool_cmd_key (PorteurTool *tool, int argc, char **argv);

int
porteur_tool_cmd_key (PorteurTool  *tool,
                      int           argc,
                      char        **argv)
{
  int opt_key = 0;
  char *opt_in = NULL, *opt_out = NULL, *opt_subject = NULL;
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &opt_reader, N_("Use the token in this reader"), N_("READER") },
    { "key", 'k', 0, G_OPTION_ARG_INT, &opt_key, N_("The key (its number, as `porteur-tool token` lists it)"), N_("KEY") },
    { "in", 'i', 0, G_OPTION_ARG_FILENAME, &opt_in, N_("write-cert: the certificate to write (PEM or DER)"), N_("FILE") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, N_("Write the public key or the request to this file"), N_("FILE") },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &opt_subject, N_("csr: the subject, as /CN=…/O=… (default: the key's certificate's)"), N_("SUBJECT") },
    { "pin-fd", 0, 0, G_OPTION_ARG_INT, &opt_pin_fd, N_("Read the PIN from this file descriptor"), N_("FD") },
    { "last-try", 0, 0, G_OPTION_ARG_NONE, &opt_last_try, N_("Use the last try left (a wrong PIN then blocks it)"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = porteur_tool_option_context_new (tool, "generate|csr|write-cert",
                                                                       _("Generate a key pair on the token, make a certificate request with a token key, or write a certificate to the token."), entries);
  g_autoptr(PorteurToken) token = NULL;
  g_autoptr(PorteurSecret) pin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *in = NULL, *out = NULL, *subject = NULL;
  PorteurPinFlags flags;
  const char *action;
  int status = PORTEUR_TOOL_EXIT_ERROR;

  if (!porteur_tool_parse_options (tool, context, &argc, &argv))
    return PORTEUR_TOOL_EXIT_ERROR;
  in = opt_in, out = opt_out, subject = opt_subject;
  if (argc != 2 || opt_key <= 0)
    return porteur_tool_usage_error (tool, _("Say what to do (generate, csr or write-cert) and give the key with --key."));
  action = argv[1];
  if (!g_str_equal (action, "generate") && !g_str_equal (action, "csr") && !g_str_equal (action, "write-cert"))
    return porteur_tool_usage_error (tool, _("Unknown key action “%s”."), action);
  if (g_str_equal (action, "write-cert") && in == NULL)
    return porteur_tool_usage_error (tool, _("Give the certificate with --in."));
  flags = opt_last_try ? PORTEUR_PIN_FLAGS_LAST_TRY_CONFIRMED : PORTEUR_PIN_FLAGS_NONE;
  if (!(token = open_token (tool, PORTEUR_TOKEN_OPEN_SKIP_CERTIFICATES | PORTEUR_TOKEN_OPEN_SKIP_DETAILS, &status)))
    return status;
  if (!(pin = read_secret (_("PIN: "), &error)))
    return token_fail (tool, error);

  if (g_str_equal (action, "generate"))
    {
      EVP_PKEY *key = porteur_token_generate_key (token, opt_key, pin, flags, NULL, &error);
      g_autofree char *pem = NULL;

      if (key == NULL)
        return pin_result (tool, token, porteur_token_get_user_pin_reference (token), error, NULL);
      pem = pem_of_public_key (key);
      EVP_PKEY_free (key);
      return key_print (tool, "public_key", pem, out, _("Public key of the new key pair written to"));
    }

  if (g_str_equal (action, "csr"))
    {
      EVP_PKEY *key = porteur_token_get_evp_pkey (token, opt_key, pin, flags, &error);
      X509_REQ *req;
      X509_NAME *name = NULL;
      EVP_MD_CTX *md;
      BIO *bio;
      char *data = NULL;
      g_autofree char *pem = NULL;
      long n;
      gboolean signed_ok;

      if (key == NULL)
        return token_fail (tool, error);
      if (subject)
        name = parse_subject (subject);
      else
        {
          PorteurTokenCert *cert = NULL;
          for (guint i = 0; i < porteur_token_get_certificates (token)->len; i++)
            {
              PorteurTokenCert *c = g_ptr_array_index (porteur_token_get_certificates (token), i);
              if ((c->key_reference & 0x7F) == opt_key)
                cert = c;
            }
          if (cert && porteur_token_load_certificate (token, cert, NULL, NULL) && cert->der)
            {
              const guint8 *p = g_bytes_get_data (cert->der, NULL);
              X509 *x = d2i_X509 (NULL, &p, (long) g_bytes_get_size (cert->der));
              if (x)
                name = X509_NAME_dup (X509_get_subject_name (x));
              X509_free (x);
            }
        }
      if (name == NULL)
        {
          EVP_PKEY_free (key);
          return porteur_tool_usage_error (tool, _("Give the subject with --subject, as /CN=…/O=…"));
        }
      req = X509_REQ_new ();
      X509_REQ_set_subject_name (req, name);
      X509_REQ_set_pubkey (req, key);
      md = EVP_MD_CTX_new ();
      signed_ok = EVP_DigestSignInit_ex (md, NULL, "SHA256", porteur_token_provider_get_libctx (), NULL, key, NULL) == 1 &&
                  X509_REQ_sign_ctx (req, md) > 0;
      EVP_MD_CTX_free (md);
      X509_NAME_free (name);
      EVP_PKEY_free (key);
      if (!signed_ok)
        {
          X509_REQ_free (req);
          ERR_clear_error ();
          if (!porteur_token_provider_take_error (&error))
            g_set_error (&error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_CARD, "The request could not be signed");
          return pin_result (tool, token, porteur_token_get_user_pin_reference (token), error, NULL);
        }
      bio = BIO_new (BIO_s_mem ());
      PEM_write_bio_X509_REQ (bio, req);
      n = BIO_get_mem_data (bio, &data);
      pem = g_strndup (data, n);
      BIO_free (bio);
      X509_REQ_free (req);
      return key_print (tool, "request", pem, out, _("Certificate request written to"));
    }

  {
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_autoptr(GBytes) der = NULL;
    X509 *x = NULL;

    if (!g_file_get_contents (in, &contents, &length, &error))
      return porteur_tool_fail (tool, error);
    {
      BIO *bio = BIO_new_mem_buf (contents, (int) length);
      x = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
      BIO_free (bio);
      if (x == NULL)
        {
          const guint8 *p = (const guint8 *) contents;
          x = d2i_X509 (NULL, &p, (long) length);
        }
    }
    if (x == NULL)
      return porteur_tool_usage_error (tool, _("“%s” is not a certificate."), in);
    {
      guint8 *buffer = NULL;
      int n = i2d_X509 (x, &buffer);
      der = g_bytes_new (buffer, n);
      OPENSSL_free (buffer);
      X509_free (x);
    }
    if (!porteur_token_write_certificate (token, opt_key, der, pin, flags, NULL, &error))
      return pin_result (tool, token, porteur_token_get_user_pin_reference (token), error, NULL);
    if (!tool->json)
      printf ("%s\n", _("The certificate was written to the token."));
    else
      {
        g_autoptr(JsonBuilder) b = json_builder_new ();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object (b);
        add_bool (b, "done", TRUE);
        add_int (b, "key", opt_key);
        json_builder_end_object (b);
        root = json_builder_get_root (b);
        porteur_tool_print_json (tool, root);
      }
    return PORTEUR_TOOL_EXIT_OK;
  }
}
