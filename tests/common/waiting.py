"""The one way tests wait: poll a condition until it holds, instead of sleeping a guess.

A fixed sleep is either too short on a loaded machine (a flaky test) or too long on an
idle one (a slow test); polling returns as soon as the condition holds and fails with
a message saying what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
             message: str | Callable[[], str] = "condition not met") -> T:
    """The first truthy value of ``condition()``, polled every ``interval`` seconds.

    Raises AssertionError with ``message`` (a string, or a callable giving one, for
    messages that are costly or only meaningful at the time of failure, such as a log
    tail) when ``timeout`` seconds pass without one. The condition is tried at least once
    and once at or after the deadline, so a slow first poll cannot fail a met condition.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"not within {timeout} s: {text}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
