/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A reader of compiled gettext catalogues (.mo), for text that must be in a language other than
 * the process locale's — the subscription form is drawn in the holder's chosen language from a
 * worker thread, and gettext's language is process-global. A catalogue is immutable once read,
 * so lookups are lock-free and thread-safe; the per-language cache is guarded by a mutex and keeps
 * each catalogue for the life of the process, so returned strings never dangle.
 */

#define PORTEUR_CATALOG_ERROR (porteur_catalog_error_quark ())
GQuark porteur_catalog_error_quark (void);

typedef enum {
  PORTEUR_CATALOG_ERROR_NOT_FOUND,  /* no catalogue for this language */
  PORTEUR_CATALOG_ERROR_INVALID,    /* not a .mo file, truncated, offsets out of range, not UTF-8 */
} PorteurCatalogError;

typedef struct _PorteurCatalog PorteurCatalog;

/* Reads and checks a .mo file (either byte order); every string is bounds-checked here. */
PorteurCatalog *porteur_catalog_new_from_file  (const char      *path,
                                                GError         **error);
PorteurCatalog *porteur_catalog_new_from_bytes (GBytes          *bytes,
                                                GError         **error);
PorteurCatalog *porteur_catalog_ref            (PorteurCatalog  *catalog);
void            porteur_catalog_unref          (PorteurCatalog  *catalog);
/* Number of translated messages (the header entry excluded). */
guint           porteur_catalog_get_size       (PorteurCatalog  *catalog);
/* The translation of msgid (with context when context is non-NULL), or NULL when the catalogue
 * has none; for a plural message, its first form. Valid as long as the catalogue. */
const char     *porteur_catalog_lookup         (PorteurCatalog  *catalog,
                                                const char      *context,
                                                const char      *msgid);

/* The .mo of Porteur's text domain for language ("fr", "br_FR.UTF-8"…): under
 * $PORTEUR_TEST_LOCALEDIR when set (tests), else LOCALEDIR; tries the language's variants
 * (br_FR.UTF-8, br_FR, br). Cached for the process; NULL with an error when there is none. */
PorteurCatalog *porteur_catalog_get_for_language (const char  *language,
                                                  GError     **error);
/* The translation of msgid in language, or msgid itself when the language has no catalogue or the
 * catalogue no translation (English is the source language). Thread-safe. */
const char     *porteur_catalog_pgettext       (const char      *language,
                                                const char      *context,
                                                const char      *msgid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PorteurCatalog, porteur_catalog_unref)

G_END_DECLS
