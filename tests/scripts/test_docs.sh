#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_docs.sh: the documentation holds together.
#   - Documentation/index.rst names every file under Documentation/;
#   - every "Documentation/..." path that README.md, a document or a man
#     page mentions exists (a file, or a directory when it ends in "/").
# TAP output; host only, well under a second.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

. "$root/tests/lib/tap.sh"

echo "TAP version 13"

missing=()
while read -r f; do
	rel=${f#Documentation/}
	grep -qF "$rel" Documentation/index.rst || missing+=("$rel")
done < <(find Documentation -type f ! -name index.rst | sort)
if [ ${#missing[@]} -eq 0 ]; then
	tap OK "Documentation/index.rst names every document"
else
	tap FAIL "Documentation/index.rst names every document" "not named: ${missing[*]}"
fi

for f in README.md $(find Documentation -type f | sort); do
	bad=()
	# Man pages write "-" as "\-" and may break a path at a hyphen.
	while read -r path; do
		path=${path%%[.,;:)\`\'\"]}
		path=${path%%[.,;:)\`\'\"]}
		case "$path" in
		*/) [ -d "$path" ] || bad+=("$path") ;;
		*) [ -e "$path" ] || bad+=("$path") ;;
		esac
	done < <(sed 's/\\-/-/g' "$f" | grep -oE 'Documentation/[A-Za-z0-9_./-]*[A-Za-z0-9_/]' | sort -u)
	if [ ${#bad[@]} -eq 0 ]; then
		tap OK "$f: the Documentation/ paths it names exist"
	else
		tap FAIL "$f: the Documentation/ paths it names exist" "missing: ${bad[*]}"
	fi
done
echo "1..$n"
exit $fail
