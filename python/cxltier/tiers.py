# SPDX-License-Identifier: LGPL-2.1-or-later
"""The module's tier table, read from /sys/kernel/cxltier/."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import List, Optional

from .errors import CxltierError

SYSFS = "/sys/kernel/cxltier"


@dataclass(frozen=True)
class Tier:
    """One memory tier of cxltier.ko (tier 0 is the fastest).

    Attributes:
        index: the tier number.
        kind: ``"dram"``, ``"far"``, ``"cxl"``, ``"hbm"``, ``"pmem"`` or
            ``"unknown"``.
        nodes: its NUMA nodes.
        capacity_kB: memory present, in KiB.
        free_kB: memory free, in KiB.
        read_latency_ns: HMAT read latency, 0 when unknown.
        read_bandwidth_MBps: HMAT read bandwidth, 0 when unknown.
    """

    index: int
    kind: str
    nodes: List[int] = field(default_factory=list)
    capacity_kB: int = 0
    free_kB: int = 0
    read_latency_ns: int = 0
    read_bandwidth_MBps: int = 0


def parse_nodelist(s: str) -> List[int]:
    """``"0-1,4"`` -> ``[0, 1, 4]`` (the kernel's node list format)."""
    out: List[int] = []
    for part in s.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _read(path: str) -> Optional[str]:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def tiers(sysfs: str = SYSFS) -> List[Tier]:
    """The tiers the module sees now, fastest first.

    Raises:
        CxltierError: ENOENT when cxltier.ko is not loaded.
    """
    base = os.path.join(sysfs, "tiers")
    try:
        names = os.listdir(base)
    except OSError as e:
        raise CxltierError(e.errno or errno.ENOENT, "tiers",
                           f"{base}: cxltier.ko is not loaded") from None
    out = []
    for name in names:
        if not name.startswith("tier") or not name[4:].isdigit():
            continue
        d = os.path.join(base, name)
        nodelist = _read(os.path.join(d, "nodelist"))
        if nodelist is None:  # went away while we read
            continue

        def num(f: str) -> int:
            v = _read(os.path.join(d, f))
            return int(v) if v and v.isdigit() else 0

        out.append(Tier(index=int(name[4:]),
                        kind=_read(os.path.join(d, "kind")) or "unknown",
                        nodes=parse_nodelist(nodelist),
                        capacity_kB=num("capacity_kB"),
                        free_kB=num("free_kB"),
                        read_latency_ns=num("read_latency_ns"),
                        read_bandwidth_MBps=num("read_bandwidth_MBps")))
    return sorted(out, key=lambda t: t.index)
