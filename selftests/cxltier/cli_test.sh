#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltierctl against the real module, in the manner of ndctl's tests: the
# JSON output of every subcommand is checked with jq.  On the kmem
# topology (node 0 DRAM, node 1 far boot memory, node 2 onlined by kmem):
# info matches the raw handshake, tiers matches the topology's HMAT
# figures, a buffer with known contents and a known hot set (held by
# cxltier-cli-buf, CPU-touched and fake-accelerator-read chunks on node 0
# and node 2) shows in buffers and heat, stats and set read and write the
# tunables and refuse what they must, top runs without the agent, heatmap
# writes a PNG and names the line of a bad heat log, and every exit code
# of cxltierctl(8) happens.  Needs cxltier.ko loaded.  TAP output.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/tiers_lib.sh"
load_topology
root=$(cd "$here/../.." && pwd)
uapi=$root/include/uapi/linux/cxltier.h
far=${topo_kmem_node:-2}

tmp=$(mktemp -d)
helper=
saved_epoch=$(<$sysfs/epoch_ms)
saved_half=$(<$sysfs/half_life_ms)
cleanup() {
	[ -n "$helper" ] && kill "$helper" 2>/dev/null && wait "$helper" 2>/dev/null
	echo "$saved_epoch" >$sysfs/epoch_ms
	echo "$saved_half" >$sysfs/half_life_ms
	echo auto >"$sysfs/nodes/node$far/kind" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"

# ctl ARGS...: run cxltierctl; $out, $err and $rc hold what it did.
ctl() {
	LC_ALL=C cxltierctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
}

# jqc DESCRIPTION EXPECTED FILTER [DESCRIPTION EXPECTED FILTER...]: check
# that the values FILTER gives for $out are EXPECTED, every FILTER in one
# jq run (a process costs a second in a loaded guest).  EXPECTED is
# compact JSON; a FILTER with several values gives them comma-separated.
jqc() {
	local -a desc=() want=() prog=() got=()
	local i
	while [ $# -ge 3 ]; do
		desc+=("$1")
		want+=("[$2]")
		prog+=("(try [$3] catch [\"jq error: \" + tostring])")
		shift 3
	done
	mapfile -t got < <(IFS=,; jq -c "${prog[*]}" <<<"$out" 2>&1)
	for i in "${!desc[@]}"; do
		check "${desc[i]}" "${want[i]}" "${got[i]:-${got[0]:-}}"
	done
}

# rc_is DESCRIPTION EXPECTED: check $rc.
rc_is() {
	check "$1: exit $2" "$2" "$rc"
}

# err_has DESCRIPTION TEXT: $err contains TEXT.
err_has() {
	case "$err" in
	*"$2"*) tap OK "$1" ;;
	*) tap FAIL "$1 (stderr: '$err')" ;;
	esac
}

# names PREFIX MASK: names of the bits of MASK, from the uapi header's
# PREFIX<NAME> macros ("(1ULL << N)" or "CXLTIER_BASE + N"), lower case
# with '-' for '_', as a JSON array in bit order.
names() {
	local prefix=$1 mask=$2 name bit
	local -a found=()
	while read -r name bit; do
		(( (mask >> bit) & 1 )) || continue
		name=${name#"$prefix"}
		found[bit]=\"$(tr 'A-Z_' 'a-z-' <<<"$name")\"
	done < <(sed -n -e "s/^#define $prefix\([A-Z_]*\)[[:space:]]*(1ULL << \([0-9]*\)).*/$prefix\1 \2/p" \
			-e "s/^#define $prefix\([A-Z_]*\)[[:space:]]*_IO(CXLTIER_TYPE, CXLTIER_BASE + \([0-9]*\)).*/$prefix\1 \2/p" "$uapi")
	local IFS=,
	echo "[${found[*]}]"
}

# --- exit codes and global options ------------------------------------------

ctl
rc_is "no command" 2
ctl frobnicate
rc_is "unknown command" 2
ctl --bogus info
rc_is "unknown global option" 2
ctl --version
rc_is "--version" 0
check "--version prints the version" "cxltierctl $(<$sysfs/version)" "$out"
ctl --help
rc_is "--help" 0
ctl --device "$tmp/nodev" info
rc_is "missing device" 3
err_has "missing device: the message names it" "$tmp/nodev: No such file or directory"
ctl --device /dev/null info
rc_is "a device that is not cxltier" 3
ctl --sysfs "$tmp/nosysfs" stats
rc_is "missing sysfs root" 3
err_has "missing sysfs root: the message names it" "$tmp/nosysfs"

# --- info -----------------------------------------------------------------

ctl info
rc_is "info" 0
read -r api features ioctls <<<"$(cxltier-cli-buf --handshake)"
jqc "info: version from sysfs" "\"$(<$sysfs/version)\"" .version \
    "info: api_version from the handshake" "$api" .api_version \
    "info: api_version is sysfs api_version" "$(<$sysfs/api_version)" .api_version \
    "info: features are the handshake's bits, named as in cxltier.h" \
	"$(names CXLTIER_FEAT_ "$features")" .features \
    "info: ioctls are the handshake's bits, named as in cxltier.h" \
	"$(names CXLTIER_IOC_ "$ioctls")" .ioctls \
    "info: the module has tiers, tracking and device reports" true \
	'[.features[] | select(. == "tiers" or . == "track" or . == "dev-report")] | length == 3'
ctl info extra
rc_is "info with an argument" 2

# --- tiers ----------------------------------------------------------------

ctl tiers
rc_is "tiers" 0
check "tiers: no warning (node $far is onlined --no-movable)" "" "$err"
ftier=$(<$sysfs/nodes/node$far/tier)
farnode=".[].nodes[] | select(.node == $far)"
jqc "tiers: tier 0 first" 0 '.[0].tier' \
    "tiers: tier 0 is dram" '"dram"' '.[0].kind' \
    "tiers: tier 0 holds node 0 only" '[0]' '[.[0].nodes[].node]' \
    "tiers: tier 0's nodelist" "\"$(<$sysfs/tiers/tier0/nodelist)\"" '.[0].nodelist' \
    "tiers: node 0 has CPUs" true '.[].nodes[] | select(.node == 0) | .has_cpus' \
    "tiers: one tier per sysfs tier" "$(ls $sysfs/tiers | wc -l)" length \
    "tiers: node $far in a lower tier" "$ftier" ".[] | select(.nodes[].node == $far) | .tier" \
    "tiers: node $far is far, has no CPUs, is not movable" '"far",false,"none"' \
	"$farnode | .kind, .has_cpus, .movable" \
    "tiers: node $far's dax device" '"dax0.0"' "$farnode | .dax" \
    "tiers: a tier's capacity is its nodes' sum" true \
	'all(.[]; .capacity == ([.nodes[].capacity] | add))' \
    "tiers: a tier's latency is its slowest node's" true \
	'all(.[]; .read_latency_ns == ([.nodes[].read_latency_ns] | max))' \
    "tiers: sizes are numbers" '["number"]' \
	'[.[] | .capacity, .free, (.nodes[] | .capacity, .free)] | map(type) | unique' \
    "tiers: numbers are numbers" '["number"]' \
	'[.[] | .tier, .read_latency_ns, (.nodes[] | .node, .adistance)] | map(type) | unique'
check "tiers: node $far is below tier 0" true "$([ "$ftier" -gt 0 ] && echo true)"
checks=()
for spec in ${topo_hmat:-}; do
	node=${spec%%:*}
	read -r lat bw <<<"$(hmat_of "$node")"
	checks+=("tiers: node $node HMAT figures are the topology's" "$lat,$lat,$bw,$bw" \
		".[].nodes[] | select(.node == $node) | .read_latency_ns, .write_latency_ns, .read_bandwidth_MBps, .write_bandwidth_MBps"
		"tiers: node $node capacity is sysfs capacity_kB" \
		"$(($(<$sysfs/nodes/node$node/capacity_kB) * 1024))" \
		".[].nodes[] | select(.node == $node) | .capacity"
		"tiers: node $node memory_tier is the kernel's" "$(kernel_memory_tier "$node")" \
		".[].nodes[] | select(.node == $node) | .memory_tier")
done
jqc "${checks[@]}"
ctl tiers -u
rc_is "tiers -u" 0
jqc "tiers -u: sizes for humans" true \
	'all(.[] | .capacity, .free, (.nodes[] | .capacity, .free); type == "string" and test("^[0-9]+\\.[0-9]{2} (B|KiB|MiB|GiB|TiB)$"))' \
    "tiers -u: latencies stay numbers" '"number"' '.[0].read_latency_ns | type'
ctl -u tiers
jqc "-u before the command: the same" '"string"' '.[0].capacity | type'
ctl tiers --table
rc_is "tiers --table" 0
check "tiers --table: a header" TIER "$(head -n 1 <<<"$out" | awk '{ print $1 }')"
check "tiers --table: one row per node" "$(ls $sysfs/nodes | wc -l)" "$(tail -n +2 <<<"$out" | wc -l)"
check "tiers --table: node $far's row names its tier" "$ftier" \
	"$(awk -v n="$far" 'NR > 1 && $3 == n { print $1 }' <<<"$out")"
ctl tiers --table -u
check "tiers --table -u: human sizes" "GiB" \
	"$(awk -v n="$far" 'NR > 1 && $3 == n { print $6 }' <<<"$out")"
ctl tiers --bogus
rc_is "tiers --bogus" 2

# --- stats and set ----------------------------------------------------------

ctl stats
rc_is "stats" 0
jqc "stats: version" "\"$(<$sysfs/version)\"" .version \
    "stats: tunables are the writable files" \
	"$(find $sysfs -maxdepth 1 -type f -perm -u+w -printf '%f\n' | sort | jq -R . | jq -cs .)" \
	'.tunables | keys' \
    "stats: counters are the files of stats/" "$(ls $sysfs/stats | jq -R . | jq -cs .)" '.stats | keys' \
    "stats: every value is a number" '["number"]' '[.tunables[], .stats[]] | map(type) | unique' \
    "stats: half_life_ms is sysfs's" "$(<$sysfs/half_life_ms)" .tunables.half_life_ms
ctl stats extra
rc_is "stats with an argument" 2

# Epochs of half a second keep the test short; heat halves each epoch.
ctl set epoch_ms=500 half_life_ms=500
rc_is "set two tunables" 0
ctl stats
jqc "set: both read back" '500,500' '.tunables.epoch_ms, .tunables.half_life_ms'
ctl set half_life_ms=abc
rc_is "set a refused value" 1
err_has "set a refused value: the errno text" "half_life_ms=abc: Invalid argument"
ctl set epoch_ms=5
rc_is "set an out-of-range value" 1
err_has "set an out-of-range value: the errno text" "epoch_ms=5: Invalid argument"
check "refused values change nothing" "500 500" "$(<$sysfs/epoch_ms) $(<$sysfs/half_life_ms)"
ctl set half_life_ms=
rc_is "set an empty value" 2
ctl set half_life_ms
rc_is "set without =" 2
ctl set
rc_is "set without arguments" 2
for key in ../../kernel/mm/transparent_hugepage/enabled /etc/hostname \
	nodes/../retier nodes//node0/kind stats/ HALF_LIFE_MS; do
	ctl set "$key=1"
	rc_is "set '$key' (outside the tunables or malformed)" 2
done
ctl set half_life_ms=600 ../retier=1
rc_is "set: one malformed argument" 2
check "set: a malformed argument writes nothing" 500 "$(<$sysfs/half_life_ms)"
ctl set nosuch_tunable=1
rc_is "set an unknown key" 1
err_has "set an unknown key: says so" "nosuch_tunable: no such tunable"
ctl set stats/epochs=1
rc_is "set a counter" 1
ctl set version=1
rc_is "set a read-only file" 1
ctl set half_life_ms=600 nosuch_tunable=1
rc_is "set: one refused among several" 1
check "set: the others are still written" 600 "$(<$sysfs/half_life_ms)"
ctl set half_life_ms=500
LC_ALL=C setpriv --reuid=65534 --regid=65534 --clear-groups \
	cxltierctl set half_life_ms=700 >"$tmp/out" 2>"$tmp/err"
rc=$?
err=$(<"$tmp/err")
rc_is "set as an unprivileged user" 1
err_has "set as an unprivileged user: the errno text" "half_life_ms: Permission denied"
ctl set "nodes/node$far/kind=cxl"
rc_is "set a node's kind" 0
ctl tiers
jqc "set a node's kind: tiers shows it, marked as set" '"cxl",true' "$farnode | .kind, .kind_set"
ctl set "nodes/node$far/kind=auto"
ctl tiers
jqc "set a node's kind back to auto" '"far",null' "$farnode | .kind, .kind_set"

# --- buffers and heat: a buffer with known contents and hot set -------------

ctl buffers
rc_is "buffers" 0
jqc "buffers: none before the helper" '[]' .

# 8 chunks of 2 MiB, 0-3 on node 0 and 4-7 on node $far; the CPU keeps
# touching 1 and 5, the fake accelerator keeps reading 3 and 6.
cxltier-cli-buf --far-node "$far" --touch 1,5 --dma 3,6 --label cli-test >"$tmp/buf" 2>"$tmp/buf.err" &
helper=$!
wait_for 30 test -s "$tmp/buf"
out=$(head -n 1 "$tmp/buf")
jqc "helper: tracked buffer" true '.id > 0 and .chunks == 8'
id=$(jq .id <<<"$out")
start=$(jq .start <<<"$out")
mib=$((1024 * 1024))

# Hot chunks stay hot, the cold ones cool below one access.
hot4() { [ "$(cxltierctl buffers 2>/dev/null | jq ".[] | select(.id == $id) | .hot_chunks")" = 4 ]; }
if wait_for 60 hot4; then tap OK "buffers: the 4 hot chunks settle"; else tap FAIL "buffers: the 4 hot chunks settle"; fi

ctl buffers
rc_is "buffers with a buffer" 0
jqc "buffers: one buffer" 1 length \
    "buffers: its id" "$id" '.[0].id' \
    "buffers: its owner" "$helper,\"cxltier-cli-buf\"" '.[0] | .pid, .process' \
    "buffers: its label" '"cli-test"' '.[0].label' \
    "buffers: its start" "$start" '.[0].start' \
    "buffers: size, chunk size, chunks" "$((16 * mib)),$((2 * mib)),8" \
	'.[0] | .size, .chunk_size, .chunks' \
    "buffers: both heat sources" '["cpu","device"]' '.[0].sources' \
    "buffers: all resident and pinned" "$((16 * mib)),$((16 * mib))" '.[0] | .resident, .pinned' \
    "buffers: half on node 0, half on node $far" "{\"0\":$((8 * mib)),\"$far\":$((8 * mib))}" '.[0].nodes' \
    "buffers: hot_chunks" 4 '.[0].hot_chunks' \
    "buffers: heat and epoch are numbers" '"number","number"' '.[0] | (.heat | type), (.epoch | type)'
ctl buffers -u
rc_is "buffers -u" 0
jqc "buffers -u: human sizes" '"16.00 MiB","2.00 MiB","16.00 MiB","8.00 MiB"' \
	".[0] | .size, .chunk_size, .pinned, .nodes[\"$far\"]" \
    "buffers -u: start in hex" "\"$(printf '0x%x' "$start")\"" '.[0].start' \
    "buffers -u: counts stay numbers" '8,4' '.[0] | .chunks, .hot_chunks'
ctl buffers --refresh
rc_is "buffers --refresh" 0
ctl buffers extra
rc_is "buffers with an argument" 2

ctl heat "$id"
rc_is "heat" 0
jqc "heat: the buffer's id" "$id" .id \
    "heat: every chunk in order" '[0,1,2,3,4,5,6,7]' '[.chunks[].chunk]' \
    "heat: offsets" "0,$((2 * mib)),$((14 * mib))" '.chunks[0,1,7].offset' \
    "heat: nodes" "[0,0,0,0,$far,$far,$far,$far]" '[.chunks[].node]' \
    "heat: resident and pinned per chunk" "[$((2 * mib))],[$((2 * mib))]" \
	'([.chunks[].resident] | unique), ([.chunks[].pinned] | unique)' \
    "heat: the cold chunks are cold" true '[.chunks[0,2,4,7].heat] | max < 1'
# Within an epoch: the CPU-touched chunks have young pages and no device
# count, the DMA-read ones the other way round.
sources() {
	cxltierctl heat "$id" 2>/dev/null | jq -e \
		'(.chunks[1,5] | .cpu_young > 0 and .dev_count == 0) and (.chunks[3,6] | .dev_count > 0 and .cpu_young == 0)' >/dev/null
}
if wait_for 30 sources; then
	tap OK "heat: young pages on the CPU's chunks, device counts on the accelerator's"
else
	tap FAIL "heat: young pages on the CPU's chunks, device counts on the accelerator's"
	cxltierctl heat "$id" | jq -c '.chunks[1,3,5,6] | [.chunk, .cpu_young, .dev_count]' | sed 's/^/# /'
fi
ctl heat --hottest 4 "$id"
rc_is "heat --hottest 4" 0
jqc "heat --hottest 4: the touched chunks" '[1,3,5,6]' '[.chunks[].chunk] | sort' \
    "heat --hottest 4: hottest first" true '[.chunks[].heat] | . == (sort | reverse)'
ctl heat --hottest 1 cli-test
jqc "heat by label" "$id" .id \
    "heat --hottest 1: one chunk" 1 '.chunks | length'
ctl heat -u --hottest 2 "$id"
jqc "heat -u: offsets and sizes for humans" true \
	'all(.chunks[]; (.offset | test("MiB$")) and .resident == "2.00 MiB")'
ctl heat 999999
rc_is "heat of no buffer" 1
err_has "heat of no buffer: says so" "no buffer '999999'"
ctl heat --hottest 0 "$id"
rc_is "heat --hottest 0" 2
ctl heat
rc_is "heat without a buffer" 2

# --- top --------------------------------------------------------------------

ctl top -b -n 2 -d 0.5 --metrics "$tmp/none.prom"
rc_is "top -b -n 2 without the agent" 0
check "top: two frames" 2 "$(grep -c '^cxltier ' <<<"$out")"
check "top: the tier table in each frame" 2 "$(grep -c '^TIER' <<<"$out")"
check "top: each tier in each frame" "$((2 * $(ls $sysfs/tiers | wc -l)))" \
	"$(grep -cE '^[0-9]+ +[0-9,-]+ +(dram|far|cxl|hbm|pmem|unknown) ' <<<"$out")"
check "top: no agent, said so" 2 "$(grep -c "migrations: no agent metrics at $tmp/none.prom" <<<"$out")"
check "top: the buffer in each frame" 2 "$(grep -cE "^$id +$helper +cli-test +16.00 MiB +50.0%" <<<"$out")"
cat >"$tmp/agent.prom" <<'EOF'
# TYPE cxltier_migrations_total counter
cxltier_migrations_total{direction="promote",method="handshake"} 6
cxltier_migrations_total{direction="demote",method="move_pages"} 4
cxltier_migrated_bytes_total{direction="promote"} 12582912
EOF
ctl top -b -n 2 -d 0.5 --metrics "$tmp/agent.prom"
rc_is "top with agent metrics" 0
check "top: migrations summed over labels" 1 "$(grep -c '^migrations: 10 so far' <<<"$out")"
check "top: then a rate" 1 "$(grep -c '^migrations: 0.0/s, 0.0 MiB/s' <<<"$out")"
ctl top -d 0
rc_is "top -d 0" 2
ctl top extra
rc_is "top with an argument" 2

# --- heatmap ----------------------------------------------------------------

# png_size FILE: "WIDTH HEIGHT" of a PNG, or what is wrong with it.
png_size() {
	local sig
	sig=$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] || { echo "no PNG signature"; return; }
	[ "$(head -c 16 "$1" | tail -c 4)" = IHDR ] || { echo "no IHDR"; return; }
	od -An -tu1 -j 16 -N 8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

ctl heatmap -o "$tmp/live.png" --samples 3 --interval-ms 5000 --log "$tmp/live.log" "$id"
rc_is "heatmap of a live buffer" 0
check "heatmap: prints the file written" "$tmp/live.png" "$out"
check "heatmap: a 1400 x 800 PNG" "1400 800" "$(png_size "$tmp/live.png")"
size=$(stat -c %s "$tmp/live.png" 2>/dev/null || echo 0)
if [ "$size" -gt 10000 ]; then
	tap OK "heatmap: the PNG has a picture ($size bytes)"
else
	tap FAIL "heatmap: the PNG has a picture ($size bytes)"
fi
check "heatmap --log: 3 samples of 8 chunks" 24 "$(grep -cE '^[0-2] [0-7] [0-9.]+ -?[0-9]+$' "$tmp/live.log")"
epochs=$(sed -n 's/^# sample [0-9]*: heat epoch \([0-9]*\)$/\1/p' "$tmp/live.log" | xargs)
check "heatmap: one sample per heat epoch" true \
	"$(jq -n "[$(tr ' ' , <<<"$epochs")] | length == 3 and .[0] < .[1] and .[1] < .[2]")"
check "heatmap: chunk 5 is hot, in node $far's tier" \
	"$(<$sysfs/nodes/node$far/tier)" "$(awk '$1 == 2 && $2 == 5 && $3 >= 1 { print $4 }' "$tmp/live.log")"
# gnuplot takes seconds in the guest: one more picture only, from the log.
ctl heatmap -o "$tmp/again.png" --input "$tmp/live.log"
rc_is "heatmap --input of a --log" 0
check "heatmap --input: prints the file written" "$tmp/again.png" "$out"
check "heatmap --input: a 1400 x 800 PNG" "1400 800" "$(png_size "$tmp/again.png")"
ctl heatmap -o "$tmp/x.png" --samples 2 999999
rc_is "heatmap of no buffer" 1
printf '0 0 1 0\n0 1 1 0\n\n1 0 1 0\n1 1 hot 0\n' >"$tmp/bad.log"
ctl heatmap -o "$tmp/bad.png" --input "$tmp/bad.log"
rc_is "heatmap --input of a bad heat log" 1
err_has "heatmap --input: names file and line" "$tmp/bad.log:5:"
printf '0 0 1 0\n0 1 1 0\n\n1 0 1 0\n' >"$tmp/short.log"
ctl heatmap -o "$tmp/bad.png" --input "$tmp/short.log"
rc_is "heatmap --input of a ragged heat log" 1
err_has "heatmap --input: a ragged log names file and line" "$tmp/short.log:4:"
ctl heatmap -o "$tmp/bad.png" --input "$tmp/nonexistent.log"
rc_is "heatmap --input of a missing file" 1
err_has "heatmap --input of a missing file: names it" "$tmp/nonexistent.log: No such file or directory"
ctl heatmap -o "$tmp/nodir/x.png" --input "$tmp/live.log"
rc_is "heatmap to an unwritable place" 1
err_has "heatmap to an unwritable place: names it" "$tmp/nodir/x.png: No such file or directory"
check "heatmap to an unwritable place: nothing on stdout" "" "$out"
ctl heatmap --input "$tmp/live.log" "$id"
rc_is "heatmap with --input and a buffer" 2
ctl heatmap --input "$tmp/live.log" --log "$tmp/x.log"
rc_is "heatmap with --input and --log" 2
ctl heatmap --samples 1 "$id"
rc_is "heatmap --samples 1" 2

# --- the helper leaves -------------------------------------------------------

kill "$helper"
wait "$helper"
hrc=$?
helper=
check "helper: contents intact after every command (exit status)" 0 "$hrc"
[ -s "$tmp/buf.err" ] && sed 's/^/# helper: /' "$tmp/buf.err"
ctl buffers
jqc "buffers: the range died with its file" '[]' .

finish
