"""Chaos fixtures: each scenario gets its own servers and process stack (nothing shared
with tests/e2e or with another scenario), because a fault may leave them damaged."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.chaos.harness import ChaosRun


@pytest.fixture
def chaos(tmp_path) -> Iterator[Callable[..., ChaosRun]]:
    """``chaos(cores=1, mongo_members=1)`` starts a run (servers, stack, registration,
    webhook, phones) on a MongoDB replica set of ``mongo_members``."""
    runs: list[ChaosRun] = []

    def start(cores: int = 1, mongo_members: int = 1) -> ChaosRun:
        run = ChaosRun(tmp_path, mongo_members)
        runs.append(run)
        run.start(cores)
        return run

    yield start
    for run in runs:
        run.close()
