#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_doctor.sh: cxltierctl doctor against a made-up host (its --root
# and the global --sysfs): a world-accessible device, a movable far node
# named with its dax device, NUMA balancing on, a config whose [tiers]
# far names a DRAM node, a bad config, no agent; then the same host
# fixed.  Checks each finding, its fix, the overall status and the exit
# code.  Needs what "make" built.  TAP output; host only, under a second.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"
ctl=$root/build/bin/cxltierctl

echo "TAP version 13"
if [ ! -x "$ctl" ]; then
	echo "1..0 # SKIP not applicable: nothing is built yet (make)"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
h=$tmp/host sys=$tmp/host/sys/kernel/cxltier
mkdir -p "$sys/nodes/node0" "$sys/nodes/node2" "$h/proc/sys/kernel" \
	"$h/sys/bus/dax/devices/dax0.0" "$h/dev"
echo 0.1.0 >"$sys/version"
echo 2 >"$sys/api_version"
echo dram >"$sys/nodes/node0/kind"
echo none >"$sys/nodes/node0/movable"
echo cxl >"$sys/nodes/node2/kind"
echo all >"$sys/nodes/node2/movable"
echo 2 >"$h/sys/bus/dax/devices/dax0.0/target_node"
echo 1 >"$h/proc/sys/kernel/numa_balancing"
: >"$h/dev/cxltier"
printf '[tiers]\nfar = 0\n' >"$tmp/far-dram.conf"
printf '[policy]\nhigh_watermark = 5sec\n' >"$tmp/bad.conf"

# doctor ARGS...: run it; $out holds its JSON, $rc its exit code.
doctor() {
	out=$("$ctl" --sysfs "$sys" doctor --json --root "$h" --socket /nonexistent.sock "$@" 2>&1)
	rc=$?
}
# field CHECK KEY: KEY of the findings of CHECK, one per line.
field() { jq -r ".checks[] | select(.check == \"$1\") | .$2" <<<"$out" 2>&1; }
expect() { # expect DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then tap OK "$1"; else tap FAIL "$1" "expected: $2" "got: $3"; fi
}

doctor --config "$tmp/far-dram.conf"
expect "broken host: exit 1" 1 "$rc"
expect "broken host: status fail" fail "$(jq -r .status <<<"$out")"
expect "module: ok with its version" "ok" "$(field module status)"
expect "device: a regular file is refused" fail "$(field device status)"
expect "far-nodes: the movable node fails" fail "$(field far-nodes status)"
if field far-nodes fix | grep -q -- '--no-movable --force dax0.0'; then
	tap OK "far-nodes: the fix names dax0.0 and --no-movable"
else
	tap FAIL "far-nodes: the fix names dax0.0 and --no-movable" "$out"
fi
expect "numa-balancing: on is a warning" warn "$(field numa-balancing status)"
expect "numa-balancing: fix" "sysctl -w kernel.numa_balancing=0" "$(field numa-balancing fix)"
expect "config: far naming a DRAM node warns" warn "$(field config status)"
if field config detail | grep -q 'far names node 0, a DRAM node'; then
	tap OK "config: says which node and why"
else
	tap FAIL "config: says which node and why" "$out"
fi
expect "agent: absent is a warning" warn "$(field agent status)"

doctor --config "$tmp/bad.conf"
if field config detail | grep -q "bad.conf:2:"; then
	tap OK "config: a bad value is named with file and line"
else
	tap FAIL "config: a bad value is named with file and line" "$out"
fi
expect "config: a bad value fails" fail "$(field config status)"

# The host fixed: no movable memory, balancing off, the default config
# (none: built-in defaults).  The device stays a plain file, so only it fails.
echo none >"$sys/nodes/node2/movable"
echo 0 >"$h/proc/sys/kernel/numa_balancing"
doctor --config /nonexistent.conf
expect "a missing --config fails" fail "$(field config status)"
doctor
expect "fixed host: far-nodes ok" ok "$(field far-nodes status)"
expect "fixed host: numa-balancing ok" ok "$(field numa-balancing status)"
expect "fixed host: config ok" ok "$(field config status)"
expect "fixed host: no fix offered for ok findings" "null" "$(field far-nodes fix)"

rm -rf "$sys"
doctor
expect "no module: fail, fix modprobe" "fail modprobe cxltier" "$(field module status) $(field module fix)"
expect "no module: far-nodes skipped" skip "$(field far-nodes status)"

out=$("$ctl" doctor --root relative 2>&1); rc=$?
expect "a relative --root is a usage error" 2 "$rc"

echo "1..$n"
exit $fail
