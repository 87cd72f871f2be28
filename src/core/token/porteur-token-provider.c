/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <string.h>

#include "porteur-token-provider.h"

/* --- Key objects ----------------------------------------------------------------------------- */

#define KEY_PARAM "porteur-token-key"

typedef struct
{
  gint            refs;
  PorteurToken   *token;
  guint8          reference;
  gboolean        is_ec;
  EVP_PKEY       *pub;        /* the public half, in OpenSSL's default provider */
  PorteurSecret  *pin;
  PorteurPinFlags flags;
} TokenKey;

static TokenKey *
token_key_ref (TokenKey *key)
{
  g_atomic_int_inc (&key->refs);
  return key;
}

static void
token_key_unref (TokenKey *key)
{
  if (key == NULL || !g_atomic_int_dec_and_test (&key->refs))
    return;
  g_clear_object (&key->token);
  EVP_PKEY_free (key->pub);
  porteur_secret_free (key->pin);
  g_free (key);
}

static GPrivate last_error = G_PRIVATE_INIT ((GDestroyNotify) g_error_free);

static void
set_last_error (GError *error)
{
  g_private_replace (&last_error, error);
}

gboolean
porteur_token_provider_take_error (GError **error)
{
  GError *e = g_private_get (&last_error);

  if (e == NULL)
    return FALSE;
  g_propagate_error (error, g_error_copy (e));
  g_private_replace (&last_error, NULL);
  return TRUE;
}

/* The key management: a key is a TokenKey, handed over by EVP_PKEY_fromdata. */

typedef struct
{
  TokenKey *key;
} KeyData;

static void *
km_new (void *provctx)
{
  return g_new0 (KeyData, 1);
}

static void
km_free (void *keydata)
{
  KeyData *data = keydata;

  if (data == NULL)
    return;
  token_key_unref (data->key);
  g_free (data);
}

static int
km_has (const void *keydata,
        int         selection)
{
  const KeyData *data = keydata;

  return data != NULL && data->key != NULL;
}

static int
km_import (void             *keydata,
           int               selection,
           const OSSL_PARAM  params[])
{
  KeyData *data = keydata;
  const OSSL_PARAM *p = OSSL_PARAM_locate_const (params, KEY_PARAM);
  const void *ptr = NULL;
  size_t size = 0;

  if (p == NULL || !OSSL_PARAM_get_octet_ptr (p, &ptr, &size) || size != sizeof (TokenKey) || ptr == NULL)
    return 0;
  token_key_unref (data->key);
  data->key = token_key_ref ((TokenKey *) ptr);
  return 1;
}

static const OSSL_PARAM *
km_import_types (int selection)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_octet_ptr (KEY_PARAM, NULL, 0),
    OSSL_PARAM_END
  };
  return types;
}

/* The public parts, so that encoders (SubjectPublicKeyInfo in a CSR) and comparisons work. */
static int
km_export (void          *keydata,
           int            selection,
           OSSL_CALLBACK *callback,
           void          *cbarg)
{
  KeyData *data = keydata;
  OSSL_PARAM *params = NULL;
  int ok;

  if (data == NULL || data->key == NULL || !(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY))
    return 0;
  if (EVP_PKEY_todata (data->key->pub, EVP_PKEY_PUBLIC_KEY, &params) != 1)
    return 0;
  ok = callback (params, cbarg);
  OSSL_PARAM_free (params);
  return ok;
}

static const OSSL_PARAM *
km_export_types_rsa (int selection)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_BN (OSSL_PKEY_PARAM_RSA_N, NULL, 0),
    OSSL_PARAM_BN (OSSL_PKEY_PARAM_RSA_E, NULL, 0),
    OSSL_PARAM_END
  };
  return types;
}

static const OSSL_PARAM *
km_export_types_ec (int selection)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_END
  };
  return types;
}

static int
km_get_params (void       *keydata,
               OSSL_PARAM  params[])
{
  KeyData *data = keydata;
  OSSL_PARAM *p;
  EVP_PKEY *pub;

  if (data == NULL || data->key == NULL)
    return 0;
  pub = data->key->pub;
  if ((p = OSSL_PARAM_locate (params, OSSL_PKEY_PARAM_BITS)) && !OSSL_PARAM_set_int (p, EVP_PKEY_get_bits (pub)))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_PKEY_PARAM_SECURITY_BITS)) && !OSSL_PARAM_set_int (p, EVP_PKEY_get_security_bits (pub)))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_PKEY_PARAM_MAX_SIZE)) && !OSSL_PARAM_set_int (p, EVP_PKEY_get_size (pub)))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_PKEY_PARAM_DEFAULT_DIGEST)) && !OSSL_PARAM_set_utf8_string (p, "SHA256"))
    return 0;
  /* Public values a caller may read directly (EC group, encoded point; RSA n and e). */
  for (p = params; p->key; p++)
    {
      if (strcmp (p->key, OSSL_PKEY_PARAM_BITS) == 0 || strcmp (p->key, OSSL_PKEY_PARAM_SECURITY_BITS) == 0 ||
          strcmp (p->key, OSSL_PKEY_PARAM_MAX_SIZE) == 0 || strcmp (p->key, OSSL_PKEY_PARAM_DEFAULT_DIGEST) == 0)
        continue;
      if (strcmp (p->key, OSSL_PKEY_PARAM_GROUP_NAME) == 0 || strcmp (p->key, OSSL_PKEY_PARAM_PUB_KEY) == 0 ||
          strcmp (p->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY) == 0 || strcmp (p->key, OSSL_PKEY_PARAM_RSA_N) == 0 ||
          strcmp (p->key, OSSL_PKEY_PARAM_RSA_E) == 0)
        {
          OSSL_PARAM one[2] = { *p, OSSL_PARAM_END };
          if (!EVP_PKEY_get_params (pub, one))
            return 0;
          p->return_size = one[0].return_size;
        }
    }
  return 1;
}

static const OSSL_PARAM *
km_gettable_params (void *provctx)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_int (OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int (OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int (OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
    OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
    OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
    OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
    OSSL_PARAM_BN (OSSL_PKEY_PARAM_RSA_N, NULL, 0),
    OSSL_PARAM_BN (OSSL_PKEY_PARAM_RSA_E, NULL, 0),
    OSSL_PARAM_END
  };
  return types;
}

static int
km_match (const void *a,
          const void *b,
          int         selection)
{
  const KeyData *x = a, *y = b;

  return x && y && x->key && y->key && EVP_PKEY_eq (x->key->pub, y->key->pub) == 1;
}

static const char *
km_query_rsa (int operation_id)
{
  return operation_id == OSSL_OP_SIGNATURE ? "RSA" : NULL;
}

static const char *
km_query_ec (int operation_id)
{
  return operation_id == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

#define KEYMGMT_COMMON \
  { OSSL_FUNC_KEYMGMT_NEW, (void (*) (void)) km_new }, \
  { OSSL_FUNC_KEYMGMT_FREE, (void (*) (void)) km_free }, \
  { OSSL_FUNC_KEYMGMT_HAS, (void (*) (void)) km_has }, \
  { OSSL_FUNC_KEYMGMT_IMPORT, (void (*) (void)) km_import }, \
  { OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*) (void)) km_import_types }, \
  { OSSL_FUNC_KEYMGMT_EXPORT, (void (*) (void)) km_export }, \
  { OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*) (void)) km_get_params }, \
  { OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*) (void)) km_gettable_params }, \
  { OSSL_FUNC_KEYMGMT_MATCH, (void (*) (void)) km_match }

static const OSSL_DISPATCH keymgmt_rsa[] = {
  KEYMGMT_COMMON,
  { OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*) (void)) km_export_types_rsa },
  { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*) (void)) km_query_rsa },
  { 0, NULL }
};

static const OSSL_DISPATCH keymgmt_ec[] = {
  KEYMGMT_COMMON,
  { OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*) (void)) km_export_types_ec },
  { OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*) (void)) km_query_ec },
  { 0, NULL }
};

/* --- Signatures ------------------------------------------------------------------------------ */

typedef struct
{
  TokenKey   *key;
  char        digest[32];
  EVP_MD_CTX *md;
} SigCtx;

static void *
sig_new (void       *provctx,
         const char *propq)
{
  SigCtx *ctx = g_new0 (SigCtx, 1);

  g_strlcpy (ctx->digest, "SHA256", sizeof ctx->digest);
  return ctx;
}

static void
sig_free (void *data)
{
  SigCtx *ctx = data;

  token_key_unref (ctx->key);
  EVP_MD_CTX_free (ctx->md);
  g_free (ctx);
}

static void *
sig_dup (void *data)
{
  SigCtx *ctx = data, *copy = g_new0 (SigCtx, 1);

  copy->key = ctx->key ? token_key_ref (ctx->key) : NULL;
  memcpy (copy->digest, ctx->digest, sizeof copy->digest);
  if (ctx->md)
    {
      copy->md = EVP_MD_CTX_new ();
      EVP_MD_CTX_copy_ex (copy->md, ctx->md);
    }
  return copy;
}

static gboolean
set_digest (SigCtx     *ctx,
            const char *name)
{
  static const char *known[][2] = {
    { "SHA256", "SHA256" }, { "SHA2-256", "SHA256" }, { "SHA-256", "SHA256" },
    { "SHA384", "SHA384" }, { "SHA2-384", "SHA384" }, { "SHA-384", "SHA384" },
    { "SHA512", "SHA512" }, { "SHA2-512", "SHA512" }, { "SHA-512", "SHA512" },
  };

  if (name == NULL || *name == '\0')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_ascii_strcasecmp (name, known[i][0]) == 0)
      {
        g_strlcpy (ctx->digest, known[i][1], sizeof ctx->digest);
        return TRUE;
      }
  ERR_raise_data (ERR_LIB_PROV, ERR_R_UNSUPPORTED, "porteur-token signs SHA-256, SHA-384 and SHA-512 digests only");
  return FALSE;
}

static int
sig_set_ctx_params (void             *data,
                    const OSSL_PARAM  params[])
{
  SigCtx *ctx = data;
  const OSSL_PARAM *p;
  const char *name = NULL;
  int pad = 0;

  if ((p = OSSL_PARAM_locate_const (params, OSSL_SIGNATURE_PARAM_DIGEST)) &&
      (!OSSL_PARAM_get_utf8_string_ptr (p, &name) || !set_digest (ctx, name)))
    return 0;
  if ((p = OSSL_PARAM_locate_const (params, OSSL_SIGNATURE_PARAM_PAD_MODE)))
    {
      /* PKCS#1 v1.5 only: that is what the token does. */
      if (p->data_type == OSSL_PARAM_INTEGER && OSSL_PARAM_get_int (p, &pad) && pad != 1 /* RSA_PKCS1_PADDING */)
        return 0;
      if (p->data_type == OSSL_PARAM_UTF8_STRING && OSSL_PARAM_get_utf8_string_ptr (p, &name) && g_strcmp0 (name, "pkcs1") != 0)
        return 0;
    }
  return 1;
}

static const OSSL_PARAM *
sig_settable_ctx_params (void *data,
                         void *provctx)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_utf8_string (OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_int (OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
    OSSL_PARAM_END
  };
  return types;
}

/* The AlgorithmIdentifier of the signature, for X.509 structures (CSR, certificate). */
static int
sig_get_ctx_params (void       *data,
                    OSSL_PARAM *params)
{
  static const guint8 rsa256[] = { 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00 };
  static const guint8 rsa384[] = { 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C, 0x05, 0x00 };
  static const guint8 rsa512[] = { 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D, 0x05, 0x00 };
  static const guint8 ec256[] = { 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02 };
  static const guint8 ec384[] = { 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03 };
  static const guint8 ec512[] = { 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04 };
  SigCtx *ctx = data;
  OSSL_PARAM *p;

  if ((p = OSSL_PARAM_locate (params, OSSL_SIGNATURE_PARAM_ALGORITHM_ID)))
    {
      const guint8 *der;
      gsize n;
      gboolean ec = ctx->key && ctx->key->is_ec;

      if (g_str_equal (ctx->digest, "SHA384"))
        der = ec ? ec384 : rsa384, n = ec ? sizeof ec384 : sizeof rsa384;
      else if (g_str_equal (ctx->digest, "SHA512"))
        der = ec ? ec512 : rsa512, n = ec ? sizeof ec512 : sizeof rsa512;
      else
        der = ec ? ec256 : rsa256, n = ec ? sizeof ec256 : sizeof rsa256;
      if (!OSSL_PARAM_set_octet_string (p, der, n))
        return 0;
    }
  if ((p = OSSL_PARAM_locate (params, OSSL_SIGNATURE_PARAM_DIGEST)) && !OSSL_PARAM_set_utf8_string (p, ctx->digest))
    return 0;
  if ((p = OSSL_PARAM_locate (params, OSSL_SIGNATURE_PARAM_PAD_MODE)))
    {
      if (p->data_type == OSSL_PARAM_INTEGER)
        OSSL_PARAM_set_int (p, 1);
      else
        OSSL_PARAM_set_utf8_string (p, "pkcs1");
    }
  return 1;
}

static const OSSL_PARAM *
sig_gettable_ctx_params (void *data,
                         void *provctx)
{
  static const OSSL_PARAM types[] = {
    OSSL_PARAM_octet_string (OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
    OSSL_PARAM_utf8_string (OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
    OSSL_PARAM_int (OSSL_SIGNATURE_PARAM_PAD_MODE, NULL),
    OSSL_PARAM_END
  };
  return types;
}

static int
sig_sign_init (void             *data,
               void             *keydata,
               const OSSL_PARAM  params[])
{
  SigCtx *ctx = data;
  KeyData *key = keydata;

  if (key == NULL || key->key == NULL)
    return 0;
  token_key_unref (ctx->key);
  ctx->key = token_key_ref (key->key);
  return sig_set_ctx_params (ctx, params);
}

static int
sign_digest (SigCtx              *ctx,
             unsigned char       *sig,
             size_t              *siglen,
             size_t               sigsize,
             const unsigned char *digest,
             size_t               digest_length)
{
  GError *error = NULL;
  g_autoptr(GBytes) signature = NULL;
  int max = EVP_PKEY_get_size (ctx->key->pub);

  if (sig == NULL)
    {
      *siglen = max;
      return 1;
    }
  signature = porteur_token_sign (ctx->key->token, ctx->key->reference, ctx->key->pin, ctx->key->flags,
                                  ctx->digest, digest, digest_length, NULL, &error);
  if (signature == NULL)
    {
      ERR_raise_data (ERR_LIB_PROV, ERR_R_OPERATION_FAIL, "token: %s", error->message);
      set_last_error (error);
      return 0;
    }
  if (g_bytes_get_size (signature) > sigsize)
    {
      ERR_raise_data (ERR_LIB_PROV, ERR_R_PASSED_INVALID_ARGUMENT, "signature buffer too small");
      return 0;
    }
  memcpy (sig, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  *siglen = g_bytes_get_size (signature);
  return 1;
}

static int
sig_sign (void                *data,
          unsigned char       *sig,
          size_t              *siglen,
          size_t               sigsize,
          const unsigned char *tbs,
          size_t               tbslen)
{
  return sign_digest (data, sig, siglen, sigsize, tbs, tbslen);
}

static int
sig_digest_sign_init (void             *data,
                      const char       *mdname,
                      void             *keydata,
                      const OSSL_PARAM  params[])
{
  SigCtx *ctx = data;
  EVP_MD *md;
  int ok;

  if (!sig_sign_init (ctx, keydata, params) || !set_digest (ctx, mdname))
    return 0;
  md = EVP_MD_fetch (porteur_token_provider_get_libctx (), ctx->digest, "provider=default");
  EVP_MD_CTX_free (ctx->md);
  ctx->md = EVP_MD_CTX_new ();
  ok = md && EVP_DigestInit_ex2 (ctx->md, md, NULL);
  EVP_MD_free (md);
  return ok;
}

static int
sig_digest_sign_update (void                *data,
                        const unsigned char *in,
                        size_t               length)
{
  SigCtx *ctx = data;

  return ctx->md && EVP_DigestUpdate (ctx->md, in, length);
}

static int
sig_digest_sign_final (void          *data,
                       unsigned char *sig,
                       size_t        *siglen,
                       size_t         sigsize)
{
  SigCtx *ctx = data;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  if (sig == NULL)
    return sign_digest (ctx, NULL, siglen, 0, NULL, 0);
  if (!ctx->md || !EVP_DigestFinal_ex (ctx->md, digest, &n))
    return 0;
  return sign_digest (ctx, sig, siglen, sigsize, digest, n);
}

static const OSSL_DISPATCH signature_functions[] = {
  { OSSL_FUNC_SIGNATURE_NEWCTX, (void (*) (void)) sig_new },
  { OSSL_FUNC_SIGNATURE_FREECTX, (void (*) (void)) sig_free },
  { OSSL_FUNC_SIGNATURE_DUPCTX, (void (*) (void)) sig_dup },
  { OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*) (void)) sig_sign_init },
  { OSSL_FUNC_SIGNATURE_SIGN, (void (*) (void)) sig_sign },
  { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, (void (*) (void)) sig_digest_sign_init },
  { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, (void (*) (void)) sig_digest_sign_update },
  { OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, (void (*) (void)) sig_digest_sign_final },
  { OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*) (void)) sig_get_ctx_params },
  { OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, (void (*) (void)) sig_gettable_ctx_params },
  { OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*) (void)) sig_set_ctx_params },
  { OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, (void (*) (void)) sig_settable_ctx_params },
  { 0, NULL }
};

/* --- The provider ---------------------------------------------------------------------------- */

static const OSSL_ALGORITHM keymgmt_algorithms[] = {
  { "RSA:rsaEncryption", "provider=porteur-token", keymgmt_rsa, "Token RSA keys" },
  { "EC:id-ecPublicKey", "provider=porteur-token", keymgmt_ec, "Token EC keys" },
  { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM signature_algorithms[] = {
  { "RSA:rsaEncryption", "provider=porteur-token", signature_functions, "RSA PKCS#1 v1.5 on the token" },
  { "ECDSA", "provider=porteur-token", signature_functions, "ECDSA on the token" },
  { NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
provider_query (void *provctx,
                int   operation_id,
                int  *no_cache)
{
  *no_cache = 0;
  switch (operation_id)
    {
    case OSSL_OP_KEYMGMT: return keymgmt_algorithms;
    case OSSL_OP_SIGNATURE: return signature_algorithms;
    default: return NULL;
    }
}

static const OSSL_DISPATCH provider_functions[] = {
  { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*) (void)) provider_query },
  { 0, NULL }
};

static int
provider_init (const OSSL_CORE_HANDLE  *handle,
               const OSSL_DISPATCH     *in,
               const OSSL_DISPATCH    **out,
               void                   **provctx)
{
  *out = provider_functions;
  *provctx = (void *) handle;
  return 1;
}

OSSL_LIB_CTX *
porteur_token_provider_get_libctx (void)
{
  static gsize once = 0;
  static OSSL_LIB_CTX *libctx;

  if (g_once_init_enter (&once))
    {
      OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new ();

      if (!OSSL_PROVIDER_add_builtin (ctx, "porteur-token", provider_init) ||
          !OSSL_PROVIDER_load (ctx, "default") || !OSSL_PROVIDER_load (ctx, "porteur-token") ||
          /* Token keys must be signed with by the token: prefer our implementations when both
           * providers offer one (RSA, ECDSA); everything else comes from the default provider. */
          !EVP_set_default_properties (ctx, "?provider=porteur-token"))
        g_error ("Cannot set up Porteur's OpenSSL provider");
      libctx = ctx;
      g_once_init_leave (&once, 1);
    }
  return libctx;
}

EVP_PKEY *
porteur_token_get_evp_pkey (PorteurToken     *token,
                            guint8            key_reference,
                            PorteurSecret    *pin,
                            PorteurPinFlags   flags,
                            GError          **error)
{
  TokenKey *key;
  EVP_PKEY_CTX *ctx;
  EVP_PKEY *pkey = NULL;
  EVP_PKEY *pub = porteur_token_get_public_key (token, key_reference, NULL, error);
  OSSL_PARAM params[2];

  if (pub == NULL)
    return NULL;
  key = g_new0 (TokenKey, 1);
  key->refs = 1;
  key->token = g_object_ref (token);
  key->reference = key_reference;
  key->is_ec = EVP_PKEY_get_base_id (pub) == EVP_PKEY_EC;
  key->pub = pub;
  key->flags = flags;
  if (pin)
    {
      gsize n;
      const char *v = porteur_secret_get (pin, &n);
      key->pin = porteur_secret_new (v, n);
    }
  params[0] = OSSL_PARAM_construct_octet_ptr (KEY_PARAM, (void **) &key, sizeof (TokenKey));
  params[1] = OSSL_PARAM_construct_end ();
  ctx = EVP_PKEY_CTX_new_from_name (porteur_token_provider_get_libctx (), key->is_ec ? "EC" : "RSA", "provider=porteur-token");
  if (ctx == NULL || EVP_PKEY_fromdata_init (ctx) <= 0 || EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
    {
      g_set_error (error, PORTEUR_TOKEN_ERROR, PORTEUR_TOKEN_ERROR_NOT_SUPPORTED, "Cannot make an OpenSSL key of the token key");
      pkey = NULL;
    }
  EVP_PKEY_CTX_free (ctx);
  token_key_unref (key);
  return pkey;
}
