# SPDX-License-Identifier: GPL-2.0
"""Host tests of the example KV offload manager's own logic (the chained
block keys and the LRU prefix index); its runs over a real pool are in
the guest (selftests/cxltier/python_kmem.sh).  TAP."""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "tests", "python"))
from tap import check, finish  # noqa: E402

import kv_offload as kv  # noqa: E402

print("TAP version 13")


def t_hashes():
    a = kv.block_hashes(list(range(40)), 16)
    assert len(a) == 2, a  # the partial last block has no key
    b = kv.block_hashes(list(range(32)) + [99] * 16, 16)
    assert b[:2] == a and len(b) == 3
    c = kv.block_hashes([1] + list(range(1, 32)), 16)
    assert c[0] != a[0] and c[1] != a[1], "a change in block 0 changes every later key"
    assert kv.block_hashes([], 16) == []


check("block keys chain over the prefix; a partial block has none", t_hashes)


def t_lru():
    ix = kv.PrefixIndex(3)
    for i, k in enumerate([b"a", b"b", b"c"]):
        ix.add(k, 10 + i)
    assert ix.match([b"a", b"b", b"x", b"c"]) == [10, 11], "stops at the first miss"
    assert ix.victims(1) == [(b"c", 12)], "c is least recently used: a, b were touched"
    ix.add(b"d", 13)
    assert ix.victims(5) == [(b"a", 10), (b"b", 11), (b"d", 13)]
    assert len(ix) == 0 and ix.victims(1) == []


check("the prefix index matches the longest prefix and evicts LRU first", t_lru)


def t_kv_of():
    assert kv.kv_of(b"k" * 16, 4096) == kv.kv_of(b"k" * 16, 4096)
    assert kv.kv_of(b"k" * 16, 4096) != kv.kv_of(b"j" * 16, 4096)
    assert kv.parse_size("256K") == 256 << 10 and kv.parse_size("4096") == 4096


check("the demo's KV contents are a function of the key; sizes parse", t_kv_of)
finish()
