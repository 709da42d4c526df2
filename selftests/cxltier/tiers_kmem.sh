#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memory hotplug while cxltier is loaded (kmem-offline topology): the kmem
# node appears in the table when daxctl onlines dax0.0, with the HMAT
# figures of the topology, goes away when its memory is offlined, and is
# reported movable or not as daxctl onlined it (the default, then
# --no-movable); cxltierctl warns about the movable node and names the
# fix, and cxltierctl doctor fails on it and passes after the fix.  Only ZONE_MOVABLE memory is offlined: ZONE_NORMAL memory need not
# offline (7.2 puts slab pages on a node as soon as it is onlined).
# Needs cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
load_topology
dax=${topo_kmem_dax:-dax0.0}
node=${topo_kmem_node:-2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "TAP version 13"

# daxctl prints its own "WARNING:" lines, which the runner would take for
# the kernel's: keep its output out of the console unless it fails.
daxctl_q() {
	if daxctl "$@" >"$log" 2>&1; then
		return 0
	fi
	sed -e 's/^/# daxctl: /' -e 's/WARNING/warning/g' "$log"
	return 1
}
node_present() { [ -d "$sysfs/nodes/node$node" ]; }
node_absent() { [ ! -e "$sysfs/nodes/node$node" ]; }

if node_absent; then tap OK "node$node absent before onlining"; else tap FAIL "node$node absent before onlining"; fi
check "two tiers before onlining" "tier0 tier1" "$(ls $sysfs/tiers | xargs)"

# 1. Online the default way: ZONE_MOVABLE.
if daxctl_q reconfigure-device --mode=system-ram "$dax"; then
	tap OK "daxctl onlines $dax (default, movable)"
else
	tap FAIL "daxctl onlines $dax (default, movable)"
fi
if wait_for 10 node_present; then
	tap OK "node$node appears in the table (hotplug)"
else
	tap FAIL "node$node appears in the table (hotplug)"
fi
check "node$node is far" far "$(cat $sysfs/nodes/node$node/kind 2>&1)"
check "node$node default online reads all" all "$(cat $sysfs/nodes/node$node/movable 2>&1)"
check "node$node is in the slowest tier" 2 "$(cat $sysfs/nodes/node$node/tier 2>&1)"
check "tier2 holds node $node" "$node" "$(cat $sysfs/tiers/tier2/nodelist 2>&1)"
read -r lat bw <<<"$(hmat_of "$node")"
check "tier2 read_latency_ns from HMAT" "$lat" "$(cat $sysfs/tiers/tier2/read_latency_ns 2>&1)"
check "tier2 read_bandwidth_MBps from HMAT" "$bw" "$(cat $sysfs/tiers/tier2/read_bandwidth_MBps 2>&1)"
check "node$node memory_tier is the kernel's" "$(kernel_memory_tier "$node")" \
	"$(cat $sysfs/nodes/node$node/memory_tier 2>&1)"
check "node$node capacity_kB is its MemTotal" \
	"$(awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node$node/meminfo)" \
	"$(cat $sysfs/nodes/node$node/capacity_kB 2>&1)"
err=$(cxltierctl tiers 2>&1 >/dev/null)
check "cxltierctl warns once" 1 "$(grep -c "node $node .*movable" <<<"$err")"
if grep -q -- "--no-movable" <<<"$err" && grep -q "$dax" <<<"$err"; then
	tap OK "the warning names the fix for $dax"
else
	tap FAIL "the warning names the fix for $dax: $err"
fi
check "cxltierctl tiers: movable all" all \
	"$(cxltierctl tiers 2>/dev/null | jq -r ".[].nodes[] | select(.node == $node) | .movable")"
check "cxltierctl tiers: dax device" "$dax" \
	"$(cxltierctl tiers 2>/dev/null | jq -r ".[].nodes[] | select(.node == $node) | .dax")"

doc=$(cxltierctl doctor --json 2>&1); rc=$?
check "cxltierctl doctor fails on the movable node" 1 "$rc"
sel=".checks[] | select(.check == \"far-nodes\" and (.detail | startswith(\"node $node \")))"
check "doctor: far-nodes fails for node $node" fail "$(jq -r "$sel | .status" <<<"$doc")"
if jq -r "$sel | .fix" <<<"$doc" | grep -q -- "--no-movable.*$dax"; then
	tap OK "doctor names the fix for $dax"
else
	tap FAIL "doctor names the fix for $dax: $doc"
fi

# 2. Offline (ZONE_MOVABLE memory always can be): the node leaves the table.
if daxctl_q offline-memory "$dax"; then tap OK "daxctl offlines $dax"; else tap FAIL "daxctl offlines $dax"; fi
if wait_for 10 node_absent; then
	tap OK "node$node leaves the table when offline"
else
	tap FAIL "node$node leaves the table when offline"
fi
check "two tiers after offlining" "tier0 tier1" "$(ls $sysfs/tiers | xargs)"

# 3. The fix the warning names: online again without ZONE_MOVABLE.
if daxctl_q online-memory --no-movable "$dax"; then
	tap OK "daxctl online-memory --no-movable $dax"
else
	tap FAIL "daxctl online-memory --no-movable $dax"
fi
wait_for 10 node_present
check "node$node --no-movable reads none" none "$(cat $sysfs/nodes/node$node/movable 2>&1)"
check "tier2 holds node $node again" "$node" "$(cat $sysfs/tiers/tier2/nodelist 2>&1)"
check "cxltierctl: no movable warning" "" "$(cxltierctl tiers 2>&1 >/dev/null)"
doc=$(cxltierctl doctor --json 2>&1); rc=$?
check "cxltierctl doctor passes after the fix" 0 "$rc"
check "doctor: far-nodes ok for node $node" ok \
	"$(jq -r '.checks[] | select(.check == "far-nodes") | .status' <<<"$doc" | sort -u | xargs)"

finish
