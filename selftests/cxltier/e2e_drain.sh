#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, giving a node's memory back while pinned buffers live on
# it (kmem-offline topology: this test onlines dax0.0 --no-movable, so
# that the pins can sit there, just before the application places its
# pinned handshake ranges and a libcxltier block pool's slab on it):
#  - without cxltier's drain, offlining the memory of a node that holds a
#    pinned range and a block pool's pinned slab does not complete within
#    a bounded wait (the test interrupts it) and nothing is lost;
#  - a drain with no room elsewhere (every other node closed) is refused
#    and moves nothing;
#  - cxltierctl drain moves every chunk off, a second drain of the same
#    node is refused while it runs, and the offline then completes;
#  - the memory onlined again while cxltierd runs is seen (a log line,
#    the capacity metric) and undrain puts the node back in use;
#  - drain on offline: with cxltierd running, a plain daxctl
#    offline-memory completes within a bounded time, the kernel's own
#    offline migration competing for the pages the owner unpins;
#  - an owner killed in the middle of a drain leaves no pin behind;
#  - a block pool with a slab on the node: the drain has the library move
#    every block to its DRAM slab by copy-then-swap and give the far slab
#    back (unpinned, untracked, unmapped); the offline then completes, the
#    DRAM slab's pins never drop and the pool keeps working; and the same
#    when a plain offline starts it, with cxltierd running.
# Every byte is verified, through the CPU and the fake device.  TAP.
# Skipped on a kernel whose ZONE_NORMAL kmem memory cannot go offline even
# with nothing pinned on it (7.2 puts slab pages there at once).
# CXLTIER_DRAIN_CHUNKS (default 64) sets the 2 MiB chunks pinned, and
# CXLTIER_DRAIN_POOL_BLOCKS (default 8) the pool's blocks per slab, for a
# measurement; the bounded waits grow with it.
set -uo pipefail
here=$(dirname "$0")
. "$here/tiers_lib.sh"
load_topology
dax=${topo_kmem_dax:-dax0.0}
node=${topo_kmem_node:-2}
daxlog=$(mktemp)

# daxctl prints its own "WARNING:" lines; keep them out of the log check.
daxctl_q() {
	if daxctl "$@" >"$daxlog" 2>&1; then
		return 0
	fi
	local rc=$?
	sed -e 's/^/# daxctl: /' -e 's/WARNING/warning/g' "$daxlog"
	return $rc
}

# The kernel warns about each page an offline cannot migrate (pinned
# pages, by design here): the runner's log check skips what lies
# between these two marks.
# They also go to the console, a slow serial port in the guest that
# would stall it: the console level is lowered meanwhile.
printk_saved=$(cut -f1 /proc/sys/kernel/printk)
expect_warnings() {
	echo "<5>cxltier-test: expected warnings $1" >/dev/kmsg
	if [ "$1" = begin ]; then
		echo 1 >/proc/sys/kernel/printk
	else
		echo "$printk_saved" >/proc/sys/kernel/printk
	fi
}

daxctl_q reconfigure-device --mode=system-ram --no-movable "$dax" ||
	{ echo "# cannot online $dax"; exit 1; }
# Some kernels (7.2) put unmovable kernel allocations (slab) in ZONE_NORMAL
# memory as soon as it is online, so that it cannot go offline whatever
# cxltier does: try with nothing of ours on it, and skip on such a kernel.
expect_warnings begin
daxctl offline-memory "$dax" >"$daxlog" 2>&1
rc=$?
expect_warnings end
if [ $rc != 0 ]; then
	if grep -q "Device or resource busy" "$daxlog"; then
		echo "TAP version 13"
		sed -e 's/^/# daxctl: /' -e 's/WARNING/warning/g' "$daxlog"
		echo "1..0 # SKIP $(uname -r): $dax's ZONE_NORMAL memory cannot go offline even with nothing pinned on it (unmovable kernel pages)"
		daxctl online-memory --no-movable "$dax" >/dev/null 2>&1
		rm -f "$daxlog"
		exit 0
	fi
	sed -e 's/^/# daxctl: /' -e 's/WARNING/warning/g' "$daxlog"
	echo "# cannot offline $dax with nothing on it"
	exit 1
fi
daxctl_q online-memory --no-movable "$dax" ||
	{ echo "# cannot online $dax again"; exit 1; }
. "$here/e2e_lib.sh"
far=$node
e2e_setup
base_pins=$(pins_baseline)
chunks=${CXLTIER_DRAIN_CHUNKS:-64}
case "$chunks" in
''|*[!0-9]*) echo "# CXLTIER_DRAIN_CHUNKS: not a number: $chunks"; exit 1 ;;
esac
mib=$((chunks * 2))
# CXLTIER_DRAIN_POOL_BLOCKS (default 8): the pool's 2 MiB blocks per slab.
pblocks=${CXLTIER_DRAIN_POOL_BLOCKS:-8}
case "$pblocks" in
''|*[!0-9]*) echo "# CXLTIER_DRAIN_POOL_BLOCKS: not a number: $pblocks"; exit 1 ;;
esac
pmib=$((pblocks * 2))
# Bounds, seconds: an offline with the drain, and one drain, by size.
off_bound=$((60 + mib / 4))
drain_bound=$((300 + mib))

# range_app LOG STOPFILE [ARG...]: $chunks 2 MiB chunks pinned on
# node $node, verified every second until STOPFILE exists.
range_app() {
	local log=$1 stop=$2
	shift 2
	start_app "$log" --chunks $chunks --far-chunks $chunks --no-agent-ok "$@" \
		wait-connected:120 wait-file:"$stop" verify where summary
}
all_off() { # all_off LOG: the last "where" line has no chunk on $node
	local w
	w=$(grep '^where' "$1" | tail -1)
	[ -n "$w" ] && ! grep -qw "$node" <<<"${w#where}"
}
verified() { grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$1.out"; }
# ctl drain|undrain ARG...: cxltierctl on the test's agent.
ctl() { local c=$1; shift; timeout $drain_bound cxltierctl "$c" --socket "$sock" "$@"; }
# jqf FILTER FILE: FILE is not empty and its JSON matches FILTER.
jqf() { [ -s "$2" ] && jq -e "$1" "$2" >/dev/null; }
# offline_within S: daxctl offline-memory within S seconds in all.  An
# EBUSY answer is the kernel's for a page cxltier does not track (an
# unmovable kernel allocation in ZONE_NORMAL: pinned pages make it spin,
# not fail), which may be freed meanwhile: tried again, as the admin
# guide tells the operator, at most 3 times.
offline_within() {
	local end=$((SECONDS + $1)) try rc=1
	for try in 1 2 3; do
		[ $SECONDS -lt $end ] || break
		timeout $((end - SECONDS)) daxctl offline-memory "$dax" >"$daxlog" 2>&1
		rc=$?
		[ $rc = 0 ] && return 0
		grep -q "Device or resource busy" "$daxlog" || return $rc
		echo "# offline try $try: EBUSY (a page cxltier does not track)"
		sleep 2
	done
	return $rc
}
offlining() { cat "/sys/kernel/cxltier/nodes/node$node/offlining_kB" 2>/dev/null; }
# pool_app_start LOG STOPFILE [ARG...]: a pool of $pblocks 2 MiB blocks on
# DRAM and as many on node $node, verified until STOPFILE exists.
pool_app_start() {
	local log=$1 stop=$2
	shift 2
	cxltier-e2e-pool-app --socket "$sock" --blocks $pblocks --drain "$stop" \
		--seconds 900 "$@" >"$log" 2>"$log.err" &
	app_pid=$!
	app_pids+=("$app_pid")
}
# pins_kept P FEWEST: P pages were pinned, and never fewer.
pins_kept() { [ -n "$1" ] && [ "$1" -gt 0 ] && [ "$1" = "$2" ]; }
# pool_app_checks LOG WHAT: the checks of a pool program that ended after
# its far slab was drained (WHAT says which).
pool_app_checks() {
	local log=$1 what=$2 dp0 dpmin
	expect "$what: 0 corrupt bytes in the pool" logged "$log" '^corrupt 0$'
	expect "$what: no block left on the far slab" logged "$log" '^far 0$'
	expect "$what: the library gave the far slab back" logged "$log" '^far slab released$'
	read -r dp0 dpmin < <(sed -n 's/^dram pins \([0-9]*\), fewest \([0-9]*\)$/\1 \2/p' "$log")
	expect "$what: the DRAM slab's pins never dropped (${dp0:-?} pages, fewest ${dpmin:-?})" \
		pins_kept "${dp0:-}" "${dpmin:-}"
	expect "$what: no long-term pin left behind the pool" wait_for 20 no_pins
}

# --- 1. No drain: the offline spins on the pinned pages ---------------------
# Each release takes a second (below the agent's answer timeout), so that
# step 2's drain still runs when the second drain asks.
log=$scratch/app1
start_app "$log" --chunks $chunks --far-chunks $chunks --no-agent-ok \
	--release-delay-ms 1000 wait-file:"$scratch/go1" wait-connected:120 \
	wait-file:"$scratch/stop1" verify where summary
app1=$app_pid
expect "the application pins $mib MiB on node $node" wait_for 60 logged "$log" '^ready'
# A block pool too, its far slab pinned on the node, and no cxltierd.
pool_app_start "$scratch/pool0" "$scratch/stop0" --connect-wait 0
pool0=$app_pid
expect "a block pool pins $pmib MiB on node $node too" \
	wait_for 120 logged "$scratch/pool0" '^connected 0'
expect_warnings begin
timeout -k 10 -s TERM 20 daxctl offline-memory "$dax" >"$daxlog" 2>&1 &
off_pid=$!
sleep 5
kb=$(offlining)
expect "the module shows the offline in progress ($kb KiB)" [ "${kb:-0}" -gt 0 ]
reap $off_pid
rc=$?
expect_warnings end
# It spins until interrupted (rc 124); a kernel may also give up early
# with EBUSY, when an unmovable page turns up in the range: either way it
# does not complete, and the memory stays online with the data.
expect "without drain, the offline does not complete in 20 s (rc $rc)" [ $rc != 0 ]
[ $rc = 124 ] || sed -e 's/^/# daxctl: /' -e 's/WARNING/warning/g' "$daxlog"
expect "the interrupted offline is over" wait_for 10 bash -c "[ \"\$(cat /sys/kernel/cxltier/nodes/node$node/offlining_kB)\" = 0 ]"
touch "$scratch/stop0"
reap $pool0
rc=$?
[ $rc = 0 ] || diag "$scratch/pool0" "$scratch/pool0.err"
expect "the pool's bytes all verified after the interrupted offline" \
	bash -c "[ $rc = 0 ] && grep -qx 'corrupt 0' '$scratch/pool0'"
expect "the pool's $pblocks far blocks stayed on its far slab" logged "$scratch/pool0" "^far $pblocks\$"
read -r pp0 ppmin < <(sed -n 's/^pins \([0-9]*\), fewest \([0-9]*\)$/\1 \2/p' "$scratch/pool0")
expect "the pool's pins held throughout (${pp0:-?} pages, fewest ${ppmin:-?})" \
	pins_kept "${pp0:-}" "${ppmin:-}"

# --- 2. cxltierctl drain, then the offline completes ------------------------
expect "cxltierd starts and listens" start_agent
touch "$scratch/go1"
expect "the application connects" wait_for 120 logged "$log" '^connected'
# No room: with every other node closed (drained: nothing tracked lives
# there), the drain of $node must refuse before it moves anything.
others=$(ls -d /sys/kernel/cxltier/nodes/node[0-9]* | sed 's/.*node//' | grep -vx "$node")
for n in $others; do
	ctl drain "$n" >"$scratch/close$n.json" || diag "$scratch/close$n.json"
done
ctl drain $node >"$scratch/noroom.json"
rc=$?
expect "a drain with no room elsewhere exits 1" [ $rc = 1 ]
expect "it is refused as no room, $mib MiB to move, nothing free elsewhere" \
	jqf ".result == \"refused\" and (.error | test(\"no room elsewhere\")) and .bytes_to_move == $((mib << 20)) and .bytes_room == 0" "$scratch/noroom.json"
jqf '.result == "refused"' "$scratch/noroom.json" || diag "$scratch/noroom.json"
echo "# $(jq -r .error "$scratch/noroom.json" 2>/dev/null)"
expect "the refused drain moved nothing" [ "$(metric cxltier_drain_moved_bytes_total)" = 0 ]
expect "the refused drain left node $node open" \
	bash -c "cxltierctl drain --socket '$sock' --status | jq -e '[.nodes[] | select(.node == $node and .state != \"open\")] | length == 0' >/dev/null"
for n in $others; do
	ctl undrain "$n" >/dev/null
done
timeout 60 cxltierctl drain --socket "$sock" $node --dry-run >"$scratch/dry.json" ||
	{ diag "$scratch/dry.json"; tail -20 "$scratch/agent.log" | diag; }
expect "drain --dry-run: it fits, nothing moved yet, nothing moves" \
	jqf ".result == \"fits\" and .bytes_to_move == $((mib << 20))" "$scratch/dry.json"
t0=$(date +%s.%N)
ctl drain $node >"$scratch/drain.json" &
drain_pid=$!
# The second drain asks during the drain's first handshake (each
# release takes a second, and a second handshake follows), so that it
# finds the drain running even if cxltierctl is slow to start.
second=0
wait_for 120 logged "$log" '^releasing' && second=1
ctl drain $node >"$scratch/drain2.json"
rc2=$?
jqf '.result == "refused"' "$scratch/drain2.json" || diag "$scratch/drain2.json"
reap $drain_pid
rc=$?
t1=$(date +%s.%N)
tail -1 "$scratch/drain.json" >"$scratch/drain.last"
expect "cxltierctl drain exits 0" [ $rc = 0 ]
expect "drain: every byte moved off node $node" \
	jqf ".result == \"drained\" and .bytes_moved == $((mib << 20)) and .bytes_left == 0" "$scratch/drain.last"
jqf '.result == "drained"' "$scratch/drain.last" ||
	{ diag "$scratch/drain.last"; grep -a 'drain\|move\|handshake\|warn' "$scratch/agent.log" | tail -40 | diag; }
expect "cxltierctl drain reports progress" grep -q progress "$scratch/drain.json"
[ $chunks -le 32 ] || expect "the drain's first handshake starts" [ $second = 1 ]
if [ $second = 1 ]; then
	expect "a second drain of the node while one runs is refused" \
		jqf '.result == "refused" and (.error | test("already running"))' "$scratch/drain2.json"
	expect "the refused drain exits 1" [ $rc2 = 1 ]
fi
echo "# drain of $mib MiB: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
t0=$(date +%s.%N)
offline_within 30
rc=$?
expect "after the drain, daxctl offline-memory completes" [ $rc = 0 ]
[ $rc = 0 ] || diag "$daxlog"
t1=$(date +%s.%N)
echo "# offline after the drain: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
expect "the node is drained in the agent's status" \
	bash -c "cxltierctl drain --socket '$sock' --status | jq -e '.nodes[] | select(.node == $node) | .state == \"drained\"' >/dev/null"
touch "$scratch/stop1"
reap $app1
rc=$?
expect "the application's checks pass (bytes, device view, pins)" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "every byte verified, none corrupt" verified "$log"
expect "no chunk is left on node $node" all_off "$log"
expect "metrics: $mib MiB moved by the drain" [ "$(metric cxltier_drain_moved_bytes_total)" = $((mib << 20)) ]
expect "no long-term pin left behind" wait_for 10 no_pins

# --- 3. Capacity arriving, undrain ------------------------------------------
cap0=$(metric cxltier_capacity_added_bytes_total)
expect "daxctl onlines $dax again (--no-movable) while cxltierd runs" \
	daxctl_q online-memory --no-movable "$dax"
expect "cxltierd logs the capacity that arrived" \
	wait_for 10 logged "$scratch/agent.log" "node $node .*capacity arrived"
expect "the capacity metric grows by the node's memory" \
	wait_for 10 bash -c "[ \"\$(awk '/^cxltier_capacity_added_bytes_total/ { print \$2 }' '$metrics')\" -gt $cap0 ]"
log=$scratch/app2
start_app "$log" --chunks 2 --far-chunks 0 move-fail:0:$node wait-file:"$scratch/undrained" \
	move:0:$node move:1:$node where
expect "a move to the drained node is refused" wait_for 60 logged "$log" "^move 0 $node refused"
ctl undrain $node >"$scratch/undrain.json"
expect "undrain puts the node back in service" jqf '.result == "undrained" and .was == "drained"' "$scratch/undrain.json"
touch "$scratch/undrained"
reap $app_pid
rc=$?
expect "after undrain, chunks move onto the node again" \
	bash -c "[ $rc = 0 ] && grep -q '^where $node $node\$' '$log'"
[ $rc = 0 ] || diag "$log" "$log.err"

# --- 4. Drain on offline: a plain offline with cxltierd running -------------
log=$scratch/app3
range_app "$log" "$scratch/stop3"
app3=$app_pid
expect "the application pins $mib MiB on node $node again" wait_for 120 logged "$log" '^connected'
l4=$(wc -l <"$scratch/agent.log")
expect_warnings begin
t0=$(date +%s.%N)
offline_within $off_bound
rc=$?
t1=$(date +%s.%N)
expect_warnings end
expect "with cxltierd running, daxctl offline-memory completes (bounded: $off_bound s)" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$daxlog"; grep -a 'drain\|offline\|busy\|move_pages' "$scratch/agent.log" | tail -40 | diag; }
echo "# offline with drain on offline, $mib MiB pinned: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
expect "cxltierd logged the offline drain" logged "$scratch/agent.log" "node $node: offline drain started"
# What the drain on offline did: its moves, and who moved the pages.
tail -n +$((l4 + 1)) "$scratch/agent.log" |
	grep -a "evacuate\|node $node: drain \(drained\|incomplete\|timeout\): [1-9]\|node $node: drain: range" |
	head -20 | sed 's/^/# /'

touch "$scratch/stop3"
reap $app3
rc=$?
expect "the application's checks pass after the offline" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "every byte verified, none corrupt" verified "$log"
expect "no chunk is left on node $node" all_off "$log"
expect "no long-term pin left behind" wait_for 10 no_pins

# --- 5. The owner killed in the middle of a drain ---------------------------
daxctl_q online-memory --no-movable "$dax"
wait_for 10 logged "$scratch/agent.log" "offline drain over"
log=$scratch/app4
range_app "$log" "$scratch/stop4" --release-delay-ms 1500
app4=$app_pid
expect "the application pins $mib MiB on node $node once more" wait_for 120 logged "$log" '^connected'
ctl drain $node >"$scratch/drain4.json" &
drain_pid=$!
wait_for 60 logged "$log" '^releasing'
kill -9 $app4
reap $app4
reap $drain_pid
rc=$?
expect "the drain of a killed owner ends and says so" \
	bash -c "tail -1 '$scratch/drain4.json' | jq -e '.event == \"done\"' >/dev/null"
expect "no long-term pin left behind the killed owner" wait_for 20 no_pins
ctl undrain $node >/dev/null

# --- 6. A block pool's slab on the node: given back -------------------------
daxctl_q online-memory --no-movable "$dax" || true
log=$scratch/pool6
pool_app_start "$log" "$scratch/stop6"
app6=$app_pid
expect "the pool program connects, half its blocks on node $node" \
	wait_for 120 logged "$log" '^connected 1'
expect "cxltierd took the pool" wait_for 30 logged "$scratch/agent.log" "registered pool"
ctl drain $node --dry-run >"$scratch/dry6.json"
expect "drain --dry-run counts the pool's $pblocks far blocks" \
	jqf ".result == \"fits\" and .bytes_to_move >= $((pblocks * 2 << 20))" "$scratch/dry6.json"
jqf '.result == "fits"' "$scratch/dry6.json" || diag "$scratch/dry6.json"
t0=$(date +%s.%N)
# On a terminal, as an operator runs it (script(1) gives it a pty): a
# progress line redrawn in place, then the outcome.
timeout $drain_bound script -qec "cxltierctl drain --socket '$sock' $node" /dev/null \
	</dev/null >"$scratch/drain6.raw"
rc=$?
t1=$(date +%s.%N)
tr '\r' '\n' <"$scratch/drain6.raw" | sed 's/ *$//' | grep -v '^$' >"$scratch/drain6.tty"
echo "# drain of a pool slab of $pmib MiB: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; the terminal showed:"
{ head -4 "$scratch/drain6.tty"; [ "$(wc -l <"$scratch/drain6.tty")" -le 8 ] ||
	echo "..."; tail -n +5 "$scratch/drain6.tty" | tail -4; } | sed 's/^/#   /'
expect "cxltierctl drain of the pool's node exits 0" [ $rc = 0 ]
expect "drain (terminal): the pool's slab given back, nothing left on node $node" \
	grep -Eq "^node $node: drained: [0-9.]+ MiB moved in [0-9.]+ s, 0\.0 MiB left$" "$scratch/drain6.tty"
grep -q "^node $node: drained" "$scratch/drain6.tty" ||
	grep -a 'drain\|pool\|release' "$scratch/agent.log" | tail -30 | diag
expect "the agent's status: node $node drained" \
	bash -c "cxltierctl drain --socket '$sock' --status | jq -e '.nodes[] | select(.node == $node) | .state == \"drained\"' >/dev/null"
t0=$(date +%s.%N)
expect_warnings begin
offline_within $off_bound
rc=$?
expect_warnings end
t1=$(date +%s.%N)
echo "# offline after the pool's drain: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
expect "after the pool's drain, daxctl offline-memory completes" [ $rc = 0 ]
[ $rc = 0 ] || diag "$daxlog"
touch "$scratch/stop6"
reap $app6
rc=$?
expect "the pool program's checks pass (every byte, a block reallocated)" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
pool_app_checks "$log" "drain"
ctl undrain $node >/dev/null
daxctl_q online-memory --no-movable "$dax" || true

# --- 7. Drain on offline, a block pool's slab on the node --------------------
log=$scratch/pool7
pools_seen=$(grep -c "registered pool" "$scratch/agent.log")
pool_app_start "$log" "$scratch/stop7"
app7=$app_pid
registered_again() { [ "$(grep -c "registered pool" "$scratch/agent.log")" -gt "$pools_seen" ]; }
expect "a pool program connects, a slab on node $node again" \
	wait_for 120 logged "$log" '^connected 1'
expect "cxltierd took that pool" wait_for 30 registered_again
t0=$(date +%s.%N)
expect_warnings begin
offline_within $off_bound
rc=$?
expect_warnings end
t1=$(date +%s.%N)
expect "with cxltierd running, the offline of the pool's node completes (bounded: $off_bound s)" [ $rc = 0 ]
[ $rc = 0 ] || { diag "$daxlog"; grep -a 'drain\|pool\|release' "$scratch/agent.log" | tail -30 | diag; }
echo "# offline with drain on offline, a pool slab of $((pblocks * 2)) MiB: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
touch "$scratch/stop7"
reap $app7
rc=$?
expect "the pool program's checks pass after the offline" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
pool_app_checks "$log" "drain on offline"
daxctl_q online-memory --no-movable "$dax" || true

stop_agent TERM
rc=$?
expect "cxltierd exits 0 on SIGTERM" [ $rc = 0 ]
expect "the agent logged no error" bash -c "! grep -q ': error:' '$scratch/agent.log'"
grep -q ': error:' "$scratch/agent.log" && diag "$scratch/agent.log"
daxctl_q offline-memory "$dax" || true
rm -f "$daxlog"
finish
