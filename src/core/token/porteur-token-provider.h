/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "porteur-token.h"

G_BEGIN_DECLS

/*
 * Token keys as OpenSSL keys. A small OpenSSL 3 provider ("porteur-token": key management and
 * signatures for RSA and EC) lives in Porteur's own OSSL_LIB_CTX, next to OpenSSL's default
 * provider. An EVP_PKEY from porteur_token_get_evp_pkey() signs on the token, so CSRs
 * (X509_REQ_sign_ctx), CMS signatures, CMP message protection and EVP_DigestSign work unchanged
 * when given porteur_token_provider_get_libctx().
 *
 * The PIN given here is kept (in locked memory) with the key and verified before each signature,
 * in the same transaction; it is wiped when the key is freed. A refused PIN is never retried:
 * the signature fails and porteur_token_provider_take_error() tells why.
 */

OSSL_LIB_CTX *porteur_token_provider_get_libctx (void);

EVP_PKEY     *porteur_token_get_evp_pkey        (PorteurToken     *token,
                                                 guint8            key_reference,
                                                 PorteurSecret    *pin,
                                                 PorteurPinFlags   flags,
                                                 GError          **error);

/* The last token error of a signature made by this thread through the provider, if any. */
gboolean      porteur_token_provider_take_error (GError          **error);

G_END_DECLS
