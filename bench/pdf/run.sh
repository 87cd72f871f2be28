#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/pdf/run.sh [BUILD-DIR] [RUNS]
# porteur-tool verify against poppler's pdfsig on the same files, in one run:
#   one page signed once; signed twice; a 50 MB signed PDF (made here, signed by pdfsig).
# Prints median wall time and peak memory (GNU time's maximum RSS) for each, and our SHA-256
# hashing speed on the large file against `openssl dgst -sha256` over the same bytes.
# Targets: faster than pdfsig, no more memory, at least 80 % of openssl's raw SHA-256 speed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${2:-7}
tool="$build/src/tool/porteur-tool"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in pdfsig qpdf openssl /usr/bin/time python3; do command -v "$c" >/dev/null || { echo "missing $c"; exit 2; }; done

echo "Making the files (test PKI, pdfsig signatures)…"
"$here/../../tests/pdf/make-fixtures.sh" "$work" >/dev/null
# A 50 MB PDF: one page plus a 50 MB stream of incompressible bytes, then signed by pdfsig.
python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]
blob = os.urandom(50 * 1024 * 1024)
content = b"BT /F1 24 Tf 72 720 Td (Annexe 50 MB) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(blob) + blob + b"\nendstream"]
out = b"%PDF-1.7\n"
offsets = []
for i, o in enumerate(objs):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offsets:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(os.path.join(work, "big-unsigned.pdf"), "wb").write(out)
PY
(cd "$work" && pdfsig big-unsigned.pdf big.pdf -add-signature -nssdir sql:nss -nick good >/dev/null 2>&1)
[ -s "$work/big.pdf" ] || { echo "pdfsig could not sign the large file"; exit 1; }

measure() { # prints "seconds maxrss_kib"
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
  cat "$work/time.txt"
}

report() { # label file
  local label=$1 file=$2
  : > "$work/ours.txt"; : > "$work/peer.txt"
  for i in $(seq "$runs"); do
    measure "$tool" verify --no-network --trust "$work/trust.pem" "$file" >> "$work/ours.txt"
    measure pdfsig -nssdir "sql:$work/nss" "$file" >> "$work/peer.txt"
  done
  python3 - "$label" "$work/ours.txt" "$work/peer.txt" <<'PY'
import statistics, sys
label, ours, peer = sys.argv[1], sys.argv[2], sys.argv[3]
def load(p):
    rows = [tuple(map(float, l.split())) for l in open(p) if l.strip()]
    return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
ot, om = load(ours); pt, pm = load(peer)
print(f"{label:24} porteur {ot*1000:8.0f} ms {om/1024:7.1f} MiB | pdfsig {pt*1000:8.0f} ms {pm/1024:7.1f} MiB | time ratio {ot/pt:5.2f} memory ratio {om/pm:5.2f}")
PY
}

echo "runs: $runs each, alternating; medians; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
report "one page, one signature" "$work/signed.pdf"
report "two signatures" "$work/signed-twice.pdf"
report "50 MB, one signature" "$work/big.pdf"

# Hashing speed: our whole verification of the 50 MB file is dominated by SHA-256 of the ranges.
size=$(stat -c %s "$work/big.pdf")
python3 - "$work" "$size" "$tool" "$runs" <<'PY'
import os, statistics, subprocess, sys, time
work, size, tool, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
big = os.path.join(work, "big.pdf")
def timed(cmd):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); return time.perf_counter() - t
verify = lambda f: [tool, "verify", "--no-network", "--trust", os.path.join(work, "trust.pem"), os.path.join(work, f)]
# Interleaved, so that a busy moment hits all three measures of one round alike; the ratio is the
# median of the rounds' ratios. Our hashing speed: the large file's verification minus the fixed
# cost of verifying a small one (process start, trust store, CMS, chain), against openssl dgst of
# the large file minus openssl dgst of the small one.
rounds = []
for _ in range(runs):
    big_t, small_t = timed(verify("big.pdf")), timed(verify("signed.pdf"))
    # openssl's own start-up is taken out the same way: dgst of the large file minus of the small.
    raw_t = timed(["openssl", "dgst", "-sha256", big]) - timed(["openssl", "dgst", "-sha256", os.path.join(work, "signed.pdf")])
    rounds.append((big_t, small_t, raw_t, raw_t / max(big_t - small_t, 1e-6)))
ours = statistics.median(r[0] - r[1] for r in rounds)
raw = statistics.median(r[2] for r in rounds)
ratio = statistics.median(r[3] for r in rounds)
print(f"load average after: {open('/proc/loadavg').read().split()[0:3]}")
print(f"SHA-256 over {size/1e6:.0f} MB: openssl dgst (large minus small) {size/max(raw, 1e-6)/1e6:7.0f} MB/s; porteur (large minus small verification) {size/max(ours, 1e-6)/1e6:7.0f} MB/s; median of per-round ratios {ratio*100:5.1f} % of openssl")
PY
