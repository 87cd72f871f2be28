/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The subcommands of `porteur-tool ca`, one per line:
 * PORTEUR_TOOL_CA_COMMAND (func, "name", summary) runs porteur_tool_ca_<func>. */
PORTEUR_TOOL_CA_COMMAND (offices, "offices", N_("List the registration offices"))
PORTEUR_TOOL_CA_COMMAND (order, "order", N_("Create, read, correct and submit an order"))
PORTEUR_TOOL_CA_COMMAND (products, "products", N_("List the certificates the authority sells"))
PORTEUR_TOOL_CA_COMMAND (status, "status", N_("Show where an order stands"))
PORTEUR_TOOL_CA_COMMAND (cmp, "cmp", N_("Obtain, renew or revoke a certificate with CMP (ir, p10cr, kur, rr)"))
PORTEUR_TOOL_CA_COMMAND (crl, "crl", N_("Look a certificate up in its authority's revocation list"))
PORTEUR_TOOL_CA_COMMAND (ocsp, "ocsp", N_("Ask the OCSP responder whether a certificate is revoked"))
PORTEUR_TOOL_CA_COMMAND (test_signature, "test-signature", N_("Sign the authority’s challenge and get its verdict on the signature and the certificate"))
PORTEUR_TOOL_CA_COMMAND (revoke, "revoke", N_("Ask for the revocation of a certificate (answers, signature or legal representative)"))
PORTEUR_TOOL_CA_COMMAND (revocation, "revocation", N_("Follow or confirm a revocation request"))
PORTEUR_TOOL_CA_COMMAND (security_questions, "security-questions", N_("List the security questions, or set an order’s answers"))
