#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltier-bench cuda --check over the CUDA runtime stand-in
# (build/lib/cuda-standin: pins with mlock, "device" memory is host
# memory, and it refuses an async copy from memory that is not pinned):
# libcxltier's cuda adapter pins a block pool with cudaHostRegister, the
# pool's moves run while a thread copies its other blocks to the device,
# and every moved block, copied to the device from its new slot and
# back, must match.  Every registration is undone by the end.  With no
# device, the command says it skipped and exits 4.  Not timed.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

standin=$CXLTIER_BUILD/lib/cuda-standin
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

out=$(cxltier-bench cuda --slab-bytes 1000 2>&1)
expect "--slab-bytes 1000 is refused" [ $? = 2 ]
out=$(cxltier-bench cuda --device -1 2>&1)
expect "--device -1 is refused" [ $? = 2 ]

out=$(LD_LIBRARY_PATH=$standin CUDA_STANDIN_DEVICES=0 cxltier-bench cuda --json 2>&1)
rc=$?
expect "no device: exit 4 (skipped)" [ $rc = 4 ]
expect "no device: the reason is given" grep -q '"reason":"no CUDA device' <<<"$out"
expect "no device: it says it skipped" grep -q 'cuda: skipped: no CUDA device' <<<"$out"

out=$(LD_LIBRARY_PATH=$standin CUDA_STANDIN_LOG=$scratch/calls \
	cxltier-bench cuda --check --json 2>&1)
rc=$?
expect "cuda --check succeeds" [ $rc = 0 ]
[ $rc = 0 ] || echo "$out" | diag
val() { echo "$out" | sed -n "s/^ *\"$1\": *\([0-9]*\).*/\1/p"; }
expect "the stand-in is the runtime it names" grep -q '"runtime":".*cuda-standin/libcudart.so' <<<"$out"
expect "blocks were moved and checked on the device" [ "$(val checked_blocks)" -gt 0 ]
expect "every moved block was checked" [ "$(val checked_blocks)" = "$(val moved_blocks)" ]
expect "0 corrupt bytes" [ "$(val corrupt_bytes)" = 0 ]
expect "0 corrupt blocks" [ "$(val corrupt_blocks)" = 0 ]
expect "every old slot poisoned" [ "$(val old_slots_not_poisoned)" = 0 ]
expect "no move skipped" [ "$(val skipped_blocks)" = 0 ]
expect "the device copied blocks meanwhile" [ "$(val h2d_copies)" -gt 0 ]
reg=$(grep -c '^cudaHostRegister .* rc=0$' "$scratch/calls" 2>/dev/null)
unreg=$(grep -c '^cudaHostUnregister .* rc=0$' "$scratch/calls" 2>/dev/null)
# Two pool slabs, and the two nodes' slabs twice each (--check: 2 reps).
expect "the pool's slabs and the test slabs were registered ($reg)" [ "${reg:-0}" -ge 6 ]
expect "every registration was undone ($unreg of $reg)" [ "${unreg:-0}" = "${reg:-0}" ]
expect "no CUDA call failed" [ "$(grep -vc ' rc=0$' "$scratch/calls")" = 0 ]
finish
