#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every file in Documentation/ABI/testing/sysfs-kernel-cxltier exists with
# its documented mode, and every file under /sys/kernel/cxltier is
# documented.  The first line of each Description says "(RO, 0444)" or
# "(RW, 0644)"; path components such as tier<N> stand for tier0, tier1...
# Placeholder paths may match nothing (no such tier on this topology);
# exact paths must exist.  Needs cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
doc=$here/../../Documentation/ABI/testing/sysfs-kernel-cxltier
root=/sys/kernel/cxltier

echo "TAP version 13"
[ -r "$doc" ] || { echo "1..0 # SKIP cannot read $doc"; exit 1; }

# "path mode" per stanza.
entries=$(awk '
	/^What:/ { what = $2; want = 1; next }
	want && /\((RO|RW|WO), 0[0-7][0-7][0-7]\)/ {
		match($0, /0[0-7][0-7][0-7]/)
		print what, substr($0, RSTART + 1, 3)
		want = 0
	}' "$doc")

n=0
fail=0
tap() { # tap OK|FAIL DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}

# Documented -> present with the right mode.
while read -r what mode; do
	[ -n "$what" ] || continue
	glob=$(sed -E 's/<[A-Za-z_]+>/*/g' <<<"$what")
	matches=$(compgen -G "$glob" || true)
	if [ -z "$matches" ]; then
		if [ "$glob" = "$what" ]; then
			tap FAIL "$what exists"
		else
			echo "# $what: no instance on this system"
		fi
		continue
	fi
	bad=
	for f in $matches; do
		got=$(stat -c %a "$f")
		[ "$got" = "$mode" ] || bad+=" $f:$got"
	done
	if [ -z "$bad" ]; then
		tap OK "$what has mode $mode"
	else
		tap FAIL "$what has mode $mode (found$bad)"
	fi
done <<<"$entries"

# Present -> documented.
undocumented=
files=$(find "$root" -type f | sort)
[ -n "$files" ] || tap FAIL "$root has files"
while read -r f; do
	[ -n "$f" ] || continue
	norm=$(sed -E 's#/([a-z_]+)[0-9]+(/|$)#/\1<N>\2#g' <<<"$f")
	norm=$(sed -E 's#/([a-z_]+)[0-9]+(/|$)#/\1<N>\2#g' <<<"$norm")
	grep -q "^$(sed 's/[.[\*^$]/\\&/g' <<<"$norm") " <<<"$(sed -E 's/<[A-Za-z_]+>/<N>/g' <<<"$entries")" ||
		undocumented+=" $f"
done <<<"$files"
if [ -z "$undocumented" ]; then
	tap OK "every file under $root is documented"
else
	tap FAIL "every file under $root is documented (missing:$undocumented)"
fi

echo "1..$n"
exit $fail
