#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltier-bench blockmove --check: the block pool benchmark's correctness
# at a small size, not timed (the ratios are for performance.rst).  Every
# moved block must checksum right at its new place, on the device and on
# the CPU, every old slot must be poisoned after the swap, no move may be
# skipped and no device read may be bad.  Bad flags are refused.  TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

out=$(cxltier-bench blockmove --reps 0 2>&1)
expect "--reps 0 is refused" [ $? = 2 ]
out=$(cxltier-bench blockmove --fraction 0.9 2>&1)
expect "--fraction 0.9 is refused" [ $? = 2 ]
out=$(cxltier-bench blockmove --blocks x 2>&1)
expect "--blocks x is refused" [ $? = 2 ]

out=$(cxltier-bench blockmove --check --json 2>&1)
rc=$?
expect "blockmove --check succeeds" [ $rc = 0 ]
[ $rc = 0 ] || echo "$out" | diag
val() { echo "$out" | sed -n "s/^ *\"$1\": *\([0-9]*\).*/\1/p"; }
expect "blocks were moved and checked" [ "$(val checked_blocks)" -gt 0 ]
expect "every moved block was checked" [ "$(val checked_blocks)" = "$(val moved_blocks)" ]
expect "0 corrupt bytes" [ "$(val corrupt_bytes)" = 0 ]
expect "0 corrupt blocks" [ "$(val corrupt_blocks)" = 0 ]
expect "every old slot poisoned" [ "$(val old_slots_poisoned)" = "$(val moved_blocks)" ]
expect "no move skipped" [ "$(val skipped_blocks)" = 0 ]
expect "the device read blocks" [ "$(val device_reads)" -gt 0 ]
expect "0 bad device reads" [ "$(val device_bad_reads)" = 0 ]
finish
