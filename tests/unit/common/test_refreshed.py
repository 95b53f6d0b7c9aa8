"""A value kept fresh by a background thread (services/common/refreshed.py)."""

from __future__ import annotations

import threading

from services.common.refreshed import Refreshed
from tests.common.waiting import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Source:
    def __init__(self) -> None:
        self.value, self.reads, self.error = 1, 0, None

    def __call__(self) -> int:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.value


class Loops:
    """A ``start`` that keeps the refreshing loops for the test to run when it says."""

    def __init__(self) -> None:
        self.waiting = []

    def __call__(self, loop) -> None:
        self.waiting.append(loop)


def make(clock: Clock, source: Source, loops: Loops, sleep=None) -> Refreshed[int]:
    return Refreshed(source, fallback=0, max_age=1.0, tolerated=(ConnectionError,), idle_after=5.0, first_wait=0,
                     clock=clock, sleep=sleep or clock.sleep, start=loops)


def test_the_fallback_stands_until_the_first_read_and_one_loop_runs():
    clock, source, loops = Clock(), Source(), Loops()
    cached = make(clock, source, loops)
    assert cached.get() == 0 and cached.get() == 0
    assert len(loops.waiting) == 1 and source.reads == 0


def test_the_loop_reads_every_max_age_until_nobody_asks_then_stops():
    clock, source, loops = Clock(), Source(), Loops()
    cached = make(clock, source, loops)
    cached.get()
    loops.waiting.pop()()  # runs until idle: 5 s without a get
    assert source.reads == 6 and clock.now == 106.0
    assert cached.get() == 1
    assert len(loops.waiting) == 1  # asked again: a new loop


def test_a_value_changed_at_the_source_is_seen_after_the_next_read():
    clock, source, loops = Clock(), Source(), Loops()
    seen = []

    def sleep(seconds: float) -> None:  # between two reads: the source changes, a request comes
        clock.sleep(seconds)
        source.value += 1
        seen.append(cached.get())
        if len(seen) == 3:
            clock.now += 100  # and then nobody asks any more

    cached = make(clock, source, loops, sleep=sleep)
    cached.get()
    loops.waiting.pop()()
    assert seen == [1, 2, 3] and source.reads == 3


def test_a_failed_read_keeps_the_previous_value():
    clock, source, loops = Clock(), Source(), Loops()
    cached = make(clock, source, loops)
    cached.refresh()
    source.error = ConnectionError("down")
    cached.refresh()
    assert cached.get() == 1
    source.error, source.value = None, 3
    cached.refresh()
    assert cached.get() == 3


def test_an_unexpected_error_is_logged_and_the_value_kept(caplog):
    clock, source, loops = Clock(), Source(), Loops()
    cached = make(clock, source, loops)
    source.error = ValueError("a bug")
    cached.refresh()
    assert cached.get() == 0
    assert "could not refresh" in caplog.text


def test_by_default_the_reads_run_in_a_thread_of_their_own_and_a_slow_one_delays_no_get():
    release = threading.Event()
    values = iter([7, 8])

    def read() -> int:
        value = next(values, 8)
        if value == 8:
            release.wait(5)
        return value

    cached = Refreshed(read, fallback=0, max_age=0.01, idle_after=1.0)
    assert wait_for(lambda: cached.get() == 7, timeout=5)
    assert cached.get() == 7  # the second read hangs: the value stands meanwhile
    release.set()
    assert wait_for(lambda: cached.get() == 8, timeout=5)
