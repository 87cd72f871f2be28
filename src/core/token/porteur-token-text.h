/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "porteur-token.h"

G_BEGIN_DECLS

/* A translated sentence for the holder; never contains a PIN. */
const char *porteur_token_error_describe (const GError           *error);
char       *porteur_pin_status_describe  (const PorteurPinStatus *status);

G_END_DECLS
