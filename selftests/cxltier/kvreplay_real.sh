#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvreplay --real in both modes, on a KV-cache trace in the Mooncake
# format (cxltier.ko, a cxltierd of kvreplay's own, the fake accelerator
# pinning the memory, 64 KiB blocks, 10x faster than recorded):
#
#  - the block pool (the default): cxltierd's advice moves blocks by
#    copy-then-swap; no byte may be lost, blocks must move, the slabs'
#    pins must be held throughout (the fake accelerator's own count,
#    sampled by kvreplay), and the JSON report must carry the pool's
#    keys (kvreplay(1));
#  - the pinned buffer (--real-mode=buffer): chunks move through the
#    release / move / re-pin handshake, and the run must land within the
#    stated tolerance of the simulation of the same run, lose no byte and
#    do better than static placement.
#
# Bad flags and a missing agent fail with a message.  TAP.
#
# The trace is generated (kvreplay_trace.awk), deterministic and small
# enough for a 90-second budget per mode under emulation: 400 requests
# over 80 s, 3,034 distinct blocks.
#
# Tolerance (buffer mode): 0.02 of DRAM hit ratio.  The real run differs
# from the simulation only in timing: the module's epochs are in phase
# with the trace only up to kvreplay's wake-up after an epoch ends (a
# whole epoch of phase moves this trace's ratio by up to 0.013), a
# request's reports reach the module when it ends, and decisions and
# their moves take time under emulation (the simulation applies them at
# once) and run late when the guest is busy, when the rate limit holds
# back what the simulation would move.  Each shifts a few promotions by
# an interval; measured, -0.0081 to +0.0092 over ten runs on both
# kernels.  Defects such as a class overshooting its dram_share (+0.022)
# land outside.  See Documentation/admin-guide/performance.rst.  Under a
# loaded machine, runs have also landed at -0.011 and +0.0125; a run
# outside the tolerance is repeated once, and the test fails when both
# are outside.  The block pool's ratio is reported, not judged: its
# placement is the agent's pool plan, which the simulation does not
# model slot by slot.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

tolerance=0.02
e2e_setup

trace=$scratch/trace.jsonl
awk -f "$(dirname "$0")/kvreplay_trace.awk" >"$trace"

# Hostile input first: nothing may start.
out=$(kvreplay --real --speed 0 "$trace" 2>&1)
expect "--speed 0 is refused" [ $? = 2 ]
echo "$out" | grep -q "not an integer" || tap FAIL "--speed 0: message"
out=$(kvreplay --real --speed 3 "$trace" 2>&1)
expect "--speed that splits a millisecond is refused" [ $? = 2 ]
echo "$out" | grep -q "not a whole number of ms" || tap FAIL "--speed 3: message"
out=$(kvreplay --real --dram-fraction 0.1,0.2 "$trace" 2>&1)
expect "--real with two DRAM sizes is refused" [ $? = 2 ]
out=$(kvreplay --real --real-mode=ring "$trace" 2>&1)
expect "an unknown --real-mode is refused" [ $? = 2 ]
echo "$out" | grep -q "not pool or buffer" || tap FAIL "--real-mode ring: message"
out=$(kvreplay --simulate --real-mode=pool "$trace" 2>&1)
expect "--real-mode without --real is refused" [ $? = 2 ]
out=$(kvreplay --real --agent "$scratch/no-such-cxltierd" --requests 5 "$trace" 2>&1)
expect "a missing agent fails" [ $? = 1 ]
echo "$out" | grep -q "no-such-cxltierd" || tap FAIL "missing agent: message names it"
echo "$out" | diag

# field POLICY MODE KEY: a value of the JSON report $json.
field() {
	jq -r --arg p "$1" --arg m "$2" --arg k "$3" \
		'.[] | select(.policy == $p and .mode == $m) | .[$k]' "$json"
}

# --- the block pool (the default) -------------------------------------------
json=$scratch/pool.json
rm -rf "$scratch/run"
kvreplay --real --speed 10 --dram-fraction 0.1 --workdir "$scratch/run" --json "$trace" \
	>"$json" 2>"$scratch/pool.err"
rc=$?
expect "kvreplay --real runs a block pool by default" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$scratch/pool.err"; diag "$json"; tail -20 "$scratch/run/cxltierd.log" | diag; }
grep -E "^(pool|replay|moved|skipped|pins|verified):" "$scratch/pool.err" | diag
echo "# pool: cxltier real $(field cxltier real dram_hit_ratio)," \
	"simulated $(field cxltier simulate dram_hit_ratio), static $(field static simulate dram_hit_ratio)"
expect "the report says the pool mode" [ "$(field cxltier real real_mode)" = pool ]
keys='["pool_moves","pool_bytes_moved","pool_copy_ns","copy_gbps","memcpy_gbps",
       "copy_ratio_to_memcpy","agent_pool_promotions","agent_pool_demotions",
       "skipped_busy","skipped_stale","skipped_same","refused_full","failed_moves",
       "blocks_created_far","report_errors","pinned_pages","pinned_min","pin_samples",
       "pin_drops","pins_held","bytes_verified","corrupt_bytes","device_reads",
       "device_read_errors","moves","promoted_blocks","demoted_blocks"]'
missing=$(jq -r --argjson k "$keys" \
	'.[] | select(.policy == "cxltier" and .mode == "real") | $k - keys | join(" ")' "$json")
expect "the pool's JSON keys are there" [ -n "$(field cxltier real pool_moves)" -a -z "$missing" ]
[ -z "$missing" ] || echo "# missing: $missing"
expect "pool: every byte was checked" [ "$(field cxltier real bytes_verified)" -gt 0 ]
expect "pool: no byte lost across the moves" [ "$(field cxltier real corrupt_bytes)" = 0 ]
expect "pool: the device read the right bytes every time" \
	[ "$(field cxltier real device_read_errors)" = 0 ]
expect "pool: blocks moved by copy-then-swap" [ "$(field cxltier real pool_moves)" -gt 0 ]
expect "pool: cxltierd counted the blocks it moved" \
	[ $(($(field cxltier real agent_pool_promotions) + $(field cxltier real agent_pool_demotions))) -gt 0 ]
expect "pool: every copy went one way or the other" \
	[ $(($(field cxltier real promoted_blocks) + $(field cxltier real demoted_blocks))) = \
	  "$(field cxltier real pool_moves)" ]
expect "pool: the copy throughput was measured against memcpy" \
	awk -v r="$(field cxltier real copy_ratio_to_memcpy)" 'BEGIN { exit !(r > 0) }'
expect "pool: no move failed" [ "$(field cxltier real failed_moves)" = 0 ]
expect "pool: the slabs' pins were held throughout" \
	[ "$(field cxltier real pins_held)" = true -a "$(field cxltier real pin_drops)" = 0 \
	  -a "$(field cxltier real pin_samples)" -gt 0 \
	  -a "$(field cxltier real pinned_min)" = "$(field cxltier real pinned_pages)" ]
expect "pool: the progress lines say so" grep -q "^pins: *held throughout" "$scratch/pool.err"
expect "pool: every access was reported" [ "$(field cxltier real report_errors)" = 0 ]

# --- the pinned buffer ------------------------------------------------------
json=$scratch/real.json
replay() {
	rm -rf "$scratch/run"
	kvreplay --real --real-mode=buffer --speed 10 --dram-fraction 0.1 --max-diff "$tolerance" \
		--workdir "$scratch/run" --json "$trace" >"$json" 2>"$scratch/real.err"
}
replay
rc=$?
# Timing noise alone (see above) lands outside now and then on a loaded
# machine; a real difference is systematic and lands outside twice.
if [ $rc != 0 ] && grep -q "is over --max-diff" "$scratch/real.err"; then
	echo "# outside the tolerance once: $(grep 'is over --max-diff' "$scratch/real.err"); again"
	replay
	rc=$?
fi
expect "kvreplay --real-mode=buffer runs and agrees with the simulation within $tolerance" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$scratch/real.err"; diag "$json"; tail -20 "$scratch/run/cxltierd.log" | diag; }
expect "the report says the buffer mode" [ "$(field cxltier real real_mode)" = buffer ]
real=$(field cxltier real dram_hit_ratio)
sim=$(field cxltier simulate dram_hit_ratio)
static=$(field static simulate dram_hit_ratio)
echo "# cxltier real $real, simulated $sim, static $static," \
	"moves $(field cxltier real moves), corrupt bytes $(field cxltier real corrupt_bytes)"
expect "no byte lost across the moves" [ "$(field cxltier real corrupt_bytes)" = 0 ]
expect "every byte was checked" [ "$(field cxltier real bytes_verified)" -gt 0 ]
expect "the device read the right bytes every time" \
	[ "$(field cxltier real device_read_errors)" = 0 ]
expect "every block was created on the tier the allocator chose" \
	[ "$(field cxltier real misplaced_blocks)" = 0 ]
expect "the agent moved chunks through the handshake" [ "$(field cxltier real moves)" -gt 0 ]
expect "cxltier beats static for real" awk -v a="$real" -v b="$static" 'BEGIN { exit !(a > b) }'
expect "the run's settings went to the agent as a drop-in" \
	grep -q "^epoch = 100ms" "$scratch/run/conf.d/50-kvreplay.conf"

# Without the fake accelerator: a clear error.
rmmod cxltier_test_accel
out=$(kvreplay --real --requests 5 "$trace" 2>&1)
expect "without the fake accelerator it fails" [ $? = 1 ]
echo "$out" | grep -q "fake accelerator" || tap FAIL "no accelerator: message"
finish
