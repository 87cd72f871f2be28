#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The card's memory in a state file: a wrong PIN in one harness is still counted in the next one
# started from the same file, as on a real token carried from one computer to another.
set -eu
harness=$1
state=$(mktemp -u "${TMPDIR:-/tmp}/porteur-vtoken-state.XXXXXX")
trap 'rm -f "$state"' EXIT
"$harness" --state "$state" -- opensc-tool -c default -s "00 20 00 01 08 39 39 39 39 FF FF FF FF" | tee /dev/stderr | grep -q "SW1=0x63, SW2=0xC2"
test -s "$state"
"$harness" --state "$state" -- opensc-tool -c default -s "00 20 00 01" | tee /dev/stderr | grep -q "SW1=0x63, SW2=0xC2"
echo "state kept across harnesses"
