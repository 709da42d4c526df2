#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cxltier.ko loads and unloads 20 times in a row; each time /dev/cxltier
# and /sys/kernel/cxltier appear and go, and nothing above info level
# reaches the kernel log.  Runs with the module unloaded.  TAP output.
set -uo pipefail

ko=${CXLTIER_MODDIR:?}/kmod/cxltier.ko
rounds=20
# shellcheck source=kernel_log.sh
. "$(dirname "$0")/kernel_log.sh"

echo "TAP version 13"
echo "1..2"
before=$(log_problems)
bad=0
for i in $(seq $rounds); do
	if ! insmod "$ko"; then echo "# round $i: insmod failed"; bad=1; break; fi
	[ -c /dev/cxltier ] || { echo "# round $i: no /dev/cxltier"; bad=1; }
	[ -f /sys/kernel/cxltier/version ] || { echo "# round $i: no sysfs"; bad=1; }
	if ! rmmod cxltier; then echo "# round $i: rmmod failed"; bad=1; break; fi
	[ ! -e /dev/cxltier ] || { echo "# round $i: /dev/cxltier left behind"; bad=1; }
	[ ! -e /sys/kernel/cxltier ] || { echo "# round $i: sysfs left behind"; bad=1; }
done
[ $bad = 0 ] && echo "ok 1 load and unload $rounds times" || echo "not ok 1 load and unload $rounds times"

new=$(log_new "$before" "$(log_problems)")
if [ -z "$new" ]; then
	echo "ok 2 nothing above info level in the kernel log"
else
	echo "not ok 2 nothing above info level in the kernel log"
	sed 's/^/#   /' <<<"$new"
	bad=1
fi
exit $bad
