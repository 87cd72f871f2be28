/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <poppler.h>

G_BEGIN_DECLS

/* Renders @page on white, scaled by @scale, into a @width × @height texture. Safe in a worker
 * thread (no widget is touched). */
GdkTexture *porteur_page_render_texture (PopplerPage *page,
                                         int          width,
                                         int          height,
                                         double       scale);

G_END_DECLS
