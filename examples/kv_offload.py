#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""An example KV-cache offload manager over a cxltier block pool.

The shape of vLLM's CPU offloading and LMCache's local CPU backend: the
KV cache of each full block of tokens is keyed by a chained hash of the
tokens up to and including it, stored from the accelerator into a host
block, found again when a later request shares the prefix, loaded back,
and evicted by the runtime's own LRU when the host tier is full.  What
cxltier adds:

  * the host blocks are pool blocks (``cxltier.Pool``): slabs on DRAM and
    on far (CXL) memory, pinned once;
  * the manager's prefix index gives hints: will-read for the blocks of a
    request whose prefix matched (they are loaded within milliseconds),
    done for the blocks it evicts;
  * cxltierd decides which tier each block lives on and moves it by
    copy-then-swap; the manager only ever holds brackets while it copies.

With torch on CUDA the pool is pinned by the "cuda" adapter and copies
are ``Tensor.copy_(non_blocking=True)`` (cudaMemcpyAsync); with torch on
the CPU, tensor copies; without torch, memoryviews.

Run ``kv_offload.py --help``; ``--check`` verifies every byte loaded.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import cxltier

# torch, when the run uses it (main() imports it unless --no-torch: the
# import alone takes seconds).
torch: Any = None

MiB = 1 << 20


def block_hashes(tokens: Sequence[int], block_tokens: int) -> List[bytes]:
    """The chained hash of each full block of ``tokens``: block i's key
    covers tokens [0, (i + 1) * block_tokens), as vLLM's prefix cache."""
    out, parent = [], b""
    for i in range(len(tokens) // block_tokens):
        h = hashlib.blake2b(parent, digest_size=16)
        h.update(repr(tuple(tokens[i * block_tokens:(i + 1) * block_tokens])).encode())
        parent = h.digest()
        out.append(parent)
    return out


class PrefixIndex:
    """Block key -> pool block, in LRU order (the runtime's own policy).

    Pure bookkeeping: no memory, no I/O, so the LRU and the longest-prefix
    match are testable on their own.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lru: "collections.OrderedDict[bytes, int]" = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._lru)

    def __contains__(self, key: bytes) -> bool:
        return key in self._lru

    def match(self, keys: Sequence[bytes]) -> List[int]:
        """The blocks of the longest stored prefix of ``keys``, touched as
        most recently used."""
        out = []
        for k in keys:
            b = self._lru.get(k)
            if b is None:
                break
            self._lru.move_to_end(k)
            out.append(b)
        return out

    def victims(self, n: int) -> List[tuple]:
        """Take the ``n`` least recently used (key, block) pairs out."""
        return [self._lru.popitem(last=False) for _ in range(min(n, len(self._lru)))]

    def add(self, key: bytes, block: int) -> None:
        self._lru[key] = block
        self._lru.move_to_end(key)


@dataclass
class Counters:
    requests: int = 0
    blocks_hit: int = 0
    blocks_missed: int = 0
    blocks_stored: int = 0
    blocks_evicted: int = 0
    bytes_loaded: int = 0
    corrupt_blocks: int = 0
    by_tier: Dict[int, int] = field(default_factory=dict)


class KVOffloadManager:
    """The host KV tier of one engine, over a cxltier pool.

    ``store(key, kv)`` copies one block's KV (a tensor or bytes of
    ``pool.block_size`` bytes) into the pool; ``lookup(keys)`` matches a
    request's prefix and hints will-read; ``load(block, out)`` copies a
    block back.  Evictions are LRU, with a done hint.
    """

    def __init__(self, pool: cxltier.Pool, capacity: int,
                 device: Optional[str] = None) -> None:
        self.pool = pool
        self.index = PrefixIndex(capacity)
        self.device = device
        self.n = Counters()

    def lookup(self, keys: Sequence[bytes]) -> List[int]:
        """Blocks of the longest stored prefix; hinted will-read at once,
        in one batch, so cxltierd can bring far ones closer before the
        loads."""
        blocks = self.index.match(keys)
        if blocks:
            self.pool.will_read(blocks, lead_ms=1)
        return blocks

    def _evict(self, n: int) -> None:
        victims = self.index.victims(n)
        if not victims:
            return
        blocks = [b for _, b in victims]
        self.pool.done(blocks)
        for b in blocks:
            self.pool.free(b)
        self.n.blocks_evicted += len(blocks)

    def store(self, key: bytes, kv: Any) -> None:
        """Offload one block's KV (the device's copy stays valid)."""
        if key in self.index:
            return
        if len(self.index) >= self.index.capacity:
            self._evict(1)
        try:
            b = self.pool.alloc()
        except cxltier.CxltierError as e:
            if e.errno != 28:  # ENOSPC: the pool is smaller than the LRU
                raise
            self._evict(1)
            b = self.pool.alloc()
        with self.pool.write(b) as ref:
            if torch is not None and isinstance(kv, torch.Tensor):
                dst = ref.tensor(kv.dtype, kv.shape)
                dst.copy_(kv, non_blocking=kv.is_cuda)
                if kv.is_cuda:
                    torch.cuda.current_stream().synchronize()
            else:
                ref.memoryview()[:] = kv
        self.index.add(key, b)
        self.n.blocks_stored += 1

    def load(self, block: int, out: Any) -> None:
        """Copy a stored block into ``out`` (a tensor on the device, or a
        writable buffer), inside a read bracket."""
        with self.pool.read(block) as ref:
            self.n.by_tier[ref.tier] = self.n.by_tier.get(ref.tier, 0) + 1
            if torch is not None and isinstance(out, torch.Tensor):
                src = ref.tensor(out.dtype, out.shape)
                out.copy_(src, non_blocking=out.is_cuda)
                if out.is_cuda:
                    torch.cuda.current_stream().synchronize()
            else:
                memoryview(out)[:] = ref.memoryview()
        self.n.bytes_loaded += self.pool.block_size


# --- the demo: an engine serving requests with shared prefixes ---------------

def kv_of(key: bytes, size: int) -> bytes:
    """What the engine computed for a block: a function of its key, so
    that a load can be checked."""
    seed = int.from_bytes(key[:8], "little")
    return random.Random(seed).randbytes(size)


def run(args: argparse.Namespace) -> int:
    rnd = random.Random(args.seed)
    use_torch = torch is not None and not args.no_torch
    device = "cuda" if use_torch and torch.cuda.is_available() else "cpu"
    adapter = "cuda" if device == "cuda" else "none"
    tiers = cxltier.tiers()
    with cxltier.open(socket_path=args.socket, no_agent=True) as ctx:
        nodes = [args.dram_node, args.far_node] if args.far_node is not None else None
        pool = ctx.create_pool(args.blocks, block_size=args.block_size,
                               label=args.label, nodes=nodes,
                               slots=[args.dram_slots, args.blocks],
                               adapter=adapter)
        st = pool.stats()
        print(f"tiers: " + ", ".join(f"tier {t.index} {t.kind} nodes {t.nodes}" for t in tiers))
        print(f"pool {pool.id} \"{args.label}\": {args.blocks} blocks of "
              f"{args.block_size // 1024} KiB, slabs on nodes {st.node} "
              f"with {st.slots} slots, adapter {adapter}, copies with "
              f"{'torch on ' + device if use_torch else 'memoryviews'}")
        mgr = KVOffloadManager(pool, capacity=args.blocks, device=device)
        # Prompts share a few system prompts and conversation prefixes.
        prefixes = [[rnd.randrange(32000) for _ in range(args.block_tokens * rnd.randint(2, 6))]
                    for _ in range(args.prefixes)]
        t0 = time.monotonic()
        elems = args.block_size // 2
        for r in range(args.requests):
            tokens = list(rnd.choice(prefixes))
            tokens += [rnd.randrange(32000) for _ in range(args.block_tokens * rnd.randint(0, 3))]
            keys = block_hashes(tokens, args.block_tokens)
            mgr.n.requests += 1
            hit = mgr.lookup(keys)
            mgr.n.blocks_hit += len(hit)
            mgr.n.blocks_missed += len(keys) - len(hit)
            for k, b in zip(keys, hit):
                if use_torch:
                    out = torch.empty(elems, dtype=torch.float16, device=device)
                    mgr.load(b, out)
                    got = out.cpu().numpy().tobytes() if args.check else None
                else:
                    out = bytearray(args.block_size)
                    mgr.load(b, out)
                    got = bytes(out)
                if args.check and got != kv_of(k, args.block_size):
                    mgr.n.corrupt_blocks += 1
            for k in keys[len(hit):]:
                kv = kv_of(k, args.block_size)
                if use_torch:
                    t = torch.frombuffer(bytearray(kv), dtype=torch.float16).to(device)
                    mgr.store(k, t)
                else:
                    mgr.store(k, kv)
        dt = time.monotonic() - t0
        n = mgr.n
        st = pool.stats()
        total = n.blocks_hit + n.blocks_missed
        print(f"requests {n.requests}: blocks hit {n.blocks_hit}/{total} "
              f"({100.0 * n.blocks_hit / max(total, 1):.0f}%), stored {n.blocks_stored}, "
              f"evicted {n.blocks_evicted} (LRU)")
        print(f"loads by tier: " + ", ".join(f"tier {t}: {c}" for t, c in sorted(n.by_tier.items())))
        print(f"hints: will-read {st.hints_will_read}, done {st.hints_done}, stale {st.hints_stale}")
        print(f"blocks now: {st.blocks_on} per tier, moved by cxltierd {st.moves} "
              f"({st.bytes_moved // MiB} MiB), skipped busy {st.skipped_busy}")
        if args.check:
            print(f"checked every loaded block: {n.corrupt_blocks} corrupt")
        print(f"took {dt:.2f} s")
        return 1 if n.corrupt_blocks else 0


def parse_size(s: str) -> int:
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(s[-1:].upper(), 1)
    return int(s[:-1] if mult > 1 else s) * mult


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--socket", help="cxltierd's socket (default: $CXLTIER_SOCKET or the system one)")
    p.add_argument("--blocks", type=int, default=64, help="pool blocks (default 64)")
    p.add_argument("--dram-slots", type=int, default=16,
                   help="slots of the DRAM slab: the rest spills to far memory (default 16)")
    p.add_argument("--block-size", type=parse_size, default=256 << 10,
                   help="bytes per block, whole pages (default 256K)")
    p.add_argument("--block-tokens", type=int, default=16, help="tokens per block (default 16)")
    p.add_argument("--requests", type=int, default=200, help="requests to serve (default 200)")
    p.add_argument("--prefixes", type=int, default=12, help="distinct shared prefixes (default 12)")
    p.add_argument("--dram-node", type=int, default=0, help="with --far-node: the DRAM slab's node")
    p.add_argument("--far-node", type=int,
                   help="the far slab's node (default: the module's slowest tier)")
    p.add_argument("--label", default="kv-offload", help="the pool's label (default kv-offload)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-torch", action="store_true", help="memoryviews even where torch is")
    p.add_argument("--check", action="store_true", help="verify every byte loaded")
    args = p.parse_args(argv)
    global torch
    if not args.no_torch:
        try:
            import torch as _torch
            torch = _torch
        except ImportError:
            pass
    try:
        return run(args)
    except cxltier.CxltierError as e:
        print(f"kv_offload: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
