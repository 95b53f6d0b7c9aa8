"""Runs of a service that report by callback (spec §12: ``PUT /v1/services/<service>/gc``),
the one record and the one completion callback of the media GC and the message GC.

``service_runs``: ``{_id: kind.key, run, status: "processing"|"complete"|"failed",
started_at, <kind.counted>, progress?, finished_at?}``: the run under way or the last
one finished, one document per kind. The gateway :func:`request`s a run (a request
while one is under way joins it) and kicks the worker's task; the worker calls
:func:`step` with its work. Work done in slices (``Slice.finished`` False) is kicked
again after each slice with its ``progress``, so one run never holds a worker for
long; ``started_at`` is the run's last sign of life, refreshed as each step starts and
ends. A run still ``processing`` :data:`ABANDONED_AFTER` after it lost its kick or its
worker: the next request starts it again, a worker that starts finishes it
(:func:`unfinished`), and the core's periodic job (:func:`resume_abandoned`, every
:data:`RESUME_INTERVAL`) kicks it again. Deleting is idempotent, so a run started again
only finds less to delete. A request whose kick cannot be sent (Redis down) puts the
record back as it found it (:class:`NotStarted`): no run is left ``processing`` that
nothing will work on. A step whose run was replaced meanwhile (it outlived the bound)
adds what it deleted to the run under way, which reports it.

The callback: ``{"services": [{<kind.service>: {"gc": {<kind.counted>: n, "status":
"complete"}}}]}``, or ``"status": "failed"`` with ``errors``, under the callback id
``<service>-gc:<run>``: one per run, however often its last step is repeated.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import Celery
from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.callbacks.outbox import enqueue_callback
from services.common import kicks
from services.common.clock import utcnow

log = logging.getLogger(__name__)

RUNS = "service_runs"
ABANDONED_AFTER = timedelta(minutes=2)
RESUME_INTERVAL = 30.0


class NotStarted(Exception):
    """The run's kick could not be sent (the broker is unreachable); nothing changed."""


@dataclass(frozen=True)
class RunKind:
    key: str  # the record's _id: "media_gc"
    service: str  # the callback's key: "media" | "message"
    counted: str  # what the callback counts: "items_deleted" | "messages_deleted"
    task: str  # the worker's task, called with the run id
    queue: str


@dataclass(frozen=True)
class Slice:
    """What one step of a run did: how many it deleted, whether the run is done, and
    where the next step goes on (stored in the record between steps)."""

    deleted: int
    finished: bool = True
    progress: dict[str, Any] = field(default_factory=dict)


def callback_payload(kind: RunKind, status: str, *, count: int | None = None,
                     error: str | None = None) -> dict[str, Any]:
    """Pure: the §12 callback of a finished run."""
    gc: dict[str, Any] = {"status": status}
    if count is not None:
        gc[kind.counted] = count
    if error is not None:
        gc["errors"] = [{"code": 1000, "title": "Generic error", "details": error}]
    return {"services": [{kind.service: {"gc": gc}}]}


def callback_id(kind: RunKind, run_id: str) -> str:
    return f"{kind.service}-gc:{run_id}"


def request(db: Database, celery: Celery, kind: RunKind) -> str:
    """Start a run and kick the worker, or answer the run already under way (started
    again if it was abandoned); returns the run's id. Raises :class:`NotStarted`, the
    record as it was, when the kick cannot be sent."""
    now, run_id = utcnow(), str(uuid.uuid4())
    try:
        before = db[RUNS].find_one_and_update(
            {"_id": kind.key,
             "$or": [{"status": {"$ne": "processing"}}, {"started_at": {"$lte": now - ABANDONED_AFTER}}]},
            {"$set": {"status": "processing", "run": run_id, "started_at": now, kind.counted: 0},
             "$unset": {"progress": "", "finished_at": ""}},
            upsert=True, return_document=ReturnDocument.BEFORE,
        )
    except DuplicateKeyError:  # a fresh run is under way: the upsert found no document to update
        doc = db[RUNS].find_one({"_id": kind.key})
        return doc["run"] if doc else run_id
    if not kicks.send(celery, kind.task, [run_id], kind.queue):
        _put_back(db, kind, run_id, before)
        raise NotStarted(kind.key)
    return run_id


def _put_back(db: Database, kind: RunKind, run_id: str, before: dict[str, Any] | None) -> None:
    """Undo a request whose run nobody was told of, unless another request replaced it."""
    if before is None:
        db[RUNS].delete_one({"_id": kind.key, "run": run_id})
    else:
        db[RUNS].replace_one({"_id": kind.key, "run": run_id}, before)


def step(db: Database, celery: Celery, kind: RunKind, run_id: str,
         work: Callable[[dict[str, Any]], Slice]) -> None:
    """The worker's side of one step of a run: ``work(progress)`` does a slice; a run
    already finished (a repeated kick) is neither worked on nor reported twice."""
    record = db[RUNS].find_one_and_update({"_id": kind.key, "run": run_id, "status": "processing"},
                                          {"$set": {"started_at": utcnow()}})  # alive: not abandoned
    if record is None:
        return
    try:
        done = work(record.get("progress") or {})
    except Exception as error:  # reported to the business, not left processing
        log.exception("%s run %s failed", kind.key, run_id)
        _finish(db, celery, kind, run_id, "failed", int(record.get(kind.counted) or 0),
                f"{error.__class__.__name__} while deleting")
        return
    # $inc, not a total computed here: a step repeated at the same time (a resumed run
    # whose kick was not lost after all) adds what it deleted instead of overwriting.
    update: dict[str, Any] = {"$inc": {kind.counted: done.deleted}, "$set": {"started_at": utcnow()}}
    if not done.finished:
        update["$set"]["progress"] = done.progress
    counted = db[RUNS].find_one_and_update({"_id": kind.key, "run": run_id}, update,
                                           return_document=ReturnDocument.AFTER)
    if counted is None:
        _hand_over(db, kind, run_id, done.deleted)
        return
    if not done.finished:
        # A lost kick stalls the run until resume_abandoned (the core's periodic job) finds it.
        kicks.send(celery, kind.task, [run_id], kind.queue)
        return
    _finish(db, celery, kind, run_id, "complete", int(counted.get(kind.counted) or 0), None)


def _hand_over(db: Database, kind: RunKind, run_id: str, deleted: int) -> None:
    """A request replaced this run while it worked (it looked abandoned): what it deleted
    counts for the run under way, whose callback reports it, instead of a 0 for this one."""
    carried = db[RUNS].update_one({"_id": kind.key, "status": "processing"}, {"$inc": {kind.counted: deleted}})
    log.warning("%s run %s was replaced while it worked; its %d deletions %s", kind.key, run_id, deleted,
                "go to the run under way" if carried.matched_count else "were after the last run finished")


def _finish(db: Database, celery: Celery, kind: RunKind, run_id: str, status: str, total: int,
            error: str | None) -> None:
    payload = callback_payload(kind, status, count=total if error is None else None, error=error)
    enqueue_callback(db, celery, callback_id(kind, run_id), payload)
    db[RUNS].update_one({"_id": kind.key, "run": run_id},
                        {"$set": {"status": status, "finished_at": utcnow()}, "$unset": {"progress": ""}})
    log.info("%s run %s %s: %d deleted", kind.key, run_id, status, total)


def unfinished(db: Database, kind: RunKind) -> str | None:
    """The run a worker that starts should finish (its predecessor may have died in it)."""
    doc = db[RUNS].find_one({"_id": kind.key, "status": "processing"})
    return doc["run"] if doc else None


def resume(db: Database, celery: Celery, kind: RunKind) -> None:
    """Kick the run a worker that starts should finish (its predecessor may have died
    in it, or its kick was lost)."""
    run_id = unfinished(db, kind)
    if run_id is not None and not kicks.send(celery, kind.task, [run_id], kind.queue):
        log.warning("could not resume %s run %s; the core resumes it once it is %s old", kind.key, run_id,
                    ABANDONED_AFTER)


def resume_abandoned(db: Database, celery: Celery, kinds: tuple[RunKind, ...]) -> int:
    """The core's periodic job: kick again every run of ``kinds`` with no sign of life
    for :data:`ABANDONED_AFTER` (a lost kick of its next slice, a dead worker); how many.
    One indexed find when there is none; a run is claimed (its ``started_at`` moved on)
    before its kick, so of several cores only one kicks it."""
    by_key = {kind.key: kind for kind in kinds}
    now = utcnow()
    stale = {"status": "processing", "started_at": {"$lte": now - ABANDONED_AFTER}}
    resumed = 0
    for doc in db[RUNS].find({**stale, "_id": {"$in": list(by_key)}}, {"run": 1, "started_at": 1}):
        kind, run_id = by_key[doc["_id"]], doc["run"]
        claimed = db[RUNS].update_one({"_id": kind.key, "run": run_id, **stale}, {"$set": {"started_at": now}})
        if not claimed.modified_count:
            continue
        if kicks.send(celery, kind.task, [run_id], kind.queue):
            resumed += 1
            log.info("resumed abandoned %s run %s", kind.key, run_id)
        else:  # the next call tries again, not one more bound later
            db[RUNS].update_one({"_id": kind.key, "run": run_id, "started_at": now},
                                {"$set": {"started_at": doc["started_at"]}})
    return resumed


def ensure_indexes(db: Database) -> None:
    # resume_abandoned's find, every RESUME_INTERVAL on every core.
    db[RUNS].create_index([("status", 1), ("started_at", 1)], name="runs_by_status_age")


def last_runs(db: Database) -> dict[str, dict[str, Any]]:
    """Every kind's run under way or last finished, by kind (``GET /v1/support``)."""
    fields = {"_id": 1, "status": 1, "started_at": 1, "finished_at": 1, "items_deleted": 1, "messages_deleted": 1}
    return {doc.pop("_id"): doc for doc in db[RUNS].find({}, fields)}
