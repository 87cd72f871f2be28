/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "ca/porteur-ca-client-private.h"
#include "ca/porteur-ca-revoke.h"

/* §3.7 revocation requests and DELETE …/appointment (docs/ca-api.md). */

static gpointer
finish_call (PorteurCaClient *self,
             GAsyncResult    *result,
             gpointer         source_tag,
             GError         **error)
{
  g_return_val_if_fail (PORTEUR_IS_CA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
carried (const char *text, gboolean hex)
{
  if (text == NULL || *text == '\0' || strlen (text) > 128)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (hex ? !g_ascii_isxdigit (*p) : (*p < 0x21 || *p > 0x7e))
      return FALSE;
  return TRUE;
}

GBytes *
porteur_ca_revocation_canonical_request (const char *serial_hex,
                                         const char *reason,
                                         const char *requester,
                                         const char *nonce)
{
  g_autofree char *serial = NULL;
  const char *p = serial_hex;
  char *text;

  if (!carried (serial_hex, TRUE) || strlen (serial_hex) > 40 || !porteur_ca_revocation_reason_is_valid (reason) ||
      !carried (requester, FALSE) || !carried (nonce, FALSE))
    return NULL;
  while (*p == '0' && p[1] != '\0')
    p++;
  serial = g_ascii_strup (p, -1);
  text = g_strdup_printf ("porteur-revocation-request/1\nserial=%s\nreason=%s\nrequester=%s\nnonce=%s\n",
                          serial, reason, requester, nonce);
  return g_bytes_new_take (text, strlen (text));
}

static void
set_openssl_error (GError **error, const char *what)
{
  unsigned long e = ERR_peek_last_error ();
  char buffer[256] = "";

  if (e)
    ERR_error_string_n (e, buffer, sizeof buffer);
  ERR_clear_error ();
  g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SIGNATURE, "%s%s%s", what, *buffer ? ": " : "", buffer);
}

GBytes *
porteur_ca_revocation_sign (GBytes        *data,
                            EVP_PKEY      *key,
                            X509          *cert,
                            OSSL_LIB_CTX  *libctx,
                            const char    *propq,
                            GError       **error)
{
  gsize len;
  const void *bytes;
  BIO *in = NULL;
  CMS_ContentInfo *cms = NULL;
  unsigned char *der = NULL;
  int der_len;
  GBytes *out = NULL;

  g_return_val_if_fail (data != NULL && key != NULL && cert != NULL, NULL);
  bytes = g_bytes_get_data (data, &len);
  if (X509_check_private_key (cert, key) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, PORTEUR_CA_ERROR, PORTEUR_CA_ERROR_SIGNATURE,
                   "The key does not belong to the certificate to revoke");
      return NULL;
    }
  in = BIO_new_mem_buf (bytes, (int) len);
  /* Binary: the canonical bytes as they are, no MIME canonicalisation. */
  cms = CMS_sign_ex (cert, key, NULL, in, CMS_DETACHED | CMS_BINARY, libctx, propq);
  if (cms == NULL)
    set_openssl_error (error, "Cannot sign the revocation request");
  else if ((der_len = i2d_CMS_ContentInfo (cms, &der)) <= 0)
    set_openssl_error (error, "Cannot encode the signature");
  else
    out = g_bytes_new (der, der_len);
  OPENSSL_free (der);
  CMS_ContentInfo_free (cms);
  BIO_free (in);
  return out;
}

void
porteur_ca_client_get_revocation_nonce_async (PorteurCaClient     *self,
                                              const char          *idempotency_key,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autoptr(JsonObject) empty = json_object_new ();

  porteur_ca_client_start_call (self, FALSE, porteur_ca_client_get_revocation_nonce_async, "POST", "/revocation-requests/nonce",
                                empty, idempotency_key, NULL, (PorteurCaParseFunc) porteur_ca_revocation_nonce_new_from_json,
                                cancellable, callback, user_data);
}

PorteurCaRevocationNonce *
porteur_ca_client_get_revocation_nonce_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish_call (self, result, porteur_ca_client_get_revocation_nonce_async, error);
}

void
porteur_ca_client_request_revocation_async (PorteurCaClient                *self,
                                            const char                     *serial_hex,
                                            const char                     *reason,
                                            const PorteurCaRevocationProof *proof,
                                            const char                     *idempotency_key,
                                            GCancellable                   *cancellable,
                                            GAsyncReadyCallback             callback,
                                            gpointer                        user_data)
{
  g_autoptr(JsonObject) body = NULL;
  JsonObject *p;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (serial_hex != NULL && reason != NULL && proof != NULL);
  /* Each proof's own arguments, before anything is made. */
  switch (proof->type)
    {
    case PORTEUR_CA_PROOF_ANSWERS:
      g_return_if_fail (proof->answers != NULL || proof->n_answers == 0);
      break;
    case PORTEUR_CA_PROOF_SIGNATURE:
      g_return_if_fail (proof->nonce != NULL && proof->signature != NULL);
      break;
    case PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE:
      g_return_if_fail (proof->order != NULL && proof->email != NULL);
      break;
    default:
      g_return_if_reached ();
    }
  body = json_object_new ();
  p = json_object_new ();
  json_object_set_string_member (body, "serial", serial_hex);
  json_object_set_string_member (body, "reason", reason);
  switch (proof->type)
    {
    case PORTEUR_CA_PROOF_ANSWERS:
      {
        JsonArray *array = json_array_new ();

        for (guint i = 0; i < proof->n_answers; i++)
          {
            JsonObject *o = json_object_new ();

            json_object_set_string_member (o, "question", proof->answers[i].question);
            json_object_set_string_member (o, "answer", proof->answers[i].answer);
            json_array_add_object_element (array, o);
          }
        json_object_set_string_member (body, "requester", "holder");
        json_object_set_string_member (p, "type", "answers");
        json_object_set_array_member (p, "answers", array);
      }
      break;
    case PORTEUR_CA_PROOF_SIGNATURE:
      {
        gsize len = 0;
        const guchar *der;
        g_autofree char *b64 = NULL;

        der = g_bytes_get_data (proof->signature, &len);
        b64 = g_base64_encode (der, len);
        json_object_set_string_member (body, "requester", "holder");
        json_object_set_string_member (p, "type", "signature");
        json_object_set_string_member (p, "nonce", proof->nonce);
        json_object_set_string_member (p, "signature", b64);
      }
      break;
    case PORTEUR_CA_PROOF_LEGAL_REPRESENTATIVE:
      json_object_set_string_member (body, "requester", "legal-representative");
      json_object_set_string_member (p, "type", "legal-representative");
      json_object_set_string_member (p, "order", proof->order);
      json_object_set_string_member (p, "email", proof->email);
      break;
    default:
      g_assert_not_reached ();
    }
  json_object_set_object_member (body, "proof", p);
  /* Sensitive in every case: the answer holds the request's token (and the body may hold answers). */
  porteur_ca_client_start_call (self, TRUE, porteur_ca_client_request_revocation_async, "POST", "/revocation-requests",
                                body, idempotency_key, NULL, (PorteurCaParseFunc) porteur_ca_revocation_request_new_created_from_json,
                                cancellable, callback, user_data);
}

PorteurCaRevocationRequest *
porteur_ca_client_request_revocation_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish_call (self, result, porteur_ca_client_request_revocation_async, error);
}

static char *
revocation_path (const char *id, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strconcat ("/revocation-requests/", escaped, suffix, NULL);
}

void
porteur_ca_client_get_revocation_async (PorteurCaClient     *self,
                                        const char          *id,
                                        const char          *token,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (id != NULL && token != NULL);
  path = revocation_path (id, "");
  porteur_ca_client_start_call (self, FALSE, porteur_ca_client_get_revocation_async, "GET", path, NULL, NULL, token,
                                (PorteurCaParseFunc) porteur_ca_revocation_request_new_from_json,
                                cancellable, callback, user_data);
}

PorteurCaRevocationRequest *
porteur_ca_client_get_revocation_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish_call (self, result, porteur_ca_client_get_revocation_async, error);
}

void
porteur_ca_client_confirm_revocation_async (PorteurCaClient     *self,
                                            const char          *id,
                                            const char          *code,
                                            const char          *idempotency_key,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (id != NULL && code != NULL);
  body = json_object_new ();
  path = revocation_path (id, "/confirm");
  json_object_set_string_member (body, "code", code);
  porteur_ca_client_start_call (self, TRUE, porteur_ca_client_confirm_revocation_async, "POST", path,
                                body, idempotency_key, NULL, (PorteurCaParseFunc) porteur_ca_revocation_request_new_from_json,
                                cancellable, callback, user_data);
}

PorteurCaRevocationRequest *
porteur_ca_client_confirm_revocation_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish_call (self, result, porteur_ca_client_confirm_revocation_async, error);
}

void
porteur_ca_client_cancel_appointment_async (PorteurCaClient     *self,
                                            const char          *number,
                                            const char          *access_token,
                                            const char          *idempotency_key,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (PORTEUR_IS_CA_CLIENT (self));
  g_return_if_fail (number != NULL && access_token != NULL);
  escaped = g_uri_escape_string (number, NULL, FALSE);
  path = g_strconcat ("/orders/", escaped, "/appointment", NULL);
  porteur_ca_client_start_call (self, FALSE, porteur_ca_client_cancel_appointment_async, "DELETE", path, NULL,
                                idempotency_key, access_token, (PorteurCaParseFunc) porteur_ca_order_new_from_json,
                                cancellable, callback, user_data);
}

PorteurCaOrder *
porteur_ca_client_cancel_appointment_finish (PorteurCaClient *self, GAsyncResult *result, GError **error)
{
  return finish_call (self, result, porteur_ca_client_cancel_appointment_async, error);
}
