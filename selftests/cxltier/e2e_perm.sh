#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, authorisation: while an application holds a pinned,
# registered buffer, a client running as nobody (neither root nor the
# owner) tries to register, move and unregister that buffer and to upset
# cxltierd with malformed frames.  Every attempt fails as documented, the
# agent keeps serving, and the buffer has not moved by a byte.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
# The unprivileged client (nobody, group nogroup) must reach the socket:
# nogroup is its access group here.
chmod 755 "$scratch"
printf '[socket]\ngroup = nogroup\n' >>"$conf"
expect "cxltierd starts" start_agent

log=$scratch/app
start_app "$log" wait-file:"$scratch/done" verify where
wait_for 60 grep -q '^ready' "$log"
read -r _ id addr len chunk < <(grep '^ready' "$log")
expect "the owner registered its buffer" [ -n "${id:-}" ]

out=$(cxltier-e2e-rogue --socket "$sock" --buffer "$id" --addr "$addr" \
	--length "$len" --chunk-size "$chunk" --node "$far" \
	--first $((e2e_n + 1)) 2>&1)
rc=$?
echo "$out"
e2e_n=$((e2e_n + $(grep -c -E '^(not )?ok ' <<<"$out")))
[ $rc = 0 ] || e2e_fail=1

touch "$scratch/done"
wait "$app_pid"
rc=$?
expect "the owner's buffer is intact and pinned" [ $rc = 0 ]
expect "and has not moved" grep -q "^where 0 0 0 0 $far $far $far $far$" "$log"
expect "cxltierd is still running" kill -0 "$agent_pid"
expect "metrics: no migration" [ "$(metric cxltier_migrations_total)" = 0 ]
stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
finish
