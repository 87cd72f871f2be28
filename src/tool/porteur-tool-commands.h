/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands of porteur-tool, one per line, kept in alphabetical order:
 * PORTEUR_TOOL_COMMAND (func, "name", summary) runs porteur_tool_cmd_<func> for `porteur-tool name`. */
PORTEUR_TOOL_COMMAND (ca, "ca", N_("Talk to the certification authority: offices, orders, certificates, status"))
PORTEUR_TOOL_COMMAND (key, "key", N_("Generate a key pair on the token, make a certificate request, write a certificate"))
PORTEUR_TOOL_COMMAND (pin, "pin", N_("Check, verify, change or unblock the token's PIN"))
PORTEUR_TOOL_COMMAND (readers, "readers", N_("List the token readers and what is in them"))
PORTEUR_TOOL_COMMAND (sign, "sign", N_("Sign a file with a key of the token"))
PORTEUR_TOOL_COMMAND (token, "token", N_("Identify the token and list its certificates and PINs"))
PORTEUR_TOOL_COMMAND (order, "order", N_("Order a certificate: check a dossier, send it, print the form, follow the order"))
PORTEUR_TOOL_COMMAND (verify, "verify", N_("Verify every signature of PDF documents"))
PORTEUR_TOOL_COMMAND (version, "version", N_("Print the version of Porteur and of the libraries it uses"))
PORTEUR_TOOL_COMMAND (wait, "wait", N_("Print reader and token events as they happen"))
