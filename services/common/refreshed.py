"""A value read again in the background at most every ``max_age`` seconds, for
per-request checks that must cost a request no round trip (the gateway's rate limits
and load shedding).

A caller that finds the value stale starts one background read and goes on with the
previous value (the fallback until a first read succeeds): no request ever waits for a
read, so a server that is slow or down delays no request by its timeout. A read that
fails keeps the previous value; the next one is tried once it is ``max_age`` old again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def in_a_thread(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="refresh", daemon=True).start()


class Refreshed(Generic[T]):
    def __init__(self, read: Callable[[], T], *, fallback: T, max_age: float,
                 tolerated: tuple[type[Exception], ...] = (),
                 clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = in_a_thread) -> None:
        """``spawn`` runs a refresh (tests run it at once)."""
        self._read, self._max_age, self._tolerated = read, max_age, tolerated
        self._clock, self._spawn = clock, spawn
        self._value = fallback
        self._read_at: float | None = None
        self._refreshing = threading.Lock()

    def get(self) -> T:
        stale = self._read_at is None or self._clock() - self._read_at >= self._max_age
        if stale and self._refreshing.acquire(blocking=False):
            try:
                self._spawn(self._refresh)
            except BaseException:
                self._refreshing.release()
                raise
        return self._value

    def _refresh(self) -> None:
        try:
            self._value = self._read()
        except self._tolerated as error:
            # The class only: a driver's message may name hosts or credentials.
            log.warning("could not refresh %s (%s): the previous value stays for %g s",
                        getattr(self._read, "__qualname__", "a value"), error.__class__.__name__, self._max_age)
        except Exception:
            log.exception("could not refresh %s", getattr(self._read, "__qualname__", "a value"))
        finally:
            self._read_at = self._clock()
            self._refreshing.release()
