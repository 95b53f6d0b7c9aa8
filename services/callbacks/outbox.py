"""The durable callback outbox: the one way other services hand callbacks over, and the
one store the dispatcher delivers from.

A callback is written to MongoDB *before* anything tries to deliver it, under an id
derived from what it reports, so re-processing the same event never queues it twice.
It leaves the collection only once the webhook has answered 200.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from celery import Celery
from pymongo import ReturnDocument
from pymongo.database import Database

from services.common import kicks
from services.common.clock import utcnow
from services.common.mongo import insert_new
from services.common.queues import DELIVER_CALLBACKS, DISPATCHER_QUEUE

CALLBACKS_PER_KICK = 10
"""A burst of statuses costs a tenth of the broker messages it would one by one (each
publish is a Redis round trip for the producer), while the dispatcher's threads still
share a large burst between them."""
# A Celery countdown may fire a little before the stored time; such a kick still counts.
EARLY_KICK_TOLERANCE = timedelta(milliseconds=250)


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


# --- the dispatcher's side: one attempt at a time, until an HTTP 200 removes it --------

def claim(db: Database, callback_id: str, lease_seconds: float) -> dict[str, Any] | None:
    """Take a due callback for one attempt; None when it is gone or not due (someone has it)."""
    now = utcnow()
    return db.pending_callbacks.find_one_and_update(
        {"_id": callback_id, "next_attempt_at": {"$lte": now + EARLY_KICK_TOLERANCE}},
        {"$set": {"next_attempt_at": now + timedelta(seconds=lease_seconds)}},
        return_document=ReturnDocument.BEFORE,
    )


def postpone(db: Database, callback_id: str, delay_ms: int, error: str, *, attempted: bool) -> bool:
    """Release the lease until the next attempt; False when the callback is gone meanwhile."""
    update: dict[str, Any] = {
        "$set": {
            "next_attempt_at": utcnow() + timedelta(milliseconds=delay_ms),
            "last_error": error,
        }
    }
    if attempted:
        update["$inc"] = {"attempts": 1}
    return db.pending_callbacks.update_one({"_id": callback_id}, update).matched_count == 1


def remove_delivered(db: Database, callback_id: str) -> None:
    db.pending_callbacks.delete_one({"_id": callback_id})


def rearm_overdue(db: Database, grace: timedelta, batch: int) -> Iterator[str]:
    """The callbacks overdue by more than ``grace`` (their kick was lost), oldest first,
    each re-armed to "due now" as it is yielded, so that the caller can kick it. A
    callback a worker claimed meanwhile is skipped."""
    now = utcnow()
    overdue = (
        db.pending_callbacks.find({"next_attempt_at": {"$lt": now - grace}}, {"_id": 1, "next_attempt_at": 1})
        .sort("next_attempt_at", 1)
        .limit(batch)
    )
    for doc in overdue:
        # Re-arming to "due now" (unless a worker claimed it meanwhile) means a backed-up
        # queue gets one extra kick per grace period, not one per sweep.
        rearmed = db.pending_callbacks.update_one(
            {"_id": doc["_id"], "next_attempt_at": doc["next_attempt_at"]},
            {"$set": {"next_attempt_at": now}},
        )
        if rearmed.modified_count:
            yield doc["_id"]


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
