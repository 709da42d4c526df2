#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_preload.sh: libcxltier-preload.so under cxltier-pinned-app, an
# application of the CUDA pinned-memory API linked against the CUDA
# runtime stand-in (build/lib/cuda-standin, which records every call and
# pins with mlock).  Checks: the application runs unchanged with and
# without the shim; placement by class (the DRAM class's memory is bound
# to its node, mapped by the shim, registered rather than allocated by
# the runtime); registration in chunks of at most the limit, where the
# runtime alone fails; frees (every registration undone, nothing left
# locked); fallback to the runtime with a warning for a class that does
# not exist, a config that does not load, a tier without a node, and
# write-combined memory; CXLTIER_PRELOAD=0.  The module and agent parts
# run in the guest (selftests/cxltier/preload_kmem.sh).  TAP; host only.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"

echo "TAP version 13"
app=$root/build/bin/cxltier-pinned-app
shim=$root/build/lib/libcxltier-preload.so
if [ ! -x "$app" ] || [ ! -f "$shim" ]; then
	echo "1..0 # SKIP not applicable: nothing is built yet (make)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conf=$tmp/cxltierd.conf
calls=$tmp/calls

# run NAME [VAR=VALUE...] -- OP...: the application, with the shim unless
# CXLTIER_TEST_NO_SHIM is set; stdout in $tmp/NAME.out, stderr .err,
# the runtime's calls in $tmp/NAME.calls.
run() {
	local name=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	rm -f "$tmp/$name.calls"
	env CUDA_STANDIN_LOG="$tmp/$name.calls" CXLTIER_PRELOAD_CONFIG="$conf" \
		CXLTIER_DEVICE=/nonexistent LD_PRELOAD="$shim" "${envs[@]}" \
		"$app" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

# check DESCRIPTION COMMAND...: one TAP line; the last run's files on failure.
last=
check() {
	local d=$1
	shift
	if "$@"; then
		tap OK "$d"
	else
		tap FAIL "$d" "$(cat "$tmp/$last.out" "$tmp/$last.err" "$tmp/$last.calls" 2>/dev/null)"
	fi
}

count() { grep -c -- "$2" "$tmp/$1.calls" 2>/dev/null || true; }

dram=$(numactl -H 2>/dev/null | awk '/^node [0-9]+ cpus: [0-9]/ { print $2; exit }')
dram=${dram:-0}
cat >"$conf" <<CONF
[tiers]
dram = $dram

[class "pinned"]
label = cuda-host-*
priority = 5
CONF

# 1. Without the shim: the runtime allocates.
last=plain
env CUDA_STANDIN_LOG="$tmp/plain.calls" "$app" alloc:3M mallochost:100K register:1M \
	>"$tmp/plain.out" 2>"$tmp/plain.err"
check "without the shim the application runs" grep -qx 'done ok' "$tmp/plain.out"
check "without the shim the runtime allocates" [ "$(count plain '^cudaHostAlloc .*rc=0')" = 1 ]

# 2. With it, the same binary, placed by class.
last=dram
run dram CXLTIER_PRELOAD_MAX_REGISTER=1M CUDA_STANDIN_MAX_REGISTER=2097152 -- \
	alloc:3M:1 mallochost:100K register:5M register:1M
check "with the shim the same application runs and its bytes check" grep -qx 'done ok' "$tmp/dram.out"
check "one startup line per allocation class names the class and node" \
	grep -q "cudaHostAlloc, cudaMallocHost: label \"cuda-host-alloc\", class \"pinned\": DRAM, node $dram, registered in chunks of at most 1 MiB" "$tmp/dram.err"
check "the registration class has its own line" \
	grep -q 'cudaHostRegister: label "cuda-host-register", class "pinned": placement kept' "$tmp/dram.err"
check "cudaHostAlloc memory is bound to the class's node" grep -q "^alloc 0 rc=0 node=$dram policy=bind" "$tmp/dram.out"
check "cudaMallocHost memory is bound to the class's node" grep -q "^mallochost 1 rc=0 node=$dram policy=bind" "$tmp/dram.out"
check "the application's own memory keeps its policy" grep -q "^register 2 rc=0 node=[0-9]* policy=default" "$tmp/dram.out"
check "the runtime allocated nothing itself" [ "$(count dram '^cudaHostAlloc\|^cudaMallocHost')" = 0 ]
check "3 MiB allocated: 3 registrations of 1 MiB, portable flag kept" \
	[ "$(count dram '^cudaHostRegister .*size=1048576 flags=1 rc=0')" = 3 ]
check "5 MiB registered: 5 registrations of 1 MiB" \
	[ "$(count dram '^cudaHostRegister .*size=1048576 flags=0 rc=0')" = 6 ]
check "no registration above the limit" [ "$(count dram '^cudaHostRegister .*size=[0-9]\{8,\}')" = 0 ]
check "every registration undone" \
	[ "$(count dram '^cudaHostRegister .*rc=0')" = "$(count dram '^cudaHostUnregister .*rc=0')" ]
check "every free and unregister succeeds" [ "$(grep -c '^free [0-9]* rc=0$' "$tmp/dram.out")" = 4 ]
check "nothing left locked" grep -qx 'locked_kB=0' <(tail -2 "$tmp/dram.out")

# 3. The runtime alone fails above its limit; the shim's chunks do not.
last=nochunk
env CUDA_STANDIN_LOG="$tmp/nochunk.calls" CUDA_STANDIN_MAX_REGISTER=2097152 \
	"$app" register:5M >"$tmp/nochunk.out" 2>&1
check "without the shim a registration above the runtime's limit fails" grep -q '^register 0 rc=2' "$tmp/nochunk.out"
last=chunk
run chunk CXLTIER_PRELOAD_MAX_REGISTER=2M CUDA_STANDIN_MAX_REGISTER=2097152 -- register:5M
check "with the shim it succeeds in 3 registrations" \
	[ "$(count chunk '^cudaHostRegister .*rc=0')" = 3 ] && grep -qx 'done ok' "$tmp/chunk.out"

# 4. Fallbacks: never a failure that the runtime would not have.
last=noclass
run noclass CXLTIER_PRELOAD_CLASS=nosuch -- alloc:1M
check "no such class: warned, the runtime allocates" \
	grep -q 'warning: cudaHostAlloc, cudaMallocHost: no class "nosuch" in the configuration; left to the CUDA runtime' "$tmp/noclass.err" &&
	[ "$(count noclass '^cudaHostAlloc .*rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/noclass.out"

printf '[class "cold"]\nlabel = cuda-host-alloc\ndram_share = 0%%\n[tiers]\nfar = auto\n' >"$tmp/far.conf"
last=nofar
if numactl -H 2>/dev/null | grep -q '^available: 1 nodes'; then
	run nofar CXLTIER_PRELOAD_CONFIG="$tmp/far.conf" -- alloc:1M
	check "far class without a far node: warned, the runtime allocates" \
		grep -q 'warning: .*class "cold": no far-memory node online; left to the CUDA runtime' "$tmp/nofar.err" &&
		[ "$(count nofar '^cudaHostAlloc .*rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/nofar.out"
else
	tap OK "far class without a far node # SKIP this host has several nodes"
fi

printf '[class "x"]\nlabel = a\npriority = high\n' >"$tmp/bad.conf"
last=badconf
run badconf CXLTIER_PRELOAD_CONFIG="$tmp/bad.conf" -- mallochost:64K
check "a config that does not load: warned with its file and line, the runtime allocates" \
	grep -q "warning: $tmp/bad.conf:3: .*placement left to the CUDA runtime" "$tmp/badconf.err" &&
	[ "$(count badconf '^cudaMallocHost .*rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/badconf.out"

last=missing
run missing CXLTIER_PRELOAD_CONFIG="$tmp/none.conf" -- alloc:64K
check "a config that does not exist: warned, the runtime allocates" \
	grep -q 'warning: .*none.conf' "$tmp/missing.err" &&
	[ "$(count missing '^cudaHostAlloc .*rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/missing.out"

last=wc
run wc -- alloc:64K:4
check "write-combined memory is the runtime's" \
	[ "$(count wc '^cudaHostAlloc .*flags=4 rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/wc.out"

last=badsize
run badsize CXLTIER_PRELOAD_MAX_REGISTER=12345 -- alloc:64K
check "a bad chunk limit: warned, 64 GiB used" \
	grep -q 'CXLTIER_PRELOAD_MAX_REGISTER=12345 is not a size' "$tmp/badsize.err" &&
	grep -q 'chunks of at most 64 GiB' "$tmp/badsize.err" && grep -qx 'done ok' "$tmp/badsize.out"

# 5. Switched off by the environment: silent, the runtime's own calls.
last=off
run off CXLTIER_PRELOAD=0 -- alloc:1M register:1M
check "CXLTIER_PRELOAD=0: nothing logged" [ ! -s "$tmp/off.err" ]
check "CXLTIER_PRELOAD=0: the runtime allocates" \
	[ "$(count off '^cudaHostAlloc .*rc=0')" = 1 ] && grep -qx 'done ok' "$tmp/off.out"

echo "1..$n"
exit $fail
