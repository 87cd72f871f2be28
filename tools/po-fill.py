#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fill a gettext catalogue from a JSON table of translations.

    tools/po-fill.py po/fr.po translations.json

The JSON is an object: msgid → msgstr, or msgid → [msgstr0, msgstr1] for plurals; a message with
a context is keyed "context|msgid". The catalogue is first brought up to date with the strings of
today's sources (xgettext over po/POTFILES, msgmerge), then each listed message gets its
translation (the fuzzy flag is dropped). Messages the sources no longer have (msgmerge's obsolete
"#~" entries) are dropped. Messages still untranslated are printed at the end.
For help catalogues, pass --help-pages help/C and the pages are read with itstool instead.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

KEYWORDS = ["-k_", "-kN_", "-kC_:1c,2", "-kNC_:1c,2", "-kg_dngettext:2,3", "-kngettext:1,2", "-kg_dpgettext2:2c,3"]


def make_pot(root, out, help_pages=None):
    if help_pages:
        pages = [l.strip() for l in open(os.path.join(help_pages, "..", "pages.txt")) if l.strip().endswith(".page")]
        subprocess.run(["itstool", "-o", out] + pages, cwd=help_pages, check=True)
        return
    files = [l.strip() for l in open(os.path.join(root, "po", "POTFILES")) if l.strip() and not l.startswith("#")]
    subprocess.run(["xgettext", "--from-code=UTF-8", "--add-comments=Translators", "--package-name=porteur",
                    *KEYWORDS, "-o", out, *files], cwd=root, check=True)


def unquote(s):
    return json.loads(s)


def quote(s):
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if "\\n" in out[:-2]:
        parts = out.split("\\n")
        lines = [p + "\\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
        return '""\n' + "\n".join('"%s"' % l for l in lines)
    return '"%s"' % out


def parse(path):
    entries, cur, key = [], None, None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip():
            if cur:
                entries.append(cur)
            cur, key = None, None
            continue
        if cur is None:
            cur = {"comments": [], "ctx": None, "id": None, "plural": None, "str": {}}
        if line.startswith("#"):
            cur["comments"].append(line)
        elif line.startswith("msgctxt "):
            key = "ctx"; cur["ctx"] = unquote(line[8:])
        elif line.startswith("msgid_plural "):
            key = "plural"; cur["plural"] = unquote(line[13:])
        elif line.startswith("msgid "):
            key = "id"; cur["id"] = unquote(line[6:])
        elif line.startswith("msgstr["):
            n = int(line[7:line.index("]")]); key = ("str", n); cur["str"][n] = unquote(line[line.index("]") + 2:])
        elif line.startswith("msgstr "):
            key = ("str", 0); cur["str"][0] = unquote(line[7:])
        elif line.startswith('"'):
            if isinstance(key, tuple):
                cur["str"][key[1]] += unquote(line)
            else:
                cur[key] += unquote(line)
    if cur:
        entries.append(cur)
    return entries


def write(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        for i, e in enumerate(entries):
            if i:
                f.write("\n")
            for c in e["comments"]:
                f.write(c + "\n")
            if e["id"] is None:
                continue
            if e["ctx"] is not None:
                f.write("msgctxt %s\n" % quote(e["ctx"]))
            f.write("msgid %s\n" % quote(e["id"]))
            if e["plural"] is not None:
                f.write("msgid_plural %s\n" % quote(e["plural"]))
                for n in sorted(e["str"]):
                    f.write("msgstr[%d] %s\n" % (n, quote(e["str"][n])))
            else:
                f.write("msgstr %s\n" % quote(e["str"].get(0, "")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("po")
    ap.add_argument("table", nargs="?")
    ap.add_argument("--help-pages")
    a = ap.parse_args()
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
    lang = os.path.basename(a.po)[:-3]
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "porteur.pot")
        make_pot(root, pot, a.help_pages and os.path.abspath(a.help_pages))
        if os.path.exists(a.po):
            subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--no-wrap", "-U", "--backup=none", a.po, pot], check=True)
        else:
            subprocess.run(["msginit", "--no-translator", "--no-wrap", "-l", lang, "-i", pot, "-o", a.po], check=True,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
    entries = parse(a.po)
    table = json.load(open(a.table, encoding="utf-8")) if a.table else {}
    missing = []
    for e in entries:
        if e["id"] is None:
            continue
        if e["id"] == "":
            e["comments"] = [c for c in e["comments"] if c != "#, fuzzy"]
            continue
        if any(c.startswith("#~") for c in e["comments"]):
            continue
        k = (e["ctx"] + "|" + e["id"]) if e["ctx"] is not None else e["id"]
        if k in table:
            v = table[k]
            if e["plural"] is not None:
                e["str"] = {n: s for n, s in enumerate(v if isinstance(v, list) else [v, v])}
            else:
                e["str"] = {0: v}
            e["comments"] = [c if not c.startswith("#,") else ", ".join(x for x in c.split(", ") if x.strip() != "fuzzy") for c in e["comments"]]
            e["comments"] = [c for c in e["comments"] if c.strip() not in ("#,", "#")]
        if not all(e["str"].get(n) for n in (e["str"] or {0: ""})) or not e["str"]:
            missing.append(k)
    entries = [e for e in entries if not (e["id"] is None and any(c.startswith("#~") for c in e["comments"]))]
    write(a.po, entries)
    subprocess.run(["msgfmt", "--check", "-o", os.devnull, a.po], check=True)
    for m in missing:
        print("untranslated:", m)
    sys.exit(1 if missing else 0)


main()
