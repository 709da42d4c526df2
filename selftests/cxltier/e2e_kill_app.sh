#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the application dies mid-handshake (kill -9): while it
# releases a range for cxltierd; after it released it, with the agent
# frozen, so that the agent moves pages of a dead process; while it pins
# the range again; and at a random moment of a long series of moves of a
# 16 MiB chunk.  Each time the agent survives, forgets the client's
# buffers, the module drops its ranges and the kernel every pin of the
# dead process; then a new application is served as usual.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
chunk=$((16 << 20))
pidfile=$scratch/agent.pid
# A long answer timeout, so that the agent waits for the slow callbacks.
expect "cxltierd starts" start_agent --timeout 10000
echo "$agent_pid" >"$pidfile"

# ranges_labelled LABEL: how many ranges the module tracks with LABEL.
ranges_labelled() {
	cxltierctl buffers 2>/dev/null | grep -c "\"label\":\"$1\"" || true
}
no_buffers() { [ "$(metric cxltier_buffers)" = 0 ]; }
ping_pong=()
for i in $(seq 20); do ping_pong+=(move:0:$far move:0:$dram); done

for round in release holding repin random; do
	log=$scratch/app-$round
	case $round in
	release)
		start_app "$log" --chunk-size $chunk --label "victim-$round" \
			--release-delay-ms 4000 move:0:$far
		wait_for 60 logged "$log" '^releasing 0'
		what="while it releases a range" ;;
	holding)
		start_app "$log" --chunk-size $chunk --label "victim-$round" \
			arm-release:stop:"$pidfile" move:0:$far
		wait_for 60 logged "$log" '^signalled'
		sleep 0.5
		what="after releasing a range, the agent frozen" ;;
	repin)
		start_app "$log" --chunk-size $chunk --label "victim-$round" \
			--repin-delay-ms 4000 move:0:$far
		wait_for 60 logged "$log" '^repinning 0'
		what="while it pins a moved range again" ;;
	random)
		start_app "$log" --chunk-size $chunk --label "victim-$round" \
			"${ping_pong[@]}"
		wait_for 60 logged "$log" '^moved 0'
		sleep 0.$((RANDOM % 9 + 1))
		what="at a random moment of a series of moves" ;;
	esac
	expect "$round: the application is killed $what" kill -9 "$app_pid"
	reap "$app_pid"
	[ $round = holding ] && kill -CONT "$agent_pid"
	expect "$round: cxltierd survives" wait_for 2 kill -0 "$agent_pid"
	expect "$round: every pin of the dead process is gone" wait_for 10 no_pins
	expect "$round: the module dropped its range" \
		wait_for 10 [ "$(ranges_labelled "victim-$round")" = 0 ]
	expect "$round: the agent forgot its buffer" wait_for 10 no_buffers
done

log=$scratch/survivor
start_app "$log" --chunk-size $chunk move:0:$far move:5:$dram verify summary
reap "$app_pid"
rc=$?
expect "a new application is served as usual" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "no long-term pin left behind" wait_for 10 no_pins
gone=$(grep -c 'disconnected; dropping\|cannot send' "$scratch/agent.log")
expect "the agent saw each client go ($gone)" [ "$gone" -ge 5 ]
stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
finish
