"""Writes whose outcome is unknown are settled before the request is answered.

A write sent to MongoDB just as it dies (or as the connection drops) may have been
applied, journaled even, with its answer lost. Answering the request as failed then
would be a false failure: the client retries something that was in fact accepted, and
the message goes out (twice, with the retry). So an idempotent write that failed for
want of a server is repeated, the same write, until MongoDB answers it one way or the
other, within ``SETTLE_SECONDS``; only then does the request fail.

A request that meets a MongoDB already unreachable fails earlier and fast, at its first
read or counter (nothing was written), so the 2 s bound on errors during an outage holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from pymongo.errors import PyMongoError

from services.api_gateway.outages import database_unreachable

log = logging.getLogger(__name__)

SETTLE_SECONDS = 10.0
RETRY_PAUSE_SECONDS = 0.2

T = TypeVar("T")


def settled(write: Callable[[], T], *, seconds: float = SETTLE_SECONDS) -> T:
    """``write()``'s result; an unreachable server makes it try again (``write`` must be
    idempotent: the lost attempt may have been applied) until the deadline, then the
    last error is raised."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return write()
        except PyMongoError as error:
            if not database_unreachable(error) or time.monotonic() >= deadline:
                raise
            log.warning("a write's outcome is unknown (%s); trying it again", error.__class__.__name__)
            time.sleep(RETRY_PAUSE_SECONDS)
