"""A value read in the background at most every max_age seconds (services/common/refreshed.py)."""

from __future__ import annotations

import threading

from services.common.refreshed import Refreshed
from tests.common.waiting import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    def __init__(self) -> None:
        self.value, self.reads, self.error = 1, 0, None

    def __call__(self) -> int:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.value


class Jobs:
    """A ``spawn`` that keeps the refreshes for the test to run when it says."""

    def __init__(self) -> None:
        self.waiting = []

    def __call__(self, job) -> None:
        self.waiting.append(job)

    def run(self) -> None:
        while self.waiting:
            self.waiting.pop(0)()


def make(clock: Clock, source: Source, jobs: Jobs) -> Refreshed[int]:
    return Refreshed(source, fallback=0, max_age=1.0, tolerated=(ConnectionError,), clock=clock, spawn=jobs)


def test_the_fallback_stands_until_the_first_read_is_done():
    clock, source, jobs = Clock(), Source(), Jobs()
    cached = make(clock, source, jobs)
    assert cached.get() == 0 and source.reads == 0
    jobs.run()
    assert cached.get() == 1 and source.reads == 1


def test_a_value_is_read_again_once_it_is_max_age_old():
    clock, source, jobs = Clock(), Source(), Jobs()
    cached = make(clock, source, jobs)
    cached.get()
    jobs.run()
    source.value = 2
    clock.now += 0.9
    assert cached.get() == 1 and not jobs.waiting
    clock.now += 0.1
    assert cached.get() == 1  # the caller does not wait for the read it started
    jobs.run()
    assert cached.get() == 2 and source.reads == 2


def test_one_read_at_a_time():
    clock, source, jobs = Clock(), Source(), Jobs()
    cached = make(clock, source, jobs)
    for _ in range(5):
        cached.get()
    assert len(jobs.waiting) == 1
    jobs.run()
    clock.now += 1
    cached.get()
    cached.get()
    assert len(jobs.waiting) == 1


def test_a_failed_read_keeps_the_previous_value_until_the_next_one_after_max_age():
    clock, source, jobs = Clock(), Source(), Jobs()
    cached = make(clock, source, jobs)
    cached.get()
    jobs.run()
    source.error, clock.now = ConnectionError("down"), clock.now + 1
    cached.get()
    jobs.run()
    assert cached.get() == 1 and not jobs.waiting  # not retried at once
    source.error, source.value, clock.now = None, 3, clock.now + 1
    cached.get()
    jobs.run()
    assert cached.get() == 3


def test_an_unexpected_error_is_logged_and_the_value_kept(caplog):
    clock, source, jobs = Clock(), Source(), Jobs()
    cached = make(clock, source, jobs)
    source.error = ValueError("a bug")
    cached.get()
    jobs.run()
    assert cached.get() == 0
    assert "could not refresh" in caplog.text


def test_by_default_the_read_runs_in_a_thread_of_its_own():
    release, done = threading.Event(), threading.Event()

    def slow() -> int:
        release.wait(5)
        done.set()
        return 7

    cached = Refreshed(slow, fallback=0, max_age=1.0)
    assert cached.get() == 0  # returned while the read waits
    release.set()
    assert done.wait(5)
    assert wait_for(lambda: cached.get() == 7, timeout=5)
