/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The subcommands of `porteur-tool ca`, one per line:
 * PORTEUR_TOOL_CA_COMMAND (func, "name", summary) runs porteur_tool_ca_<func>. */
