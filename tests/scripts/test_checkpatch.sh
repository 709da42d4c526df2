#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_checkpatch.sh: the kernel code (kmod/, the module's headers and the
# test modules) is "checkpatch.pl --strict" clean, but for the findings
# listed with a reason in tests/scripts/checkpatch.ignore.  checkpatch.pl
# and the two files it reads next to it come from Debian's 6.12 kernel
# source package, extracted once into build/checkpatch/.  TAP output.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

. "$root/tests/lib/tap.sh"

echo "TAP version 13"

dir=build/checkpatch
tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -f "$dir/checkpatch.pl" ]; then
	if [ ! -f "$tarball" ]; then
		echo "ok 1 checkpatch.pl --strict # SKIP $tarball is not installed (make deps)"
		echo "1..1"
		exit 0
	fi
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$tarball" -C "$dir.tmp" --strip-components=2 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' &&
		mv "$dir.tmp" "$dir"
fi
[ -f "$dir/checkpatch.pl" ] || { tap FAIL "checkpatch.pl extracted from $tarball"; echo "1..$n"; exit 1; }

ignore=tests/scripts/checkpatch.ignore
files=(kmod/*.c kmod/*.h include/uapi/linux/cxltier.h include/linux/cxltier.h
       selftests/cxltier/kmod/*.c)
# From the top of the tree, so that paths (include/uapi/...) read as in
# the kernel's; checkpatch.pl finds its two data files next to itself.
out=$(perl "$dir/checkpatch.pl" --strict --no-tree --terse --show-types \
	--no-summary -f "${files[@]}" 2>&1)

# A finding is "FILE:LINE: LEVEL:TYPE: message"; it is excused when an
# entry names its file, its type and a token its message quotes.
excused() { # excused LINE
	local file type rest
	file=${1%%:*}
	type=$(sed -n 's/^[^:]*:[0-9]*: [A-Z]*:\([A-Z_]*\):.*/\1/p' <<<"$1")
	while read -r efile etype etoken _; do
		[ "$efile" = "$file" ] && [ "$etype" = "$type" ] &&
			[[ "$1" == *"$etoken"* ]] && return 0
	done < <(grep -v '^#' "$ignore" | grep -v '^$')
	return 1
}

bad=()
while IFS= read -r line; do
	[ -n "$line" ] || continue
	excused "$line" || bad+=("$line")
done <<<"$out"
if [ ${#bad[@]} -eq 0 ]; then
	tap OK "checkpatch.pl --strict: every finding is listed in $ignore"
else
	tap FAIL "checkpatch.pl --strict: findings not in $ignore" "${bad[@]}"
fi

stale=()
while read -r efile etype etoken _; do
	grep -F "$efile:" <<<"$out" | grep -F ":$etype:" | grep -qF "$etoken" ||
		stale+=("$efile $etype $etoken")
done < <(grep -v '^#' "$ignore" | grep -v '^$')
if [ ${#stale[@]} -eq 0 ]; then
	tap OK "every entry of $ignore still matches a finding"
else
	tap FAIL "entries of $ignore that match nothing" "${stale[@]}"
fi

echo "1..$n"
exit $fail
