/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The commands of porteur-tool, one per line, kept in alphabetical order:
 * PORTEUR_TOOL_COMMAND (func, "name", summary) runs porteur_tool_cmd_<func> for `porteur-tool name`. */
PORTEUR_TOOL_COMMAND (ca, "ca", N_("Talk to the certification authority: offices, orders, certificates, status"))
PORTEUR_TOOL_COMMAND (verify, "verify", N_("Verify every signature of PDF documents"))
PORTEUR_TOOL_COMMAND (version, "version", N_("Print the version of Porteur and of the libraries it uses"))
