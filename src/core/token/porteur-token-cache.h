/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What a token's PKCS#15 description is made of for PIN operations — the family, EF.DIR, the ODF
 * and the AODF, as bytes — cached per ATR in memory for the process and on disk under the user
 * cache dir (one JSON file per ATR, version 1, written atomically; public directory data only:
 * no PIN, no tries, no key). A cached description is only used after the token proved it
 * current: its application selects, and its AODF (and, for an opening that reads keys, its ODF)
 * reads back byte for byte what was cached (see porteur-token.c). Everything else (keys,
 * certificates) is read from the token each time.
 */

typedef struct
{
  int     family;   /* PorteurTokenFamily */
  GBytes *dir;
  GBytes *odf;
  GBytes *aodf;
} PorteurTokenCacheEntry;

void                    porteur_token_cache_entry_free (PorteurTokenCacheEntry *entry);
/* A copy of the entry for @atr_hex (memory, else disk), or NULL. */
PorteurTokenCacheEntry *porteur_token_cache_lookup     (const char             *atr_hex);
void                    porteur_token_cache_store      (const char             *atr_hex,
                                                        const PorteurTokenCacheEntry *entry);
void                    porteur_token_cache_forget     (const char             *atr_hex);
/* Empties the process's memory cache (tests: as a new process would start). */
void                    porteur_token_cache_clear_memory (void);
char                   *porteur_token_cache_path       (const char             *atr_hex);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurTokenCacheEntry, porteur_token_cache_entry_free)

G_END_DECLS
