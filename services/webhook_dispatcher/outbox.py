"""The durable callback outbox: the one way other services hand callbacks over.

A callback is written to MongoDB *before* anything tries to deliver it, under an id
derived from what it reports, so re-processing the same event never queues it twice.
It leaves the collection only once the webhook has answered 200.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow
from services.common.queues import DELIVER_CALLBACK, DISPATCHER_QUEUE


def enqueue_callback(db: Database, celery: Celery, callback_id: str, payload: dict[str, Any]) -> bool:
    """Store and schedule one callback; False when it was already queued."""
    now = utcnow()
    try:
        db.pending_callbacks.insert_one(
            {
                "_id": callback_id,
                "payload": payload,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "last_error": None,
            }
        )
    except DuplicateKeyError:
        return False
    celery.send_task(DELIVER_CALLBACK, args=[callback_id], queue=DISPATCHER_QUEUE)
    return True
