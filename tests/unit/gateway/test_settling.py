"""Writes whose outcome is unknown are repeated until MongoDB answers, within a bound."""

from __future__ import annotations

import pytest
from pymongo.errors import AutoReconnect, DuplicateKeyError, NetworkTimeout, OperationFailure

from services.api_gateway import settling


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(settling, "RETRY_PAUSE_SECONDS", 0.0)


def _failing(errors: list[Exception], result: str = "stored"):
    calls = []

    def write() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return write, calls


def test_a_write_whose_answer_was_lost_is_repeated_until_answered():
    write, calls = _failing([AutoReconnect("connection closed"), NetworkTimeout("timed out")])
    assert settling.settled(write) == "stored"
    assert len(calls) == 3


def test_the_repeat_may_learn_that_the_lost_attempt_was_applied():
    write, calls = _failing([AutoReconnect("connection closed"), DuplicateKeyError("E11000 _id")])
    with pytest.raises(DuplicateKeyError):  # the caller reads this as "stored"
        settling.settled(write)
    assert len(calls) == 2


def test_an_answer_from_the_server_is_final_at_once():
    write, calls = _failing([OperationFailure("not authorized")])
    with pytest.raises(OperationFailure):
        settling.settled(write)
    assert len(calls) == 1


def test_a_server_away_past_the_bound_fails_the_request():
    calls = []

    def write() -> str:
        calls.append(1)
        raise AutoReconnect("down")

    with pytest.raises(AutoReconnect):
        settling.settled(write, seconds=0.05)
    assert len(calls) >= 2
