/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "porteur-pdf.h"

G_BEGIN_DECLS

/* Lexical helpers shared by the scanner and the DSS reader (porteur-pdf-scan.c). */
const guint8 *porteur_pdf_find         (const guint8 *haystack,
                                        gsize         length,
                                        const char   *needle);
gboolean      porteur_pdf_is_white     (guint8        c);
gboolean      porteur_pdf_is_delimiter (guint8        c);

PorteurPdfCoverage porteur_pdf_classify_dss_update (const guint8 *data,
                                                    gsize         signed_end,
                                                    gsize         length);

G_END_DECLS
