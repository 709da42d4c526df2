#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, stuck peers: with a 2 s answer timeout, one application
# never sends RELEASED (its release callback sleeps 6 s) and another
# stops reading after RELEASED (its re-pin callback sleeps 6 s, so no ACK
# comes); both are dropped at their deadline, while a third application
# has its chunks moved back and forth under device traffic.  Every
# application ends with every byte verified and every page pinned.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
expect "cxltierd starts (answer timeout 2 s)" start_agent --timeout 2000

start_app "$scratch/silent" --label silent --release-delay-ms 6000 \
	move-try:0:$far verify where summary
silent=$app_pid
start_app "$scratch/deaf" --label deaf --repin-delay-ms 6000 \
	move-try:1:$far verify where summary
deaf=$app_pid
log=$scratch/good
start_app "$log" --label good bg-traffic:0:8 move:0:$far move:7:$dram \
	move:0:$dram move:7:$far bg-stop verify where summary
good=$app_pid

wait "$good"
rc=$?
[ $rc = 0 ] || diag "$log" "$log.err"
expect "the good application's four moves complete, every byte verified" [ $rc = 0 ]
expect "four chunks moved" [ "$(marks "$log" moved)" = 4 ]
expect "good: no byte corrupted" grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$log.out"
wait "$silent"
rc=$?
[ $rc = 0 ] || diag "$scratch/silent" "$scratch/silent.err"
expect "the silent application recovers its range, every byte verified" [ $rc = 0 ]
wait "$deaf"
rc=$?
[ $rc = 0 ] || diag "$scratch/deaf" "$scratch/deaf.err"
expect "the deaf application recovers its range, every byte verified" [ $rc = 0 ]
expect "both stuck ones: no byte corrupted" \
	[ "$(grep -c '"corrupt_bytes": 0, "dma_errors": 0' "$scratch/silent.out" "$scratch/deaf.out" |
	     awk -F: '{ s += $2 } END { print s }')" = 2 ]
expect "the silent one was dropped: no RELEASED in time" \
	grep -q 'no RELEASED within 2000 ms' "$scratch/agent.log"
expect "the deaf one was dropped: no ACK in time" \
	grep -q 'no ACK within 2000 ms' "$scratch/agent.log"
sleep 2
expect "metrics: two drops at the deadline" \
	[ "$(metric 'cxltier_socket_dropped_total{reason="timeout"}')" = 2 ]
expect "cxltierd is still running" kill -0 "$agent_pid"
stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
expect "no long-term pin left behind" wait_for 10 no_pins
[ $e2e_fail = 0 ] || diag "$scratch/agent.log" | tail -n 60
finish
