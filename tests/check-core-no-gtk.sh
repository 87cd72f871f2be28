#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The core never includes GTK, GDK or libadwaita: it is shared with porteur-tool and must run
# without a display.
set -eu
core="$1/src/core"
[ -d "$core" ] || { echo "no such directory: $core"; exit 1; }
found=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](gtk|gdk|adwaita|adw)[/.]?' "$core" --include='*.c' --include='*.h' || true)
if [ -n "$found" ]; then
  echo "src/core includes GTK, GDK or libadwaita:"
  echo "$found"
  exit 1
fi
echo "src/core is free of GTK: $(find "$core" -name '*.[ch]' | wc -l) files checked"
