"""A value kept fresh by a background thread, read again every ``max_age`` seconds, for
per-request checks that must cost a request no round trip (the gateway's rate limits
and load shedding).

No request waits for a read in the common case, so a server that is slow or down does
not delay requests by its timeout. A read that fails keeps the previous value (the
fallback until a first read succeeds). The thread starts with the first ``get`` in a
process (after gunicorn's fork, never before it) and stops once nobody has asked for
the value for ``idle_after`` seconds, so an idle app costs no reads; the first ``get``
after that waits up to ``first_wait`` for a fresh value rather than answer with an old
one.
"""

from __future__ import annotations

import logging
import os
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
                 tolerated: tuple[type[Exception], ...] = (), idle_after: float = 30.0, first_wait: float = 0.25,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 start: Callable[[Callable[[], None]], None] = in_a_thread) -> None:
        """``clock``, ``sleep`` and ``start`` (which runs the refreshing loop) are for tests."""
        self._read, self._max_age, self._tolerated = read, max_age, tolerated
        self._idle_after, self._first_wait = idle_after, first_wait
        self._clock, self._sleep, self._start = clock, sleep, start
        self._value = fallback
        self._used_at = clock()
        self._running_in: int | None = None  # the pid whose thread refreshes
        self._lock = threading.Lock()
        self._fresh = threading.Event()

    def get(self) -> T:
        self._used_at = self._clock()
        if self._running_in != os.getpid():
            self._start_refreshing()
            self._fresh.wait(self._first_wait)
        return self._value

    def _start_refreshing(self) -> None:
        with self._lock:
            if self._running_in == os.getpid():
                return
            self._running_in = os.getpid()
            self._fresh.clear()
            self._start(self._keep_fresh)

    def _keep_fresh(self) -> None:
        try:
            while True:
                self.refresh()
                self._fresh.set()
                self._sleep(self._max_age)
                if self._clock() - self._used_at > self._idle_after:
                    return
        finally:
            self._running_in = None

    def refresh(self) -> None:
        """One read, now."""
        try:
            self._value = self._read()
        except self._tolerated as error:
            # The class only: a driver's message may name hosts or credentials.
            log.warning("could not refresh %s (%s): the previous value stays for %g s",
                        getattr(self._read, "__qualname__", "a value"), error.__class__.__name__, self._max_age)
        except Exception:
            log.exception("could not refresh %s", getattr(self._read, "__qualname__", "a value"))
