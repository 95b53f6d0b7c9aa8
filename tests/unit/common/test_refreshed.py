"""A value read at most every max_age seconds (services/common/refreshed.py)."""

from __future__ import annotations

import threading

import pytest

from services.common.refreshed import Refreshed


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    def __init__(self) -> None:
        self.value, self.reads, self.failing = 1, 0, False

    def __call__(self) -> int:
        self.reads += 1
        if self.failing:
            raise ConnectionError("down")
        return self.value


def make(clock: Clock, source: Source) -> Refreshed[int]:
    return Refreshed(source, fallback=0, max_age=1.0, tolerated=(ConnectionError,), clock=clock)


def test_a_value_is_read_once_per_max_age():
    clock, source = Clock(), Source()
    cached = make(clock, source)
    assert cached.get() == 1
    source.value = 2
    clock.now += 0.9
    assert cached.get() == 1 and source.reads == 1
    clock.now += 0.1
    assert cached.get() == 2 and source.reads == 2


def test_a_failed_read_keeps_the_previous_value_and_is_not_retried_at_once():
    clock, source = Clock(), Source()
    cached = make(clock, source)
    cached.get()
    source.failing, clock.now = True, clock.now + 1
    assert cached.get() == 1
    assert cached.get() == 1 and source.reads == 2
    source.failing, clock.now = False, clock.now + 1
    source.value = 3
    assert cached.get() == 3


def test_the_fallback_stands_until_a_first_read_succeeds():
    clock, source = Clock(), Source()
    source.failing = True
    assert make(clock, source).get() == 0


def test_an_error_not_tolerated_propagates():
    def broken() -> int:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        Refreshed(broken, fallback=0, max_age=1.0, tolerated=(ConnectionError,)).get()


def test_while_one_caller_reads_the_others_get_the_previous_value():
    clock = Clock()
    reading, release = threading.Event(), threading.Event()
    values = iter([1, 2])

    def slow() -> int:
        value = next(values)
        if value == 2:
            reading.set()
            release.wait(5)
        return value

    cached = Refreshed(slow, fallback=0, max_age=1.0, clock=clock)
    cached.get()
    clock.now += 1
    refresher = threading.Thread(target=cached.get)
    refresher.start()
    assert reading.wait(5)
    assert cached.get() == 1  # does not wait for the slow read
    release.set()
    refresher.join(5)
    assert cached.get() == 2
