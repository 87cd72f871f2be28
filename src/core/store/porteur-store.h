/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PORTEUR_STORE_ERROR (porteur_store_error_quark ())

typedef enum
{
  PORTEUR_STORE_ERROR_IO,
  PORTEUR_STORE_ERROR_CORRUPT,
  PORTEUR_STORE_ERROR_TOO_NEW,
  PORTEUR_STORE_ERROR_INVALID_NAME,
} PorteurStoreError;

GQuark    porteur_store_error_quark     (void);

char     *porteur_store_dup_data_dir    (GError     **error);
char     *porteur_store_build_path      (const char  *relative_path,
                                         GError     **error);
gboolean  porteur_store_write_atomic    (const char  *path,
                                         const char  *data,
                                         gsize        length,
                                         GError     **error);
gboolean  porteur_store_write_document  (const char  *relative_path,
                                         const char  *kind,
                                         guint        version,
                                         JsonNode    *data,
                                         GError     **error);
JsonNode *porteur_store_read_document   (const char  *relative_path,
                                         const char  *kind,
                                         guint        max_version,
                                         guint       *out_version,
                                         GError     **error);

G_END_DECLS
