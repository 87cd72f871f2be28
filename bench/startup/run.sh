#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/startup/run.sh [BUILD-DIR] [RUNS]
# Time from process start to the first frame of the main window, and resident memory once idle,
# for Porteur and for GNOME Text Editor (Debian's gnome-text-editor, the reference GTK 4
# application), run alternately in one private Xvfb + D-Bus session. Prints medians and ratios.
# Target: Porteur no slower than gnome-text-editor and using no more memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${2:-11}
probe="$build/bench/startup/first-frame"
[ -x "$probe" ] || { echo "build $probe first (meson compile -C $build)"; exit 2; }
command -v gnome-text-editor >/dev/null || { echo "apt-get install gnome-text-editor"; exit 2; }

if [ -z "${PORTEUR_BENCH_INNER:-}" ]; then
  exec env PORTEUR_BENCH_INNER=1 xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp +extension DAMAGE' \
    dbus-run-session -- "$0" "$build" "$runs"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GTK_A11Y=none
export XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" XDG_STATE_HOME="$work/state"

measure() {
  # Every run starts from an empty user state, like a first start.
  rm -rf "$work/config" "$work/data" "$work/cache" "$work/state"
  "$probe" --idle-ms 2000 -- "$@"
}

: > "$work/porteur.txt"; : > "$work/editor.txt"
# One warm-up run each (page cache), not counted.
measure env GSETTINGS_SCHEMA_DIR="$build/data" "$build/src/porteur" >/dev/null
measure gnome-text-editor --standalone >/dev/null
for i in $(seq "$runs"); do
  measure env GSETTINGS_SCHEMA_DIR="$build/data" "$build/src/porteur" >> "$work/porteur.txt"
  measure gnome-text-editor --standalone >> "$work/editor.txt"
done

python3 - "$work/porteur.txt" "$work/editor.txt" <<'PY'
import re, statistics, sys
def load(p):
    rows = [dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.-]+)", l)) for l in open(p) if l.strip()]
    return statistics.median(r["first_frame_ms"] for r in rows), statistics.median(r["rss_kib"] for r in rows), len(rows)
p_ms, p_rss, n = load(sys.argv[1])
e_ms, e_rss, _ = load(sys.argv[2])
print(f"runs: {n} each, alternating")
print(f"{'':20}{'first frame (ms)':>18}{'RSS idle (MiB)':>16}")
print(f"{'porteur':20}{p_ms:18.1f}{p_rss/1024:16.1f}")
print(f"{'gnome-text-editor':20}{e_ms:18.1f}{e_rss/1024:16.1f}")
print(f"{'ratio porteur/editor':20}{p_ms/e_ms:18.2f}{p_rss/e_rss:16.2f}")
print("target met" if p_ms <= e_ms and p_rss <= e_rss else "target NOT met")
PY
