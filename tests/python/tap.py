# SPDX-License-Identifier: GPL-2.0
"""TAP output for the Python tests: check(), skip(), finish()."""

import sys
import traceback

_n = 0
_failed = False


def check(description, fn):
    """Run fn(); ok when it returns without raising (asserts inside)."""
    global _n, _failed
    _n += 1
    try:
        fn()
        print(f"ok {_n} {description}", flush=True)
    except Exception:
        _failed = True
        print(f"not ok {_n} {description}", flush=True)
        for line in traceback.format_exc().splitlines():
            print(f"#   {line}", flush=True)


def skip(description, why):
    global _n
    _n += 1
    print(f"ok {_n} {description} # SKIP {why}", flush=True)


def note(msg):
    print(f"# {msg}", flush=True)


def finish():
    print(f"1..{_n}", flush=True)
    sys.exit(1 if _failed else 0)
