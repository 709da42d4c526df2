#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, block pools placed by cxltierd: a program's pool has
# blocks on DRAM and on the far node; the fake accelerator reports some
# far blocks hot, and cxltierd's advice moves them to DRAM by
# copy-then-swap while the program verifies every byte and keeps its
# pins (and a read bracket) throughout.  Then cxltierd is killed with
# SIGKILL in the middle of a batch of advice: no byte is lost, the
# library finishes the batch, the pool keeps working without it, and a
# restarted cxltierd gets the pool again.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
# This test wants the policy to promote: the default heat threshold.
printf '[policy]\ninterval = 1s\n' >"$conf"

expect "cxltierd starts" start_agent
log=$scratch/app
cxltier-e2e-pool-app --socket "$sock" --blocks 8 --hot 4 --seconds 90 \
	>"$log" 2>"$log.err" &
app=$!
app_pids+=("$app")
wait_for 60 logged "$log" '^connected 1'
expect "the program connected (protocol 2)" logged "$log" '^connected 1'
expect "cxltierd took the pool" wait_for 30 logged "$scratch/agent.log" "registered pool"
reap "$app"
rc=$?
expect "the program saw every hot block moved to DRAM, no byte wrong" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$log"; diag "$log.err"; tail -20 "$scratch/agent.log" | diag; }
expect "0 corrupt bytes" logged "$log" '^corrupt 0$'
# The pins, as the program read them from the fake accelerator itself
# (exact, unlike the kernel's per-CPU pin counters): after creation,
# and the fewest at any check while the blocks moved.
pins=$(sed -n 's/^pins \([0-9]*\), fewest \([0-9]*\)$/\1 \2/p' "$log")
pinned() { [ "${pins%% *}" -gt 0 ] 2>/dev/null; }
kept() { pinned && [ "${pins%% *}" = "${pins##* }" ]; }
expect "the pool was pinned" pinned
expect "the pins stayed while blocks moved" kept
sleep 1.5
expect "metrics count promoted blocks" \
	[ "$(metric 'cxltier_pool_block_moves_total{direction="promote"}')" -ge 4 ]
expect "metrics count their bytes" \
	[ "$(metric 'cxltier_pool_block_bytes_total{direction="promote"}')" -ge $((4 * 2 << 20)) ]
expect "no advice timed out" \
	[ "$(metric 'cxltier_pool_advice_total{outcome="timeout"}')" = 0 ]

# kill -9 of the agent in the middle of a batch: the program holds a
# read bracket on every hot block and each move waits 3 s for its old
# slot's readers, so a batch takes 3 s per block and the kill, a few
# tenths of a second after the advice went out, lands inside it.  The
# library finishes the batch alone.
advised() { grep -c "block moves sent" "$scratch/agent.log"; }
n0=$(advised)
log2=$scratch/app2
cxltier-e2e-pool-app --socket "$sock" --blocks 8 --hot 8 --seconds 12 \
	--no-promote --hold-all --move-wait 3000 >"$log2" 2>"$log2.err" &
app=$!
app_pids+=("$app")
wait_for 60 logged "$log2" '^connected 1'
more_advice() { [ "$(advised)" -gt "$n0" ]; }
expect "cxltierd advises the second program" wait_for 30 more_advice
kill -9 "$agent_pid"
reap "$agent_pid"
expect "cxltierd was killed" [ $? = 137 ]
agent_pid=
expect "cxltierd restarts" start_agent
reap "$app"
rc=$?
expect "after kill -9 mid-batch: every block intact, the pool still works" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$log2"; diag "$log2.err"; }
expect "0 corrupt bytes after the kill, held copies included" logged "$log2" '^corrupt 0$'
expect "the library finished the batch alone, every old slot freed" \
	logged "$log2" '^moves [1-9][0-9]*, draining 0$'
[ $rc = 0 ] || grep '^moves' "$log2" | diag
pins=$(sed -n 's/^pins \([0-9]*\), fewest \([0-9]*\)$/\1 \2/p' "$log2")
expect "the pins stayed through the kill" kept
expect "the restarted cxltierd got the pool again" \
	wait_for 10 [ "$(grep -c 'registered pool' "$scratch/agent.log")" -ge 3 ]
stop_agent
finish
