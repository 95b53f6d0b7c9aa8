"""The core's context on the test run's real MongoDB and Redis."""

from __future__ import annotations

import pytest

from services.common.celery_app import make_celery
from services.core_worker.context import CoreContext


@pytest.fixture
def ctx(config, db):
    context = CoreContext(config, make_celery(config, "core-test"))
    context.redis.flushdb()
    yield context
    context.redis.flushdb()  # the kicks and callbacks queued here are for no one
