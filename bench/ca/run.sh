#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/ca/run.sh [BUILD-DIR] [RUNS]
# RA API round trips against the CA simulator on loopback: our client (PorteurCaClient: request,
# checks, JSON parsing, typed models) against a bare libsoup GET of the same resource, and order
# creation (validated by porteur-order-check on the server, stored in SQLite with its key).
# Target: the client adds no more than 25 % to the bare transport's median.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${2:-200}
work=$(mktemp -d)
sim_pid=
cleanup () { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

mkfifo "$work/ready"
"$build/tests/ca-sim/porteur-ca-sim" --listen 127.0.0.1:0 --state "$work/state" > "$work/ready" &
sim_pid=$!
read -r word url < "$work/ready"
[ "$word" = READY ] || { echo "the simulator did not start"; exit 2; }

cat > "$work/form.json" <<'JSON'
{"support":"token","has_compatible_token":false,"product":"rgs2-sign-token","siret":"21350238800019",
 "requester_email":"agent@example.fr","prerequisites_acknowledged":true,"organisation_type":"public-body",
 "requester_role":"holder","organisation":{"name":"COMMUNE DE RENNES","address":{"line1":"Hôtel de ville",
 "line2":"","postal_code":"35000","city":"RENNES"}},"holder":{"civility":"mrs","given_name":"Anne",
 "family_name":"Le Goff","function":"Acheteuse","service":"Commande publique","email":"anne.legoff@example.fr",
 "phone":"+33299000000"},"legal_representative":{"civility":"mr","given_name":"Yann","family_name":"Kerjean",
 "function":"Maire","email":"yann.kerjean@example.fr"},"office":"cci-ille-et-vilaine-rennes"}
JSON
"$build/bench/ca/bench-ca-ra" "$url" "$work/state/pki/root.pem" "$runs" "$work/form.json"
