#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_python.sh: the cxltier Python package on the host, from the build
# tree (PYTHONPATH=python), with Debian's /usr/bin/python3: the library
# loads, errors carry errno and the library's message, the tier table
# parses, pydoc renders every docstring (tests/python/test_host.py); and
# the example KV offload manager's own tests (examples/).  TAP; host only.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$root/build/lib/libcxltier.so.1" ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP not applicable: nothing is built yet (make)"
	exit 0
fi
export PYTHONPATH=$root/python PYTHONDONTWRITEBYTECODE=1
/usr/bin/python3 "$root/tests/python/test_host.py" || exit 1
/usr/bin/python3 "$root/examples/test_kv_offload.py"
