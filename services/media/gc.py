"""Media garbage collection (spec §12): ``PUT /v1/services/media/gc``.

The gateway records a run (``service_runs``, ``status: "processing"``) and kicks the
media worker; the worker deletes every medium unused for ``UNUSED_FOR`` (object first,
then its document, so nothing the store holds is ever unknown to MongoDB) and the
uploads that died (``catalogue.STALE_UPLOAD``), then reports by callback:
``{"services": [{"media": {"gc": {"items_deleted": n, "status": "complete"}}}]}``, or
``"status": "failed"`` with ``errors``. A run is worked in slices of about
:data:`SLICE_SECONDS`, each kicking the next, so that its record shows a sign of life
well within ``service_runs.ABANDONED_AFTER`` however long the whole run takes (a run
that looked abandoned was replaced by the next request, and its deletions reported as
0). A run whose kick was lost, or whose worker died, is run again by the next request,
by the worker as it starts or by the core's periodic job; deleting is idempotent, so a
second run only finds less to delete.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from pymongo.database import Database

from services.callbacks import service_runs
from services.callbacks.service_runs import RunKind, Slice
from services.common.clock import utcnow
from services.common.queues import MEDIA_GC, MEDIA_QUEUE
from services.media import catalogue
from services.media.object_store import ObjectStore

log = logging.getLogger(__name__)

UNUSED_FOR = timedelta(days=30)
BATCH = 500
SLICE_SECONDS = 20.0
KIND = "media_gc"
RUN = RunKind(key=KIND, service="media", counted="items_deleted", task=MEDIA_GC, queue=MEDIA_QUEUE)


def cutoffs(now: datetime) -> dict[str, datetime]:
    """Pure: what counts as garbage at ``now``."""
    return {"unused_before": now - UNUSED_FOR, "stale_upload_before": now - catalogue.STALE_UPLOAD}


def callback_payload(status: str, *, items_deleted: int | None = None, error: str | None = None) -> dict[str, Any]:
    """Pure: the §12 callback of a finished run."""
    return service_runs.callback_payload(RUN, status, count=items_deleted, error=error)


def request(db: Database, celery: Celery) -> str:
    """Start a run and kick the worker, or answer the run already under way."""
    return service_runs.request(db, celery, RUN)


def collect(db: Database, store: ObjectStore, now: datetime, seconds: float | None = None) -> Slice:
    """Delete, a batch at a time, what is garbage at ``now`` for about ``seconds``; no
    progress to keep between slices, since what was deleted is no longer found."""
    deadline = time.monotonic() + (SLICE_SECONDS if seconds is None else seconds)
    deleted = 0
    while True:
        batch = catalogue.garbage(db, limit=BATCH, **cutoffs(now))
        for media_id, key in batch:
            store.delete(key)
            catalogue.forget(db, media_id)
        deleted += len(batch)
        if len(batch) < BATCH:
            return Slice(deleted)
        if time.monotonic() >= deadline:
            return Slice(deleted, finished=False)


def run(db: Database, store: ObjectStore, celery: Celery, run_id: str) -> None:
    """The worker's side of one slice of a run; a run already finished is not reported twice."""
    service_runs.step(db, celery, RUN, run_id, lambda _progress: collect(db, store, utcnow()))


def unfinished(db: Database) -> str | None:
    """The run a worker that starts should finish (its predecessor may have died in it)."""
    return service_runs.unfinished(db, RUN)


def resume_unfinished(db: Database, celery: Celery) -> None:
    """At the media worker's start: a run its predecessor died in goes on."""
    service_runs.resume(db, celery, RUN)
