#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host test of selftests/cxltier/sysfs_abi.sh on a fake sysfs tree: it
# must pass a tree that matches the ABI document and catch a wrong mode,
# a missing documented file and an undocumented one.  TAP output.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
check=$root/selftests/cxltier/sysfs_abi.sh
doc=$root/Documentation/ABI/testing/sysfs-kernel-cxltier
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Build a tree with one instance of every documented file, mode as documented.
make_tree() {
	rm -rf "$tmp/cxltier"
	awk '/^What:/ { what = $2; want = 1; next }
	     want && match($0, /\((RO|RW|WO), 0[0-7][0-7][0-7]\)/) {
		match($0, /0[0-7][0-7][0-7]/); print substr($0, RSTART + 1, 3), what; want = 0 }' "$doc" |
	while read -r mode what; do
		f=$tmp/cxltier${what#/sys/kernel/cxltier}
		f=$(sed -E 's/<[A-Za-z_]+>/0/g' <<<"$f")
		mkdir -p "$(dirname "$f")"
		echo 0 >"$f"
		chmod "$mode" "$f"
	done
}

n=0
fail=0
expect() { # expect DESCRIPTION WANT_STATUS
	local got
	CXLTIER_SYSFS_ROOT=$tmp/cxltier "$check" >"$tmp/out" 2>&1
	got=$?
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1 (status $got)"
		sed 's/^/#   /' "$tmp/out"
		fail=1
	fi
}

echo "TAP version 13"
echo "1..4"
make_tree
expect "a tree that matches the document passes" 0

make_tree
chmod 0666 "$tmp/cxltier/version"
expect "a wrong mode fails" 1

make_tree
rm "$tmp/cxltier/api_version"
expect "a missing documented file fails" 1

make_tree
echo 1 >"$tmp/cxltier/tiers/tier0/undocumented_file"
expect "an undocumented file fails" 1
exit $fail
