"""A body read through once: its size and sha256 computed on the way, its length held
to a limit. No I/O of its own: it reads the stream it is given.

The object store reads an upload through a ``MeasuredReader``, so the file is hashed
and counted while it streams, never held whole; a body larger than its limit stops at
the first byte over it (``TooLarge``), one shorter than it declared at its end
(``Truncated``), and the store then aborts what it had begun.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class Truncated(Exception):
    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"body ended after {got} of {expected} bytes")
        self.expected = expected
        self.got = got


class MeasuredReader:
    """``read`` as a file does, over ``source``, counting and hashing what passes.

    ``limit``: the most it lets through; reading one byte more raises ``TooLarge``, and
    it never asks ``source`` for more than that one byte. ``expected``: the length the
    body declared; ending short of it raises ``Truncated``.
    """

    def __init__(self, source: BinaryIO, limit: int, expected: int | None = None) -> None:
        self._source = source
        self.limit = limit
        self.expected = expected
        self.size = 0
        self._hash = hashlib.sha256()
        self._ahead = b""  # peeked, not yet read
        self._read_from_source = 0

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def peek(self, size: int) -> bytes:
        """Up to ``size`` first bytes, without consuming them (only before any read)."""
        if self.size:
            raise RuntimeError("peek only before the first read")
        while len(self._ahead) < size:
            more = self._pull(size - len(self._ahead))
            if not more:
                break
            self._ahead += more
        return self._ahead[:size]

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        wanted = self.limit + 1 - self.size if size is None or size < 0 else size
        wanted = min(wanted, self.limit + 1 - self.size)
        if self._ahead:
            data, self._ahead = self._ahead[:wanted], self._ahead[wanted:]
        else:
            data = self._pull(wanted)
        if not data:
            if self.expected is not None and self.size < self.expected:
                raise Truncated(self.expected, self.size)
            return b""
        if self.size + len(data) > self.limit:
            raise TooLarge(self.limit)
        self.size += len(data)
        self._hash.update(data)
        return data

    def _pull(self, size: int) -> bytes:
        # Never past the declared length: what follows would be the next request.
        if self.expected is not None:
            size = min(size, self.expected - self._read_from_source)
        if size <= 0:
            return b""
        data = self._source.read(size)
        self._read_from_source += len(data)
        return data
