# SPDX-License-Identifier: LGPL-2.1-or-later
"""cxltier: let cxltierd place an accelerator runtime's pinned memory
between DRAM and CXL tiers (Python over libcxltier, see libcxltier(3)).

Pure Python over ``libcxltier.so.1`` with ctypes; torch is optional (only
:meth:`BlockRef.tensor` needs it).

A KV-cache block pool::

    import cxltier

    with cxltier.open(no_agent=True) as ctx, \\
         ctx.create_pool(64, label="kv-cache") as pool:
        b = pool.alloc()
        with pool.write(b) as ref:
            ref.tensor(torch.float16)[:] = kv      # no copy
        pool.will_read([b])                        # a prefix matched
        with pool.read(b) as ref:
            kv = ref.tensor(torch.float16).clone()
        pool.done([b])                             # evicted
        pool.free(b)

Any other pinned buffer::

    mem = cxltier.alloc_pages(64 << 20)
    with ctx.register(mem, label="weights", pin=True) as buf:
        buf.report(0, 2 << 20, count=10)           # the device read it

Every failing call raises :class:`CxltierError` (an :class:`OSError`)
with the errno and the library's own message.  :func:`tiers` reads the
module's tier table.  The library is found as ``_native`` says
(``$CXLTIER_LIBRARY`` overrides it).
"""

from .context import (Buffer, Context, adapter_probe, address_of,
                      alloc_pages, open, version)
from .errors import CxltierError
from .pool import (TIER_ANY, Block, BlockRef, MoveResult, Pool, PoolStats)
from .tiers import Tier, parse_nodelist, tiers
from ._native import SRC_CPU, SRC_DEVICE

__all__ = [
    "Block", "BlockRef", "Buffer", "Context", "CxltierError", "MoveResult",
    "Pool", "PoolStats", "SRC_CPU", "SRC_DEVICE", "TIER_ANY", "Tier",
    "adapter_probe", "address_of", "alloc_pages", "open", "parse_nodelist",
    "tiers", "version",
]
