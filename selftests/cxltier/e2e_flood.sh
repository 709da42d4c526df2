#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, a local user turns hostile: two unprivileged users open 300
# connections each and say HELLO on every one, and keep retrying: one in
# the socket's access group (nogroup here), one outside it (the socket's
# mode is 0666 for this test, so that the check at accept is what stops
# it).  The member holds clients_per_uid connections, the other none;
# meanwhile a root client connects at once, a root application and a
# group member's application (another uid) register a buffer and get a
# chunk moved, every byte verified; and the agent's log gains a bounded
# number of lines.  Prints the measurements as TAP diagnostics.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

flood_s=20
e2e_setup
base_pins=$(pins_baseline)
# Unprivileged processes write their logs here.
chmod 755 "$scratch"
mkdir -m 1777 "$scratch/shared"
printf '[socket]\ngroup = nogroup\nmode = 0666\nclients_per_uid = 16\n' >>"$conf"
expect "cxltierd starts" start_agent
expect "the socket is root's and nogroup's" \
	[ "$(stat -c '%U:%G %a' "$sock")" = "root:nogroup 666" ]

# lines: the agent's log lines above debug level.
lines() { grep -c -v ': debug: ' "$scratch/agent.log" || true; }
lines0=$(lines)
stop=$scratch/stop
t0=$SECONDS
cxltier-e2e-flood --socket "$sock" --connections 300 --uid 65534 --gid 65534 \
	--until "$stop" >"$scratch/flood-in" 2>&1 &
flood_in=$!
cxltier-e2e-flood --socket "$sock" --connections 300 --uid 65533 --gid 65533 \
	--until "$stop" >"$scratch/flood-out" 2>&1 &
flood_out=$!
wait_for 60 logged "$scratch/flood-in" '^held'
wait_for 60 logged "$scratch/flood-out" '^held'
read -r _ held_in _ refused_in _ < <(grep '^held' "$scratch/flood-in")
read -r _ held_out _ refused_out _ denied_out < <(grep '^held' "$scratch/flood-out")
echo "# group member: held ${held_in:-?}, refused ${refused_in:-?} of 300;" \
	"outsider: held ${held_out:-?}, refused ${refused_out:-?}, denied ${denied_out:-?}"
expect "the group member holds clients_per_uid (16) connections" [ "${held_in:-}" = 16 ]
expect "the outsider holds none" [ "${held_out:-}" = 0 ]

# Root connects while the flood goes on.
probes=()
probe_fail=0
for i in 1 2 3 4 5; do
	out=$(cxltier-e2e-flood --socket "$sock" --probe)
	p=$(awk '$4 == 0 { print $2 }' <<<"$out")
	[ -n "$p" ] || { probe_fail=1; echo "# root probe failed: $out"; }
	probes+=("${p:-failed}")
done
echo "# root HELLO round trips during the flood (us): ${probes[*]}"
expect "a root client connects during the flood, 5 times of 5" [ $probe_fail = 0 ]

# A root application registers its buffer and gets a chunk moved.
log=$scratch/root-app
start_app "$log" move:0:$far verify where summary
wait "$app_pid"
rc=$?
[ $rc = 0 ] || diag "$log" "$log.err"
expect "root: the application registers, gets chunk 0 moved, every byte verified" [ $rc = 0 ]
expect "root: chunk 0 is on the far node" grep -q "^where $far 0 0 0 $far $far $far $far$" "$log"

# A group member (uid 65532, group nogroup) does the same, within its limit.
chmod 0666 /dev/cxltier /dev/cxltier_test_accel
log=$scratch/shared/member-app
setpriv --reuid 65532 --regid 65534 --clear-groups \
	"$(command -v cxltier-e2e-app)" --far-node "$far" --dram-node "$dram" --socket "$sock" \
	--log "$log" move:0:$far verify where summary >"$log.out" 2>"$log.err"
rc=$?
chmod 0600 /dev/cxltier /dev/cxltier_test_accel
[ $rc = 0 ] || diag "$log" "$log.err"
expect "member: the application registers, gets chunk 0 moved, every byte verified" [ $rc = 0 ]
expect "member: chunk 0 is on the far node" grep -q "^where $far 0 0 0 $far $far $far $far$" "$log"

# The flood goes on for $flood_s s in all; then count the log's lines.
while [ $((SECONDS - t0)) -lt $flood_s ]; do sleep 1; done
elapsed=$((SECONDS - t0))
added=$(($(lines) - lines0))
touch "$stop"
wait "$flood_in"
wait "$flood_out"
attempts=$(($(awk '/^attempts/ { print $2 }' "$scratch/flood-in") +
	    $(awk '/^attempts/ { print $2 }' "$scratch/flood-out")))
echo "# flood: $attempts connection attempts in ${elapsed} s; the log gained $added lines" \
	"($((added * 60 / elapsed)) per minute)"
expect "the flood's refusals were many" [ "$attempts" -gt 1000 ]
# Two limiters of 5 lines per 30 s, the applications' own lines, and
# the start's: far below one line per refusal.
expect "the log gained a bounded number of lines (at most 60)" [ "$added" -le 60 ]
sleep 2
expect "metrics: refusals at accept (access)" \
	[ "$(metric 'cxltier_socket_refused_total{reason="access"}')" -gt 0 ]
expect "metrics: refusals by the per-uid limit" \
	[ "$(metric 'cxltier_socket_refused_total{reason="uid_limit"}')" -gt 0 ]
expect "cxltierd is still running" kill -0 "$agent_pid"
stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
expect "no long-term pin left behind" wait_for 10 no_pins
[ $e2e_fail = 0 ] || diag "$scratch/agent.log" | tail -n 60
finish
