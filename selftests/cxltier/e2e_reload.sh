#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, configuration reloads (SIGHUP): a broken main file and a
# broken drop-in are refused whole, with the file and line in the log,
# and the agent goes on with its old settings; a good one takes effect
# (the module's epoch_ms follows it); a SIGHUP that arrives during a
# handshake waits for it to finish.  The application's buffer stays
# intact and pinned throughout.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
sysfs=/sys/kernel/cxltier
mkdir -p "$scratch/conf.d"
cat >"$conf" <<CONF
[policy]
interval = 1s
promote_min_heat = 1000000

[heat]
epoch = 1s
CONF
expect "cxltierd starts" start_agent
expect "it set the module's epoch_ms from the configuration" \
	[ "$(cat $sysfs/epoch_ms)" = 1000 ]

log=$scratch/app
start_app "$log" --release-delay-ms 1500 wait-file:"$scratch/go1" \
	move:0:$far wait-file:"$scratch/go2" move:1:$far verify where summary
wait_for 60 logged "$log" '^ready'

# reload_log N: the agent's log once it has N reload lines.
reloads() { [ "$(grep -c 'reloading ' "$scratch/agent.log")" -ge "$1" ]; }
hup_and_wait() { # hup_and_wait N
	kill -HUP "$agent_pid"
	wait_for 20 reloads "$1"
	sleep 0.5
}

# 1. A broken main file.
cp "$conf" "$scratch/good.conf"
printf '[policy]\ninterval = 1s\nbogus_key = 3\n' >"$conf"
hup_and_wait 1
expect "1: a broken file is refused, naming its line" \
	grep -q "error: configuration: $conf:3: unknown key 'bogus_key'" "$scratch/agent.log"
expect "1: the agent says it keeps the old configuration" \
	grep -q 'configuration not reloaded: keeping the previous one' "$scratch/agent.log"
expect "1: the agent still runs" kill -0 "$agent_pid"
expect "1: the module's epoch is untouched" [ "$(cat $sysfs/epoch_ms)" = 1000 ]
touch "$scratch/go1"
expect "1: and still moves buffers" wait_for 60 logged "$log" "^moved 0 $far"

# 2. A good main file with a broken drop-in.
cp "$scratch/good.conf" "$conf"
printf '[policy]\nhigh_watermark = 140%%\n' >"$scratch/conf.d/50-bad.conf"
hup_and_wait 2
expect "2: a broken drop-in is refused, naming its line" \
	grep -q "error: configuration: $scratch/conf.d/50-bad.conf:2:" "$scratch/agent.log"
expect "2: the agent still runs" kill -0 "$agent_pid"
rm "$scratch/conf.d/50-bad.conf"

# 3. A good change, sent while a handshake is under way.
printf '[heat]\nepoch = 500ms\n' >"$scratch/conf.d/60-epoch.conf"
touch "$scratch/go2"
wait_for 60 logged "$log" '^releasing 1'
kill -HUP "$agent_pid"
wait_for 20 reloads 3
# In the agent's log, the move of chunk 1 is done before the reload.
move_then_reload() {
	local m r
	m=$(grep -n 'client MOVE of range .* to node '"$far"': done' "$scratch/agent.log" |
		sed -n 2p | cut -d: -f1)
	r=$(grep -n 'reloading ' "$scratch/agent.log" | sed -n 3p | cut -d: -f1)
	[ -n "$m" ] && [ -n "$r" ] && [ "$m" -lt "$r" ]
}
expect "3: the reload waited for the handshake to finish" move_then_reload
wait_for 10 grep -q 'configuration reloaded' "$scratch/agent.log"
expect "3: a good configuration is taken" \
	grep -q 'configuration reloaded (2 files' "$scratch/agent.log"
expect "3: the module's epoch_ms follows it" \
	wait_for 5 [ "$(cat $sysfs/epoch_ms)" = 500 ]

reap "$app_pid"
rc=$?
expect "the buffer is intact and pinned after the reloads" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "metrics: one good reload, two refused" bash -c "
	grep -q 'cxltier_config_reloads_total{result=\"ok\"} 1' '$metrics' &&
	grep -q 'cxltier_config_reloads_total{result=\"failed\"} 2' '$metrics'"
stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
echo 1000 >$sysfs/epoch_ms
finish
