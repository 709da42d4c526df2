# SPDX-License-Identifier: GPL-2.0
#
# Helpers sourced by the end-to-end selftests (bash): TAP output, the
# fake accelerator, a cxltierd of the test's own (private socket, config
# and metrics in a scratch directory), the test application, and the
# kernel's count of long-term pins.  Needs cxltier.ko loaded and the
# kmem topology (node $far: kmem memory onlined --no-movable).

e2e_n=0
e2e_fail=0
agent_pid=
app_pids=()

tap() { # tap OK|FAIL DESCRIPTION
	e2e_n=$((e2e_n + 1))
	if [ "$1" = OK ]; then
		echo "ok $e2e_n $2"
	else
		echo "not ok $e2e_n $2"
		e2e_fail=1
	fi
}

# expect DESCRIPTION COMMAND...: ok when COMMAND succeeds.
expect() {
	local d=$1
	shift
	if "$@"; then tap OK "$d"; else tap FAIL "$d"; fi
}

finish() {
	echo "1..$e2e_n"
	exit $e2e_fail
}

# Print FILE indented as TAP diagnostics.
diag() { sed 's/^/#   /' "$@"; }

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s.
wait_for() {
	local t=$(($1 * 10))
	shift
	while ! "$@"; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

# marks FILE WORD: how many marker lines of FILE start with WORD.
marks() { grep -c "^$2" "$1" 2>/dev/null || true; }

# logged FILE REGEX: does a line of FILE (which may not exist yet) match?
logged() { grep -q -- "$2" "$1" 2>/dev/null; }

# /proc/vmstat: long-term pins the kernel holds now (acquired - released).
# The counters are folded from per-CPU deltas about once a second, so
# a reading may lag: compare with wait_for, and take a baseline once two
# readings a second apart agree.
# Pins held system-wide.  The kernel keeps these counters per CPU and
# folds them late on a loaded guest: tests of one program's pins read the
# fake accelerator's own count instead (cxltier-e2e-pool-app's "pins").
pins_held() {
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
	     END { print a - r }' /proc/vmstat
}

pins_baseline() {
	local a b i
	b=$(pins_held)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sleep 1
		a=$b
		b=$(pins_held)
		[ "$a" = "$b" ] && break
	done
	echo "$b"
}

# no_pins: back to the baseline $base_pins.
no_pins() { [ "$(pins_held)" = "$base_pins" ]; }

e2e_cleanup() {
	local p
	for p in "${app_pids[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	[ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
	wait 2>/dev/null
	lsmod | grep -q '^cxltier_test_accel ' && rmmod cxltier_test_accel
	[ -n "${scratch:-}" ] && rm -rf "$scratch"
}

# e2e_setup: scratch directory, fake accelerator, far node.
e2e_setup() {
	[ -n "${CXLTIER_TOPOLOGY_FILE:-}" ] && . "$CXLTIER_TOPOLOGY_FILE"
	far=${topo_kmem_node:-2}
	dram=0
	if [ ! -d "/sys/devices/system/node/node$far" ]; then
		echo "# node $far (kmem) is missing"
		exit 1
	fi
	scratch=$(mktemp -d /tmp/cxltier-e2e.XXXXXX)
	sock=$scratch/cxltierd.sock
	conf=$scratch/cxltierd.conf
	metrics=$scratch/metrics.prom
	trap e2e_cleanup EXIT
	if ! lsmod | grep -q '^cxltier_test_accel '; then
		insmod "${CXLTIER_MODDIR:?}/selftests/cxltier_test_accel.ko" ||
			{ echo "# cannot load cxltier_test_accel.ko"; exit 1; }
	fi
	# Decisions every second (metrics follow), but the tests move the
	# chunks themselves: the policy never finds a chunk worth promoting.
	printf '[policy]\ninterval = 1s\npromote_min_heat = 1000000\n' >"$conf"
	echo "TAP version 13"
}

# start_agent [ARG...]: cxltierd on the scratch socket; waits for it.
start_agent() {
	rm -f "$sock"
	cxltierd --foreground --debug --config "$conf" --socket "$sock" \
		--metrics "$metrics" "$@" >>"$scratch/agent.log" 2>&1 &
	agent_pid=$!
	wait_for 30 test -S "$sock"
}

# reap PID: wait for it, quietly; returns its exit status.
reap() {
	local rc
	{ wait "$1"; rc=$?; } 2>/dev/null
	return $rc
}

# stop_agent [SIGNAL]: stop it and reap it; returns its exit status.
stop_agent() {
	local rc
	kill "-${1:-TERM}" "$agent_pid" 2>/dev/null
	reap "$agent_pid"
	rc=$?
	agent_pid=
	return $rc
}

# start_app LOG ARG...: the test application in the background, on the
# scratch socket; its pid is $app_pid.
start_app() {
	local log=$1
	shift
	cxltier-e2e-app --far-node "$far" --dram-node "$dram" --socket "$sock" \
		--log "$log" "$@" >"$log.out" 2>"$log.err" &
	app_pid=$!
	app_pids+=("$app_pid")
}

# metric NAME: the sum of a metric's samples in the agent's metrics file.
metric() {
	awk -v n="$1" 'index($0, n) == 1 && (substr($0, length(n) + 1, 1) == " " ||
		       substr($0, length(n) + 1, 1) == "{") { s += $NF }
		       END { print s + 0 }' "$metrics"
}
