"""The periodic runner (services/common/periodic.py) with short intervals: calls, spacing,
a failing call that does not stop its job, independent jobs, and a prompt stop."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from services.common.periodic import Job, Periodic, run_guarded


def _wait(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return predicate()


def test_a_job_is_called_every_interval_until_stopped():
    calls: list[float] = []
    periodic = Periodic([Job("tick", 0.02, lambda: calls.append(time.monotonic()))])
    periodic.start()
    try:
        assert _wait(lambda: len(calls) >= 3)
    finally:
        periodic.stop()
    stopped_at = len(calls)
    time.sleep(0.1)
    assert len(calls) == stopped_at  # nothing is called after stop
    assert all(later - earlier >= 0.015 for earlier, later in zip(calls, calls[1:], strict=False))


def test_the_first_call_waits_one_interval_unless_at_start():
    called = threading.Event()
    started = threading.Event()
    periodic = Periodic([Job("slow", 60, called.set), Job("now", 60, started.set, at_start=True)])
    periodic.start()
    try:
        assert started.wait(2)
        assert not called.is_set()
    finally:
        periodic.stop()


def test_a_failing_call_is_logged_and_the_job_goes_on(caplog):
    caplog.set_level(logging.ERROR, logger="services.common.periodic")
    calls = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("MongoDB away")

    periodic = Periodic([Job("flaky", 0.01, flaky)])
    periodic.start()
    try:
        assert _wait(lambda: len(calls) >= 3)
        assert periodic.is_alive()
    finally:
        periodic.stop()
    failures = [record for record in caplog.records if "flaky" in record.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None


def test_run_guarded_answers_whether_the_call_succeeded(caplog):
    caplog.set_level(logging.ERROR, logger="services.common.periodic")
    assert run_guarded(Job("fine", 1, lambda: None)) is True
    assert run_guarded(Job("broken", 1, lambda: 1 / 0)) is False
    assert "periodic job broken failed" in caplog.text


def test_a_stuck_job_does_not_delay_another():
    release = threading.Event()
    ticks: list[int] = []
    periodic = Periodic([Job("stuck", 0.01, lambda: release.wait(5)), Job("tick", 0.01, lambda: ticks.append(1))])
    periodic.start()
    try:
        assert _wait(lambda: len(ticks) >= 5)
    finally:
        release.set()
        periodic.stop()


def test_stop_returns_promptly_even_with_long_intervals_or_a_call_in_flight():
    release = threading.Event()
    in_call = threading.Event()

    def busy() -> None:
        in_call.set()
        release.wait(10)

    periodic = Periodic([Job("idle", 3600, lambda: None), Job("busy", 0.01, busy)])
    periodic.start()
    assert in_call.wait(2)
    started = time.monotonic()
    periodic.stop(timeout=0.2)
    assert time.monotonic() - started < 1.0  # bounded by the timeout, not the hour or the call
    release.set()
    _wait(lambda: not any(thread.is_alive() for thread in periodic._threads))
    assert not periodic.is_alive()


def test_jobs_are_checked_when_added():
    with pytest.raises(ValueError, match="interval must be positive"):
        Job("never", 0, lambda: None)
    periodic = Periodic([Job("a", 1, lambda: None)])
    with pytest.raises(ValueError, match="added twice"):
        periodic.add(Job("a", 2, lambda: None))
    periodic.start()
    try:
        with pytest.raises(RuntimeError, match="after start"):
            periodic.add(Job("b", 1, lambda: None))
        assert periodic.names() == ["a"]
    finally:
        periodic.stop()
