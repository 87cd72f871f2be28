#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every string a holder can see is translated into French and Breton:
#  1. po/POTFILES lists every file with translatable strings, and only existing files;
#  2. merged with the strings of today's sources, fr.po and br.po have no untranslated or fuzzy
#     message (so a new string without translations fails here);
#  3. the same for the help catalogues;
#  4. no catalogue keeps messages the sources no longer have (tools/po-fill.py drops them).
set -eu
src="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
cd "$src"

# stale CATALOGUE MERGED: fails on the messages of CATALOGUE that today's sources no longer have.
stale () {
  old=$(msgattrib --only-obsolete "$2" 2>/dev/null | grep -c '^#~ msgid' || true)
  if [ "$old" -gt 0 ]; then
    echo "$1 keeps $old message(s) the sources no longer have (run tools/po-fill.py $1 to drop them):"
    msgattrib --only-obsolete "$2" | grep -A1 '^#~ msgid' | head -n 20
    status=1
  fi
}

# 1. POTFILES coverage.
grep -v '^#' po/POTFILES | sed '/^[[:space:]]*$/d' | sort -u > "$tmp/listed"
{
  grep -rlE '(^|[^A-Za-z0-9_])(N?C?_|g_dngettext|ngettext)[[:space:]]*\(' src --include='*.c' --include='*.h' || true
  grep -rl 'translatable="yes"' data src --include='*.ui' || true
  ls data/*.desktop.in.in data/*.metainfo.xml.in.in data/*.gschema.xml 2>/dev/null || true
} | sort -u > "$tmp/needed"
missing=$(comm -23 "$tmp/needed" "$tmp/listed")
if [ -n "$missing" ]; then
  echo "po/POTFILES misses files with translatable strings:"; echo "$missing"; status=1
fi
while read -r f; do
  [ -f "$f" ] || { echo "po/POTFILES lists a file that does not exist: $f"; status=1; }
done < "$tmp/listed"

# 2. Catalogues complete against the current sources.
xgettext --from-code=UTF-8 --add-comments=Translators --package-name=porteur \
  -k_ -kN_ -kC_:1c,2 -kNC_:1c,2 -kg_dngettext:2,3 -kngettext:1,2 -kg_dpgettext2:2c,3 \
  --files-from="$tmp/listed" -o "$tmp/porteur.pot" 2> "$tmp/xgettext.log" || { cat "$tmp/xgettext.log"; exit 1; }
for lang in $(cat po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$tmp/porteur.pot" -o "$tmp/$lang.po"
  stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1) || { echo "$lang.po: $stats"; status=1; continue; }
  echo "po/$lang.po: $stats"
  stale "po/$lang.po" "$tmp/$lang.po"
  case "$stats" in *untranslated*|*fuzzy*)
    echo "po/$lang.po is incomplete; the messages to translate:"
    msgattrib --untranslated --only-fuzzy "$tmp/$lang.po" 2>/dev/null | grep '^msgid' | head -n 40 || true
    msgattrib --untranslated "$tmp/$lang.po" | grep -A1 '^msgid' | head -n 80
    status=1;;
  esac
done

# 3. Help catalogues.
if [ -f help/LINGUAS ]; then
  ( cd help/C && itstool -o "$tmp/help.pot" $(cat ../pages.txt | grep '\.page$') )
  for lang in $(cat help/LINGUAS); do
    msgmerge --quiet --no-fuzzy-matching "help/$lang/$lang.po" "$tmp/help.pot" -o "$tmp/help-$lang.po"
    stats=$(msgfmt --check --statistics -o /dev/null "$tmp/help-$lang.po" 2>&1) || { echo "help/$lang: $stats"; status=1; continue; }
    echo "help/$lang/$lang.po: $stats"
    stale "help/$lang/$lang.po" "$tmp/help-$lang.po"
    case "$stats" in *untranslated*|*fuzzy*)
      echo "help/$lang/$lang.po is incomplete:"
      msgattrib --untranslated "$tmp/help-$lang.po" | grep -A1 '^msgid' | head -n 80
      status=1;;
    esac
  done
fi
exit $status
