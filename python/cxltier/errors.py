# SPDX-License-Identifier: LGPL-2.1-or-later
"""The exception every failing call of the cxltier package raises."""

from __future__ import annotations

import os
from typing import Optional


class CxltierError(OSError):
    """A libcxltier call failed.

    It is an :class:`OSError`, so ``except OSError`` catches it too.

    Attributes:
        errno: the error number (``errno.ENOENT``, ...), positive.
        strerror: its text (``os.strerror(errno)``).
        function: the libcxltier function that failed
            (``"cxltier_open"``).
        message: what the library logged about the failure, in its own
            words (e.g. ``"cannot connect to cxltierd at /run/...:
            Connection refused"``), or ``None`` when it logged nothing.
    """

    def __init__(self, err: int, function: str,
                 message: Optional[str] = None) -> None:
        super().__init__(err, os.strerror(err))
        self.function = function
        self.message = message

    def __str__(self) -> str:
        s = f"{self.function}: {self.strerror} (errno {self.errno})"
        if self.message:
            s += f": {self.message}"
        return s


def check(rc: int, function: str, message: Optional[str] = None) -> int:
    """Return ``rc`` when it is >= 0; raise :class:`CxltierError` for -errno."""
    if rc < 0:
        raise CxltierError(-rc, function, message)
    return rc
