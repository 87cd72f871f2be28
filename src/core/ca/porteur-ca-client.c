/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "ca/porteur-ca-client.h"
#include "ca/porteur-ca-client-private.h"
#include "ca/porteur-ca-config.h"

/* Retry-After is honoured up to this many seconds; beyond, the error is returned. */
#define MAX_RETRY_AFTER 30
/* No answer of the RA API comes near this; a larger body is refused, not read. */
#define MAX_ANSWER_SIZE (1024 * 1024)

struct _PorteurCaClient
{
  GObject parent_instance;

  /* Owned */
  char        *base_url;     /* as configured */
  char        *api_root;     /* …/api/v1, no trailing slash */
  SoupSession *session;      /* the RA API's session: pinned trust, default proxy resolver */
  char        *accept_language;
  guint        timeout;
  guint        max_retries;
  guint        retry_delay;  /* milliseconds */
};

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TIMEOUT,
  PROP_MAX_RETRIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PorteurCaClient, porteur_ca_client, G_TYPE_OBJECT)

static void
porteur_ca_client_dispose (GObject *object)
{
  PorteurCaClient *self = PORTEUR_CA_CLIENT (object);

  if (self->session)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (porteur_ca_client_parent_class)->dispose (object);
}

static void
porteur_ca_client_finalize (GObject *object)
{
  PorteurCaClient *self = PORTEUR_CA_CLIENT (object);

  g_free (self->base_url);
  g_free (self->api_root);
  g_free (self->accept_language);
  G_OBJECT_CLASS (porteur_ca_client_parent_class)->finalize (object);
}

static void
porteur_ca_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PorteurCaClient *self = PORTEUR_CA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->max_retries);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_ca_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PorteurCaClient *self = PORTEUR_CA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      porteur_ca_client_set_timeout (self, g_value_get_uint (value));
      break;
    case PROP_MAX_RETRIES:
      porteur_ca_client_set_max_retries (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
porteur_ca_client_class_init (PorteurCaClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = porteur_ca_client_dispose;
  object_class->finalize = porteur_ca_client_finalize;
  object_class->get_property = porteur_ca_client_get_property;
  object_class->set_property = porteur_ca_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, 600, 30,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, 10, 3,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
porteur_ca_client_init (PorteurCaClient *self)
{
  self->timeout = 30;
  self->max_retries = 3;
  self->retry_delay = 500;
}

/* "fr_FR.UTF-8" → "fr-FR"; NULL for C/POSIX. */
static char *
language_tag (const char *name)
{
  g_autofree char *tag = NULL;
  char *p;

  if (g_str_equal (name, "C") || g_str_equal (name, "POSIX") || strchr (name, '.') || strchr (name, '@'))
    return NULL;
  tag = g_strdup (name);
  for (p = tag; *p; p++)
    if (*p == '_')
      *p = '-';
  return g_steal_pointer (&tag);
}

static char *
build_accept_language (void)
{
  const char *const *names = g_get_language_names ();
  g_autoptr(GString) header = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; names[i] && n < 5; i++)
    {
      g_autofree char *tag = language_tag (names[i]);

      if (tag == NULL)
        continue;
      if (n > 0)
        g_string_append_printf (header, ", %s;q=0.%u", tag, 9 - n);
      else
        g_string_append (header, tag);
      n++;
    }
  if (n == 0 || !strstr (header->str, "en"))
    g_string_append (header, n ? ", en;q=0.1" : "en");
  return g_string_free (g_steal_pointer (&header), FALSE);
}

PorteurCaClient *
porteur_ca_client_new (const char  *base_url,
                       const char  *trust_path,
                       gboolean     allow_loopback_http,
                       GError     **error)
{
  g_autoptr(PorteurCaClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GTlsDatabase) trust = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *user_agent = g_strdup_printf ("Porteur/%s", PACKAGE_VERSION);

  g_return_val_if_fail (base_url != NULL, NULL);

  uri = porteur_ca_config_parse_url (base_url, allow_loopback_http, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG, "%s", local_error->message);
      return NULL;
    }
  if (trust_path != NULL && (trust = porteur_ca_config_load_trust (trust_path, &local_error)) == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG, "%s", local_error->message);
      return NULL;
    }

  self = g_object_new (PORTEUR_TYPE_CA_CLIENT, NULL);
  self->base_url = g_strdup (base_url);
  root = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT);
  while (g_str_has_suffix (root, "/"))
    root[strlen (root) - 1] = '\0';
  self->api_root = g_str_has_suffix (root, "/api/v1") ? g_steal_pointer (&root) : g_strconcat (root, "/api/v1", NULL);
  self->accept_language = build_accept_language ();
  self->session = soup_session_new_with_options ("timeout", self->timeout,
                                                 "user-agent", user_agent,
                                                 "proxy-resolver", g_proxy_resolver_get_default (),
                                                 "max-conns-per-host", 4,
                                                 NULL);
  if (trust)
    soup_session_set_tls_database (self->session, trust);
  return g_steal_pointer (&self);
}

const char *
porteur_ca_client_get_base_url (PorteurCaClient *self)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), NULL);
  return self->base_url;
}

guint
porteur_ca_client_get_timeout (PorteurCaClient *self)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), 0);
  return self->timeout;
}

void
porteur_ca_client_set_timeout (PorteurCaClient *self,
                               guint            seconds)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (seconds > 0);

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  if (self->session)
    soup_session_set_timeout (self->session, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint
porteur_ca_client_get_max_retries (PorteurCaClient *self)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), 0);
  return self->max_retries;
}

void
porteur_ca_client_set_max_retries (PorteurCaClient *self,
                                   guint            retries)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));

  if (self->max_retries == retries)
    return;
  self->max_retries = retries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
}

void
porteur_ca_client_set_retry_delay (PorteurCaClient *self,
                                   guint            milliseconds)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  self->retry_delay = milliseconds;
}

char *
porteur_ca_new_idempotency_key (void)
{
  return g_uuid_string_random ();
}

/* One API call, across its attempts ------------------------------------------ */

typedef gpointer (*ParseFunc) (JsonNode *node, GError **error);

typedef enum {
  CALL_NO_CONTENT = 1 << 0,  /* the answer is 204 without a body: returns a boolean */
  CALL_SENSITIVE  = 1 << 1,  /* request or answer hold secrets: wiped when done */
} CallFlags;

static void
wipe_bytes (GBytes *bytes)
{
  gsize len;
  gpointer data = (gpointer) g_bytes_get_data (bytes, &len);

  if (data)
    explicit_bzero (data, len);
}

/* The JSON text of a sensitive request body, written here rather than by json-glib, whose
 * generator grows its GString by realloc and escapes each string into a buffer of its own, leaving
 * copies of the secrets in freed memory. The text goes into one buffer sized in advance for the
 * worst case (every byte of a string escaped as \u00XX), so it is never moved and call_free ()
 * wipes the only copy. */
static gsize
json_text_bound (JsonNode *node)
{
  gsize n = 2;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          n += 6 * strlen (name) + 2 + 1 + json_text_bound (member) + 1;
        return n;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          n += json_text_bound (json_array_get_element (array, i)) + 1;
        return n;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return 6 * strlen (json_node_get_string (node)) + 2;
      return G_ASCII_DTOSTR_BUF_SIZE + 24;
    case JSON_NODE_NULL:
    default:
      return 4;
    }
}

static void
json_text_string (GString *out, const char *text)
{
  static const char hex[] = "0123456789abcdef";

  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        {
          g_string_append_len (out, "\\u00", 4);
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
        }
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static void
json_text (GString *out, JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            json_text_string (out, name);
            g_string_append_c (out, ':');
            json_text (out, member);
          }
        g_string_append_c (out, '}');
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        g_string_append_c (out, '[');
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            json_text (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_VALUE:
      {
        char number[G_ASCII_DTOSTR_BUF_SIZE + 24];

        switch (json_node_get_value_type (node))
          {
          case G_TYPE_STRING:
            json_text_string (out, json_node_get_string (node));
            return;
          case G_TYPE_INT64:
            g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, json_node_get_int (node));
            break;
          case G_TYPE_DOUBLE:
            g_ascii_dtostr (number, sizeof number, json_node_get_double (node));
            break;
          case G_TYPE_BOOLEAN:
            g_strlcpy (number, json_node_get_boolean (node) ? "true" : "false", sizeof number);
            break;
          default:
            g_strlcpy (number, "null", sizeof number);
            break;
          }
        g_string_append (out, number);
      }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append_len (out, "null", 4);
      break;
    }
}

/* Wipes every string value of @node in place: json_node_get_string () gives the node's own
 * copy, which json-glib frees without wiping. */
static void
json_wipe_strings (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        json_wipe_strings (member);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_wipe_strings (json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      char *text = (char *) json_node_get_string (node);

      explicit_bzero (text, strlen (text));
    }
}

/* The body of a sensitive call as one unmoved buffer; @node's strings wiped. */
static GBytes *
sensitive_body (JsonNode *node)
{
  gsize bound = json_text_bound (node);
  GString *out = g_string_sized_new (bound + 1);
  G_GNUC_UNUSED const char *start = out->str;
  gsize len;

  json_text (out, node);
  g_assert (out->str == start && out->len <= bound);
  json_wipe_strings (node);
  len = out->len;
  return g_bytes_new_take (g_string_free (out, FALSE), len);
}

typedef struct {
  char          *method;
  char          *url;
  GBytes        *body;          /* nullable */
  char          *key;           /* Idempotency-Key, nullable for GET */
  char          *access_token;  /* nullable */
  ParseFunc      parse;         /* object answers */
  GType          item_type;     /* list answers, when parse is NULL */
  guint          flags;         /* CallFlags */
  guint          attempt;
  GTlsCertificateFlags tls_errors;
  GSource       *wait;
  GSource       *wait_cancel;
  /* the attempt under way */
  SoupMessage   *msg;
  GInputStream  *stream;
  GByteArray    *buffer;
} Call;

static void
call_free (Call *call)
{
  g_free (call->method);
  g_free (call->url);
  if (call->body && (call->flags & CALL_SENSITIVE))
    wipe_bytes (call->body);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->key);
  if (call->access_token)
    explicit_bzero (call->access_token, strlen (call->access_token));
  g_free (call->access_token);
  g_assert (call->wait == NULL && call->wait_cancel == NULL);
  g_clear_object (&call->msg);
  g_clear_object (&call->stream);
  if (call->buffer && (call->flags & CALL_SENSITIVE))
    explicit_bzero (call->buffer->data, call->buffer->len);
  g_clear_pointer (&call->buffer, g_byte_array_unref);
  g_free (call);
}

/* Consumes a reference to @task. */
static void send_attempt (GTask *task);
static void on_stream (GObject *source, GAsyncResult *result, gpointer user_data);

static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Call *call = user_data;

  /* Never accept a certificate the pinned trust rejected; remember why. */
  call->tls_errors = errors;
  return FALSE;
}

static const char *
tls_reason (GTlsCertificateFlags errors)
{
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return "it is not issued by the configured CA trust anchors";
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return "it is not for this host name";
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    return "it has expired";
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return "it is not valid yet";
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    return "it is revoked";
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    return "it uses an insecure algorithm";
  return "it could not be verified";
}

static void
source_destroy_and_unref (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* The backoff delay is over, or the call was cancelled while waiting (then
 * the next attempt fails at once with G_IO_ERROR_CANCELLED). */
static gboolean
on_wait_over (gpointer user_data)
{
  GTask *task = g_object_ref (user_data);   /* the sources hold the other references */
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->wait, source_destroy_and_unref);
  g_clear_pointer (&call->wait_cancel, source_destroy_and_unref);
  send_attempt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  return on_wait_over (user_data);
}

/* Schedules another attempt if the call may be retried; FALSE if not. */
static gboolean
retry_later (GTask *task,
             guint  retry_after)
{
  Call *call = g_task_get_task_data (task);
  PorteurCaClient *self = g_task_get_source_object (task);
  guint delay;

  if (call->attempt > self->max_retries || retry_after > MAX_RETRY_AFTER)
    return FALSE;
  /* exponential backoff: retry_delay, ×2, ×4…; Retry-After when longer */
  delay = self->retry_delay << MIN (call->attempt - 1, 10u);
  delay = MAX (delay, retry_after * 1000);
  g_debug ("CA: %s %s: retry %u in %u ms", call->method, call->url, call->attempt, delay);

  call->wait = g_timeout_source_new (delay);
  g_source_set_callback (call->wait, on_wait_over, g_object_ref (task), g_object_unref);
  g_source_attach (call->wait, g_main_context_get_thread_default ());
  if (g_task_get_cancellable (task))
    {
      call->wait_cancel = g_cancellable_source_new (g_task_get_cancellable (task));
      g_source_set_callback (call->wait_cancel, G_SOURCE_FUNC (on_wait_cancelled), g_object_ref (task), g_object_unref);
      g_source_attach (call->wait_cancel, g_main_context_get_thread_default ());
    }
  return TRUE;
}

static gboolean
is_json_type (const char *type, const char *want)
{
  return type != NULL && g_ascii_strcasecmp (type, want) == 0;
}

static PorteurCaError
problem_code (guint status, const char *type)
{
  gboolean idempotency = type && g_str_has_suffix (type, "/idempotency");

  if (idempotency)
    return PORTEUR_CA_ERROR_IDEMPOTENCY;
  switch (status)
    {
    case 400:
    case 422:
      return PORTEUR_CA_ERROR_VALIDATION;
    case 401:
      return PORTEUR_CA_ERROR_UNAUTHORIZED;
    case 404:
      return PORTEUR_CA_ERROR_NOT_FOUND;
    case 403:
      return PORTEUR_CA_ERROR_FORBIDDEN;
    case 409:
      return PORTEUR_CA_ERROR_CONFLICT;
    case 410:
      return PORTEUR_CA_ERROR_GONE;
    case 429:
      return PORTEUR_CA_ERROR_RATE_LIMITED;
    default:
      return status >= 500 ? PORTEUR_CA_ERROR_SERVER : PORTEUR_CA_ERROR_HTTP;
    }
}

static gboolean
retriable_status (guint status)
{
  return status == 408 || status == 429 || status == 502 || status == 503 || status == 504;
}

static guint
parse_retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
  guint64 seconds = 0;

  if (value && g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &seconds, NULL))
    return (guint) seconds;
  return 0;
}

/* The end of an attempt: @body, or @error from the transport. Consumes
 * @task's reference, @body and @error. */
static void
handle_answer_inner (GTask  *task_ref,
                     GBytes *body_ref,
                     GError *error_ref)
{
  g_autoptr(GTask) task = task_ref;
  g_autoptr(GBytes) body = body_ref;
  g_autoptr(GError) error = error_ref;
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = g_steal_pointer (&call->msg);
  g_autoptr(JsonParser) parser = NULL;
  const char *type;
  const char *data;
  gsize len;
  guint status;
  JsonNode *root;
  gpointer answer;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (call->tls_errors != 0 || error->domain == G_TLS_ERROR)
        {
          g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TLS,
                                   "The CA's TLS certificate is not trusted: %s (%s)",
                                   call->tls_errors ? tls_reason (call->tls_errors) : error->message, call->url);
          return;
        }
      if (retry_later (task, 0))
        return;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_TIMEOUT,
                                 "The CA did not answer in time (%s %s)", call->method, call->url);
      else
        g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_NETWORK,
                                 "Cannot reach the CA: %s (%s %s)", error->message, call->method, call->url);
      return;
    }

  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location");
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INSECURE_REDIRECT,
                               "The CA redirected %s to %s: redirects are not followed",
                               call->url, location ? location : "(nowhere)");
      return;
    }
  if (retriable_status (status) && retry_later (task, parse_retry_after (msg)))
    return;

  if ((call->flags & CALL_NO_CONTENT) && status == 204)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  data = g_bytes_get_data (body, &len);
  if (status < 200 || status >= 300)
    {
      if (is_json_type (type, "application/problem+json") || is_json_type (type, "application/json"))
        {
          g_autoptr(JsonParser) problem_parser = json_parser_new ();
          g_autoptr(PorteurCaProblem) problem = NULL;

          if (g_utf8_validate (data, len, NULL) && json_parser_load_from_data (problem_parser, data, len, NULL) &&
              (problem = porteur_ca_problem_new_from_json (json_parser_get_root (problem_parser), NULL)) != NULL)
            {
              GError *problem_error = NULL;

              problem->status = status;   /* the HTTP status is authoritative */
              porteur_ca_set_error_from_problem (&problem_error, problem_code (status, problem->type), problem);
              g_task_return_error (task, problem_error);
              return;
            }
        }
      g_task_return_new_error (task, PORTEUR_CA_ERROR, problem_code (status, NULL),
                               "The CA answered HTTP %u %s (%s %s)", status,
                               soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "",
                               call->method, call->url);
      return;
    }

  if (!is_json_type (type, "application/json"))
    {
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_BAD_CONTENT_TYPE,
                               "The CA answered %s instead of JSON (%s %s)", type ? type : "without a content type",
                               call->method, call->url);
      return;
    }
  parser = json_parser_new ();
  if (!g_utf8_validate (data, len, NULL) || !json_parser_load_from_data (parser, data, len, &error))
    {
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_MALFORMED,
                               "The CA's answer is not valid JSON: %s (%s %s)",
                               error ? error->message : "not UTF-8", call->method, call->url);
      return;
    }
  root = json_parser_get_root (parser);
  if (call->parse)
    answer = call->parse (root, &error);
  else
    answer = porteur_ca_list_new_from_json (call->item_type, root, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, answer, g_object_unref);
}

/* Consumes @task_ref, @body_ref and @error_ref; wipes the answer of a sensitive call. */
static void
handle_answer (GTask  *task_ref,
               GBytes *body_ref,
               GError *error_ref)
{
  Call *call = g_task_get_task_data (task_ref);
  GBytes *keep = (body_ref && (call->flags & CALL_SENSITIVE)) ? g_bytes_ref (body_ref) : NULL;

  handle_answer_inner (task_ref, body_ref, error_ref);
  if (keep)
    {
      wipe_bytes (keep);
      g_bytes_unref (keep);
    }
}

static void
send_attempt (GTask *task)
{
  PorteurCaClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(SoupMessage) msg = soup_message_new (call->method, call->url);
  SoupMessageHeaders *headers;

  if (msg == NULL)
    {
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_CONFIG, "Bad request URL %s", call->url);
      g_object_unref (task);
      return;
    }
  call->attempt++;
  call->tls_errors = 0;
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", "application/json, application/problem+json");
  soup_message_headers_replace (headers, "Accept-Language", self->accept_language);
  if (call->access_token)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", call->access_token, NULL);
      soup_message_headers_replace (headers, "Authorization", bearer);
      explicit_bzero (bearer, strlen (bearer));
    }
  if (call->key)
    soup_message_headers_replace (headers, "Idempotency-Key", call->key);
  if (call->body)
    soup_message_set_request_body_from_bytes (msg, "application/json", call->body);
  /* Redirects are never followed (a redirect could lead to plain HTTP);
   * with its Idempotency-Key a request may be sent again on a fresh connection. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT | (call->key ? SOUP_MESSAGE_IDEMPOTENT : 0));
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), call);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->buffer, g_byte_array_unref);
  g_set_object (&call->msg, msg);
  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_stream, task);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (chunk == NULL)
    {
      handle_answer (task, NULL, error);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      g_clear_object (&call->stream);
      handle_answer (task, g_byte_array_free_to_bytes (g_steal_pointer (&call->buffer)), NULL);
      return;
    }
  if (call->buffer->len + g_bytes_get_size (chunk) > MAX_ANSWER_SIZE)
    {
      g_clear_object (&call->stream);
      g_clear_object (&call->msg);
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                               "The CA's answer is larger than %u bytes (%s %s)", MAX_ANSWER_SIZE,
                               call->method, call->url);
      g_object_unref (task);
      return;
    }
  g_byte_array_append (call->buffer, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (call->stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

static void
on_stream (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  goffset length;

  if (stream == NULL)
    {
      handle_answer (task, NULL, error);
      return;
    }
  call->stream = stream;
  length = soup_message_headers_get_content_length (soup_message_get_response_headers (call->msg));
  if (length > MAX_ANSWER_SIZE)
    {
      g_clear_object (&call->stream);
      g_clear_object (&call->msg);
      g_task_return_new_error (task, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                               "The CA's answer is larger than %u bytes (%s %s)", MAX_ANSWER_SIZE,
                               call->method, call->url);
      g_object_unref (task);
      return;
    }
  call->buffer = g_byte_array_new ();
  g_input_stream_read_bytes_async (call->stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_read, task);
}

static void
start_call_flags (PorteurCaClient     *self,
            guint                flags,
            gpointer             source_tag,
            const char          *method,
            const char          *path,
            JsonObject          *body,
            const char          *key,
            const char          *access_token,
            ParseFunc            parse,
            GType                item_type,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  call->method = g_strdup (method);
  call->url = g_strconcat (self->api_root, path, NULL);
  if (body)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      gsize len;
      char *text;

      json_node_set_object (node, body);
      if (flags & CALL_SENSITIVE)
        call->body = sensitive_body (node);
      else
        {
          text = json_to_string (node, FALSE);
          len = strlen (text);
          call->body = g_bytes_new_take (text, len);
        }
    }
  /* Every POST/PUT carries a key; without the caller's, one for this call's retries. */
  if (!g_str_equal (method, "GET"))
    call->key = key ? g_strdup (key) : porteur_ca_new_idempotency_key ();
  call->access_token = g_strdup (access_token);
  call->parse = parse;
  call->item_type = item_type;
  call->flags = flags;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  send_attempt (task);
}

static void
start_call (PorteurCaClient     *self,
            gpointer             source_tag,
            const char          *method,
            const char          *path,
            JsonObject          *body,
            const char          *key,
            const char          *access_token,
            ParseFunc            parse,
            GType                item_type,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  start_call_flags (self, 0, source_tag, method, path, body, key, access_token, parse, item_type,
                    cancellable, callback, user_data);
}

static char *
order_path (const char *number,
            const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (number, NULL, FALSE);
  return g_strconcat ("/orders/", escaped, suffix, NULL);
}

static gpointer
finish (PorteurCaClient *self,
        GAsyncResult    *result,
        gpointer         source_tag,
        GError         **error)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The calls -------------------------------------------------------------------- */

void
porteur_ca_client_list_products_async (PorteurCaClient     *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  start_call (self, porteur_ca_client_list_products_async, "GET", "/products", NULL, NULL, NULL,
              NULL, PORTEUR_TYPE_CA_PRODUCT, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_list_products_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_list_products_async, error);
}

void
porteur_ca_client_list_offices_async (PorteurCaClient     *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  start_call (self, porteur_ca_client_list_offices_async, "GET", "/offices", NULL, NULL, NULL,
              NULL, PORTEUR_TYPE_CA_OFFICE, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_list_offices_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_list_offices_async, error);
}

void
porteur_ca_client_create_order_async (PorteurCaClient     *self,
                                      JsonObject          *dossier,
                                      const char          *idempotency_key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (dossier != NULL);
  start_call (self, porteur_ca_client_create_order_async, "POST", "/orders", dossier, idempotency_key, NULL,
              (ParseFunc) porteur_ca_order_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_create_order_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(PorteurCaOrder) order = finish (self, result, porteur_ca_client_create_order_async, error);

  if (order && porteur_ca_order_get_access_token (order) == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: order.access_token: missing in the answer to create");
      return NULL;
    }
  return g_steal_pointer (&order);
}

void
porteur_ca_client_get_order_async (PorteurCaClient     *self,
                                   const char          *number,
                                   const char          *access_token,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  path = order_path (number, "");
  start_call (self, porteur_ca_client_get_order_async, "GET", path, NULL, NULL, access_token,
              (ParseFunc) porteur_ca_order_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_get_order_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_get_order_async, error);
}

void
porteur_ca_client_rectify_order_async (PorteurCaClient     *self,
                                       const char          *number,
                                       const char          *access_token,
                                       JsonObject          *dossier,
                                       const char          *idempotency_key,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL && dossier != NULL);
  path = order_path (number, "/dossier");
  start_call (self, porteur_ca_client_rectify_order_async, "PUT", path, dossier, idempotency_key, access_token,
              (ParseFunc) porteur_ca_order_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_rectify_order_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_rectify_order_async, error);
}

void
porteur_ca_client_submit_order_async (PorteurCaClient     *self,
                                      const char          *number,
                                      const char          *access_token,
                                      const char          *idempotency_key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  path = order_path (number, "/submit");
  start_call (self, porteur_ca_client_submit_order_async, "POST", path, empty, idempotency_key, access_token,
              (ParseFunc) porteur_ca_order_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_submit_order_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_submit_order_async, error);
}

void
porteur_ca_client_get_history_async (PorteurCaClient     *self,
                                     const char          *number,
                                     const char          *access_token,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  path = order_path (number, "/history");
  start_call (self, porteur_ca_client_get_history_async, "GET", path, NULL, NULL, access_token,
              NULL, PORTEUR_TYPE_CA_HISTORY_ENTRY, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_get_history_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_get_history_async, error);
}

void
porteur_ca_client_get_checklist_async (PorteurCaClient     *self,
                                       const char          *number,
                                       const char          *access_token,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  path = order_path (number, "/checklist");
  start_call (self, porteur_ca_client_get_checklist_async, "GET", path, NULL, NULL, access_token,
              NULL, PORTEUR_TYPE_CA_CHECKLIST_ITEM, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_get_checklist_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_get_checklist_async, error);
}

void
porteur_ca_client_get_enrollment_async (PorteurCaClient     *self,
                                        const char          *number,
                                        const char          *access_token,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  path = order_path (number, "/enrollment");
  start_call (self, porteur_ca_client_get_enrollment_async, "GET", path, NULL, NULL, access_token,
              (ParseFunc) porteur_ca_enrollment_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaEnrollment *
porteur_ca_client_get_enrollment_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_get_enrollment_async, error);
}

/* §3.4–3.6 ---------------------------------------------------------------------- */

void
porteur_ca_client_get_appointment_slots_async (PorteurCaClient     *self,
                                               const char          *number,
                                               const char          *access_token,
                                               GDateTime           *from,
                                               GDateTime           *to,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(GString) query = g_string_new (NULL);  /* "?from=…&to=…" */

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  for (guint i = 0; i < 2; i++)
    {
      GDateTime *t = i == 0 ? from : to;
      g_autoptr(GDateTime) utc = t ? g_date_time_to_utc (t) : NULL;
      g_autofree char *text = utc ? g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;

      if (text)
        g_string_append_printf (query, "%s%s=%s", query->len ? "&" : "?", i == 0 ? "from" : "to", text);
    }
  g_string_prepend (query, "/appointment-slots");
  path = order_path (number, query->str);
  start_call (self, porteur_ca_client_get_appointment_slots_async, "GET", path, NULL, NULL, access_token,
              NULL, PORTEUR_TYPE_CA_APPOINTMENT_SLOT, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_get_appointment_slots_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_get_appointment_slots_async, error);
}

void
porteur_ca_client_book_appointment_async (PorteurCaClient     *self,
                                          const char          *number,
                                          const char          *access_token,
                                          const char          *slot_id,
                                          const char          *idempotency_key,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL && slot_id != NULL);
  json_object_set_string_member (body, "slot", slot_id);
  path = order_path (number, "/appointment");
  start_call (self, porteur_ca_client_book_appointment_async, "POST", path, body, idempotency_key, access_token,
              (ParseFunc) porteur_ca_order_new_from_json, G_TYPE_NONE, cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_book_appointment_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(PorteurCaOrder) order = finish (self, result, porteur_ca_client_book_appointment_async, error);

  if (order && porteur_ca_order_get_appointment (order) == NULL)
    {
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_INVALID_RESPONSE,
                   "Invalid answer from the CA: order.appointment: missing in the answer to a booking");
      return NULL;
    }
  return g_steal_pointer (&order);
}

void
porteur_ca_client_list_security_questions_async (PorteurCaClient     *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  start_call (self, porteur_ca_client_list_security_questions_async, "GET", "/security-questions", NULL, NULL, NULL,
              NULL, PORTEUR_TYPE_CA_SECURITY_QUESTION, cancellable, callback, user_data);
}

GListModel *
porteur_ca_client_list_security_questions_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_list_security_questions_async, error);
}

static void
add_answers (JsonObject                    *body,
             const PorteurCaSecurityAnswer *answers,
             guint                          n_answers)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < n_answers; i++)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "question", answers[i].question);
      json_object_set_string_member (o, "answer", answers[i].answer);
      json_array_add_object_element (array, o);
    }
  json_object_set_array_member (body, "answers", array);
}

void
porteur_ca_client_set_security_answers_async (PorteurCaClient               *self,
                                              const char                    *number,
                                              const char                    *access_token,
                                              const PorteurCaSecurityAnswer *answers,
                                              guint                          n_answers,
                                              const char                    *idempotency_key,
                                              GCancellable                  *cancellable,
                                              GAsyncReadyCallback            callback,
                                              gpointer                       user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL && (answers != NULL || n_answers == 0));
  add_answers (body, answers, n_answers);
  path = order_path (number, "/security-questions");
  start_call_flags (self, CALL_NO_CONTENT | CALL_SENSITIVE, porteur_ca_client_set_security_answers_async, "POST",
                    path, body, idempotency_key, access_token, NULL, G_TYPE_NONE, cancellable, callback, user_data);
}

gboolean
porteur_ca_client_set_security_answers_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == porteur_ca_client_set_security_answers_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
porteur_ca_client_open_unblock_session_async (PorteurCaClient               *self,
                                              const char                    *serial_hex,
                                              GBytes                        *challenge,
                                              const PorteurCaSecurityAnswer *answers,
                                              guint                          n_answers,
                                              const char                    *idempotency_key,
                                              GCancellable                  *cancellable,
                                              GAsyncReadyCallback            callback,
                                              gpointer                       user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(GString) hex = g_string_new (NULL);
  const guint8 *data;
  gsize len;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (serial_hex != NULL && challenge != NULL && (answers != NULL || n_answers == 0));
  data = g_bytes_get_data (challenge, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  json_object_set_string_member (body, "serial", serial_hex);
  json_object_set_string_member (body, "challenge", hex->str);
  add_answers (body, answers, n_answers);
  start_call_flags (self, CALL_SENSITIVE, porteur_ca_client_open_unblock_session_async, "POST", "/unblock-sessions",
                    body, idempotency_key, NULL, (ParseFunc) porteur_ca_unblock_session_new_from_json, G_TYPE_NONE,
                    cancellable, callback, user_data);
}

PorteurCaUnblockSession *
porteur_ca_client_open_unblock_session_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish (self, result, porteur_ca_client_open_unblock_session_async, error);
}

void
porteur_ca_client_get_unblock_cryptogram_async (PorteurCaClient     *self,
                                                const char          *session_id,
                                                const char          *idempotency_key,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) empty = json_object_new ();

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (session_id != NULL);
  escaped = g_uri_escape_string (session_id, NULL, FALSE);
  path = g_strconcat ("/unblock-sessions/", escaped, "/response", NULL);
  start_call_flags (self, CALL_SENSITIVE, porteur_ca_client_get_unblock_cryptogram_async, "POST", path, empty,
                    idempotency_key, NULL, (ParseFunc) porteur_ca_cryptogram_new_from_json, G_TYPE_NONE,
                    cancellable, callback, user_data);
}

GBytes *
porteur_ca_client_get_unblock_cryptogram_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(PorteurCaCryptogram) cryptogram = finish (self, result, porteur_ca_client_get_unblock_cryptogram_async, error);

  return cryptogram ? porteur_ca_cryptogram_get_bytes (cryptogram) : NULL;
}

/* For the client's other files (porteur-ca-client-private.h). */
void
porteur_ca_client_start_call (PorteurCaClient     *self,
                              gboolean             sensitive,
                              gpointer             source_tag,
                              const char          *method,
                              const char          *path,
                              JsonObject          *body,
                              const char          *idempotency_key,
                              const char          *access_token,
                              PorteurCaParseFunc   parse,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  start_call_flags (self, sensitive ? CALL_SENSITIVE : 0, source_tag, method, path, body, idempotency_key,
                    access_token, (ParseFunc) parse, G_TYPE_NONE, cancellable, callback, user_data);
}
