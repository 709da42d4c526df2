#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, the cxltier Python package (python/, from the tree as
# PYTHONPATH) under Debian's /usr/bin/python3, against cxltier.ko and a
# cxltierd of the test's own: python_e2e.py, TAP.
set -uo pipefail
. "$(dirname "$0")/e2e_lib.sh"

e2e_setup
root=$(cd "$(dirname "$0")/../.." && pwd)
cat >"$conf" <<CONF
[tiers]
dram = $dram
far = $far

[policy]
interval = 1s
promote_min_heat = 1000000
CONF
if ! start_agent; then
	echo "not ok 1 cxltierd starts"
	echo "1..1"
	exit 1
fi
E2E_FAR=$far E2E_DRAM=$dram E2E_SOCK=$sock E2E_CONF=$conf \
	E2E_AGENT_PID=$agent_pid PYTHONPATH=$root/python \
	PYTHONDONTWRITEBYTECODE=1 CXLTIER_LIBRARY=${CXLTIER_BUILD:-$root/build}/lib/libcxltier.so.1 \
	/usr/bin/python3 "$root/selftests/cxltier/python_e2e.py"
