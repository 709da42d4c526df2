#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the operator asking the agent (kmem topology): a pinned
# pool of 16 chunks whose hot set cxltierd brings into DRAM; then
# `cxltierctl agent status` names the agent, `plan` its last decision,
# `explain` the buffer's placement and the reason of its last move (the
# same reason as the move's log line); `pause` stops the moves (the heat
# of a new hot set rises, nothing moves, the plan shows the moves as
# paused) and `resume` makes them again; a user who is not root and does
# not own the buffer is refused explain, status and pause, and may
# explain a buffer of its own.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
dev=/dev/cxltier
saved_mode=$(stat -c %a "$dev") saved_group=$(stat -c %g "$dev")
user_buf=
group=$(getent group 65534 | cut -d: -f1)
cleanup_agent() {
	[ -n "$user_buf" ] && kill "$user_buf" 2>/dev/null && wait "$user_buf" 2>/dev/null
	chgrp "$saved_group" "$dev"
	chmod "$saved_mode" "$dev"
	e2e_cleanup
}
trap cleanup_agent EXIT
# as_user CMD...: nobody, in nobody's group only (the sockets' group here).
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
ctl() { cxltierctl agent "$@" --socket "$sock"; }
jqe() { jq -e "$@" >/dev/null; }
paused_metric() { [ "$(metric cxltier_paused)" = "$1" ]; }

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

[socket]
group = ${group:-nogroup}

[class "pinned"]
label = e2e-agent
dram_share = 0.9%
CONF

# The sockets' directory is open to nobody; the sockets are not.
chmod 755 "$scratch"
expect "cxltierd starts" start_agent
admin=$sock.admin
expect "the admin socket is root's and the socket group's, 0660" \
	[ "$(stat -c '%a %U %g' "$admin")" = "660 root 65534" ]

log=$scratch/app
start_app "$log" --chunks 16 --far-chunks 8 --interval-ms 1000 --label e2e-agent \
	converge:90:8:4 wait-file:"$scratch/go" bg-traffic:2:4 \
	wait-file:"$scratch/resume" bg-stop converge:90:2:4 verify summary
wait_for 120 logged "$log" '^converged 8 4'
expect "the hot set 8-11 is in DRAM" grep -q '^converged 8 4 in [0-9]* intervals' "$log"
id=$(awk '/^ready/ { print $2; exit }' "$log")

# status
out=$(ctl status --json)
expect "status: the agent's pid" [ "$(jq .pid <<<"$out")" = "$agent_pid" ]
expect "status: its configuration file" [ "$(jq -r .config <<<"$out")" = "$conf" ]
expect "status: not paused, not dry run" \
	[ "$(jq -c '[.paused, .dry_run]' <<<"$out")" = "[false,false]" ]
expect "status: decisions made, moves counted, the range tracked" \
	jqe '.decisions > 0 and .last_decision.seconds >= 0 and
	       .moves.promotions > 0 and .ranges >= 1 and .buffers == 1 and
	       .clients == 1 and .rate_limit.bytes_per_second > 0' <<<"$out"
expect "status: human output names pid and config" \
	bash -c "cxltierctl agent status --socket '$sock' | grep -q 'pid $agent_pid' &&
		 cxltierctl agent status --socket '$sock' | grep -q '^config: *$conf'"

# explain: the reason of the last move, as the log says it
out=$(ctl explain e2e-agent --json)
echo "$out" | jq -c '.ranges[0].moves[0]' | sed 's/^/# last move: /'
expect "explain: the buffer, by label" \
	jqe ".ranges | length == 1 and .[0].range == $id and .[0].pid == $app_pid and .[0].label == \"e2e-agent\"" <<<"$out"
last='[.ranges[0].moves[] | select(.result == "done")][0]'
reason=$(jq -r "$last.reason" <<<"$out")
first=$(jq -r "$last.first_chunk" <<<"$out")
expect "explain: the last move has a reason" \
	jqe '.ranges[0].moves[0].reason | IN("promote", "share", "swap", "pressure")' <<<"$out"
expect "explain: the last move made: its reason, heat, time and nodes" \
	jqe "$last"' | (.reason | IN("promote", "share", "swap", "pressure")) and
	       .heat >= 0 and .time > 0 and .to_node >= 0' <<<"$out"
expect "explain: the log line of that move names label, pid, chunks, nodes, reason, heat" \
	grep -q "move buffer \"e2e-agent\" (range $id, pid $app_pid) chunks $first-[0-9]* ([0-9]* KiB) node [0-9a-z]* -> [0-9]*: $reason, heat [0-9.]*: done" \
		"$scratch/agent.log"
expect "explain: by range id too" \
	jqe ".ranges[0].range == $id" <<<"$(ctl explain "$id" --json)"
# The placement as runs of chunks, against each chunk's node as the module says.
runs=$(jq -c '[.ranges[0].placement[] | . as $p | range(.first_chunk; .first_chunk + .nr_chunks) | $p.node]' <<<"$out")
nodes=$(cxltierctl heat "$id" | jq -c '[.chunks[].node]')
echo "# placement: $runs"
expect "explain: the placement of all 16 chunks, as cxltierctl heat reads it" \
	[ "$runs" = "$nodes" ] && [ "$(jq length <<<"$runs")" = 16 ]
expect "explain: human output lists the last moves with their reason" \
	bash -c "cxltierctl agent explain e2e-agent --socket '$sock' | grep -q ': $reason, heat'"
ctl explain no-such-buffer >/dev/null 2>&1
expect "explain: an unknown buffer fails" [ $? = 1 ]

# plan
out=$(ctl plan --json)
expect "plan: the last decision" jqe '.decided and .epoch > 0 and (.moves | type == "array") and .next.in_ms >= 0' <<<"$out"

# a user who does not own the buffer (in the sockets' group)
err=$(as_user cxltierctl agent explain e2e-agent --socket "$sock" 2>&1 >/dev/null)
rc=$?
expect "nobody: explain of root's buffer is refused" [ $rc = 1 ]
expect "nobody: ... by the agent: permission denied" grep -q "agent explain: permission denied: buffer e2e-agent is not yours" <<<"$err"
err=$(as_user cxltierctl agent pause --socket "$sock" 2>&1 >/dev/null)
expect "nobody: pause is refused" [ $? = 1 ]
expect "nobody: ... by the agent: permission denied" grep -q "agent pause: permission denied: pause needs root" <<<"$err"
as_user cxltierctl agent status --socket "$sock" >/dev/null 2>&1
expect "nobody: status is refused" [ $? = 1 ]
expect "nobody's refused pause left the agent running" \
	[ "$(ctl status --json | jq .paused)" = false ]
chgrp 65534 "$dev" && chmod 0660 "$dev"
setpriv --reuid=65534 --regid=65534 --clear-groups -- cxltier-cli-buf --far-node "$far" \
	--touch 1 --label nobody-buf >"$scratch/user" 2>"$scratch/user.err" &
user_buf=$!
wait_for 30 test -s "$scratch/user"
out=$(as_user cxltierctl agent explain nobody-buf --json --socket "$sock" 2>&1)
expect "nobody: explain of its own buffer" \
	jqe '.ranges | length == 1 and .[0].label == "nobody-buf"' <<<"$out"
echo "$out" | head -3 | sed 's/^/# nobody: /'

# pause: heat moves to chunks 2-5 (far now), nothing moves
out=$(ctl pause --json)
expect "pause: done" jqe '.result == "paused" and .was == "running"' <<<"$out"
expect "pause: status says so" [ "$(ctl status --json | jq .paused)" = true ]
expect "pause: the metric says so" wait_for 5 paused_metric 1
before=$(ctl explain "$id" --json | jq -c '.ranges[0].placement')
d0=$(ctl status --json | jq .decisions)
plans0=$(grep -c 'plan of [0-9]* moves' "$scratch/agent.log")
touch "$scratch/go"
sleep 8
after=$(ctl explain "$id" --json | jq -c '.ranges[0].placement')
d1=$(ctl status --json | jq .decisions)
plans1=$(grep -c 'plan of [0-9]* moves' "$scratch/agent.log")
heat=$(cxltierctl heat "$id" | jq '[.chunks[2:6][] | .heat] | min')
echo "# paused: heat of chunks 2-5 at least $heat; $((d1 - d0)) decisions, $((plans1 - plans0)) plans logged"
expect "paused: chunks 2-5 got hot" jqe -n "$heat >= 1"
expect "paused: nothing moved" [ "$before" = "$after" ]
out=$(ctl plan --json)
expect "paused: the plan still promotes chunks of the new hot set, marked paused" \
	jqe '.paused and ([.moves[] | select(.result == "paused" and .reason == "promote" and
		.label == "e2e-agent" and .first_chunk <= 5 and .first_chunk + .nr_chunks > 2)] | length > 0)' <<<"$out"
expect "paused: the log shows the moves it would make" \
	grep -q "paused: would move buffer \"e2e-agent\" (range $id, pid $app_pid) chunks" "$scratch/agent.log"
expect "paused: the plan is logged when it changes, not at each decision" \
	[ $((plans1 - plans0)) -lt $((d1 - d0)) ]
expect "paused: skipped moves are counted" [ "$(metric cxltier_paused_migrations_total)" -gt 0 ]

# resume: the new hot set comes in
out=$(ctl resume --json)
expect "resume: done" jqe '.result == "resumed" and .was == "paused"' <<<"$out"
touch "$scratch/resume"
reap "$app_pid"
rc=$?
expect "resume: chunks 2-5 are in DRAM, every byte intact" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
grep '^converged 2 4' "$log" | sed 's/^/# /'
expect "resume: status says running" [ "$(ctl status --json | jq .paused)" = false ]
expect "resume: the metric too" wait_for 5 paused_metric 0
expect "no long-term pin left behind" wait_for 10 no_pins
expect "cxltierd stops cleanly" stop_agent TERM
expect "the admin socket is gone" [ ! -e "$admin" ]
finish
