#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Flatpak manifest parses, builds Porteur with meson, and grants exactly the permissions
that docs/DESIGN.md and ARCHITECTURE.md list: PC/SC, network, display. No file-system access:
files come through the portals."""
import json
import sys

EXPECTED_FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=pcsc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
}

def fail(message):
    print(message)
    sys.exit(1)

path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
except (OSError, ValueError) as e:
    fail(f"{path} does not parse: {e}")

if manifest.get("id") != "io.github.porteur.Porteur":
    fail(f"wrong application id: {manifest.get('id')!r}")
if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
    fail("the runtime must be the GNOME runtime")
if manifest.get("command") != "porteur":
    fail("the command must be porteur")

args = manifest.get("finish-args", [])
if len(args) != len(set(args)):
    fail(f"duplicated finish-args: {args}")
if set(args) != EXPECTED_FINISH_ARGS:
    extra = sorted(set(args) - EXPECTED_FINISH_ARGS)
    missing = sorted(EXPECTED_FINISH_ARGS - set(args))
    fail(f"finish-args differ: extra {extra}, missing {missing}")

modules = manifest.get("modules", [])
names = [m.get("name") if isinstance(m, dict) else m for m in modules]
if not modules or names[-1] != "porteur":
    fail(f"the last module must build porteur: {names}")
porteur = modules[-1]
if porteur.get("buildsystem") != "meson":
    fail("porteur is built with meson")
if "-Dtests=false" not in porteur.get("config-opts", []):
    fail("the Flatpak build does not build the tests")

pcsc = next((m for m in modules if isinstance(m, dict) and m.get("name") == "pcsc-lite"), None)
if pcsc is None:
    fail("pcsc-lite must be bundled (client protocol fallback needs 2.4.1 or later)")
tag = pcsc["sources"][0].get("tag", "0")
version = tuple(int(x) for x in tag.split("."))
if version < (2, 4, 1):
    fail(f"the bundled pcsc-lite {tag} is older than 2.4.1")

print(f"{path}: {len(modules)} modules, finish-args {sorted(args)}")
