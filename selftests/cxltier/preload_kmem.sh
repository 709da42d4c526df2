#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, libcxltier-preload.so under an unmodified application of
# the CUDA pinned-memory API (cxltier-pinned-app, over the CUDA runtime
# stand-in that pins with mlock): with a class whose dram_share is 0%,
# cudaHostAlloc and cudaMallocHost memory lands bound on the kmem node;
# the application's own registration keeps its placement; the module
# tracks every buffer under its label and cxltierd counts it in its
# class; frees leave nothing tracked.  A second allocation that the
# far node has no room for falls back to the runtime, with a warning,
# and succeeds.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
shim=$(dirname "$(command -v cxltier-pinned-app)")/../lib/libcxltier-preload.so
[ -f "$shim" ] || { echo "# $shim is not built"; exit 1; }
cat >"$conf" <<CONF
[tiers]
dram = $dram
far = $far

[policy]
interval = 1s
promote_min_heat = 1000000

[class "offload"]
label = cuda-host-alloc
dram_share = 0%
CONF
expect "cxltierd starts" start_agent

ranges_labelled() {
	cxltierctl buffers 2>/dev/null | grep -c "\"label\":\"$1\"" || true
}

# run_app NAME OP...: the application under the shim, holding its memory
# until $scratch/NAME.go exists; its output in $scratch/NAME.out.
run_app() {
	local name=$1
	shift
	CUDA_STANDIN_LOG=$scratch/$name.calls CXLTIER_PRELOAD_CONFIG=$conf \
		CXLTIER_SOCKET=$sock LD_PRELOAD=$shim \
		cxltier-pinned-app --hold-until "$scratch/$name.go" "$@" \
		>"$scratch/$name.out" 2>"$scratch/$name.err" &
	app_pid=$!
	app_pids+=("$app_pid")
}

run_app placed alloc:8M mallochost:2M register:4M
expect "the application allocates and holds its memory" \
	wait_for 60 logged "$scratch/placed.out" '^ready'
expect "the startup line names the class and the far node" \
	logged "$scratch/placed.err" "cudaHostAlloc, cudaMallocHost: label \"cuda-host-alloc\", class \"offload\": far memory, node $far,"
expect "cudaHostAlloc memory is bound to the far node" \
	logged "$scratch/placed.out" "^alloc 0 rc=0 node=$far policy=bind"
expect "cudaMallocHost memory is bound to the far node" \
	logged "$scratch/placed.out" "^mallochost 1 rc=0 node=$far policy=bind"
expect "the application's registration keeps its placement" \
	logged "$scratch/placed.out" '^register 2 rc=0 node=[0-9]* policy=default'
expect "the runtime registered the shim's memory, allocated none" \
	[ "$(grep -c '^cudaHostAlloc\|^cudaMallocHost' "$scratch/placed.calls")" = 0 ]
expect "the module tracks both allocations under their label" \
	wait_for 10 test "$(ranges_labelled cuda-host-alloc)" = 2
expect "the module tracks the registration under its label" \
	wait_for 10 test "$(ranges_labelled cuda-host-register)" = 1
expect "cxltierd registered the buffers" \
	wait_for 10 grep -q 'registered buffer [0-9]* ("cuda-host-alloc", 8388608 bytes)' "$scratch/agent.log"
offload_far() { grep -q "^cxltier_bytes{node=\"$far\",tier=\"[0-9]*\",class=\"offload\"} [1-9]" "$metrics"; }
expect "cxltierd counts the class's bytes on the far node" wait_for 15 offload_far
touch "$scratch/placed.go"
reap "$app_pid"
rc=$?
expect "every byte checks and every free succeeds" [ $rc = 0 ]
[ $rc = 0 ] || diag "$scratch/placed.out" "$scratch/placed.err"
expect "nothing is tracked after the frees" \
	wait_for 10 test "$(ranges_labelled cuda-host-alloc)$(ranges_labelled cuda-host-register)" = 00
expect "cxltierd forgot the buffers" \
	wait_for 10 grep -q 'unregistered buffer' "$scratch/agent.log"

# The far node has 1 GiB: the second 640 MiB does not fit there.
run_app full mallochost:640M mallochost:640M
expect "the application gets both allocations" \
	wait_for 120 logged "$scratch/full.out" '^ready'
expect "the first is on the far node" \
	logged "$scratch/full.out" "^mallochost 0 rc=0 node=$far policy=bind"
expect "the second falls back to the runtime, which allocates it" \
	logged "$scratch/full.out" '^mallochost 1 rc=0 node=[0-9]* policy=default'
expect "the fallback is warned about" \
	logged "$scratch/full.err" 'warning: no node of class "offload" has room for 671088640 bytes; left to the CUDA runtime'
expect "the runtime made exactly that allocation" \
	[ "$(grep -c '^cudaMallocHost .*size=671088640 .*rc=0' "$scratch/full.calls")" = 1 ]
touch "$scratch/full.go"
reap "$app_pid"
expect "both free cleanly" [ $? = 0 ]
expect "cxltierd is still running" kill -0 "$agent_pid"
finish
