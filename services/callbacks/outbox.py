"""The durable callback outbox: the one way other services hand callbacks over.

A callback is written to MongoDB *before* anything tries to deliver it, under an id
derived from what it reports, so re-processing the same event never queues it twice.
It leaves the collection only once the webhook has answered 200.
"""

from __future__ import annotations

import re
from typing import Any

from celery import Celery
from pymongo.database import Database

from services.common import kicks
from services.common.clock import utcnow
from services.common.mongo import insert_new
from services.common.queues import DELIVER_CALLBACKS, DISPATCHER_QUEUE

CALLBACKS_PER_KICK = 10
"""A burst of statuses costs a tenth of the broker messages it would one by one (each
publish is a Redis round trip for the producer), while the dispatcher's threads still
share a large burst between them."""


def enqueue_callback(db: Database, celery: Celery, callback_id: str, payload: dict[str, Any]) -> bool:
    """Store and schedule one callback; False when it was already queued."""
    return bool(enqueue_callbacks(db, celery, [(callback_id, payload)]))


def enqueue_callbacks(db: Database, celery: Celery, callbacks: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Store and schedule several callbacks in one write; returns the ids newly queued."""
    if not callbacks:
        return []
    now = utcnow()
    docs = [
        {"_id": callback_id, "payload": payload, "attempts": 0, "next_attempt_at": now,
         "created_at": now, "last_error": None}
        for callback_id, payload in callbacks
    ]
    duplicates = insert_new(db.pending_callbacks, docs)
    queued = [callback_id for index, (callback_id, _) in enumerate(callbacks) if index not in duplicates]
    for start in range(0, len(queued), CALLBACKS_PER_KICK):
        # Stored already: a kick the broker refuses is re-sent by the dispatcher's sweep.
        kicks.send(celery, DELIVER_CALLBACKS, [queued[start:start + CALLBACKS_PER_KICK]], DISPATCHER_QUEUE)
    return queued


def pending_with_prefix(db: Database, prefix: str) -> int:
    """How many callbacks wait whose id is ``<prefix>:…`` (the id names the kind of
    event it reports): an index-only count on the ``_id`` prefix."""
    return db.pending_callbacks.count_documents({"_id": {"$regex": f"^{re.escape(prefix)}:"}})


def pending_estimate(db: Database) -> int:
    """How many callbacks wait, from the collection's metadata (no scan)."""
    return db.pending_callbacks.estimated_document_count()


def ensure_indexes(db: Database) -> None:
    # The dispatcher's sweep: callbacks whose next attempt is due.
    db.pending_callbacks.create_index("next_attempt_at")
