# SPDX-License-Identifier: GPL-2.0
"""The cxltier Python package against cxltier.ko and cxltierd in the kmem
guest (run by python_kmem.sh, which starts the agent): the tier table, a
registered buffer moved by the agent through the package's callbacks,
block pools (brackets, torch tensors aliasing block memory, moves to the
far tier with every byte intact, hints in batches, stale handles), and
errors with errno and the library's message.  TAP."""

import ctypes
import errno
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "python"))
from tap import check, finish, note, skip  # noqa: E402

import cxltier  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

far = int(os.environ["E2E_FAR"])
dram = int(os.environ["E2E_DRAM"])
sock = os.environ["E2E_SOCK"]
MiB = 1 << 20

print("TAP version 13")
if torch is None:
    note("torch is absent: the tensor checks are skipped, the rest runs")
else:
    note(f"torch {torch.__version__}")

_libc = ctypes.CDLL(None, use_errno=True)


def node_of(addr):
    """The node of the page at addr (move_pages(2) with no target)."""
    pages = (ctypes.c_void_p * 1)(addr)
    status = (ctypes.c_int * 1)(-1)
    rc = _libc.syscall(279, 0, ctypes.c_ulong(1), pages, None, status, 0)
    assert rc == 0, ctypes.get_errno()
    return status[0]


def labels():
    out = subprocess.run(["cxltierctl", "buffers"], capture_output=True, text=True)
    return [b.get("label") for b in json.loads(out.stdout or "[]")]


ctx = cxltier.open(socket_path=sock)
def t_connected():
    assert ctx.connected


check("open connects to cxltierd", t_connected)


def t_tiers():
    ts = cxltier.tiers()
    assert ts[0].index == 0 and dram in ts[0].nodes, ts
    assert any(far in t.nodes for t in ts[1:]), ts
    assert all(t.capacity_kB > 0 for t in ts), ts


check("tiers(): DRAM first, the kmem node in a lower tier", t_tiers)

mem = cxltier.alloc_pages(8 * MiB)
buf = None


def t_register():
    global buf
    buf = ctx.register(mem, label="py-buf", pin=True)
    assert buf.id > 0
    assert "py-buf" in labels(), labels()


check("register(): the module tracks the buffer under its label", t_register)


def t_move_buffer():
    mem[0:4] = b"abcd"
    mem[2 * MiB:2 * MiB + 4] = b"efgh"
    buf.report(0, 2 * MiB, 5)
    ctx.flush()
    moved = buf.move(2 * MiB, 2 * MiB, far)
    assert moved == 2 * MiB, moved
    assert node_of(buf.address + 2 * MiB) == far
    assert node_of(buf.address) != far
    assert bytes(mem[2 * MiB:2 * MiB + 4]) == b"efgh" and bytes(mem[0:4]) == b"abcd"


check("Buffer.move(): cxltierd moves a chunk through the package's callbacks, bytes intact",
      t_move_buffer)


def t_errors():
    try:
        buf.report(0, 64 * MiB, 1)
    except cxltier.CxltierError as e:
        assert e.errno == errno.EINVAL and e.function == "cxltier_report", str(e)
    else:
        raise AssertionError("report past the end accepted")
    try:
        ctx.register(cxltier.address_of(mem) + 1, 4096, label="bad")
    except cxltier.CxltierError as e:
        assert e.errno == errno.EINVAL and e.function == "cxltier_register", str(e)
    else:
        raise AssertionError("unaligned buffer accepted")
    try:
        cxltier.open(socket_path="/nonexistent.sock")
    except cxltier.CxltierError as e:
        assert e.errno in (errno.ENOENT, errno.ECONNREFUSED), str(e)
        assert e.message and "/nonexistent.sock" in e.message, str(e)
    else:
        raise AssertionError("no agent there, yet open succeeded")


check("errors carry errno, the function and the library's message", t_errors)
check("unregister()", lambda: buf.unregister())

pool = None


def t_pool_create():
    global pool
    pool = ctx.create_pool(16, block_size=2 * MiB, label="py-kv", nodes=[dram, far])
    st = pool.stats()
    assert st.nr_tiers == 2 and st.node == [dram, far], st
    assert st.block_size == 2 * MiB and st.nr_blocks == 16, st
    assert labels().count("py-kv") == 2, labels()


check("create_pool() on the DRAM and kmem nodes: two slabs tracked", t_pool_create)

blocks = []


def pattern(i, n):
    return bytes((i * 37 + k) & 0xFF for k in range(n))


def t_write_read():
    for i in range(4):
        b = pool.alloc(0)
        blocks.append(b)
        with pool.write(b) as ref:
            assert ref.writable and ref.tier == 0 and ref.node == dram, vars(ref)
            assert node_of(ref.address) == dram
            mv = ref.memoryview()
            mv[:4096] = pattern(i, 4096)
            mv[-4096:] = pattern(i + 100, 4096)
    for i, b in enumerate(blocks):
        with pool.read(b) as ref:
            mv = ref.memoryview()
            assert bytes(mv[:4096]) == pattern(i, 4096)
            assert bytes(mv[-4096:]) == pattern(i + 100, 4096)


check("alloc, write and read brackets: block bytes through memoryviews", t_write_read)


def t_tensor():
    b = blocks[0]
    with pool.write(b) as ref:
        t = ref.tensor(torch.float16, (1024, 1024))
        t[:] = torch.arange(1024, dtype=torch.float16).unsqueeze(1)
        mv = ref.memoryview()
        # Row 3 starts at byte 3 * 1024 * 2: the tensor is the block.
        assert bytes(mv[6144:6146]) == torch.tensor([3.0], dtype=torch.float16).numpy().tobytes()
        mv[0:2] = torch.tensor([42.0], dtype=torch.float16).numpy().tobytes()
        assert float(t[0, 0]) == 42.0
    with pool.read(b) as ref:
        t = ref.tensor(torch.float16, (1024, 1024))
        assert float(t[1023, 5]) == 1023.0 and float(t[0, 0]) == 42.0


if torch is not None:
    check("torch tensors alias block memory both ways (torch.frombuffer, no copy)", t_tensor)
else:
    skip("torch tensors alias block memory", "not applicable: torch is absent")


def t_move_pool_clean():
    res = pool.move([(b, 1) for b in blocks[:2]] + [(blocks[2], 0)])
    assert [r.error for r in res] == [0, 0, 0], res
    assert [r.moved for r in res] == [True, True, False], res
    for i, b in enumerate(blocks[:2]):
        ref = pool.lookup(b)
        assert ref.tier == 1 and ref.node == far, vars(ref)
        assert node_of(ref.address) == far
        if i == 0 and torch is not None:
            continue  # the tensor check rewrote it: t_tensor_far reads it
        with pool.read(b) as r:
            assert r.tier == 1
            assert bytes(r.memoryview()[:4096]) == pattern(i, 4096)
            assert bytes(r.memoryview()[-4096:]) == pattern(i + 100, 4096)
    st = pool.stats()
    assert st.moves == 2 and st.bytes_moved == 4 * MiB and st.skipped_same == 1, st
    assert st.blocks_on == [2, 2], st


check("move() copies blocks to the kmem node, every byte intact, and counts them",
      t_move_pool_clean)


def t_tensor_far():
    with pool.read(blocks[0]) as ref:
        assert ref.node == far
        t = ref.tensor(torch.float16, (1024, 1024))
        assert float(t[1023, 5]) == 1023.0 and float(t[0, 0]) == 42.0


if torch is not None:
    check("a moved block's tensor reads the same values from far memory", t_tensor_far)
else:
    skip("a moved block's tensor", "not applicable: torch is absent")


def t_hints():
    pool.will_read(blocks[:3], lead_ms=5)
    pool.done(blocks[3:])
    stale = pool.alloc()
    pool.free(stale)
    pool.will_read([stale])
    st = pool.stats()
    assert st.hints_will_read == 3 and st.hints_done == 1, st
    assert st.hints_stale == 1, st
    pool.report(blocks[:2], 3)


check("will-read and done hints in batches; a freed block's hint counted stale", t_hints)


def t_block_errors():
    stale = pool.alloc()
    pool.free(stale)
    for fn, name in ((lambda: pool.free(stale), "cxltier_block_free"),
                     (lambda: pool.lookup(stale), "cxltier_block_lookup"),
                     (lambda: pool.read(stale).__enter__(), "cxltier_block_get")):
        try:
            fn()
        except cxltier.CxltierError as e:
            assert e.errno == errno.ESTALE and e.function == name, str(e)
        else:
            raise AssertionError(f"{name} of a freed block succeeded")
    try:
        pool.alloc(7)
    except cxltier.CxltierError as e:
        assert e.errno == errno.EINVAL, str(e)
    else:
        raise AssertionError("tier 7 accepted")
    extra = []
    try:
        while True:
            extra.append(pool.alloc())
    except cxltier.CxltierError as e:
        assert e.errno == errno.ENOSPC, str(e)
    assert len(extra) == 16 - len(blocks), len(extra)
    for b in extra:
        pool.free(b)


check("stale handles are ESTALE, a bad tier EINVAL, a full pool ENOSPC", t_block_errors)


def t_bad_pool():
    try:
        ctx.create_pool(4, block_size=12345, nodes=[dram, far])
    except cxltier.CxltierError as e:
        assert e.errno == errno.EINVAL and e.function == "cxltier_pool_create", str(e)
    else:
        raise AssertionError("a block size that is not whole pages accepted")
    try:
        ctx.create_pool(4, nodes=[dram, 999])
    except cxltier.CxltierError as e:
        assert e.errno in (errno.ENODEV, errno.EINVAL), str(e)
        assert e.message, "no message from the library"
    else:
        raise AssertionError("node 999 accepted")


check("a bad pool: EINVAL, or ENODEV with the library's message", t_bad_pool)


def t_example():
    """The example KV offload manager, in this process (torch imported once)."""
    import contextlib
    import io
    sys.path.insert(0, os.path.join(here, "..", "..", "examples"))
    import kv_offload
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = kv_offload.main(["--socket", sock, "--dram-node", str(dram),
                              "--far-node", str(far), "--check", "--requests", "40",
                              "--blocks", "32", "--dram-slots", "8",
                              "--block-size", "64K", "--label", "py-example"])
    text = out.getvalue()
    for line in text.splitlines():
        note("  " + line)
    assert rc == 0, rc
    assert "copies with torch on cpu" in text, text
    assert "checked every loaded block: 0 corrupt" in text, text
    assert "tier 1: " in text and "hints: will-read 0" not in text, text


if torch is not None:
    check("the example KV offload manager with torch tensors: every loaded byte checks",
          t_example)
else:
    skip("the example with torch tensors", "not applicable: torch is absent")


def t_agent_moves_blocks():
    """cxltierd, told to promote at its default heat threshold (SIGHUP),
    moves this program's hot far blocks to DRAM by copy-then-swap."""
    import signal
    import time
    with open(os.environ["E2E_CONF"], "w") as f:
        f.write(f"[tiers]\ndram = {dram}\nfar = {far}\n\n[policy]\ninterval = 1s\n")
    os.kill(int(os.environ["E2E_AGENT_PID"]), signal.SIGHUP)
    hot_pool = ctx.create_pool(8, block_size=2 * MiB, label="py-hot", nodes=[dram, far])
    try:
        hot, want = [], []
        for i in range(3):
            b = hot_pool.alloc(1)
            data = os.urandom(2 * MiB)
            with hot_pool.write(b) as ref:
                assert ref.tier == 1, vars(ref)
                if torch is not None:
                    t = ref.tensor(torch.uint8)
                    t[:] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
                else:
                    ref.memoryview()[:] = data
            hot.append(b)
            want.append(data)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            hot_pool.report(hot, 1000)
            if all(hot_pool.lookup(b).tier == 0 for b in hot):
                break
            time.sleep(0.2)
        tiers = [hot_pool.lookup(b).tier for b in hot]
        assert tiers == [0, 0, 0], tiers
        for b, data in zip(hot, want):
            with hot_pool.read(b) as ref:
                assert node_of(ref.address) == dram
                assert bytes(ref.memoryview()) == data
        st = hot_pool.stats()
        note(f"cxltierd moved {st.moves} blocks of the Python pool to DRAM")
        assert st.moves >= 3, st
    finally:
        hot_pool.destroy()


check("cxltierd moves the hot far blocks of a Python pool to DRAM, every byte intact",
      t_agent_moves_blocks)


def t_close():
    ctx.close()
    assert "py-kv" not in labels() and "py-buf" not in labels(), labels()
    try:
        pool.alloc()
    except cxltier.CxltierError as e:
        assert e.errno == errno.EBADF
    else:
        raise AssertionError("a pool of a closed context works")


check("close() destroys the pool: nothing tracked, the pool object refuses", t_close)
finish()
