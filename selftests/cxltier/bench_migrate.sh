#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltier-bench migrate's correctness at a small size (no timing: the
# figures are in Documentation/admin-guide/performance.rst): every
# variant moves every page of a THP-backed and a small-page buffer and
# back, through the in-process cycle and a private cxltierd's handshake,
# with no byte corrupted and, for the THP buffer, whole folios moved.
# TAP.
set -uo pipefail

n=0
fail=0
tap() { n=$((n + 1)); if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
expect() { local d=$1; shift; if "$@"; then tap OK "$d"; else tap FAIL "$d"; fi; }

echo "TAP version 13"
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT

cxltier-bench migrate --json --size $((8 << 20)) --runs 1 >"$out" 2>"$out.err"
rc=$?
expect "migrate --json exits 0" [ $rc = 0 ]
[ $rc = 0 ] || sed 's/^/#   /' "$out.err"
key() { jq -r "$1" "$out" 2>/dev/null; } # key FILTER: the JSON value
for kind in thp small; do
	expect "$kind: no byte corrupted" [ "$(key ".$kind.corrupt_bytes")" = 0 ]
	for v in memcpy inproc inproc_4k batched per_chunk; do
		expect "$kind: $v measured" \
			[ "$(key ".$kind.$v.gbps_median > 0")" = true ]
	done
	expect "$kind: batched_ratio_to_inproc, of the medians and of the fastest passes" \
		[ "$(key ".$kind.batched_ratio_to_inproc > 0 and .$kind.batched_ratio_to_inproc_fastest > 0")" = true ]
done
thp_whole() {
	local before after
	before=$(key .thp.thp_bytes_before)
	after=$(key .thp.thp_bytes_after)
	# -1: /proc/kpageflags unreadable; 0: THP disabled here.
	[ "$before" -le 0 ] || [ "$after" = "$before" ]
}
expect "thp: the huge pages moved whole (not split)" thp_whole
expect "small: no huge page" [ "$(key .small.thp_bytes_before)" -le 0 ]

cxltier-bench migrate --size 3 >/dev/null 2>&1
expect "a size that is not a multiple of 2 MiB is refused (exit 2)" [ $? = 2 ]
cxltier-bench migrate --pages huge >/dev/null 2>&1
expect "an unknown --pages is refused (exit 2)" [ $? = 2 ]

echo "1..$n"
exit $fail
