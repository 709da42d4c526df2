#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_bench_policy_cost.sh: cxltier-bench policy-cost's correctness at a
# small size (no timing is judged): --check runs the agent's policy and
# adaptive heat on 20000 chunks and checks every plan and hand-over; the
# JSON has its keys, the default shadows are cxltierd.conf's, --adaptive
# and -o change them, and a bad command line exits 2.  Needs what "make"
# built; no module.  TAP output; host only, about a second.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib/tap.sh"
bench=$root/build/bin/cxltier-bench

echo "TAP version 13"
if [ ! -x "$bench" ]; then
	echo "1..0 # SKIP not applicable: nothing is built yet (make)"
	exit 0
fi

expect() { # expect DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then tap OK "$1"; else tap FAIL "$1" "expected: $2" "got: $3"; fi
}

out=$("$bench" policy-cost --check --json 2>&1)
rc=$?
expect "--check: exit 0" 0 "$rc"
expect "--check: no check failed" 0 "$(jq -r .check_failures <<<"$out" 2>&1)"
expect "--check: 20000 chunks" 20000 "$(jq -r .chunks <<<"$out" 2>&1)"
# The defaults are the agent's: as many shadows as [heat] adaptive_settings has.
want=$(sed -n 's/^#define CONFIG_ADAPT_DEFAULT[[:space:]]*"\(.*\)"/\1/p' "$root/agent/config.h" |
	tr ',' '\n' | wc -l)
expect "--check: the default shadows" "$want" "$(jq -r .shadows <<<"$out" 2>&1)"
expect "--check: promotions were planned" true \
	"$(jq -r '.moves_per_decision > 0 and .plain_moves_per_decision > 0' <<<"$out" 2>&1)"
for k in epoch_ms decision_ms select_ms plan_ms plain_decision_ms pass_ms; do
	expect "--check: $k has min <= median <= max" true \
		"$(jq -r ".$k | .min <= .median and .median <= .max and .min >= 0" <<<"$out" 2>&1)"
done
expect "--check: the ratios and memory are there" true \
	"$(jq -r '[.decision_to_pass_ratio, .epoch_to_pass_ratio, .decision_to_plain_ratio,
		   .select_ms_per_shadow, .adaptive_bytes_per_chunk, .plan_bytes_per_chunk,
		   .input_bytes_per_chunk] | all(. > 0)' <<<"$out" 2>&1)"
# The shadows' memory: 8 bytes per shadow and 13 per chunk, times the room.
expect "--check: the shadows' memory per chunk" true \
	"$(jq -r '(.shadows * 8 + 13) as $b | .adaptive_bytes_per_chunk >= $b and
		  .adaptive_bytes_per_chunk <= 2 * $b + 1' <<<"$out" 2>&1)"

out=$("$bench" policy-cost --check --json --chunks 3000 --runs 3 --adaptive 20s:1:last 2>&1)
rc=$?
expect "--adaptive: exit 0" 0 "$rc"
expect "--adaptive: one shadow" 1 "$(jq -r .shadows <<<"$out" 2>&1)"
expect "--adaptive: its settings" "20000ms:1.000:last" "$(jq -r .adaptive_settings <<<"$out" 2>&1)"

out=$("$bench" policy-cost --check --json --chunks 3000 --runs 1 --warm 0 \
	-o heat.adaptive_settings=5s:1,60s:0 -o policy.rate_limit=unlimited -o policy.min_residency=0 2>&1)
rc=$?
expect "-o: exit 0" 0 "$rc"
expect "-o: two shadows" 2 "$(jq -r .shadows <<<"$out" 2>&1)"
expect "-o: no check failed" 0 "$(jq -r .check_failures <<<"$out" 2>&1)"

"$bench" policy-cost --help >/dev/null 2>&1
expect "--help: exit 0" 0 "$?"
for bad in "--chunks 5" "--chunks x" "--runs 0" "--dram-fraction 1.5" "--adaptive nonsense" \
	   "-o policy.nonsense=1" "-o nodot" "--seed 0" "extra"; do
	# shellcheck disable=SC2086
	"$bench" policy-cost $bad >/dev/null 2>&1
	expect "$bad: exit 2" 2 "$?"
done

echo "1..$n"
exit $fail
