# SPDX-License-Identifier: GPL-2.0
"""The cxltier Python package on the host, without the module: loading the
library, errors, the tier table's parsing, memory helpers, the
documentation.  The module and agent parts run in the guest
(selftests/cxltier/python_kmem.sh).  TAP."""

import errno
import inspect
import os
import pydoc
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from tap import check, finish, note  # noqa: E402

import cxltier  # noqa: E402

print("TAP version 13")
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def t_version():
    want = [l.split(":=")[1].strip() for l in open(os.path.join(root, "Makefile"))
            if l.startswith("VERSION")][0]
    assert cxltier.version() == want, cxltier.version()
    from cxltier import _native
    assert _native.lib()._name == os.path.join(root, "build/lib/libcxltier.so.1"), _native.lib()._name


check("the package loads the build tree's library", t_version)


def t_open_error():
    try:
        cxltier.open(device_path="/nonexistent/cxltier")
    except cxltier.CxltierError as e:
        assert isinstance(e, OSError)
        assert e.errno == errno.ENOENT, e.errno
        assert e.function == "cxltier_open", e.function
        assert "/nonexistent/cxltier" in (e.message or ""), e.message
        assert "cxltier_open: No such file or directory (errno 2): " in str(e), str(e)
    else:
        raise AssertionError("no exception")


check("a failed open raises CxltierError with errno, function and the library's message",
      t_open_error)


def t_bad_library():
    env = dict(os.environ, CXLTIER_LIBRARY="/nonexistent/libcxltier.so.1",
               PYTHONPATH=os.path.join(root, "python"))
    out = subprocess.run([sys.executable, "-c",
                          "import cxltier\n"
                          "try:\n cxltier.version()\n"
                          "except cxltier.CxltierError as e: print(e.errno, e.function)"],
                         env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "2 dlopen", (out.stdout, out.stderr)


check("$CXLTIER_LIBRARY names the library; a missing one is ENOENT from dlopen", t_bad_library)


def t_tiers_absent():
    try:
        cxltier.tiers(sysfs="/nonexistent")
    except cxltier.CxltierError as e:
        assert e.errno == errno.ENOENT and "not loaded" in e.message, str(e)
    else:
        raise AssertionError("no exception")


check("tiers() without the module: ENOENT, 'not loaded'", t_tiers_absent)


def t_tiers_parse():
    with tempfile.TemporaryDirectory() as d:
        for i, (kind, nodes, lat) in enumerate([("dram", "0", "100"), ("far", "1-2,4", "250")]):
            p = os.path.join(d, "tiers", f"tier{i}")
            os.makedirs(p)
            for f, v in (("kind", kind), ("nodelist", nodes), ("capacity_kB", "1048576"),
                         ("free_kB", "524288"), ("read_latency_ns", lat),
                         ("read_bandwidth_MBps", "25000")):
                with open(os.path.join(p, f), "w") as fh:
                    fh.write(v + "\n")
        os.makedirs(os.path.join(d, "tiers", "tier7"))  # vanished mid-read
        ts = cxltier.tiers(sysfs=d)
    assert [t.index for t in ts] == [0, 1], ts
    assert ts[1].kind == "far" and ts[1].nodes == [1, 2, 4], ts[1]
    assert ts[0].capacity_kB == 1048576 and ts[1].read_latency_ns == 250, ts


check("tiers() reads the tier table, skipping a tier that went away", t_tiers_parse)
def t_nodelist():
    assert cxltier.parse_nodelist("0-2,5\n") == [0, 1, 2, 5]
    assert cxltier.parse_nodelist("") == []


check("parse_nodelist reads the kernel's node list format", t_nodelist)


def t_pages():
    m = cxltier.alloc_pages(5000)
    assert len(m) == 8192, len(m)
    a = cxltier.address_of(m)
    assert a % 4096 == 0
    try:
        cxltier.address_of(b"read-only")
    except cxltier.CxltierError as e:
        assert e.errno == errno.EINVAL
    else:
        raise AssertionError("read-only buffer accepted")


check("alloc_pages gives whole aligned pages; address_of refuses read-only memory", t_pages)


def t_docs():
    text = pydoc.render_doc(cxltier, renderer=pydoc.plaintext)
    for word in ("class Pool", "class BlockRef", "class Context", "CxltierError",
                 "will_read(self, blocks", "tiers(sysfs"):
        assert word in text, word
    for name in cxltier.__all__:
        obj = getattr(cxltier, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__doc__, f"{name} has no docstring"
    for cls in (cxltier.Pool, cxltier.Context, cxltier.Buffer, cxltier.BlockRef):
        for mname, m in inspect.getmembers(cls, inspect.isfunction):
            if mname.startswith("_"):
                continue
            assert m.__doc__, f"{cls.__name__}.{mname} has no docstring"
            sig = inspect.signature(m)
            assert sig.return_annotation is not inspect.Signature.empty, \
                f"{cls.__name__}.{mname} has no return type"


check("pydoc cxltier renders; every public name has a docstring and type hints", t_docs)

try:
    import torch
    note(f"torch {torch.__version__} is importable: the guest test exercises tensors")
except ImportError:
    note("torch is absent: BlockRef.tensor() is not exercised here")
finish()
