"""Media garbage collection (spec §12): ``PUT /v1/services/media/gc``.

The gateway records a run (``service_runs``, ``status: "processing"``) and kicks the
media worker; the worker deletes every medium unused for ``UNUSED_FOR`` (object first,
then its document, so nothing the store holds is ever unknown to MongoDB) and the
uploads that died (``catalogue.STALE_UPLOAD``), then reports by callback:
``{"services": [{"media": {"gc": {"items_deleted": n, "status": "complete"}}}]}``, or
``"status": "failed"`` with ``errors``. A run whose kick was lost, or whose worker died,
is run again by the next request (or by the worker as it starts); deleting is
idempotent, so a second run only finds less to delete.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.callbacks.outbox import enqueue_callback
from services.common.clock import utcnow
from services.common.queues import MEDIA_GC, MEDIA_QUEUE
from services.media import catalogue
from services.media.object_store import ObjectStore

log = logging.getLogger(__name__)

UNUSED_FOR = timedelta(days=30)
BATCH = 500
RUNS = "service_runs"
KIND = "media_gc"
ABANDONED_AFTER = timedelta(minutes=2)
"""A run still ``processing`` this long after its last start was lost with its kick or
its worker: the next request starts it again."""


def cutoffs(now: datetime) -> dict[str, datetime]:
    """Pure: what counts as garbage at ``now``."""
    return {"unused_before": now - UNUSED_FOR, "stale_upload_before": now - catalogue.STALE_UPLOAD}


def callback_payload(status: str, *, items_deleted: int | None = None, error: str | None = None) -> dict[str, Any]:
    """Pure: the §12 callback of a finished run."""
    gc: dict[str, Any] = {"status": status}
    if items_deleted is not None:
        gc["items_deleted"] = items_deleted
    if error is not None:
        gc["errors"] = [{"code": 1000, "title": "Generic error", "details": error}]
    return {"services": [{"media": {"gc": gc}}]}


def request(db: Database, celery: Celery) -> str:
    """Start a run and kick the worker, or answer the run already under way (started
    again if it was abandoned); returns the run's id."""
    now, run_id = utcnow(), catalogue.new_id()
    try:
        db[RUNS].update_one(
            {"_id": KIND, "$or": [{"status": {"$ne": "processing"}}, {"started_at": {"$lte": now - ABANDONED_AFTER}}]},
            {"$set": {"status": "processing", "run": run_id, "started_at": now}},
            upsert=True,
        )
    except DuplicateKeyError:  # a fresh run is under way: the upsert found no document to update
        doc = db[RUNS].find_one({"_id": KIND})
        return doc["run"] if doc else run_id
    celery.send_task(MEDIA_GC, args=[run_id], queue=MEDIA_QUEUE)
    return run_id


def collect(db: Database, store: ObjectStore, now: datetime) -> int:
    """Delete what is garbage at ``now``; how many media went."""
    deleted = 0
    while True:
        batch = catalogue.garbage(db, limit=BATCH, **cutoffs(now))
        for media_id, key in batch:
            store.delete(key)
            catalogue.forget(db, media_id)
        deleted += len(batch)
        if len(batch) < BATCH:
            return deleted


def run(db: Database, store: ObjectStore, celery: Celery, run_id: str) -> None:
    """The worker's side of one run; a run already finished is not reported twice."""
    if db[RUNS].count_documents({"_id": KIND, "run": run_id, "status": "processing"}) == 0:
        return
    try:
        deleted = collect(db, store, utcnow())
        payload = callback_payload("complete", items_deleted=deleted)
    except Exception as error:  # reported to the business, not left processing
        log.exception("media gc run %s failed", run_id)
        deleted, payload = 0, callback_payload("failed", error=f"{error.__class__.__name__} while deleting media")
    enqueue_callback(db, celery, f"media-gc:{run_id}", payload)
    db[RUNS].update_one({"_id": KIND, "run": run_id},
                        {"$set": {"status": payload["services"][0]["media"]["gc"]["status"],
                                  "items_deleted": deleted, "finished_at": utcnow()}})
    log.info("media gc run %s: %d deleted", run_id, deleted)


def unfinished(db: Database) -> str | None:
    """The run a worker that starts should finish (its predecessor may have died in it)."""
    doc = db[RUNS].find_one({"_id": KIND, "status": "processing"})
    return doc["run"] if doc else None
