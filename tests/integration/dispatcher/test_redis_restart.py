"""The real dispatcher worker on a private Redis that is restarted under it.

A restart without persistence empties the broker: the kicks queued and the retries the
worker held (unacknowledged, waiting for their countdown) are gone. The worker must
reconnect instead of exiting, and the callbacks, all in MongoDB, must all arrive.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from services.callbacks.outbox import enqueue_callbacks
from services.common.celery_app import make_celery
from services.settings import app_settings
from tests.common.waiting import wait_for

PAYLOAD = {"statuses": [{"id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU", "status": "delivered", "timestamp": "1518694235"}]}


@pytest.fixture
def dispatcher_env(dispatcher_env, own_redis):
    return {**dispatcher_env, "WA_REDIS_URL": own_redis.url}


@pytest.fixture
def own_producer(config, own_redis):
    app = make_celery(replace(config, redis_url=own_redis.url), "dispatcher-test-producer")
    try:
        yield app
    finally:
        app.close()


# Log lines: the consumer back on the broker and a reconnect refused (Celery's), and a
# sweep's re-kick of an overdue callback that the broker refused (the dispatcher's sweep
# is a periodic job of its process: services/webhook_dispatcher/app.py).
RECONNECTED = "consumer.connection: Connected to"
RECONNECT_FAILED = "consumer: Cannot connect to"
SWEEP_FAILED = "kicks: could not queue dispatcher.deliver on"


def _failed_twice(log: str) -> bool:
    """Several reconnect attempts and sweeps failed, and the worker is still there to say so."""
    return log.count(RECONNECT_FAILED) >= 2 and log.count(SWEEP_FAILED) >= 2


def _callbacks(prefix: str, count: int) -> list[tuple[str, dict]]:
    return [(f"{prefix}-{n}", {**PAYLOAD, "id": f"{prefix}-{n}"}) for n in range(count)]


def _delivered_ids(webhook) -> set[str]:
    # The webhook answers 500 until told otherwise; only the later hits are deliveries.
    return {json.loads(hit.body)["id"] for hit in webhook.hits}


def _wait_none_pending(db, timeout: float, dispatcher) -> None:
    wait_for(lambda: db.pending_callbacks.count_documents({}) == 0, timeout=timeout, interval=0.1,
             message=lambda: f"callbacks still pending:\n{dispatcher.log_tail()}")


def test_worker_survives_a_redis_restart_and_delivers_callbacks_from_before_and_after(
    db, webhook, dispatcher, own_redis, own_producer,
):
    webhook.then = 500
    app_settings.apply_patch(db, {"webhooks.url": webhook.url, "callback_backoff_delay_ms": 3000})
    dispatcher.start()
    before = _callbacks("before", 20)
    enqueue_callbacks(db, own_producer, before)
    # Every callback failed once: its retry is a countdown kick the worker holds unacknowledged.
    webhook.wait_for_hits(len(before), timeout=15, message=dispatcher.log_tail)

    mark = dispatcher.log_mark()
    own_redis.restart()  # the held retries and any queued kick are lost with it
    webhook.then = 200
    wait_for(lambda: RECONNECTED in dispatcher.log_since(mark), timeout=20,
             message=lambda: f"the worker never reconnected:\n{dispatcher.log_tail()}")
    assert dispatcher.process.poll() is None, dispatcher.log_tail()

    after = _callbacks("after", 10)
    # The producer's own connection broke too: its first publish reconnects.
    assert enqueue_callbacks(db, own_producer, after) == [callback_id for callback_id, _ in after]

    _wait_none_pending(db, timeout=30, dispatcher=dispatcher)
    assert _delivered_ids(webhook) == {callback_id for callback_id, _ in before + after}
    assert dispatcher.process.poll() is None, dispatcher.log_tail()
    assert "Unrecoverable error" not in dispatcher.log_tail(400)


def test_worker_keeps_running_through_a_redis_outage(db, webhook, dispatcher, own_redis, own_producer):
    app_settings.apply_patch(db, {"webhooks.url": webhook.url, "callback_backoff_delay_ms": 200})
    dispatcher.start()
    mark = dispatcher.log_mark()
    own_redis.stop()
    # Meanwhile a producer stores callbacks it cannot kick: the outbox does not raise.
    during = _callbacks("during", 5)
    assert enqueue_callbacks(db, own_producer, during) == [callback_id for callback_id, _ in during]
    wait_for(lambda: _failed_twice(dispatcher.log_since(mark)), timeout=20,
             message=lambda: f"no failed reconnects and sweeps:\n{dispatcher.log_tail()}")
    assert dispatcher.process.poll() is None, dispatcher.log_tail()
    own_redis.start()

    # No kick of theirs ever reached Redis: the sweep finds them in MongoDB.
    _wait_none_pending(db, timeout=30, dispatcher=dispatcher)
    assert _delivered_ids(webhook) == {callback_id for callback_id, _ in during}
