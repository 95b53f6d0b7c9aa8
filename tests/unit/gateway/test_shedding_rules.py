"""When a send is shed (shedding_rules.py)."""

from __future__ import annotations

import pytest

from services.api_gateway.shedding_rules import Backlog, Bounds, bounds_of, overload
from services.settings import app_settings

BOUNDS = Bounds(max_pending_callbacks=100, max_pending_messages=50)


@pytest.mark.parametrize("backlog", [Backlog(0, 0), Backlog(100, 50), Backlog(100, 0), Backlog(0, 50)])
def test_a_backlog_up_to_its_bound_accepts(backlog):
    assert overload(backlog, BOUNDS) is None


def test_too_many_callbacks_sheds_and_says_which_backlog():
    reason = overload(Backlog(101, 0), BOUNDS)
    assert reason is not None and "100 callbacks" in reason


def test_too_many_accepted_messages_sheds_and_says_which_backlog():
    reason = overload(Backlog(0, 51), BOUNDS)
    assert reason is not None and "50 accepted messages" in reason


def test_a_bound_of_zero_sheds_on_the_first_waiting_callback():
    assert overload(Backlog(0, 0), Bounds(0, 0)) is None
    assert overload(Backlog(1, 0), Bounds(0, 0)) is not None


def test_the_default_callback_bound_is_the_originals_queue():
    assert bounds_of(app_settings.DEFAULTS) == Bounds(max_pending_callbacks=100_000, max_pending_messages=100_000)
