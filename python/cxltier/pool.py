# SPDX-License-Identifier: LGPL-2.1-or-later
"""Block pools (libcxltier's CXLTIER_1.1 API): a runtime's fixed-size
blocks in slabs on each tier, moved by copy-then-swap."""

from __future__ import annotations

import ctypes
import errno
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from . import _native as N
from .context import Context
from .errors import CxltierError

TIER_ANY = N.TIER_ANY

Block = int
"""A block handle: index in the low 32 bits, generation in the high 32."""


def _blocks(blocks: Iterable[Block]) -> Tuple[Any, int]:
    seq = list(blocks)
    arr = (ctypes.c_uint64 * max(len(seq), 1))(*seq)
    return arr, len(seq)


class BlockRef:
    """Where a block is, from :meth:`Pool.read`, :meth:`Pool.write` or
    :meth:`Pool.lookup`.

    Attributes:
        block: the block.
        address: its memory in this process.
        length: its bytes (the pool's block size).
        tier: the pool tier of its slot (0: fastest).
        node: the NUMA node of its slot.
        handle: the adapter's pin handle of the slab (test-accel), or 0.
        handle_offset: ``address``'s offset in what ``handle`` pins.

    Inside a bracket (``with pool.read(b) as ref``) the memory stays valid:
    :meth:`memoryview` and :meth:`tensor` alias it without a copy.  They
    must not be used after the bracket ends: the slot may then be reused.
    """

    def __init__(self, pool: "Pool", raw: N.BlockRef, held: bool) -> None:
        self._pool = pool
        self._raw = raw
        self._held = held
        self._views: List[memoryview] = []
        self.block: Block = raw.block
        self.address: int = raw.addr or 0
        self.length: int = pool.block_size
        self.tier: int = raw.tier
        self.node: int = raw.node
        self.handle: int = raw.handle
        self.handle_offset: int = raw.handle_offset

    @property
    def writable(self) -> bool:
        """Was the bracket taken for writing (the block cannot move)?"""
        return bool(self._raw.flags & N.BLOCK_WRITE)

    def memoryview(self) -> memoryview:
        """The block's bytes, without a copy, writable."""
        if not self._held:
            raise CxltierError(errno.EPERM, "cxltier_block_get",
                               "a block's memory is only valid inside a bracket")
        mv = memoryview((ctypes.c_char * self.length).from_address(self.address)).cast("B")
        self._views.append(mv)
        return mv

    def tensor(self, dtype: Any = None, shape: Optional[Sequence[int]] = None) -> Any:
        """The block as a torch tensor aliasing its memory
        (``torch.frombuffer``), of ``dtype`` (default ``torch.uint8``)
        reshaped to ``shape``.  Needs torch (raises ImportError without)."""
        import torch  # only here: nothing else needs torch
        import warnings
        with warnings.catch_warnings():
            # frombuffer warns that the buffer is not "writable" for
            # ctypes memory it does write through; it is writable.
            warnings.simplefilter("ignore")
            t = torch.frombuffer(self.memoryview(), dtype=dtype or torch.uint8)
        return t.view(*shape) if shape is not None else t

    def _release(self) -> None:
        for mv in self._views:
            try:
                mv.release()
            except BufferError:  # a tensor still exports it
                pass
        self._views.clear()
        self._held = False


class _Bracket:
    def __init__(self, pool: "Pool", block: Block, flags: int) -> None:
        self._pool, self._block, self._flags = pool, block, flags
        self._ref: Optional[BlockRef] = None

    def __enter__(self) -> BlockRef:
        self._ref = self._pool.get(self._block, write=bool(self._flags & N.BLOCK_WRITE))
        return self._ref

    def __exit__(self, *exc: Any) -> None:
        if self._ref is not None:
            self._pool.put(self._ref)
            self._ref = None


@dataclass(frozen=True)
class MoveResult:
    """What :meth:`Pool.move` did to one block.

    Attributes:
        block: the block.
        tier: the target tier.
        error: 0, or the errno of why it did not move (ESTALE: freed,
            EBUSY: a writer holds it, ENOSPC: target tier full, EINVAL: no
            such tier, EIO: the copy failed).
        moved: it was copied (False when already there, or on error).
    """

    block: Block
    tier: int
    error: int
    moved: bool


@dataclass(frozen=True)
class PoolStats:
    """A pool's counters (``struct cxltier_pool_stats``); per-tier fields
    are lists indexed by pool tier."""

    nr_tiers: int
    block_size: int
    nr_blocks: int
    blocks_allocated: int
    slots: List[int]
    slots_free: List[int]
    blocks_on: List[int]
    node: List[int]
    slots_draining: int
    moves: int
    bytes_moved: int
    skipped_busy: int
    skipped_stale: int
    skipped_same: int
    refused_full: int
    failed: int
    copy_ns: int
    hints_will_read: int
    hints_done: int
    hints_stale: int


class Pool:
    """A block pool (``cxltier_pool_create``), from
    :meth:`Context.create_pool`.  A context manager: leaving it destroys
    the pool.

    Args:
        ctx: the context.
        nr_blocks: blocks that can be allocated at once.
        block_size: bytes per block, a multiple of the page size
            (default 2 MiB).
        label: what the pool holds (``"kv-cache"``); cxltierd's classes
            match it.
        nr_tiers: slabs (default 2: the module's fastest and slowest
            tier).
        nodes: the NUMA node of each slab, instead of the tier table.
        slots: slots of each slab (default ``nr_blocks`` each).
        sources: heat sources (``SRC_CPU | SRC_DEVICE``; 0: both).
        adapter: who pins the slabs: ``"none"`` (mlock), ``"test-accel"``,
            ``"cuda"``.
        adapter_arg: the adapter's option.
        copy_threads: worker threads that copy (default 1).
        move_wait_ms: how long a move waits for readers of the old slot.
        poison: poison freed slots (catches stale reads; default on).

    Raises:
        CxltierError: EINVAL (bad arguments), ENODEV (no such tier or
            node, adapter unusable), ENOMEM (a slab does not fit on its
            node), ENOSYS (the library has no pools).
    """

    def __init__(self, ctx: Context, nr_blocks: int, *, block_size: int = 0,
                 label: Optional[str] = None, nr_tiers: int = 0,
                 nodes: Optional[Sequence[int]] = None,
                 slots: Optional[Sequence[int]] = None, sources: int = 0,
                 adapter: str = "none", adapter_arg: Optional[str] = None,
                 copy_threads: int = 0, move_wait_ms: int = 0,
                 poison: bool = True) -> None:
        if not N.has("cxltier_pool_create"):
            raise CxltierError(errno.ENOSYS, "cxltier_pool_create",
                               "this libcxltier has no block pools (CXLTIER_1.1)")
        self._ctx = ctx
        self._lib = ctx._lib
        d = N.PoolDesc(size=ctypes.sizeof(N.PoolDesc), label=N.encode(label),
                       block_size=block_size, nr_blocks=nr_blocks,
                       nr_tiers=nr_tiers, sources=sources,
                       adapter=N.encode(adapter),
                       adapter_arg=N.encode(adapter_arg),
                       copy_threads=copy_threads, move_wait_ms=move_wait_ms)
        if not poison:
            d.flags |= N.POOL_NO_POISON
        for name, seq, arr in (("nodes", nodes, d.nodes), ("slots", slots, d.slots)):
            if seq is None:
                continue
            if len(seq) > N.POOL_MAX_TIERS:
                raise CxltierError(errno.EINVAL, "cxltier_pool_create",
                                   f"at most {N.POOL_MAX_TIERS} {name}")
            for i, v in enumerate(seq):
                arr[i] = v
        if nodes is not None:
            d.flags |= N.POOL_NODES
            if not nr_tiers:
                d.nr_tiers = len(nodes)
        handle = ctypes.c_void_p()
        ctx._check(self._lib.cxltier_pool_create(ctx.handle, ctypes.byref(d),
                                                 ctypes.byref(handle)),
                   "cxltier_pool_create")
        self._pool: Optional[int] = handle.value
        self.label = label
        self.block_size = self.stats().block_size
        ctx._children.append(self)

    def _check(self, rc: int, function: str) -> int:
        return self._ctx._check(rc, function)

    @property
    def handle(self) -> int:
        if self._pool is None:
            raise CxltierError(errno.EBADF, "cxltier", "the pool is destroyed")
        return self._pool

    @property
    def id(self) -> int:
        """The pool's id on its context (the agent's name for it)."""
        return int(self._lib.cxltier_pool_id(self.handle))

    def destroy(self) -> None:
        """Destroy the pool (``cxltier_pool_destroy``); every bracket must
        be put first.  Twice does nothing."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if self in self._ctx._children:
            self._ctx._children.remove(self)
        self._check(self._lib.cxltier_pool_destroy(pool), "cxltier_pool_destroy")

    def _detach(self) -> None:
        # Contexts close their pools first.
        if self._pool is not None:
            pool, self._pool = self._pool, None
            self._lib.cxltier_pool_destroy(pool)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.destroy()

    # --- blocks ---------------------------------------------------------

    def alloc(self, tier: int = TIER_ANY) -> Block:
        """Allocate a block on ``tier`` (0: fastest; default: the fastest
        with room).  Its contents are undefined.  ENOSPC: no room."""
        b = ctypes.c_uint64()
        self._check(self._lib.cxltier_block_alloc(self.handle, tier, ctypes.byref(b)),
                    "cxltier_block_alloc")
        return b.value

    def free(self, block: Block) -> None:
        """Free ``block``.  ESTALE: already freed."""
        self._check(self._lib.cxltier_block_free(self.handle, block),
                    "cxltier_block_free")

    def get(self, block: Block, write: bool = False) -> BlockRef:
        """Take a bracket on ``block`` and return its place; pair it with
        :meth:`put`.  Prefer ``with pool.read(b)`` / ``pool.write(b)``."""
        raw = N.BlockRef()
        self._check(self._lib.cxltier_block_get(
            self.handle, block, N.BLOCK_WRITE if write else 0, ctypes.byref(raw)),
            "cxltier_block_get")
        return BlockRef(self, raw, held=True)

    def put(self, ref: BlockRef) -> None:
        """End the bracket of :meth:`get`."""
        if not ref._held:
            raise CxltierError(errno.EINVAL, "cxltier_block_put",
                               "this bracket was already put")
        ref._release()
        self._lib.cxltier_block_put(self.handle, ctypes.byref(ref._raw))

    def read(self, block: Block) -> _Bracket:
        """The read-side bracket as a context manager: the block's memory
        stays valid inside it, while a move may copy it elsewhere."""
        return _Bracket(self, block, 0)

    def write(self, block: Block) -> _Bracket:
        """A writer's bracket: the block does not move until it ends."""
        return _Bracket(self, block, N.BLOCK_WRITE)

    def lookup(self, block: Block) -> BlockRef:
        """The block's current place, without a bracket (it may move any
        time after): for logs and tests.  Its memory cannot be viewed."""
        raw = N.BlockRef()
        self._check(self._lib.cxltier_block_lookup(self.handle, block, ctypes.byref(raw)),
                    "cxltier_block_lookup")
        return BlockRef(self, raw, held=False)

    # --- hints, reports, moves -------------------------------------------

    def will_read(self, blocks: Iterable[Block], lead_ms: int = 0) -> None:
        """Hint that ``blocks`` will be read within ``lead_ms`` (0: soon),
        in one batch."""
        arr, n = _blocks(blocks)
        self._check(self._lib.cxltier_pool_hint(self.handle, N.HINT_WILL_READ,
                                                arr, n, lead_ms), "cxltier_pool_hint")

    def done(self, blocks: Iterable[Block]) -> None:
        """Hint that no further reads of ``blocks`` are expected."""
        arr, n = _blocks(blocks)
        self._check(self._lib.cxltier_pool_hint(self.handle, N.HINT_DONE,
                                                arr, n, 0), "cxltier_pool_hint")

    def report(self, blocks: Iterable[Block], count: int = 1) -> None:
        """Report ``count`` device accesses to each of ``blocks``."""
        arr, n = _blocks(blocks)
        self._check(self._lib.cxltier_pool_report(self.handle, arr, n, count),
                    "cxltier_pool_report")

    def move(self, moves: Iterable[Tuple[Block, int]]) -> List[MoveResult]:
        """Move each ``(block, tier)`` now and wait; one result per block."""
        seq = list(moves)
        arr = (N.BlockMove * max(len(seq), 1))()
        for i, (b, t) in enumerate(seq):
            arr[i].block, arr[i].tier = b, t
        self._check(self._lib.cxltier_pool_move(self.handle, arr, len(seq)),
                    "cxltier_pool_move")
        return [MoveResult(arr[i].block, arr[i].tier, -arr[i].result,
                           bool(arr[i].moved)) for i in range(len(seq))]

    def stats(self) -> PoolStats:
        """The pool's counters now."""
        s = N.PoolStats(size=ctypes.sizeof(N.PoolStats))
        self._check(self._lib.cxltier_pool_stats(self.handle, ctypes.byref(s)),
                    "cxltier_pool_stats")
        n = s.nr_tiers
        return PoolStats(
            nr_tiers=n, block_size=s.block_size, nr_blocks=s.nr_blocks,
            blocks_allocated=s.blocks_allocated, slots=list(s.slots[:n]),
            slots_free=list(s.slots_free[:n]), blocks_on=list(s.blocks_on[:n]),
            node=list(s.node[:n]), slots_draining=s.slots_draining,
            moves=s.moves, bytes_moved=s.bytes_moved,
            skipped_busy=s.skipped_busy, skipped_stale=s.skipped_stale,
            skipped_same=s.skipped_same, refused_full=s.refused_full,
            failed=s.failed, copy_ns=s.copy_ns,
            hints_will_read=s.hints_will_read, hints_done=s.hints_done,
            hints_stale=s.hints_stale)
