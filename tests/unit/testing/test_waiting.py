"""tests/common/waiting.py: the suite's one way to wait for a condition."""

from __future__ import annotations

import time

import pytest

from tests.common.waiting import wait_for


def test_returns_the_first_truthy_value_without_waiting_longer():
    answers = iter([None, 0, [], {"found": 1}, "later"])
    started = time.monotonic()
    assert wait_for(lambda: next(answers), timeout=5, interval=0.01) == {"found": 1}
    assert time.monotonic() - started < 1


def test_times_out_with_the_message():
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"not within 0.2 s: the thing"):
        wait_for(lambda: False, timeout=0.2, interval=0.05, message="the thing")
    assert 0.2 <= time.monotonic() - started < 1


def test_a_callable_message_is_only_made_on_timeout():
    made = []

    def message() -> str:
        made.append(1)
        return "the log tail"

    assert wait_for(lambda: True, timeout=1, message=message) is True
    assert made == []
    with pytest.raises(AssertionError, match="the log tail"):
        wait_for(lambda: None, timeout=0.05, interval=0.01, message=message)
    assert made == [1]


def test_tries_again_at_the_deadline_after_a_slow_first_try():
    calls = []

    def slow_then_true() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.15)
            return False
        return True

    assert wait_for(slow_then_true, timeout=0.3, interval=1.0) is True
    assert len(calls) == 2


def test_an_error_in_the_condition_is_not_swallowed():
    def broken() -> bool:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="the process exited"):
        wait_for(broken, timeout=1)
