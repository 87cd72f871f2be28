/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "porteur-core.h"

const char *
porteur_core_get_version (void)
{
  return PACKAGE_VERSION;
}
