#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/ca-cmp/run.sh [BUILD-DIR] [RUNS]
# CMP against the CA simulator (HTTPS on loopback), our client (porteur-tool ca cmp) versus
# OpenSSL's `openssl cmp` client in one run, alternately: IR (PBM, a fresh validated order each
# time) and KUR (signed with the current certificate, same pre-generated new key for both).
# Prints the median wall time of each and the ratio. Target: no slower than `openssl cmp`.
# Then our client inside one process (bench-cmp: the application's case, no process start):
# the first IR of the process apart, then the medians of IR and KUR. The machine's load
# average is printed before and after (the runs are only comparable at a similar load).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${2:-9}
tool="$build/src/tool/porteur-tool"
sim="$build/tests/ca-sim/porteur-ca-sim"
inproc="$build/bench/ca-cmp/bench-cmp"
admin="$build/tests/ca-sim/porteur-ca-sim-admin"
work=$(mktemp -d)
simpid=
cleanup() { [ -n "$simpid" ] && kill "$simpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for c in openssl python3 "$tool" "$sim" "$admin" "$inproc"; do command -v "$c" >/dev/null || { echo "missing $c"; exit 2; }; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/state" "$work/data" "$work/run"
"$sim" --listen "127.0.0.1:$port" --state "$work/state" --validation-delay 3600 >"$work/sim.out" 2>"$work/sim.err" &
simpid=$!
for _ in $(seq 100); do grep -q READY "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$work/sim.out" || { echo "the simulator did not start"; cat "$work/sim.err"; exit 1; }
export PORTEUR_CA_URL="https://127.0.0.1:$port" PORTEUR_CA_TRUST="$work/state/pki/root.pem" XDG_DATA_HOME="$work/data"
root="$PORTEUR_CA_TRUST"
issuing="$work/state/pki/issuing.pem"
cat >"$work/form.json" <<'JSON'
{"support":"token","has_compatible_token":false,"product":"rgs2-sign-token","siret":"21350238800019",
 "requester_email":"agent@example.fr","prerequisites_acknowledged":true,"organisation_type":"public-body",
 "requester_role":"legal-representative","organisation":{"name":"COMMUNE DE RENNES","address":{"line1":"Hôtel de ville",
 "line2":"","postal_code":"35000","city":"RENNES"}},"holder":{"civility":"mrs","given_name":"Anne","family_name":"Le Goff",
 "function":"Acheteuse","service":"Commande publique","email":"anne.legoff@example.fr","phone":"+33299000000"},
 "legal_representative":{"civility":"mr","given_name":"Yann","family_name":"Kerjean","function":"Maire",
 "email":"yann.kerjean@example.fr"},"office":"cci-ille-et-vilaine-rennes"}
JSON

# A validated order; prints "REFERENCE SECRET" (read from the simulator's database).
new_order() {
  local number
  number=$("$tool" --json ca order create --from "$work/form.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
  "$tool" ca order submit "$number" >/dev/null
  "$admin" --state "$work/state" documents-received "$number" >/dev/null
  "$admin" --state "$work/state" validate "$number" >/dev/null
  python3 - "$work/state/ca-sim.db" "$number" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT enroll_reference, enroll_secret FROM orders WHERE number = ?", (sys.argv[2],)).fetchone()
print(row[0], row[1])
PY
}

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1e6}'; }

cd "$work/run"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out new.key 2>/dev/null
: >ours-ir.txt; : >openssl-ir.txt; : >ours-kur.txt; : >openssl-kur.txt
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "Preparing $((3 * runs + 1)) validated orders…"
# All orders first: the timed commands are not preceded by the burst of processes that make one.
: >orders.txt
for i in $(seq $((3 * runs + 1))); do new_order >>orders.txt; done
exec 3<orders.txt
echo "IR: $runs runs each (a new validated order per run)…"
for i in $(seq "$runs"); do
  read -r ref secret <&3
  t0=$(now)
  printf '%s\n' "$secret" | "$tool" ca cmp ir --reference "$ref" --secret-fd 0 --subject "/CN=Anne Le Goff" \
    --newkey new.key --certout ours.pem >/dev/null
  echo $(( $(now) - t0 )) >>ours-ir.txt
  read -r ref secret <&3
  printf '%s' "$secret" >secret.txt
  t0=$(now)
  openssl cmp -config "" -cmd ir -server "$PORTEUR_CA_URL/pkix/" -tls_used -tls_trusted "$root" -ref "$ref" \
    -secret file:secret.txt -newkey new.key -subject "/CN=Anne Le Goff" -certout theirs.pem >/dev/null 2>&1
  echo $(( $(now) - t0 )) >>openssl-ir.txt
done
echo "KUR: $runs runs each (renewing the certificate from the last IR)…"
for i in $(seq "$runs"); do
  t0=$(now)
  "$tool" ca cmp kur --cert ours.pem --key new.key --newkey new.key --certout ours-kur.pem >/dev/null
  echo $(( $(now) - t0 )) >>ours-kur.txt
  t0=$(now)
  openssl cmp -config "" -cmd kur -server "$PORTEUR_CA_URL/pkix/" -tls_used -tls_trusted "$root" -cert theirs.pem \
    -key new.key -trusted "$root" -untrusted "$issuing" -newkey new.key -certout theirs-kur.pem >/dev/null 2>&1
  echo $(( $(now) - t0 )) >>openssl-kur.txt
done
echo "In process: $runs IR after a first one, $runs KUR…"
: >inproc-orders.txt
for i in $(seq $((runs + 1))); do read -r ref secret <&3; echo "$ref $secret" >>inproc-orders.txt; done
exec 3<&-
"$inproc" "$PORTEUR_CA_URL/pkix/" "$root" inproc-orders.txt new.key "$runs" >inproc.txt
rm -f orders.txt inproc-orders.txt secret.txt
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for op in ir kur; do
  ours=$(median <"ours-$op.txt"); theirs=$(median <"openssl-$op.txt")
  printf '%-4s porteur-tool %8s ms   openssl cmp %8s ms   ratio %s\n' "$op" "$ours" "$theirs" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')"
done
for op in ir kur; do
  ours=$(awk -v k="$op" '$1 == k { print $2 }' inproc.txt); theirs=$(median <"openssl-$op.txt")
  printf '%-4s in process  %8s ms   openssl cmp %8s ms   ratio %s\n' "$op" "$ours" "$theirs" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')"
done
printf 'first IR of the process (in process): %s ms\n' "$(awk '$1 == "first-ir" { print $2 }' inproc.txt)"
