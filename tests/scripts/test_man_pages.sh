#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_man_pages.sh [PAGE...]: every man page of Documentation/man (or the
# PAGEs given) renders without a warning and is well formed.  Per page:
#   - groff -man -ww -z prints nothing (all warnings on);
#   - man -l renders it at 80 columns with warnings on and prints nothing
#     to standard error;
#   - .TH names the page and section of its file name;
#   - lexgrog finds a NAME line for that name (what whatis(1) shows);
#   - no .TP is left without its tag (followed by a heading, a paragraph
#     or another .TP), which groff renders silently as a stray indent;
#   - every page of this project it refers to (cxltier*, kvreplay,
#     libcxltier) exists.
# TAP output; host only, takes about a second.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
mandir=$root/Documentation/man
pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=("$mandir"/*.[1-8])

. "$root/tests/lib/tap.sh"

echo "TAP version 13"
for cmd in groff man lexgrog; do
	if ! command -v "$cmd" >/dev/null; then
		tap FAIL "$cmd is installed (make deps)"
		echo "1..$n"
		exit 1
	fi
done

for page in "${pages[@]}"; do
	file=${page##*/}
	name=${file%.*}
	section=${file##*.}

	out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
	if [ -z "$out" ]; then tap OK "$file: groff -ww is silent"; else tap FAIL "$file: groff -ww is silent" "$out"; fi

	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$out" ]; then tap OK "$file: man -l renders it"; else tap FAIL "$file: man -l renders it" "$out"; fi

	th=$(awk '$1 == ".TH" { print $2, $3; exit }' "$page")
	want="$(tr 'a-z' 'A-Z' <<<"$name" | sed 's/-/\\\\-/g') $section"
	want_plain="$(tr 'a-z' 'A-Z' <<<"$name") $section"
	if [ "$th" = "$want" ] || [ "$th" = "$want_plain" ]; then
		tap OK "$file: .TH $th"
	else
		tap FAIL "$file: .TH names $want_plain" "found: .TH $th"
	fi

	out=$(lexgrog "$page" 2>&1)
	case "$out" in
	*": \"$name - "*) tap OK "$file: NAME line for whatis" ;;
	*) tap FAIL "$file: NAME line for whatis" "$out" ;;
	esac

	out=$(awk 'prev == ".TP" && $1 ~ /^\.(SH|SS|TP|PP|P|LP|RE)$/ { printf "line %d: .TP then %s\n", NR, $1 }
		   { prev = $1 }' "$page")
	if [ -z "$out" ]; then tap OK "$file: every .TP has a tag"; else tap FAIL "$file: every .TP has a tag" "$out"; fi

	missing=()
	while read -r ref sec; do
		[ -e "$mandir/$ref.$sec" ] || missing+=("$ref($sec)")
	done < <(grep -oE '^\.BR +(cxltier[a-z.\\-]*|kvreplay|libcxltier) +\([1-8]\)' "$page" |
		 sed -E 's/^\.BR +//; s/\\-/-/g; s/ +\(([1-8])\)$/ \1/' | sort -u)
	if [ ${#missing[@]} -eq 0 ]; then
		tap OK "$file: the project's pages it names exist"
	else
		tap FAIL "$file: the project's pages it names exist" "missing: ${missing[*]}"
	fi
done
echo "1..$n"
exit $fail
