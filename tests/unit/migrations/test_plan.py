"""Which migrations a database still needs."""

from __future__ import annotations

import pytest

from services.migrations.plan import Migration, check_sequence, head, pending
from services.migrations.versions import MIGRATIONS


def _steps(*versions: int) -> list[Migration]:
    return [Migration(version, f"step {version}", lambda db: None) for version in versions]


def test_pending_are_the_steps_after_the_marker_in_order():
    steps = _steps(1, 2, 3)
    assert [step.version for step in pending(steps, 0)] == [1, 2, 3]
    assert [step.version for step in pending(steps, 2)] == [3]
    assert pending(steps, 3) == []


def test_a_database_newer_than_the_code_needs_nothing():
    assert pending(_steps(1, 2), 5) == []


@pytest.mark.parametrize("versions", [(2,), (1, 3), (1, 1), (2, 1)])
def test_gaps_repeats_and_disorder_are_refused(versions):
    with pytest.raises(ValueError):
        check_sequence(_steps(*versions))


def test_head_of_no_steps_is_zero_and_of_steps_the_last():
    assert head([]) == 0
    assert head(_steps(1, 2)) == 2


def test_the_shipped_list_is_a_proper_sequence():
    check_sequence(MIGRATIONS)
    assert head(MIGRATIONS) >= 1
