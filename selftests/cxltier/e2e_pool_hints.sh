#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, a runtime's hints for a block pool: the program's DRAM
# slab is full and nothing reports heat; it says its far blocks will be
# read and that it is done with as many DRAM blocks.  cxltierd must
# promote the hinted blocks at once, long before its next decision
# (interval 30 s), against the done blocks, with every byte verified
# and the pins held.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
printf '[policy]\ninterval = 30s\n' >"$conf"

expect "cxltierd starts" start_agent
log=$scratch/app
cxltier-e2e-pool-app --socket "$sock" --blocks 8 --hot 4 --seconds 25 --hint \
	>"$log" 2>"$log.err" &
app=$!
app_pids+=("$app")
wait_for 60 logged "$log" '^connected 1'
expect "the program connected (protocol 2)" logged "$log" '^connected 1'
reap "$app"
rc=$?
expect "the hinted blocks reached DRAM, the done ones made room, no byte wrong" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$log"; diag "$log.err"; tail -20 "$scratch/agent.log" | diag; }
expect "0 corrupt bytes" logged "$log" '^corrupt 0$'
expect "the done blocks were the victims" logged "$log" '^victims 4 of 4$'
# The pins, as the program read them from the fake accelerator itself
# (exact, unlike the kernel's per-CPU pin counters): after creation,
# and the fewest at any check while the blocks moved.
pins=$(sed -n 's/^pins \([0-9]*\), fewest \([0-9]*\)$/\1 \2/p' "$log")
pinned() { [ "${pins%% *}" -gt 0 ] 2>/dev/null; }
kept() { pinned && [ "${pins%% *}" = "${pins##* }" ]; }
expect "the pool is pinned" pinned
expect "the pins stayed while blocks moved" kept
expect "cxltierd advised at once for the hints" \
	logged "$scratch/agent.log" "block moves sent for will-read hints"
secs=$(sed -n 's/^promoted in \([0-9.]*\) s$/\1/p' "$log")
diag <<<"hinted blocks promoted ${secs:-?} s after the hints (the decision interval is 30 s)"
expect "before the next decision would have come" \
	awk -v s="${secs:-99}" 'BEGIN { exit !(s < 20) }'
# The metrics are written when the hint advice goes out, not only at
# the next decision.
at_least() { [ "$(metric "$1")" -ge "$2" ] 2>/dev/null; }
expect "metrics count the hint advice" \
	wait_for 5 at_least 'cxltier_pool_hint_advice_total' 1
expect "metrics count will-read hints" \
	at_least 'cxltier_pool_hints_total{kind="will_read"}' 4
expect "metrics count done hints" \
	at_least 'cxltier_pool_hints_total{kind="done"}' 4
stop_agent
finish
