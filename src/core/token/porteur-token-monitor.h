/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Readers and tokens, live. One thread with its own PC/SC context waits on the readers and on
 * the PnP pseudo-reader (1 s timeout and a stop flag, so that stopping never hangs); events are
 * emitted on the main context of the thread that started the monitor. When pcscd goes away the
 * readers are reported removed, and the monitor reconnects when it comes back.
 *
 * Signals: reader-added (name), reader-removed (name), token-inserted (reader, ATR as GBytes),
 * token-removed (reader). Property: service-available (pcscd answers).
 * At start, the readers and tokens already there are reported as added and inserted.
 */

#define PORTEUR_TYPE_TOKEN_MONITOR (porteur_token_monitor_get_type ())
G_DECLARE_FINAL_TYPE (PorteurTokenMonitor, porteur_token_monitor, PORTEUR, TOKEN_MONITOR, GObject)

PorteurTokenMonitor *porteur_token_monitor_new                   (void);
void                 porteur_token_monitor_start                 (PorteurTokenMonitor *self);
/* Stops the thread and waits for it (at most about one second). */
void                 porteur_token_monitor_stop                  (PorteurTokenMonitor *self);
gboolean             porteur_token_monitor_get_service_available (PorteurTokenMonitor *self);
/* Reader names with a token in them, as last seen; (transfer full). */
GStrv                porteur_token_monitor_dup_readers           (PorteurTokenMonitor *self);

G_END_DECLS
