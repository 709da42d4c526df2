#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the handshake: a pool pinned through the fake accelerator,
# half in DRAM and half on the kmem node, is moved chunk by chunk in both
# directions through cxltierd (release, move_pages, re-pin) while the
# device keeps reading it; every byte and every pin is checked after each
# move, the agent's metrics count the moves, nothing stays pinned after
# the application exits, and a --dry-run agent moves nothing.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)

expect "cxltierd starts and listens" start_agent
log=$scratch/app1
start_app "$log" bg-traffic:0:8 \
	move:0:$far move:7:$dram move:1:$far move:6:$dram move:0:$dram \
	move-fail:2:999 bg-stop verify where summary
wait "$app_pid"
rc=$?
expect "the application's checks pass" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$log" "$log.err"; }
check_moves() { [ "$(marks "$log" moved)" = 5 ]; }
expect "five chunks moved, each checked (bytes, device view, pins)" check_moves
expect "no byte corrupted, no device access failed" \
	grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$log.out"
expect "the pool ends where it was moved" grep -q "^where 0 $far 0 0 $far $far 0 0$" "$log"
expect "a move to a node without memory is refused" grep -q "^move 2 999 refused" "$log"

stop_agent TERM
rc=$?
expect "cxltierd exits 0 on SIGTERM" [ $rc = 0 ]
expect "metrics: 5 handshake migrations" [ "$(metric cxltier_migrations_total)" = 5 ]
expect "metrics: 5 handshake latencies" \
	[ "$(metric cxltier_handshake_latency_seconds_count)" = 5 ]
expect "metrics: 10 MiB migrated" \
	[ "$(metric cxltier_migrated_bytes_total)" = $((10 << 20)) ]
expect "metrics: one failure (the bad node)" \
	[ "$(metric cxltier_migration_failures_total)" = 1 ]
expect "the agent logged no error" bash -c "! grep -q ': error:' '$scratch/agent.log'"
expect "no long-term pin left behind" wait_for 10 no_pins

# --dry-run: a client's move is refused, nothing moves.
expect "cxltierd --dry-run starts" start_agent --dry-run
log=$scratch/app2
start_app "$log" move-fail:0:$far where
wait "$app_pid"
expect "dry run: the move is refused and the chunk stays in DRAM" \
	grep -q "^where 0 0 0 0 $far $far $far $far$" "$log"
stop_agent TERM
grep -q ': error:' "$scratch/agent.log" && diag "$scratch/agent.log"
finish
