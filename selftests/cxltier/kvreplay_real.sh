#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvreplay --real against its simulation: a KV-cache trace in the
# Mooncake format, played for real (cxltier.ko, a cxltierd of kvreplay's
# own, the fake accelerator pinning the pool, 64 KiB chunks, 10x faster
# than recorded), must land within the stated tolerance of the
# simulation of the same run, lose no byte and do better than static
# placement.  Bad flags and a missing agent fail with a message.  TAP.
#
# The trace is generated (kvreplay_trace.awk), deterministic and small
# enough for a 90-second budget under emulation: 400 requests over 80 s,
# 3,034 distinct blocks.
#
# Tolerance: 0.02 of DRAM hit ratio.  The real run differs from the
# simulation only in timing: the module's epochs are in phase with the
# trace only up to kvreplay's wake-up after an epoch ends (a whole epoch
# of phase moves this trace's ratio by up to 0.013), a request's reports
# reach the module when it ends, and decisions and their moves take time
# under emulation (the simulation applies them at once) and run late when
# the guest is busy, when the rate limit holds back what the simulation
# would move.  Each shifts a few promotions by an interval; measured,
# -0.0081 to +0.0092 over ten runs on both kernels.  Defects such as a
# class overshooting its dram_share (+0.022) land outside.  See
# Documentation/admin-guide/performance.rst.  Under a loaded machine,
# runs have also landed at -0.011 and +0.0125; a run outside the
# tolerance is repeated once, and the test fails when both are outside.
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
out=$(kvreplay --real --agent "$scratch/no-such-cxltierd" --requests 5 "$trace" 2>&1)
expect "a missing agent fails" [ $? = 1 ]
echo "$out" | grep -q "no-such-cxltierd" || tap FAIL "missing agent: message names it"
echo "$out" | diag

json=$scratch/real.json
replay() {
	rm -rf "$scratch/run"
	kvreplay --real --speed 10 --dram-fraction 0.1 --max-diff "$tolerance" \
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
expect "kvreplay --real runs and agrees with the simulation within $tolerance" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$scratch/real.err"; diag "$json"; tail -20 "$scratch/run/cxltierd.log" | diag; }

# field POLICY MODE KEY: a value of the JSON report.
field() {
	jq -r --arg p "$1" --arg m "$2" --arg k "$3" \
		'.[] | select(.policy == $p and .mode == $m) | .[$k]' "$json"
}
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
