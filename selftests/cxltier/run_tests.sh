#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [--list] [--multi] [TEST...]: run cxltier's selftests for
# the current kernel and topology, as root, with TAP output.  --multi
# runs the tests marked "multi" instead of the others: races that want
# two vCPUs running at once (vm-run with CXLTIER_VM_TCG_THREAD=multi).  Loads cxltier.ko (and
# the test modules) before the tests that need it and unloads it after;
# fails when the kernel log gains anything above info level.
#
# Module location: $CXLTIER_MODDIR (set by tools/vm-run), else
# build/$(uname -r) of this tree.  Topology: $CXLTIER_TOPOLOGY (any
# value runs the tests that do not need a particular one).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${CXLTIER_BUILD:-$root/build}/bin
moddir=${CXLTIER_MODDIR:-${CXLTIER_BUILD:-$root/build}/$(uname -r)}
topology=${CXLTIER_TOPOLOGY:-none}
export PATH="$bin:$PATH"

# Test table: name, where it runs (a topology, "any" or "basic+kmem"),
# the module state it needs ("unloaded" or "loaded"), and optionally
# "multi" (run only with --multi).  Scripts are in this directory,
# programs in build/bin.
tests=(
	"load_unload.sh		basic	unloaded"
	"cxltier-abi-test	basic	loaded"
	"sysfs_abi.sh		basic	loaded"
	"retier.sh		basic	unloaded"
	"cxltier-tiers-test	basic	loaded"
	"tiers_basic.sh		basic	loaded"
	"tiers_kmem.sh		kmem-offline	loaded"
	"e2e_drain.sh		kmem-offline	loaded"
	"tiers_cxl.sh		cxl	loaded"
	"cxltier-heat-abi-test	basic	loaded"
	"cxltier-fuzz-ioctl	basic	loaded"
	"cxltier-accel-test	basic	loaded"
	"cxltier-hostile-test	basic	loaded"
	"cxltier-race-test	basic	loaded	multi"
	"cxltier-heat-accuracy-test basic	loaded"
	"reclaim.sh		basic+kmem	loaded"
	"e2e_handshake.sh	kmem	loaded"
	"e2e_perm.sh		kmem	loaded"
	"e2e_flood.sh		kmem	loaded"
	"e2e_stuck.sh		kmem	loaded"
	"e2e_kill_agent.sh	kmem	loaded"
	"e2e_kill_app.sh	kmem	loaded"
	"e2e_reload.sh		kmem	loaded"
	"e2e_policy.sh		kmem	loaded"
	"e2e_pressure.sh	kmem	loaded"
	"e2e_agent.sh		kmem	loaded"
	"cli_test.sh		kmem	loaded"
	"cli_user.sh		kmem	loaded"
	"kvreplay_real.sh	kmem	loaded"
	"cxltier-pool-test	kmem	loaded"
	"cxltier-pool-advice-test	kmem	loaded"
	"pool_blockmove.sh	kmem	loaded"
	"pool_cuda.sh		kmem	loaded"
	"e2e_pool_advice.sh	kmem	loaded"
	"e2e_pool_hints.sh	kmem	loaded"
	"e2e_pool_release.sh	kmem	loaded"
	"preload_kmem.sh	kmem	loaded"
	"python_kmem.sh		kmem	loaded"
	"example_kmem.sh	kmem	loaded"
	"bench_migrate.sh	kmem	loaded"
)

applies() { # applies WHERE
	case "+$1+" in
	*+any+*|*+"$topology"+*) return 0 ;;
	esac
	return 1
}

list=0
multi=0
while [ $# -gt 0 ]; do
	case "$1" in
	--list) list=1; shift ;;
	--multi) multi=1; shift ;;
	*) break ;;
	esac
done
only=("$@")

# wanted OPT: does a test with table option OPT belong to this run?
wanted() {
	if [ "$multi" = 1 ]; then [ "$1" = multi ]; else [ "$1" != multi ]; fi
}

selected() { # selected NAME
	local t
	[ ${#only[@]} -eq 0 ] && return 0
	for t in "${only[@]}"; do
		[ "$t" = "$1" ] && return 0
	done
	return 1
}

if [ $list = 1 ]; then
	for t in "${tests[@]}"; do
		read -r name where state opt <<<"$t"
		applies "$where" && wanted "${opt:-}" && echo "$name"
	done
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "run_tests.sh: must run as root" >&2; exit 4; }
[ -f "$moddir/kmod/cxltier.ko" ] || { echo "run_tests.sh: $moddir/kmod/cxltier.ko is not built" >&2; exit 1; }
export CXLTIER_MODDIR=$moddir

# shellcheck source=kernel_log.sh
. "$here/kernel_log.sh"

load() {
	lsmod | grep -q '^cxltier ' && return 0
	insmod "$moddir/kmod/cxltier.ko"
}

unload() {
	local m
	for m in cxltier_test_accel cxltier; do
		lsmod | grep -q "^$m " && { rmmod "$m" || return 1; }
	done
	return 0
}

failed=0
passed=0
run() { # run NAME
	local name=$1 path rc t0
	if [ -x "$here/$name" ]; then path=$here/$name; else path=$bin/$name; fi
	echo "# === $name ($CXLTIER_KERNEL_LABEL, topology $topology)"
	t0=$SECONDS
	"$path"
	rc=$?
	echo "# === $name: status $rc after $((SECONDS - t0)) s"
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
	else
		echo "not ok $name exited with status $rc"
		failed=$((failed + 1))
	fi
}

CXLTIER_KERNEL_LABEL=$(uname -r)
export CXLTIER_KERNEL_LABEL

unload || { echo "run_tests.sh: cannot unload a previously loaded cxltier" >&2; exit 1; }
before=$(log_problems)

for state in unloaded loaded; do
	[ "$state" = loaded ] && { load || { echo "not ok insmod cxltier.ko"; exit 1; }; }
	for t in "${tests[@]}"; do
		read -r name where need opt <<<"$t"
		[ "$need" = "$state" ] && applies "$where" && wanted "${opt:-}" &&
			selected "$name" && run "$name"
	done
done

if unload; then
	echo "ok cxltier.ko unloads after the tests"
else
	echo "not ok cxltier.ko unloads after the tests"
	failed=$((failed + 1))
fi

after=$(log_problems)
new=$(log_new "$before" "$after")
if [ -z "$new" ]; then
	echo "ok kernel log has nothing above info level"
else
	echo "not ok kernel log has nothing above info level"
	sed 's/^/#   /' <<<"$new"
	failed=$((failed + 1))
fi

echo "# run_tests.sh: $passed programs passed, $failed failed"
[ $failed -eq 0 ]
