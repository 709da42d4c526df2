# SPDX-License-Identifier: LGPL-2.1-or-later
"""Contexts (a connection to cxltier.ko and cxltierd) and buffers."""

from __future__ import annotations

import ctypes
import errno
import logging
import mmap
import syslog
from typing import Any, Callable, List, Optional, Union

from . import _native as N
from .errors import CxltierError

log = logging.getLogger("cxltier")
# A library logs; the application decides where that goes.
log.addHandler(logging.NullHandler())

# Callback of a buffer: (buffer, offset, length) -> 0 or -errno.
RangeCallback = Callable[["Buffer", int, int], int]

_PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.munlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def _syslog_to_logging(priority: int, msg: str) -> None:
    level = (logging.ERROR if priority <= syslog.LOG_ERR else
             logging.WARNING if priority == syslog.LOG_WARNING else
             logging.INFO if priority <= syslog.LOG_INFO else logging.DEBUG)
    log.log(level, "%s", msg)


def address_of(obj: Any) -> int:
    """The address of a writable buffer-protocol object (mmap, bytearray,
    a ctypes array, a writable memoryview)."""
    if isinstance(obj, int):
        return obj
    mv = memoryview(obj)
    if mv.readonly:
        raise CxltierError(errno.EINVAL, "address_of", "the buffer is read-only")
    return ctypes.addressof(ctypes.c_char.from_buffer(mv))


def alloc_pages(length: int) -> mmap.mmap:
    """Anonymous memory of ``length`` bytes rounded up to whole pages,
    page aligned: what :meth:`Context.register` wants."""
    n = (length + _PAGE - 1) // _PAGE * _PAGE
    return mmap.mmap(-1, n, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                     mmap.PROT_READ | mmap.PROT_WRITE)


def version() -> str:
    """libcxltier's version (``"0.1.0"``)."""
    return N.lib().cxltier_version().decode()


def adapter_probe(name: str) -> Optional[str]:
    """``None`` if adapter ``name`` is usable here, else the reason."""
    why = ctypes.create_string_buffer(256)
    rc = N.lib().cxltier_adapter_probe(N.encode(name), why, len(why))
    return None if rc == 0 else why.value.decode() or "unusable"


class Context:
    """A connection to cxltier.ko and cxltierd (``cxltier_open``).

    Use it as a context manager, or call :meth:`close`::

        with cxltier.open(no_agent=True) as ctx:
            buf = ctx.register(mem, label="kv-cache")

    Args:
        socket_path: the agent's socket (default ``$CXLTIER_SOCKET``, else
            ``/run/cxltier/cxltierd.sock``).
        device_path: the module's device (default ``/dev/cxltier``).
        timeout_ms: how long to wait for the agent's answers (0: 10 s).
        no_agent: succeed without a running agent; connect when it starts.
        log: called as ``log(priority, message)`` for every message of the
            library (syslog priorities); default: the ``cxltier`` logger.

    Raises:
        CxltierError: ENOENT (module not loaded, or no agent),
            ECONNREFUSED, EPROTONOSUPPORT, ETIMEDOUT.
    """

    def __init__(self, socket_path: Optional[str] = None,
                 device_path: Optional[str] = None, timeout_ms: int = 0,
                 no_agent: bool = False,
                 log: Optional[Callable[[int, str], None]] = None) -> None:
        self._lib = N.lib()
        self._msg = N.LastMessage(log or _syslog_to_logging)
        self._children: List[Any] = []
        opts = N.Options(size=ctypes.sizeof(N.Options),
                         flags=N.OPEN_NO_AGENT if no_agent else 0,
                         socket_path=N.encode(socket_path),
                         device_path=N.encode(device_path),
                         timeout_ms=timeout_ms, log=self._msg.fn)
        handle = ctypes.c_void_p()
        self._check(self._lib.cxltier_open(ctypes.byref(opts),
                                           ctypes.byref(handle)), "cxltier_open")
        self._ctx: Optional[int] = handle.value

    def _check(self, rc: int, function: str) -> int:
        message = self._msg.take()
        if rc < 0:
            raise CxltierError(-rc, function, message)
        return rc

    @property
    def handle(self) -> int:
        """The ``struct cxltier *``; raises EBADF once closed."""
        if self._ctx is None:
            raise CxltierError(errno.EBADF, "cxltier", "the context is closed")
        return self._ctx

    def close(self) -> None:
        """Destroy the pools and unregister the buffers still open, then
        disconnect (``cxltier_close``).  Closing twice does nothing."""
        if self._ctx is None:
            return
        for child in reversed(self._children):
            child._detach()
        self._children.clear()
        self._lib.cxltier_close(self._ctx)
        self._ctx = None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def connected(self) -> bool:
        """Is the context connected to cxltierd right now?"""
        return bool(self._lib.cxltier_connected(self.handle))

    def flush(self) -> None:
        """Send the batched device access reports now."""
        self._check(self._lib.cxltier_flush(self.handle), "cxltier_flush")

    def register(self, memory: Union[int, Any], length: Optional[int] = None,
                 *, label: Optional[str] = None, chunk_size: int = 0,
                 sources: int = 0, adapter: str = "none",
                 adapter_arg: Optional[str] = None, pin: bool = False,
                 release: Optional[RangeCallback] = None,
                 repin: Optional[RangeCallback] = None) -> "Buffer":
        """Register a buffer for tracking and moves (``cxltier_register``).

        Args:
            memory: a page-aligned writable buffer (e.g. from
                :func:`alloc_pages`) or an address.
            length: bytes, a multiple of the page size (default: the
                buffer's size).
            label: what it is (``"kv-cache"``); cxltierd's classes match it.
            chunk_size: unit of heat and migration (0: 2 MiB).
            sources: ``SRC_CPU | SRC_DEVICE`` (0: both).
            adapter: who pins: ``"none"`` (this process, in the callbacks),
                ``"test-accel"`` or ``"cuda"``.
            adapter_arg: the adapter's option (test-accel: its device).
            pin: with adapter ``"none"`` and no callbacks: mlock() the
                buffer now, and let the default callbacks drop and take
                that pin around a move.
            release, repin: ``fn(buffer, offset, length) -> 0 | -errno``,
                run in the library's thread (see libcxltier(3)).

        Raises:
            CxltierError: EINVAL (bad buffer), ENODEV (adapter unusable),
                the module's or the agent's errors.
        """
        return Buffer(self, memory, length, label=label, chunk_size=chunk_size,
                      sources=sources, adapter=adapter, adapter_arg=adapter_arg,
                      pin=pin, release=release, repin=repin)

    def create_pool(self, nr_blocks: int, **kwargs: Any) -> "Any":
        """Create a block pool: see :class:`cxltier.Pool`."""
        from .pool import Pool
        return Pool(self, nr_blocks, **kwargs)


def open(**kwargs: Any) -> Context:  # noqa: A001 (cxltier.open, as in C)
    """Open a :class:`Context`; takes its keyword arguments."""
    return Context(**kwargs)


class Buffer:
    """A registered buffer (``struct cxltier_buffer``); from
    :meth:`Context.register`.  A context manager: leaving it unregisters."""

    def __init__(self, ctx: Context, memory: Union[int, Any],
                 length: Optional[int], *, label: Optional[str],
                 chunk_size: int, sources: int, adapter: str,
                 adapter_arg: Optional[str], pin: bool,
                 release: Optional[RangeCallback],
                 repin: Optional[RangeCallback]) -> None:
        self._ctx = ctx
        self._memory = memory  # kept alive while registered
        self.address = address_of(memory)
        if length is None:
            if isinstance(memory, int):
                raise CxltierError(errno.EINVAL, "cxltier_register",
                                   "an address needs a length")
            length = memoryview(memory).nbytes
        self.length = length
        self.label = label
        self._pinned = False
        if adapter in (None, "none") and release is None and repin is None:
            release = self._munlock if pin else self._nothing
            repin = self._mlock if pin else self._nothing
            if pin:
                if _libc.mlock(ctypes.c_void_p(self.address), length):
                    e = ctypes.get_errno()
                    raise CxltierError(e, "mlock", "cannot pin the buffer")
                self._pinned = True
        self._cbs = (N.RANGE_FN(self._wrap(release)) if release else N.RANGE_FN(),
                     N.RANGE_FN(self._wrap(repin)) if repin else N.RANGE_FN())
        desc = N.BufferDesc(size=ctypes.sizeof(N.BufferDesc),
                            addr=self.address, length=length,
                            label=N.encode(label), chunk_size=chunk_size,
                            sources=sources, adapter=N.encode(adapter),
                            adapter_arg=N.encode(adapter_arg),
                            release=self._cbs[0], repin=self._cbs[1])
        handle = ctypes.c_void_p()
        try:
            ctx._check(ctx._lib.cxltier_register(ctx.handle, ctypes.byref(desc),
                                                 ctypes.byref(handle)),
                       "cxltier_register")
        except CxltierError:
            self._unpin()
            raise
        self._buf: Optional[int] = handle.value
        ctx._children.append(self)

    def _wrap(self, fn: RangeCallback) -> Callable[..., int]:
        def cb(buf: int, rng: Any, priv: int) -> int:
            try:
                return int(fn(self, rng.contents.offset, rng.contents.length))
            except Exception:
                log.exception("cxltier: buffer callback failed")
                return -errno.EIO
        return cb

    def _nothing(self, buf: "Buffer", offset: int, length: int) -> int:
        return 0

    def _munlock(self, buf: "Buffer", offset: int, length: int) -> int:
        return -ctypes.get_errno() if _libc.munlock(
            ctypes.c_void_p(self.address + offset), length) else 0

    def _mlock(self, buf: "Buffer", offset: int, length: int) -> int:
        return -ctypes.get_errno() if _libc.mlock(
            ctypes.c_void_p(self.address + offset), length) else 0

    def _unpin(self) -> None:
        if self._pinned:
            _libc.munlock(ctypes.c_void_p(self.address), self.length)
            self._pinned = False

    @property
    def handle(self) -> int:
        if self._buf is None:
            raise CxltierError(errno.EBADF, "cxltier", "the buffer is unregistered")
        return self._buf

    @property
    def id(self) -> int:
        """The module's range id (``cxltierctl buffers`` shows it)."""
        return int(self._ctx._lib.cxltier_buffer_id(self.handle))

    @property
    def adapter_handle(self) -> int:
        """The adapter's pin handle (test-accel); ENOENT without one."""
        h = ctypes.c_uint64()
        self._ctx._check(self._ctx._lib.cxltier_buffer_handle(
            self.handle, ctypes.byref(h)), "cxltier_buffer_handle")
        return h.value

    def report(self, offset: int, length: int, count: int = 1) -> None:
        """Report ``count`` device accesses to each chunk of
        [offset, offset + length) (batched, ``cxltier_report``)."""
        self._ctx._check(self._ctx._lib.cxltier_report(
            self.handle, offset, length, count), "cxltier_report")

    def move(self, offset: int, length: int, node: int) -> int:
        """Ask cxltierd to move [offset, offset + length) to ``node`` now;
        returns the bytes moved (``cxltier_move``)."""
        moved = ctypes.c_uint64()
        self._ctx._check(self._ctx._lib.cxltier_move(
            self.handle, offset, length, node, ctypes.byref(moved)),
            "cxltier_move")
        return moved.value

    def unregister(self) -> None:
        """Unregister (``cxltier_unregister``); twice does nothing."""
        if self._buf is None:
            return
        buf, self._buf = self._buf, None
        if self in self._ctx._children:
            self._ctx._children.remove(self)
        rc = self._ctx._lib.cxltier_unregister(buf)
        self._unpin()
        self._ctx._check(rc, "cxltier_unregister")

    def _detach(self) -> None:
        # cxltier_close() unregisters what is left.
        self._buf = None
        self._unpin()

    def __enter__(self) -> "Buffer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unregister()
