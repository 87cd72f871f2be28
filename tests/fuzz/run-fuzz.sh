#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-fuzz.sh TARGET SEED-DIR SECONDS: fuzz TARGET for SECONDS from its seeds, writing new inputs
# to a temporary directory (the sources stay untouched); a crash fails the test and is kept in
# the build directory for replay.
set -eu
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$(dirname "$target")/fuzz-artifacts/$(basename "$target")/"
mkdir -p "$artifacts"
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts" "$work" "$seeds"
