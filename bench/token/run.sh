#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/token/run.sh [BUILD-DIR] [RUNS] [APDU-MS…]
# porteur-tool against OpenSC's pkcs15-tool / pkcs11-tool on the same virtual token behind the
# same private pcscd, in one run: PIN status, verify, change, unblock and a signature.
# For each: APDUs exchanged (counted in pcscd --apdu's log) and median wall time, and the ratios.
# Then the same inside one process, cold and warm (bench-token-inproc, no process start-up).
# Then the latency from the token's insertion to our token-inserted event, against pcsc_scan.
# Targets: never more APDUs than OpenSC, at most half its time.
# APDU-MS: the card's own time per APDU, added by the virtual token before every answer (the
# emulator itself answers in tens of microseconds); one table per value, 0 by default.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${2:-7}
shift $(( $# < 2 ? $# : 2 ))
apdu_ms=("${@:-0}")
for c in pkcs15-tool pkcs11-tool pcsc_scan python3; do command -v "$c" >/dev/null || { echo "missing $c"; exit 2; }; done
for ms in "${apdu_ms[@]}"; do
  PORTEUR_TOOL="$build/src/tool/porteur-tool" BENCH_RUNS=$runs BENCH_APDU_MS=$ms \
    "$here/../../tests/pcsc-harness" --build "$build" -- python3 "$here/bench.py" ops
  # The same operations inside one process (our core against OpenSC's PKCS#11 module), when
  # bench-token-inproc was built (it needs p11-kit's PKCS#11 header: tools/packages/bench.txt).
  if [ -x "$build/bench/token/bench-token-inproc" ]; then
    PORTEUR_TOOL="$build/src/tool/porteur-tool" BENCH_INPROC="$build/bench/token/bench-token-inproc" \
      BENCH_RUNS=$runs BENCH_APDU_MS=$ms \
      "$here/../../tests/pcsc-harness" --build "$build" -- python3 "$here/bench.py" inproc
  else
    echo "bench-token-inproc not built (libp11-kit-dev missing): no in-process table"
  fi
done
PORTEUR_TOOL="$build/src/tool/porteur-tool" BENCH_RUNS=$runs \
  "$here/../../tests/pcsc-harness" --build "$build" -- python3 "$here/bench.py" latency
