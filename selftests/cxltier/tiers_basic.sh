#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tiers on the basic topology: node 0 (CPUs) is DRAM in tier0, node 1
# (CPU-less) is far memory in tier1 with exactly the HMAT figures the
# topology gives; the kernel's memory tier is reported; a kind written by
# root changes the table at once; garbage, out-of-range, non-root and
# unprivileged writes are refused with the documented errno.  Needs
# cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
load_topology

echo "TAP version 13"

# Classification and order.
check "node0 is dram" dram "$(cat $sysfs/nodes/node0/kind)"
check "node0 is in tier0" 0 "$(cat $sysfs/nodes/node0/tier)"
check "tier0 is dram" dram "$(cat $sysfs/tiers/tier0/kind)"
check "tier0 holds node 0 only" 0 "$(cat $sysfs/tiers/tier0/nodelist)"
check "node1 is far" far "$(cat $sysfs/nodes/node1/kind)"
check "node1 is in tier1" 1 "$(cat $sysfs/nodes/node1/tier)"
check "tier1 holds node 1 only" 1 "$(cat $sysfs/tiers/tier1/nodelist)"
check "two tiers" "tier0 tier1" "$(ls $sysfs/tiers | xargs)"

# HMAT figures, node by node, from the topology file.
for node in 0 1; do
	read -r lat bw <<<"$(hmat_of $node)"
	if [ -z "${lat:-}" ]; then
		tap FAIL "topology gives HMAT figures for node $node"
		continue
	fi
	t=$node
	check "tier$t read_latency_ns" "$lat" "$(cat $sysfs/tiers/tier$t/read_latency_ns)"
	check "tier$t write_latency_ns" "$lat" "$(cat $sysfs/tiers/tier$t/write_latency_ns)"
	check "tier$t read_bandwidth_MBps" "$bw" "$(cat $sysfs/tiers/tier$t/read_bandwidth_MBps)"
	check "tier$t write_bandwidth_MBps" "$bw" "$(cat $sysfs/tiers/tier$t/write_bandwidth_MBps)"
done

# Capacity, free, movable, the kernel's memory tier.
for node in 0 1; do
	cap=$(cat $sysfs/nodes/node$node/capacity_kB)
	free=$(cat $sysfs/nodes/node$node/free_kB)
	want_kb=$(awk '/MemTotal/ { print $4 }' /sys/devices/system/node/node$node/meminfo)
	# Managed pages, as MemTotal and numactl count them.
	if [ "$cap" -eq "$want_kb" ] && [ "$free" -le "$cap" ] && [ "$free" -gt 0 ]; then
		tap OK "node$node capacity_kB $cap is MemTotal, free_kB $free fits"
	else
		tap FAIL "node$node capacity_kB $cap is MemTotal $want_kb, free_kB $free fits"
	fi
	check "node$node is not movable" none "$(cat $sysfs/nodes/node$node/movable)"
	check "node$node memory_tier is the kernel's" "$(kernel_memory_tier $node)" \
		"$(cat $sysfs/nodes/node$node/memory_tier)"
done
sum=$(( $(cat $sysfs/nodes/node1/capacity_kB) ))
check "tier1 capacity_kB is node1's" "$sum" "$(cat $sysfs/tiers/tier1/capacity_kB)"

# The same table through the ioctl, merged by cxltierctl.
json=$(cxltierctl tiers 2>/dev/null)
check "cxltierctl tiers: node 1 in tier 1" 1 \
	"$(jq '.[] | select(.nodes[].node == 1) | .tier' <<<"$json")"
read -r lat bw <<<"$(hmat_of 1)"
check "cxltierctl tiers: node 1 read latency" "$lat" \
	"$(jq '.[].nodes[] | select(.node == 1) | .read_latency_ns' <<<"$json")"
check "cxltierctl tiers: node 1 kind" far \
	"$(jq -r '.[].nodes[] | select(.node == 1) | .kind' <<<"$json")"
check "cxltierctl tiers -u: human sizes" string \
	"$(cxltierctl tiers -u 2>/dev/null | jq -r '.[0].capacity | type')"
check "cxltierctl tiers --table: one row per node" 2 \
	"$(cxltierctl tiers --table 2>/dev/null | tail -n +2 | wc -l)"

# A kind written by root changes the table at once.
check "write cxl to node1/kind" OK "$(write_errno $sysfs/nodes/node1/kind cxl)"
check "node1 reads cxl" cxl "$(cat $sysfs/nodes/node1/kind)"
check "tier1 is cxl at once" cxl "$(cat $sysfs/tiers/tier1/kind)"
check "cxltierctl shows kind_set" true \
	"$(cxltierctl tiers 2>/dev/null | jq '.[].nodes[] | select(.node == 1) | .kind_set')"
check "write dram to node1/kind" OK "$(write_errno $sysfs/nodes/node1/kind dram)"
check "a dram node 1 still sorts after node 0 by HMAT" 1 "$(cat $sysfs/nodes/node1/tier)"
check "write far to node0/kind" OK "$(write_errno $sysfs/nodes/node0/kind far)"
check "node0 far and node1 dram: two tiers still" "tier0 tier1" "$(ls $sysfs/tiers | xargs)"
check "write auto to node0/kind" OK "$(write_errno $sysfs/nodes/node0/kind auto)"
check "write auto to node1/kind" OK "$(write_errno $sysfs/nodes/node1/kind auto)"
check "node1 is far again" far "$(cat $sysfs/nodes/node1/kind)"
check "node0 is dram again" dram "$(cat $sysfs/nodes/node0/kind)"

# Refused writes.
for bad in garbage unknown "" "cxl cxl" "CXL" "dram2" "$(head -c 5000 /dev/zero | tr '\0' x)"; do
	check "kind '${bad:0:12}' is EINVAL" EINVAL "$(write_errno $sysfs/nodes/node1/kind "$bad")"
done
check "node1 kind unchanged by bad writes" far "$(cat $sysfs/nodes/node1/kind)"
for bad in 2 -1 yes-please "" 10; do
	check "retier '$bad' is EINVAL" EINVAL "$(write_errno $sysfs/retier "$bad")"
done
check "retier still 0" 0 "$(cat $sysfs/retier)"
check "non-root kind write is EACCES" EACCES \
	"$(write_errno $sysfs/nodes/node1/kind cxl setpriv --reuid=65534 --regid=65534 --clear-groups)"
check "non-root retier write is EACCES" EACCES \
	"$(write_errno $sysfs/retier 1 setpriv --reuid=65534 --regid=65534 --clear-groups)"
check "root without CAP_SYS_ADMIN: kind write is EPERM" EPERM \
	"$(write_errno $sysfs/nodes/node1/kind cxl setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)"
check "root without CAP_SYS_ADMIN: retier write is EPERM" EPERM \
	"$(write_errno $sysfs/retier 1 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)"
check "read-only tier file refuses writes" EACCES "$(write_errno $sysfs/tiers/tier0/kind dram)"
check "read-only node file refuses writes" EACCES "$(write_errno $sysfs/nodes/node0/tier 1)"
check "non-root may read" far \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups cat $sysfs/nodes/node1/kind)"
check "node1 kind unchanged by refused writes" far "$(cat $sysfs/nodes/node1/kind)"

finish
