#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The README's two set-up commands, for a fresh Debian 12 or Ubuntu 24.04 machine:
#
#   sudo tools/setup.sh run    install what Porteur needs, build it, and start it
#   sudo tools/setup.sh test   install what the tests need, build, and run the whole suite
#                              (normal build, then AddressSanitizer + UndefinedBehaviorSanitizer)
#
# Both are idempotent: packages already there are not reinstalled, an existing build directory is
# reused. Packages are listed in tools/packages/*.txt; each part of the project adds its own file.
# Installing needs root (run through sudo); building, running and testing run as the user who
# called sudo.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mode=${1:-}
case "$mode" in
  run|test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Build and run as the person who called sudo, not as root.
as_user() {
  if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    sudo -u "$SUDO_USER" --preserve-env=DISPLAY,WAYLAND_DISPLAY,XDG_RUNTIME_DIR,DBUS_SESSION_BUS_ADDRESS,XAUTHORITY,LANG,LANGUAGE,CI "$@"
  else
    "$@"
  fi
}

package_lists() {
  case "$mode" in
    run) ls tools/packages/build.txt tools/packages/run.txt tools/packages/demo.txt 2>/dev/null ;;
    test) ls tools/packages/*.txt | grep -v '/bench.txt$' ;;
  esac
}

install_packages() {
  local wanted missing=()
  wanted=$(package_lists | xargs cat | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
  for p in $wanted; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "All $(echo "$wanted" | wc -l) packages are installed"
    return
  fi
  say "Installing ${#missing[@]} packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Debian's vsmartcard-vpcd makes the system pcscd open a virtual reader on 0.0.0.0:35963, which
# would let anyone on the network insert a card. Porteur's tests run their own private pcscd.
remove_system_vpcd() {
  if [ -e /etc/reader.conf.d/vpcd ]; then
    say "Removing /etc/reader.conf.d/vpcd (a virtual reader open to the network in the system pcscd)"
    as_root rm -f /etc/reader.conf.d/vpcd
    if command -v systemctl >/dev/null && systemctl is-active --quiet pcscd 2>/dev/null; then
      as_root systemctl restart pcscd || true
    fi
  fi
}

# The UI speaks English, French and Breton; the tests open the window in each.
generate_locales() {
  local need=()
  locale -a 2>/dev/null | grep -qix 'fr_FR.utf8' || need+=(fr_FR.UTF-8)
  locale -a 2>/dev/null | grep -qix 'br_FR.utf8' || need+=(br_FR.UTF-8)
  [ ${#need[@]} -eq 0 ] && return
  say "Generating the locales ${need[*]}"
  if [ -f /etc/locale.gen ] && grep -q 'fr_FR.UTF-8' /etc/locale.gen; then
    for l in "${need[@]}"; do
      as_root sed -i "s/^# *\\($l UTF-8\\)/\\1/" /etc/locale.gen
      grep -q "^$l UTF-8" /etc/locale.gen || echo "$l UTF-8" | as_root tee -a /etc/locale.gen >/dev/null
    done
    as_root locale-gen
  else
    as_root locale-gen "${need[@]}"
  fi
}

configure() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    as_user meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    as_user env ${CC:+CC=$CC} meson setup "$dir" "$@"
  fi
  say "Building in $dir"
  as_user meson compile -C "$dir"
}

run_suite() {
  local dir=$1; shift
  say "Running the test suite in $dir"
  # Widget tests draw real windows on a private X server, with a private session bus.
  as_user xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
    dbus-run-session -- meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" "$@"
}

count_results() {
  python3 - "$@" <<'PY'
import json, sys
passed = failed = 0
failures = []
for log in sys.argv[1:]:
    try:
        with open(log) as f:
            for line in f:
                try:
                    test = json.loads(line)
                except ValueError:
                    continue
                r = test.get("result")
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r is not None:
                    failed += 1
                    failures.append((log, test))
    except FileNotFoundError:
        failed += 1
        failures.append((log, {"name": "(no test log)", "result": "MISSING"}))
# Whoever reads only the end of this output still learns what failed and why.
for log, test in failures:
    print(f"FAILED {test.get('name')} [{log.split('/')[0]}] {test.get('result')} "
          f"after {test.get('duration', 0):.1f}s, exit {test.get('returncode')}")
    tail = (test.get("stdout") or "").splitlines()[-25:]
    for line in tail:
        print("    " + line[:300])
print(f"{passed} passed, {failed} failed")
PY
}

install_packages
remove_system_vpcd

if [ "$mode" = run ]; then
  configure build
  say "Starting Porteur"
  export GSETTINGS_SCHEMA_DIR="$here/build/data"
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "No display: run this command from a desktop session." >&2
    exit 1
  fi
  exec_cmd=(build/src/porteur "${@:2}")
  as_user env GSETTINGS_SCHEMA_DIR="$GSETTINGS_SCHEMA_DIR" "${exec_cmd[@]}"
  exit $?
fi

generate_locales
status=0
configure build -Dbuildtype=debugoptimized
run_suite build || status=1
configure build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0:intercept_tls_get_addr=0 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
LSAN_OPTIONS="suppressions=$here/tests/lsan.supp:print_suppressions=0" \
  run_suite build-asan --setup=asan || status=1

# The libFuzzer targets, built with clang, each run for a short time from its seeds.
logs=(build/meson-logs/testlog.json build-asan/meson-logs/testlog-asan.json)
CC=clang configure build-fuzz -Dbuildtype=debug -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
if [ -n "$(as_user meson test -C build-fuzz --list --suite fuzz 2>/dev/null | grep fuzz || true)" ]; then
  run_suite build-fuzz --setup=asan --suite fuzz || status=1
  logs+=(build-fuzz/meson-logs/testlog-asan.json)
fi

say "Results (normal, sanitizer and fuzzing builds)"
count_results "${logs[@]}"
exit $status
