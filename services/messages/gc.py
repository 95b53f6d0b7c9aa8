"""Message garbage collection (spec §12): ``PUT /v1/services/message/gc``, and the
automatic collection of spec §14 (``garbagecollector_enable.messages``).

What is garbage: services/messages/gc_rules.py. The run's record and its callback
(``{"services": [{"message": {"gc": {"messages_deleted": n, "status": "complete"}}}]}``)
are services/callbacks/service_runs.py's, as for the media GC. A run is worked by the
core's control queue in slices of at most :data:`SLICE_SECONDS`, each kicking the next
with where it stopped (oldest first, by ``(created_at, _id)``), so registration and
contact checks queued behind it wait a slice, not the whole run.

The automatic collection is a periodic job of every core process (:func:`automatic`):
no record and no callback, bounded by :data:`AUTOMATIC_SECONDS` per call; deleting is
idempotent, so two nodes (or a requested run) collecting at once only share the work.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from celery import Celery
from pymongo.database import Database

from services.callbacks import service_runs
from services.callbacks.service_runs import RunKind, Slice
from services.common.clock import utcnow
from services.common.queues import CONTROL_QUEUE, MESSAGE_GC
from services.messages import gc_rules
from services.settings import app_settings

log = logging.getLogger(__name__)

KIND = "message_gc"
RUN = RunKind(key=KIND, service="message", counted="messages_deleted", task=MESSAGE_GC, queue=CONTROL_QUEUE)
BATCH = 500
SLICE_SECONDS = 2.0
AUTOMATIC_INTERVAL = 3600.0
AUTOMATIC_SECONDS = 60.0
_ORDER = [("created_at", 1), ("_id", 1)]


def request(db: Database, celery: Celery) -> str:
    """Start a run and kick the core, or answer the run already under way."""
    return service_runs.request(db, celery, RUN)


def run(db: Database, celery: Celery, run_id: str) -> None:
    """The core's side of one slice of a run."""
    service_runs.step(db, celery, RUN, run_id, lambda progress: collect(db, utcnow(), progress))


def resume_unfinished(db: Database, celery: Celery) -> None:
    """At the core's start: a run its predecessor died in goes on."""
    service_runs.resume(db, celery, RUN)


def _page(now: datetime, after: list[Any] | None) -> dict[str, Any]:
    candidates = gc_rules.prefilter(now)
    if after is None:
        return candidates
    created, last_id = after
    return {**candidates, "$or": [{"created_at": {"$gt": created}}, {"created_at": created, "_id": {"$gt": last_id}}]}


def _waiting(db: Database, batch: list[dict[str, Any]]) -> set[str]:
    """Which of the callbacks and receipts that would need these messages are pending."""
    ids = [held for message in batch for held in gc_rules.waiting_on(message)]
    query = {"_id": {"$in": ids}}
    return {*db.pending_callbacks.distinct("_id", query), *db.outbound_receipts.distinct("_id", query)}


def collect(db: Database, now: datetime, progress: dict[str, Any], seconds: float | None = None) -> Slice:
    """Delete, a batch at a time, the garbage at ``now`` after ``progress`` (where the
    previous slice stopped) for about ``seconds``."""
    deadline = time.monotonic() + (SLICE_SECONDS if seconds is None else seconds)
    after = progress.get("after")
    deleted = 0
    while True:
        batch = list(db.messages.find(_page(now, after), gc_rules.FIELDS).sort(_ORDER).limit(BATCH))
        if batch:
            waiting = _waiting(db, batch)
            doomed = [message["_id"] for message in batch if gc_rules.deletable(message, now, waiting)]
            if doomed:
                deleted += db.messages.delete_many({"_id": {"$in": doomed}, **gc_rules.prefilter(now)}).deleted_count
            after = [batch[-1]["created_at"], batch[-1]["_id"]]
        if len(batch) < BATCH:
            return Slice(deleted)
        if time.monotonic() >= deadline:
            return Slice(deleted, finished=False, progress={"after": after})


def automatic(db: Database) -> int:
    """One call of the periodic collection: nothing while the settings turn it off."""
    if not gc_rules.automatic_enabled(app_settings.load(db)):
        return 0
    deadline = time.monotonic() + AUTOMATIC_SECONDS
    progress: dict[str, Any] = {}
    deleted = 0
    while time.monotonic() < deadline:
        done = collect(db, utcnow(), progress)
        deleted += done.deleted
        if done.finished:
            break
        progress = done.progress
    if deleted:
        log.info("automatic message gc: %d deleted", deleted)
    return deleted


def ensure_indexes(db: Database) -> None:
    # The collection's walk, oldest first, resumed where a slice stopped.
    db.messages.create_index(_ORDER, name="messages_by_age")
