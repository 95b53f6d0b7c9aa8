"""The real dispatcher worker against real Redis and MongoDB and a local webhook."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from services.callbacks.outbox import enqueue_callback
from services.settings import app_settings
from tests.common.waiting import wait_for
from tests.integration.dispatcher.conftest import Dispatcher, stopped_after

PAYLOAD = {"statuses": [{"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU", "status": "delivered", "timestamp": "1518694235"}]}
STEP_MS = 200


def _wait_gone(db, callback_id: str, timeout: float, dispatcher) -> None:
    wait_for(lambda: db.pending_callbacks.find_one({"_id": callback_id}) is None, timeout=timeout,
             message=lambda: f"{callback_id} still pending:\n{dispatcher.log_tail()}")


def _wait_attempts(db, callback_id: str, attempts: int, timeout: float, dispatcher) -> None:
    wait_for(lambda: (db.pending_callbacks.find_one({"_id": callback_id}) or {}).get("attempts", 0) >= attempts,
             timeout=timeout, interval=0.02,
             message=lambda: f"{callback_id} not attempted {attempts} times:\n{dispatcher.log_tail()}")


@pytest.fixture(scope="module")
def dispatcher(dispatcher_env, tmp_path_factory) -> Iterator[Dispatcher]:
    """One worker for the module, started by the first test that starts it: each test
    still starts it itself, and the ones that need it killed or stopped do that."""
    yield from stopped_after(Dispatcher(dispatcher_env, tmp_path_factory.mktemp("dispatcher") / "dispatcher.log"))


def test_retries_with_linear_backoff_until_200(db, webhook, dispatcher, producer):
    webhook.script = [500, 500, 500]
    app_settings.apply_patch(db, {"webhooks.url": webhook.url, "callback_backoff_delay_ms": STEP_MS})
    dispatcher.start()

    assert enqueue_callback(db, producer, "cb-linear", PAYLOAD)

    webhook.wait_for_hits(4, timeout=15, message=dispatcher.log_tail)
    _wait_gone(db, "cb-linear", timeout=5, dispatcher=dispatcher)
    # Proving that nothing more comes needs a window: a fifth request would mean the 200
    # was not taken as final.
    time.sleep(0.5)
    assert len(webhook.hits) == 4
    assert {hit.body for hit in webhook.hits} == {webhook.hits[0].body}
    assert json.loads(webhook.hits[0].body) == PAYLOAD
    assert webhook.hits[0].headers["Content-Type"] == "application/json"
    assert webhook.hits[0].headers["X-Request-Id"] == "cb-linear"
    gaps = [later.at - earlier.at for earlier, later in zip(webhook.hits, webhook.hits[1:], strict=False)]
    for attempt, gap in enumerate(gaps, start=1):
        expected = attempt * STEP_MS / 1000
        assert expected * 0.9 <= gap <= expected + 0.8, (attempt, gaps)
    assert gaps[0] < gaps[1] < gaps[2], gaps


def test_callback_survives_a_killed_dispatcher(db, webhook, dispatcher, producer):
    webhook.then = 500
    app_settings.apply_patch(db, {"webhooks.url": webhook.url, "callback_backoff_delay_ms": 500})
    dispatcher.start()
    enqueue_callback(db, producer, "cb-survivor", PAYLOAD)
    _wait_attempts(db, "cb-survivor", 2, timeout=10, dispatcher=dispatcher)

    # Killed between attempts (not mid-request, where the lease would make the test
    # wait out the request timeout): the kick for the next attempt dies with the worker.
    dispatcher.kill()
    webhook.then = 200
    seen = len(webhook.hits)
    dispatcher.start()

    _wait_gone(db, "cb-survivor", timeout=15, dispatcher=dispatcher)
    assert len(webhook.hits) > seen
    assert json.loads(webhook.hits[-1].body) == PAYLOAD


def test_a_burst_of_callbacks_takes_a_few_kicks_and_all_are_delivered(db, webhook, dispatcher, producer, config):
    import redis

    from services.callbacks.outbox import CALLBACKS_PER_KICK, enqueue_callbacks
    from services.common.queues import DISPATCHER_QUEUE

    # The kicks are counted in the queue: no worker may take them meanwhile.
    dispatcher.stop()
    app_settings.apply_patch(db, {"webhooks.url": webhook.url})
    broker = redis.Redis.from_url(config.redis_url)
    broker.delete(DISPATCHER_QUEUE)
    burst = [(f"cb-burst-{n}", {**PAYLOAD, "n": n}) for n in range(25)]
    assert enqueue_callbacks(db, producer, burst) == [callback_id for callback_id, _ in burst]
    assert broker.llen(DISPATCHER_QUEUE) == -(-len(burst) // CALLBACKS_PER_KICK)  # 3 kicks, not 25
    assert enqueue_callbacks(db, producer, burst[:5]) == []  # already queued: stored once, no kick
    assert broker.llen(DISPATCHER_QUEUE) == 3

    dispatcher.start()
    webhook.wait_for_hits(25, timeout=15, message=dispatcher.log_tail)
    assert sorted(json.loads(hit.body)["n"] for hit in webhook.hits) == list(range(25))
    for callback_id, _ in burst:
        _wait_gone(db, callback_id, timeout=5, dispatcher=dispatcher)
