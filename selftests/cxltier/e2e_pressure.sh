#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, DRAM pressure that is not cxltier's: a hot pinned pool of
# 8 chunks of 2 MiB in DRAM, then a tmpfs bound to the DRAM node filled
# until DRAM use is above high_watermark.  Demoting the pool could not
# bring use down to low_watermark (the tmpfs alone is above it), so the
# agent must leave the hot chunks in DRAM and say why once; when the
# tmpfs goes, it says the pressure is over.  Before that, page cache
# counts as available: a file on an ext4 file system (a loop device over
# a tmpfs on the far node), written through the DRAM node's page cache
# until that alone is above high_watermark, is no pressure at all.
# Every byte and pin is checked.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
base_pins=$(pins_baseline)
# The mounts go before the scratch directory they are in.
cleanup_pressure() {
	umount "$scratch/fs" "$scratch/back" "$scratch/tmpfs" 2>/dev/null
	e2e_cleanup
}
trap cleanup_pressure EXIT
cat >"$conf" <<CONF
[tiers]
dram = $dram
far = $far

[policy]
interval = 1s
high_watermark = 50%
low_watermark = 45%

[class "pinned"]
label = e2e-pool
dram_share = 100%
CONF

# node_kb NODE KEY: a value of the node's meminfo, kB.
node_kb() { awk -v k="$2:" '$3 == k { print $4 }' "/sys/devices/system/node/node$1/meminfo"; }
# avail_kb NODE: free + page cache + reclaimable slab, as the agent counts.
avail_kb() {
	echo $(($(node_kb "$1" MemFree) + $(node_kb "$1" 'Active(file)') +
		$(node_kb "$1" 'Inactive(file)') + $(node_kb "$1" SReclaimable)))
}

# demotions: chunk ranges the agent demoted so far (its metrics file).
demotions() {
	awk 'index($0, "cxltier_migrations_total{direction=\"demote\"") == 1 { s += $NF }
	     END { print s + 0 }' "$metrics"
}

mnt=$scratch/tmpfs
mkdir -p "$mnt"

expect "cxltierd starts" start_agent
log=$scratch/app
start_app "$log" --chunks 8 --far-chunks 0 --interval-ms 1000 \
	wait-file:"$scratch/filled" traffic:8:0:8 where verify summary
wait_for 30 grep -qs '^ready' "$log"

# 1. Page cache alone, 60% of the node: no pressure, no demotion.
total=$(node_kb "$dram" MemTotal)
cache_mb=$((total * 60 / 100 >> 10))
back=$scratch/back
mkdir -p "$back" "$scratch/fs"
modprobe -a loop ext4 2>/dev/null
mount -t tmpfs -o "size=$((cache_mb + 64))m,mpol=bind:$far" none "$back" &&
	truncate -s "$((cache_mb + 48))M" "$back/img" && mkfs.ext4 -q -F -O ^has_journal "$back/img" &&
	mount -o loop "$back/img" "$scratch/fs"
expect "an ext4 file system over a loop device on the far node mounts" \
	mountpoint -q "$scratch/fs"
# Not into the bare directory if it did not: that would be tmpfs.
! mountpoint -q "$scratch/fs" ||
	numactl --membind="$dram" dd if=/dev/zero of="$scratch/fs/cache" bs=1M \
		count="$cache_mb" status=none 2>/dev/null
sync
echo "# node $dram: $((total >> 10)) MiB; page cache $(($(node_kb "$dram" 'Inactive(file)') + $(node_kb "$dram" 'Active(file)') >> 10)) MiB after writing $cache_mb MiB"
expect "the page cache is on the DRAM node" \
	[ $(($(node_kb "$dram" 'Inactive(file)') + $(node_kb "$dram" 'Active(file)'))) -gt $((total / 2)) ]
sleep 3
expect "the agent wrote its metrics" wait_for 10 test -s "$metrics"
expect "page cache: no demotion of the hot pool" [ "$(demotions)" = 0 ]
expect "page cache: no pressure said" \
	[ "$(grep -c 'MiB of it untracked' "$scratch/agent.log")" = 0 ]
umount "$scratch/fs"
umount "$back"

# 2. tmpfs on the DRAM node until use is about 60% of it: above
# high_watermark, and the tmpfs alone above low_watermark.
fill=$(( $(avail_kb "$dram") - total * 40 / 100 ))
echo "# node $dram: $((total >> 10)) MiB, tmpfs of $((fill >> 10)) MiB"
expect "tmpfs bound to the DRAM node mounts" \
	mount -t tmpfs -o "size=$((fill + 65536))k,mpol=bind:$dram" none "$mnt"
dd if=/dev/zero of="$mnt/fill" bs=1M count=$((fill >> 10)) status=none 2>/dev/null
echo "# node $dram after the fill: $(( ($(avail_kb "$dram")) >> 10)) MiB available"
touch "$scratch/filled"
expect "the agent says the pressure is untracked memory's" \
	wait_for 20 grep -q 'MiB of it untracked' "$scratch/agent.log"
reap "$app_pid"
rc=$?
expect "the application's checks pass" [ $rc = 0 ]
[ $rc = 0 ] || diag "$log" "$log.err"
expect "tmpfs: every chunk of the hot pool is still in DRAM" \
	grep -q "^where $dram $dram $dram $dram $dram $dram $dram $dram$" "$log"
expect "tmpfs: nothing was demoted" [ "$(demotions)" = 0 ]
expect "no byte corrupted, no device access failed" \
	grep -q '"corrupt_bytes": 0, "dma_errors": 0' "$log.out"

# 3. The tmpfs goes: the pressure is over.
umount "$mnt"
expect "the agent says the pressure is over" \
	wait_for 20 grep -q 'pressure from untracked memory is over' "$scratch/agent.log"
expect "said once while it lasted" [ "$(grep -c 'MiB of it untracked' "$scratch/agent.log")" = 1 ]
expect "no long-term pin left behind" wait_for 10 no_pins

stop_agent TERM
expect "cxltierd exits 0" [ $? = 0 ]
[ $e2e_fail = 0 ] || diag "$scratch/agent.log"
finish
