# SPDX-License-Identifier: GPL-2.0
#
# Helpers sourced by the tier selftests (bash): TAP output, errno of a
# sysfs write, HMAT figures of the topology, polling.

sysfs=/sys/kernel/cxltier
n=0
fail=0

# load_topology: the topology's variables (topo_hmat, ...), when vm-run
# says which topology this is.
load_topology() {
	[ -n "${CXLTIER_TOPOLOGY_FILE:-}" ] || return 0
	topo_dir=$(dirname "$CXLTIER_TOPOLOGY_FILE")
	# shellcheck source=/dev/null
	. "$CXLTIER_TOPOLOGY_FILE"
}

tap() { # tap OK|FAIL DESCRIPTION
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi
}

# check DESCRIPTION EXPECTED GOT
check() {
	if [ "$2" = "$3" ]; then
		tap OK "$1"
	else
		tap FAIL "$1 (expected '$2', got '$3')"
	fi
}

finish() {
	echo "1..$n"
	exit $fail
}

# write_errno FILE VALUE [PREFIX...]: write VALUE to FILE (with PREFIX as a
# command wrapper, e.g. setpriv) and print OK or the errno name.
write_errno() {
	local file=$1 value=$2 err
	shift 2
	err=$(LC_ALL=C "$@" bash -c 'printf "%s\n" "$1" > "$2"' _ "$value" "$file" 2>&1)
	case "$err" in
	"") echo OK ;;
	*"Invalid argument"*) echo EINVAL ;;
	*"Permission denied"*) echo EACCES ;;
	*"Operation not permitted"*) echo EPERM ;;
	*"No such device"*) echo ENODEV ;;
	*"Input/output error"*) echo EIO ;;
	*) echo "other: $err" ;;
	esac
}

# hmat_of NODE: "latency_ns bandwidth_MBps" from $topo_hmat, or nothing.
# QEMU reads bandwidth suffixes as powers of 1024 bytes/s: 25G is
# 25600 MB/s in the guest's sysfs.
hmat_of() {
	local spec node lat bw num
	for spec in ${topo_hmat:-}; do
		IFS=: read -r node lat bw <<<"$spec"
		[ "$node" = "$1" ] || continue
		num=${bw%[KMGT]}
		case "$bw" in
		*T) bw=$((num * 1024 * 1024)) ;;
		*G) bw=$((num * 1024)) ;;
		*M) bw=$num ;;
		*K) bw=$((num / 1024)) ;;
		*) bw=$((num / 1048576)) ;;
		esac
		echo "$lat $bw"
	done
}

# kernel_memory_tier NODE: the kernel's memory tier id of NODE, or -1.
kernel_memory_tier() {
	local d
	for d in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -f "$d/nodelist" ] || continue
		if in_nodelist "$1" "$(cat "$d/nodelist")"; then
			echo "${d##*memory_tier}"
			return
		fi
	done
	echo -1
}

# in_nodelist NODE LIST: is NODE in a "0-1,3" list?
in_nodelist() {
	local part lo hi
	IFS=, read -ra parts <<<"$2"
	for part in "${parts[@]}"; do
		lo=${part%-*}
		hi=${part#*-}
		[ -n "$lo" ] || continue
		[ "$1" -ge "$lo" ] && [ "$1" -le "$hi" ] && return 0
	done
	return 1
}

# memory_tiering_layout: one line per kernel tier, "memory_tierN: nodes".
memory_tiering_layout() {
	local d
	for d in /sys/devices/virtual/memory_tiering/memory_tier*; do
		[ -f "$d/nodelist" ] && echo "${d##*/}: $(cat "$d/nodelist")"
	done
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local i=0 max=$(($1 * 10))
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		sleep 0.1
	done
	return 0
}
