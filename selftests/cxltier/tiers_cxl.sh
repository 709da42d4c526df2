#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# CXL discovery (cxl topology): cxltierctl tiers maps the emulated memdev
# mem0 through its region and dax device to the NUMA node it backs and
# marks that node CXL, while the module alone calls it far; the movable
# warning names the node and the fix.  Needs cxltier.ko loaded.  TAP.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
load_topology

echo "TAP version 13"

want=$(daxctl list -d dax0.0 2>/dev/null | jq '.[0].target_node // empty')
check "daxctl: dax0.0 feeds the topology's CXL node" "${topo_cxl_node:-1}" "$want"
node=${want:-${topo_cxl_node:-1}}

errf=$(mktemp)
trap 'rm -f "$errf"' EXIT
out=$(cxltierctl tiers 2>"$errf")
check "cxltierctl tiers succeeds" 0 "$?"
err=$(cat "$errf")
sel=".[].nodes[] | select(.node == $node)"
check "node $node kind is cxl" cxl "$(jq -r "$sel | .kind" <<<"$out")"
check "node $node memdevs" mem0 "$(jq -r "$sel | .memdevs | join(\",\")" <<<"$out")"
check "node $node region" region0 "$(jq -r "$sel | .region" <<<"$out")"
check "node $node dax device" dax0.0 "$(jq -r "$sel | .dax" <<<"$out")"
check "node 0 is not CXL" "null" "$(jq -r '.[].nodes[] | select(.node == 0) | .memdevs' <<<"$out")"
check "the module alone calls node $node far" far "$(cat $sysfs/nodes/node$node/kind)"
check "the module: node $node movable (daxctl default)" all "$(cat $sysfs/nodes/node$node/movable)"
if grep -q "node $node (CXL, dax0.0).*--no-movable" <<<"$err"; then
	tap OK "movable CXL node warning names the node and the fix"
else
	tap FAIL "movable CXL node warning names the node and the fix: $err"
fi
check "--table shows the chain" 1 \
	"$(cxltierctl tiers --table 2>/dev/null | grep -c "mem0>region0>dax0.0")"

finish
