#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of tools/vm-run on the host: it passes CMD's status through,
# reports timeouts, and fails a run whose kernel WARNs even when CMD
# succeeds.  Boots a handful of small guests.  TAP output.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vmrun=$root/tools/vm-run
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
fail=0
# check DESCRIPTION EXPECTED ACTUAL: on a mismatch, show what vm-run said
# (its last output is in $out) so a failure in CI explains itself.
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1 (expected $2, got $3)"
		grep -a -E '^vm-run:|^    ' "$out" | tail -n 30 | sed 's/^/#   /'
		fail=1
	fi
}

echo "TAP version 13"
echo "1..6"

topos=$("$vmrun" --list-topologies | grep -c -E '^(basic|kmem|cxl):')
check "--list-topologies names basic, kmem and cxl" 3 "$topos"

"$vmrun" --kernel 6.12 -- sh -c 'exit 7' >"$out" 2>&1
check "CMD's exit status comes through" 7 $?

"$vmrun" --kernel all -- sh -c 'exit 3' >"$out" 2>&1
check "--kernel all fails when CMD fails on every kernel" 3 $?

"$vmrun" --kernel 6.12 --module -- sh -c 'test -c /dev/cxltier && test -d /sys/kernel/cxltier' >"$out" 2>&1
check "--module loads cxltier.ko for the command" 0 $?

"$vmrun" --kernel 6.12 -- sh -c 'insmod "$CXLTIER_MODDIR/selftests/cxltier_test_warn.ko"; true' >"$out" 2>&1
check "a kernel WARNING fails the run although CMD passed" 203 $?

"$vmrun" --kernel 6.12 --timeout 25 -- sleep 1000 >"$out" 2>&1
check "a command that outlives --timeout is reported as timed out" 202 $?

exit $fail
