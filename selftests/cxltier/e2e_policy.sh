#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the policy at work: a pinned pool of 16 chunks of 2 MiB,
# chunks 0-7 in DRAM and 8-15 on the kmem node, whose class may hold
# 0.9% of DRAM (4 chunks).  The device reads a hot set of 4 far chunks:
# cxltierd brings them into DRAM and pushes every other chunk out within
# a few intervals; then the hot set moves to 4 other chunks, and the
# placement follows.  Every byte and pin is checked after each step.  The
# same for an unpinned buffer heated by the CPU (plain move_pages(2)),
# and a --dry-run agent that only logs its plan.  The agent runs its
# default adaptive heat ([heat] adaptive = on); the pinned case once more
# with adaptive = off, the module's heat alone.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
cat >"$conf" <<CONF
[tiers]
dram = $dram
far = $far

[policy]
interval = 1s
min_residency = 1s

[heat]
epoch = 500ms
half_life = 2s

[class "pinned"]
label = e2e-pool
dram_share = 0.9%

[class "cpu"]
label = e2e-cpu
dram_share = 0.9%
CONF
app_args=(--chunks 16 --far-chunks 8 --interval-ms 1000)

# 0. --dry-run: the plan is logged, nothing moves.
expect "cxltierd --dry-run starts" start_agent --dry-run
log=$scratch/dry
start_app "$log" "${app_args[@]}" traffic:6:8:4 where
reap "$app_pid"
expect "dry run: the application's checks pass" [ $? = 0 ]
expect "dry run: the agent logs the moves it would make" \
	grep -q 'dry run: would move buffer "e2e-pool" (range [0-9]*, pid [0-9]*) chunks [0-9]*-[0-9]* ([0-9]* KiB) node [0-9]* -> [0-9]*: [a-z-]*, heat [0-9.]*$' "$scratch/agent.log"
expect "dry run: the unchanged plan is logged once, not at each decision" \
	[ "$(grep -c 'plan of [0-9]* moves' "$scratch/agent.log")" -lt \
	  "$(metric cxltier_cycles_total)" ]
expect "dry run: nothing moved" grep -q "^where 0 0 0 0 0 0 0 0 $far $far $far $far $far $far $far $far$" "$log"
expect "dry run: metrics count the skipped moves" \
	[ "$(metric cxltier_dry_run_migrations_total)" -gt 0 ]
stop_agent TERM

# 1. Pinned: the hot set comes into DRAM, then follows the traffic.
expect "cxltierd starts" start_agent
log=$scratch/pinned
start_app "$log" "${app_args[@]}" converge:90:8:4 converge:90:2:4 verify where summary
reap "$app_pid"
rc=$?
expect "pinned: the hot set is in DRAM and the rest far, twice over" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
for first in 8 2; do
	n=$(sed -n "s/^converged $first 4 in \([0-9]*\) intervals/\1/p" "$log")
	echo "# hot chunks $first-$((first + 3)): converged in ${n:-?} intervals"
	expect "pinned: chunks $first-$((first + 3)) placed within 15 intervals" \
		[ -n "$n" ] && [ "$n" -le 15 ]
done
expect "pinned: no byte corrupted, no device access failed" \
	grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$log.out"
expect "pinned: moved through the handshake" \
	grep -q 'cxltier_migrations_total{direction="promote",method="handshake"} [1-9]' "$metrics"
expect "pinned: no long-term pin left behind" wait_for 10 no_pins

# 2. Unpinned, unregistered, heated by the CPU: plain move_pages(2).
log=$scratch/cpu
start_app "$log" "${app_args[@]}" --unpinned --label e2e-cpu converge:90:8:4 verify where
reap "$app_pid"
rc=$?
expect "unpinned: the CPU's hot set is in DRAM and the rest far" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "unpinned: moved with move_pages(2)" \
	grep -q 'cxltier_migrations_total{direction="promote",method="move_pages"} [1-9]' "$metrics"
expect "adaptive heat: the agent follows a shadow setting" \
	grep -q 'adaptive heat: following setting [0-9]' "$scratch/agent.log"
expect "adaptive heat: the gauge names it" \
	[ "$(metric cxltier_adaptive_setting)" -ge 0 ]

stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]

# 3. The module's heat alone (adaptive = off): the fixed-heat path.
sed -i 's/^half_life = 2s$/half_life = 2s\nadaptive = off/' "$conf"
expect "cxltierd starts with adaptive = off" start_agent
log=$scratch/fixed
start_app "$log" "${app_args[@]}" converge:90:8:4 converge:90:2:4 verify where summary
reap "$app_pid"
rc=$?
expect "adaptive off: the hot set is in DRAM and the rest far, twice over" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
for first in 8 2; do
	n=$(sed -n "s/^converged $first 4 in \([0-9]*\) intervals/\1/p" "$log")
	echo "# adaptive off: hot chunks $first-$((first + 3)): converged in ${n:-?} intervals"
	expect "adaptive off: chunks $first-$((first + 3)) placed within 15 intervals" \
		[ -n "$n" ] && [ "$n" -le 15 ]
done
expect "adaptive off: the gauge says the module's heat" \
	[ "$(metric cxltier_adaptive_setting)" = -1 ]

stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
expect "the agent logged no error" bash -c "! grep -q ': error:' '$scratch/agent.log'"
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
echo 1000 >/sys/kernel/cxltier/epoch_ms
finish
