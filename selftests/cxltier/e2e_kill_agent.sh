#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the agent dies mid-handshake (kill -9): before the client's
# RELEASED arrives, after it (frozen, then killed), at a random moment of
# the move of a 16 MiB chunk, and an agent that freezes and never answers.
# Each time the application re-pins by itself (on the hang-up, or after
# hold_ms + 2 s), no byte changes, every page is pinned again, and a
# restarted agent gets the buffer registered again and moves it.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
pidfile=$scratch/agent.pid
chunk=$((16 << 20))
agent() { start_agent && echo "$agent_pid" >"$pidfile"; }
# killed: wait for the agent; true if SIGKILL ended it.
killed() { reap "$agent_pid"; [ $? = 137 ]; }
# count WORD N: the application's log has N lines starting with WORD.
count() { [ "$(marks "$log" "$1")" -ge "$2" ]; }

expect "cxltierd starts" agent
log=$scratch/app
start_app "$log" --chunk-size $chunk --release-delay-ms 200 \
	arm-release:kill:"$pidfile" move-try:0:$far verify wait-connected:60 \
	arm-release:stop:"$pidfile" move-try:1:$far verify wait-connected:60 \
	move-try:2:$far verify wait-connected:60 \
	arm-release:stop:"$pidfile" move-try:3:$far verify wait-file:"$scratch/cont" \
	wait-connected:60 move:4:$far move:0:$far verify where summary
wait_for 60 logged "$log" '^ready'
held() { [ "$(pins_held)" -gt "$base_pins" ]; }
expect "the pool is pinned (the kernel counts its long-term pins)" wait_for 10 held

# 1. Killed by the application's release callback: RELEASED finds no agent.
expect "1: the agent is killed while the client releases" killed
expect "1: the client re-pinned and nothing moved" \
	wait_for 30 logged "$log" "^move-try 0 $far: "
agent

# 2. Frozen once the client has released; killed half a second later.
wait_for 60 count signalled 2
sleep 0.5
kill -9 "$agent_pid"
expect "2: the frozen agent is killed after RELEASED" killed
expect "2: the client re-pinned on the hang-up" \
	wait_for 30 logged "$log" "^move-try 1 $far: "
agent

# 3. Killed at some moment of a 16 MiB move (after a 200 ms release).
wait_for 60 logged "$log" '^releasing 2'
sleep 0.$((RANDOM % 4 + 2))
kill -9 "$agent_pid"
expect "3: the agent is killed at a random moment of the handshake" killed
expect "3: the client recovered" wait_for 30 logged "$log" "^move-try 2 $far: "
agent

# 4. Frozen after RELEASED and never killed: the client gives up on it.
wait_for 60 count signalled 3
t0=$(date +%s)
expect "4: the client re-pins by itself while the agent is frozen" \
	wait_for 30 logged "$log" "^move-try 3 $far: "
dt=$(($(date +%s) - t0))
echo "# re-pinned by itself after about $dt s (hold_ms 5 s + 2 s grace)"
kill -CONT "$agent_pid"
sleep 1
expect "4: the thawed agent survives the client's departure" kill -0 "$agent_pid"
touch "$scratch/cont"

wait "$app_pid"
rc=$?
expect "the application's checks pass after each kill" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "no byte corrupted, no device access failed" \
	grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$log.out"
expect "chunks 0 and 1 never moved before the last agent" \
	grep -q "^move-try [01] $far: " "$log"
expect "the restarted agent moved chunks 4 and 0" \
	bash -c "grep -q '^moved 4 $far' '$log' && grep -q '^moved 0 $far' '$log'"
expect "no long-term pin left behind" wait_for 10 no_pins
stop_agent TERM
expect "the last cxltierd exits 0" [ $? = 0 ]
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
finish
