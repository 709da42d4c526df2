#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# retier on the basic topology: loading with retier=1 either moves the
# far node out of the DRAM memory tier or reports the refusal (status
# file and one kernel log line) and leaves memory_tiering as it was; on a
# kernel whose tiers already follow HMAT it reports "agrees".  Unloading
# restores the kernel's original tiers.  Runs with the module unloaded.
# TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
ko=${CXLTIER_MODDIR:?}/kmod/cxltier.ko

echo "TAP version 13"

before=$(memory_tiering_layout)
echo "# memory tiers before: $(tr '\n' ' ' <<<"$before")"
far_before=$(kernel_memory_tier 1)
lines_before=$(dmesg | grep -c 'cxltier: retier:')

if insmod "$ko" retier=1; then tap OK "insmod retier=1"; else tap FAIL "insmod retier=1"; finish; fi
check "retier reads 1" 1 "$(cat $sysfs/retier)"
status=$(cat $sysfs/retier_status)
adist=$(cxltierctl tiers 2>/dev/null | jq '.[].nodes[] | select(.node == 1) | .adistance')
want=$((adist >> 7))
now=$(kernel_memory_tier 1)
new_lines=$(dmesg | grep 'cxltier: retier:' | tail -n +$((lines_before + 1)))
echo "# status $status; node 1: adistance $adist (memory_tier$want by HMAT), kernel memory_tier$now"

case "$status" in
refused)
	tap OK "status refused: the kernel keeps node 1 in memory_tier$now"
	check "one kernel log line names node 1" 1 "$(grep -c 'keeps nodes 1 ' <<<"$new_lines")"
	check "memory_tiering unchanged" "$before" "$(memory_tiering_layout)"
	check "cxltier still orders node 1 by HMAT" 1 "$(cat $sysfs/nodes/node1/tier)"
	;;
applied)
	tap OK "status applied"
	check "node 1 left memory_tier$far_before" "memory_tier$want" "memory_tier$now"
	check "node 1 flagged retiered" true \
		"$(cxltierctl tiers 2>/dev/null | jq '.[].nodes[] | select(.node == 1) | .retiered')"
	;;
agrees)
	check "status agrees: the kernel's tier is HMAT's" "$want" "$now"
	check "no retier log line" "" "$new_lines"
	;;
*)
	tap FAIL "retier_status '$status' is documented"
	;;
esac
# Debian's 6.1 puts HMAT-far boot memory in the DRAM tier: there, it
# cannot "agree".
if [ "$far_before" = "$(kernel_memory_tier 0)" ]; then
	if [ "$status" = refused ] || [ "$status" = applied ]; then
		tap OK "node 1 shares the DRAM tier: refused or applied, not '$status'"
	else
		tap FAIL "node 1 shares the DRAM tier: refused or applied, not '$status'"
	fi
fi

check "retier 0" OK "$(write_errno $sysfs/retier 0)"
check "status off" off "$(cat $sysfs/retier_status)"
check "retier 1 again" OK "$(write_errno $sysfs/retier 1)"
check "same status again" "$status" "$(cat $sysfs/retier_status)"

if rmmod cxltier; then tap OK "rmmod"; else tap FAIL "rmmod"; fi
check "memory_tiering as before loading" "$before" "$(memory_tiering_layout)"

# Loading without the parameter leaves retier off.
if insmod "$ko"; then
	check "retier defaults to 0" 0 "$(cat $sysfs/retier)"
	check "status off by default" off "$(cat $sysfs/retier_status)"
	rmmod cxltier || tap FAIL "rmmod"
else
	tap FAIL "insmod without retier"
fi
finish
