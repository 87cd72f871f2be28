/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The card logic of Porteur's virtual token: a profile (ATR, files, PINs, keys), its state (PIN
 * counters, keys, file contents) and ISO 7816 / IAS-ECC command processing. No I/O: the vpcd
 * front end (porteur-virtual-token) and in-process tests drive it with APDUs.
 */

typedef struct _VtokenCard VtokenCard;

VtokenCard  *vtoken_card_new           (const char  *profile,
                                        GError     **error);
VtokenCard  *vtoken_card_new_from_state (const char *profile,
                                         const char *json,
                                         GError    **error);
void         vtoken_card_free          (VtokenCard  *card);
const char *const *vtoken_card_list_profiles (void);
GBytes      *vtoken_card_get_atr       (VtokenCard  *card);
void         vtoken_card_reset         (VtokenCard  *card);
GBytes      *vtoken_card_process       (VtokenCard  *card,
                                        const guint8 *apdu,
                                        gsize        length);
char        *vtoken_card_save_state    (VtokenCard  *card);
gboolean     vtoken_card_load_state    (VtokenCard  *card,
                                        const char  *json,
                                        GError     **error);
gboolean     vtoken_card_save_to_file  (VtokenCard  *card,
                                        const char  *path,
                                        GError     **error);
char        *vtoken_card_dump          (VtokenCard  *card);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtokenCard, vtoken_card_free)

G_END_DECLS
