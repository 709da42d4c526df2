#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the example KV offload manager (examples/kv_offload.py)
# under Debian's /usr/bin/python3 against cxltier.ko and cxltierd: a pool
# with a small DRAM slab and the rest on the kmem node, requests with
# shared prefixes, every loaded block checked, with memoryviews (its
# torch run is in python_e2e.py).
# Its output is shown as diagnostics.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
root=$(cd "$(dirname "$0")/../.." && pwd)
printf '[tiers]\ndram = %s\nfar = %s\n[class "kv"]\nlabel = kv-offload\npriority = 10\n' \
	"$dram" "$far" >"$conf"
expect "cxltierd starts" start_agent

# example NAME ARG...: run it; output in $scratch/NAME.
example() {
	local name=$1
	shift
	PYTHONPATH=$root/python PYTHONDONTWRITEBYTECODE=1 \
		CXLTIER_LIBRARY=${CXLTIER_BUILD:-$root/build}/lib/libcxltier.so.1 \
		/usr/bin/python3 "$root/examples/kv_offload.py" --socket "$sock" \
		--dram-node "$dram" --far-node "$far" --check "$@" >"$scratch/$name" 2>&1
}

# The torch run is python_e2e.py's (python_kmem.sh): importing torch
# takes a minute in the guest, and that test has paid for it already.
modes=(no-torch)
for m in "${modes[@]}"; do
	args=(--requests 60 --blocks 32 --dram-slots 8 --block-size 64K)
	[ "$m" = no-torch ] && args+=(--no-torch)
	example "$m" "${args[@]}"
	rc=$?
	diag "$scratch/$m"
	expect "$m: the example runs" [ $rc = 0 ]
	expect "$m: copies as asked" grep -q "copies with $([ "$m" = torch ] && echo 'torch on cpu' || echo memoryviews)" "$scratch/$m"
	expect "$m: slabs on the DRAM and kmem nodes" grep -q "slabs on nodes \[$dram, $far\]" "$scratch/$m"
	expect "$m: shared prefixes hit" grep -Eq 'blocks hit [1-9][0-9]*/' "$scratch/$m"
	expect "$m: the LRU evicted, with done hints" grep -Eq 'evicted [1-9].*' "$scratch/$m"
	expect "$m: will-read hints sent" grep -Eq 'hints: will-read [1-9][0-9]*, done [1-9]' "$scratch/$m"
	expect "$m: loads from both tiers" grep -Eq 'loads by tier: tier 0: [1-9][0-9]*, tier 1: [1-9]' "$scratch/$m"
	expect "$m: every loaded byte checks" grep -q 'checked every loaded block: 0 corrupt' "$scratch/$m"
done
expect "cxltierd is still running" kill -0 "$agent_pid"
finish
