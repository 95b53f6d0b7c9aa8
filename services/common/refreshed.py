"""A value read again at most every ``max_age`` seconds, for per-request checks that
must not cost a round trip each (the gateway's rate limits and load shedding).

One caller refreshes a stale value while the others go on with the previous one, so
a slow read never queues every request behind it. A read that fails keeps the previous
value (or the fallback) for another ``max_age``: the checks it feeds fail open rather
than making each request wait for a server that is down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Refreshed(Generic[T]):
    def __init__(self, read: Callable[[], T], *, fallback: T, max_age: float,
                 tolerated: tuple[type[Exception], ...] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read, self._max_age, self._tolerated, self._clock = read, max_age, tolerated, clock
        self._value = fallback
        self._read_at: float | None = None
        self._refreshing = threading.Lock()

    def get(self) -> T:
        if self._read_at is not None and self._clock() - self._read_at < self._max_age:
            return self._value
        if not self._refreshing.acquire(blocking=False):
            return self._value  # another thread is reading it
        try:
            self._refresh()
        finally:
            self._refreshing.release()
        return self._value

    def _refresh(self) -> None:
        try:
            self._value = self._read()
        except self._tolerated as error:
            # The class only: a driver's message may name hosts or credentials.
            log.warning("could not refresh %s (%s): the previous value stays for %g s",
                        getattr(self._read, "__qualname__", "a value"), error.__class__.__name__, self._max_age)
        self._read_at = self._clock()
