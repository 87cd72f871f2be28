/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

typedef struct _PorteurTrust PorteurTrust;

typedef enum
{
  PORTEUR_CHAIN_TRUSTED,
  PORTEUR_CHAIN_UNKNOWN_ISSUER,
  PORTEUR_CHAIN_EXPIRED,
  PORTEUR_CHAIN_NOT_YET_VALID,
  PORTEUR_CHAIN_BAD_SIGNATURE,
  PORTEUR_CHAIN_REVOKED,
  PORTEUR_CHAIN_INVALID,
} PorteurChainStatus;

typedef enum
{
  PORTEUR_REVOCATION_NOT_CHECKED,  /* nothing was looked at (no network allowed, nothing embedded) */
  PORTEUR_REVOCATION_GOOD,
  PORTEUR_REVOCATION_REVOKED,
  PORTEUR_REVOCATION_UNKNOWN,      /* looked, but no valid answer */
} PorteurRevocationStatus;

typedef struct
{
  PorteurRevocationStatus  status;
  char                    *source;           /* "embedded-crl", "crl", "ocsp" or "" */
  GDateTime               *revocation_time;  /* when revoked */
  int                      reason;           /* CRL reason code, -1 when none */
  char                    *detail;           /* for logs and reports */
} PorteurRevocation;

/* Revocation data carried by a document or a signature (PAdES DSS, CMS, Adobe's
 * revocationInfoArchival): usable offline. */
typedef struct
{
  STACK_OF (X509_CRL) *crls;            /* nullable */
  GPtrArray           *ocsp_responses;  /* nullable: GBytes, DER OCSPResponse */
  STACK_OF (X509)     *certs;           /* nullable: may help verify the OCSP responses */
  GDateTime           *proven_time;     /* nullable: a time proven by a trusted timestamp; data
                                         * produced after it stays usable once out of date */
} PorteurEmbeddedRevocation;

PorteurTrust       *porteur_trust_new                 (void);
PorteurTrust       *porteur_trust_ref                 (PorteurTrust       *self);
void                porteur_trust_unref               (PorteurTrust       *self);
gboolean            porteur_trust_add_file            (PorteurTrust       *self,
                                                       const char         *path,
                                                       GError            **error);
gboolean            porteur_trust_add_defaults        (PorteurTrust       *self,
                                                       GError            **error);
guint               porteur_trust_get_n_anchors       (PorteurTrust       *self);
PorteurChainStatus  porteur_trust_verify              (PorteurTrust       *self,
                                                       X509               *cert,
                                                       STACK_OF (X509)    *untrusted,
                                                       GDateTime          *at,
                                                       STACK_OF (X509)   **out_chain,
                                                       char              **out_detail);
PorteurRevocation  *porteur_trust_check_revocation    (PorteurTrust       *self,
                                                       X509               *cert,
                                                       X509               *issuer,
                                                       STACK_OF (X509_CRL)*embedded_crls,
                                                       gboolean            use_network,
                                                       GCancellable       *cancellable);
PorteurRevocation  *porteur_trust_check_revocation_full (PorteurTrust                    *self,
                                                         X509                            *cert,
                                                         X509                            *issuer,
                                                         const PorteurEmbeddedRevocation *embedded,
                                                         gboolean                         use_network,
                                                         GCancellable                    *cancellable);
void                porteur_revocation_free           (PorteurRevocation  *revocation);
const char         *porteur_chain_status_to_string    (PorteurChainStatus  status);
const char         *porteur_revocation_status_to_string (PorteurRevocationStatus status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurTrust, porteur_trust_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurRevocation, porteur_revocation_free)

G_END_DECLS
