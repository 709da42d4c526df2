# SPDX-License-Identifier: LGPL-2.1-or-later
"""libcxltier.so.1 through ctypes: loading, structures, prototypes.

Internal to the package.  The library is, in this order: the file named
by ``$CXLTIER_LIBRARY``; ``build/lib/libcxltier.so.1`` of the source tree
when the package is used from it (``PYTHONPATH=python``); the directory
``make install`` recorded; ``libcxltier.so.1`` on the loader's path.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path
from typing import Callable, Optional

from .errors import CxltierError

SONAME = "libcxltier.so.1"

c_size_t = ctypes.c_size_t
c_uint = ctypes.c_uint
c_int = ctypes.c_int
c_u32 = ctypes.c_uint32
c_u64 = ctypes.c_uint64
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p

# cxltier_options.flags
OPEN_NO_AGENT = 1 << 0
# cxltier_buffer_desc.sources
SRC_CPU = 1 << 0
SRC_DEVICE = 1 << 1
# pools (CXLTIER_1.1)
POOL_MAX_TIERS = 4
TIER_ANY = -1
POOL_NODES = 1 << 0
POOL_NO_POISON = 1 << 1
BLOCK_WRITE = 1 << 0
HINT_WILL_READ = 1
HINT_DONE = 2


class Range(ctypes.Structure):
    _fields_ = [("offset", c_u64), ("length", c_u64)]


LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)
RANGE_FN = ctypes.CFUNCTYPE(c_int, c_void_p, ctypes.POINTER(Range), c_void_p)


class Options(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("flags", c_uint),
                ("socket_path", c_char_p), ("device_path", c_char_p),
                ("timeout_ms", c_uint), ("log", LOG_FN),
                ("log_priv", c_void_p)]


class BufferDesc(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("addr", c_void_p), ("length", c_size_t),
                ("label", c_char_p), ("chunk_size", c_size_t),
                ("sources", c_uint), ("adapter", c_char_p),
                ("adapter_arg", c_char_p), ("release", RANGE_FN),
                ("repin", RANGE_FN), ("priv", c_void_p)]


class PoolDesc(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("flags", c_uint), ("label", c_char_p),
                ("block_size", c_size_t), ("nr_blocks", c_u32),
                ("nr_tiers", c_uint), ("nodes", c_int * POOL_MAX_TIERS),
                ("slots", c_u32 * POOL_MAX_TIERS), ("sources", c_uint),
                ("adapter", c_char_p), ("adapter_arg", c_char_p),
                ("copy_threads", c_uint), ("move_wait_ms", c_uint)]


class BlockRef(ctypes.Structure):
    _fields_ = [("addr", c_void_p), ("handle", c_u64),
                ("handle_offset", c_u64), ("tier", c_uint), ("node", c_int),
                ("slot", c_u32), ("block", c_u64), ("flags", c_uint)]


class BlockMove(ctypes.Structure):
    _fields_ = [("block", c_u64), ("tier", c_uint), ("result", c_int),
                ("moved", c_int)]


class PoolStats(ctypes.Structure):
    _fields_ = [("size", c_size_t), ("nr_tiers", c_uint),
                ("block_size", c_u64), ("nr_blocks", c_u32),
                ("blocks_allocated", c_u32),
                ("slots", c_u32 * POOL_MAX_TIERS),
                ("slots_free", c_u32 * POOL_MAX_TIERS),
                ("blocks_on", c_u32 * POOL_MAX_TIERS),
                ("node", c_int * POOL_MAX_TIERS),
                ("slots_draining", c_u32), ("moves", c_u64),
                ("bytes_moved", c_u64), ("skipped_busy", c_u64),
                ("skipped_stale", c_u64), ("skipped_same", c_u64),
                ("refused_full", c_u64), ("failed", c_u64),
                ("copy_ns", c_u64), ("hints_will_read", c_u64),
                ("hints_done", c_u64), ("hints_stale", c_u64)]


P = ctypes.POINTER
# name: (restype, argtypes); the CXLTIER_1.1 ones may be missing.
_PROTOS = {
    "cxltier_open": (c_int, [P(Options), P(c_void_p)]),
    "cxltier_close": (None, [c_void_p]),
    "cxltier_connected": (c_int, [c_void_p]),
    "cxltier_register": (c_int, [c_void_p, P(BufferDesc), P(c_void_p)]),
    "cxltier_unregister": (c_int, [c_void_p]),
    "cxltier_buffer_id": (c_u32, [c_void_p]),
    "cxltier_buffer_handle": (c_int, [c_void_p, P(c_u64)]),
    "cxltier_report": (c_int, [c_void_p, c_u64, c_u64, c_u64]),
    "cxltier_flush": (c_int, [c_void_p]),
    "cxltier_move": (c_int, [c_void_p, c_u64, c_u64, c_int, P(c_u64)]),
    "cxltier_adapter_probe": (c_int, [c_char_p, c_char_p, c_size_t]),
    "cxltier_version": (c_char_p, []),
    "cxltier_pool_create": (c_int, [c_void_p, P(PoolDesc), P(c_void_p)]),
    "cxltier_pool_destroy": (c_int, [c_void_p]),
    "cxltier_pool_id": (c_u32, [c_void_p]),
    "cxltier_block_alloc": (c_int, [c_void_p, c_int, P(c_u64)]),
    "cxltier_block_free": (c_int, [c_void_p, c_u64]),
    "cxltier_block_get": (c_int, [c_void_p, c_u64, c_uint, P(BlockRef)]),
    "cxltier_block_put": (None, [c_void_p, P(BlockRef)]),
    "cxltier_block_lookup": (c_int, [c_void_p, c_u64, P(BlockRef)]),
    "cxltier_pool_hint": (c_int, [c_void_p, c_uint, P(c_u64), c_size_t, c_u32]),
    "cxltier_pool_report": (c_int, [c_void_p, P(c_u64), c_size_t, c_u64]),
    "cxltier_pool_move": (c_int, [c_void_p, P(BlockMove), c_size_t]),
    "cxltier_pool_stats": (c_int, [c_void_p, P(PoolStats)]),
}


def _candidates() -> list:
    env = os.environ.get("CXLTIER_LIBRARY")
    if env:
        return [env]
    out = []
    tree = Path(__file__).resolve().parents[2] / "build" / "lib" / SONAME
    if tree.is_file():
        out.append(str(tree))
    try:
        from . import _libdir  # written by make install
        out.append(os.path.join(_libdir.LIBDIR, SONAME))
    except ImportError:
        pass
    out.append(SONAME)
    return out


_lib: Optional[ctypes.CDLL] = None
_lock = threading.Lock()


def lib() -> ctypes.CDLL:
    """The loaded library, with its prototypes set (loaded on first use)."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for path in _candidates():
            try:
                handle = ctypes.CDLL(path)
                break
            except OSError as e:
                errors.append(str(e))
        else:
            raise CxltierError(2, "dlopen", "; ".join(errors))
        for name, (res, args) in _PROTOS.items():
            fn = getattr(handle, name, None)
            if fn is not None:
                fn.restype = res
                fn.argtypes = args
        _lib = handle
        return _lib


def has(name: str) -> bool:
    """Does the loaded library export ``name`` (a newer symbol version)?"""
    return hasattr(lib(), name)


def encode(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else os.fsencode(s)


class LastMessage:
    """The library's last message on each thread, from the log callback.

    libcxltier reports why a call failed through its log function, in the
    thread that made the call; the exception raised for that call quotes
    it.  ``forward`` gets every message (``logging`` by default).
    """

    def __init__(self, forward: Callable[[int, str], None]) -> None:
        self._tls = threading.local()
        self._forward = forward
        self.fn = LOG_FN(self._log)

    def _log(self, priv, priority: int, msg: bytes) -> None:
        text = msg.decode("utf-8", "replace") if msg else ""
        self._tls.msg = text
        try:
            self._forward(priority, text)
        except Exception:  # never raise into C
            pass

    def take(self) -> Optional[str]:
        """The message logged since the last take() on this thread."""
        msg = getattr(self._tls, "msg", None)
        self._tls.msg = None
        return msg
