"""The ``received_media`` field of an inbound media message: its media id, the sender's payload
sealed at rest, and where its download stands.

    received_media: {id: "<uuid4>", kind: "image", download: "pending" | "on_demand" | "done" | "failed",
            sealed: <MediaPayload sealed with the master key> (until done or failed),
            attempts, next_attempt_at}

The core writes it with the message, in the same document (so a crash cannot store
one without the other), and hands the transfer to the media service by a kick
(``media.fetch_inbound(media_id)``); the media service's sweep finds every ``pending``
download whose kick was lost. ``pending``: an auto-downloaded type, whose callback the
media service queues once the file is stored (or failed). ``on_demand``: a type not in
``media.auto_download``; its callback went at once and the file is fetched by the
first ``GET /v1/media/{id}``. The sealed payload is removed once it served.

The payload holds the media KEY: it is only ever stored sealed (context
``inbound-media:<media id>``), and opened by the media service for the transfer.

A fetch claims the download by moving ``next_attempt_at`` ahead (and renews it while
the file streams): whoever finds it ahead of now leaves it alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from pymongo import ReturnDocument
from pymongo.database import Database

from services.common import kicks
from services.common.queues import FETCH_INBOUND_MEDIA, MEDIA_QUEUE
from services.common.resealing import ResealCount, reseal_field
from services.message_types.media_payload import MediaPayload
from services.protocol import at_rest

FIELD = "received_media"
PENDING = "pending"
ON_DEMAND = "on_demand"
DONE = "done"
FAILED = "failed"


def _context(media_id: str) -> bytes:
    return f"inbound-media:{media_id}".encode()


def new_field(master_key: at_rest.Keys, *, media_id: str, kind: str, payload: MediaPayload, auto: bool,
              now: datetime) -> dict[str, Any]:
    sealed = at_rest.seal(master_key, payload.model_dump_json().encode(), _context(media_id))
    return {"id": media_id, "kind": kind, "download": PENDING if auto else ON_DEMAND, "sealed": sealed,
            "attempts": 0, "next_attempt_at": now}


def open_payload(master_key: at_rest.Keys, field: dict[str, Any]) -> MediaPayload:
    """The sender's payload (raises for a wrong master key or a tampered blob)."""
    raw = at_rest.open_sealed(master_key, bytes(field["sealed"]), _context(field["id"]))
    return MediaPayload.model_validate_json(raw)


def _naming(media_id: str) -> dict[str, Any]:
    return {f"{FIELD}.id": media_id, "direction": "inbound"}


def download_state(db: Database, media_id: str) -> str | None:
    """Where the download of the inbound medium ``media_id`` stands; None: no inbound
    message names it."""
    doc = db.messages.find_one(_naming(media_id), {f"{FIELD}.download": 1})
    return doc[FIELD]["download"] if doc is not None else None


def message_naming(db: Database, media_id: str) -> dict[str, Any] | None:
    """The inbound message whose medium is ``media_id``, if any."""
    return db.messages.find_one(_naming(media_id))


def claim(db: Database, message_id: str, state: str, *, now: datetime, hold: timedelta) -> dict[str, Any] | None:
    """Take the download of ``message_id``'s medium for ``hold`` (counting one more
    attempt) if it is still ``state`` and nobody holds it; the message as it is then,
    or None."""
    return db.messages.find_one_and_update(
        {"_id": message_id, f"{FIELD}.download": state, f"{FIELD}.next_attempt_at": {"$lte": now}},
        {"$set": {f"{FIELD}.next_attempt_at": now + hold}, "$inc": {f"{FIELD}.attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )


def due_at(db: Database, message_id: str, when: datetime) -> None:
    """The download is next due at ``when``: a running fetch renewing its claim, or a
    retry's time."""
    db.messages.update_one({"_id": message_id}, {"$set": {f"{FIELD}.next_attempt_at": when}})


def finish(db: Database, message_id: str, failed_content: dict[str, Any] | None) -> None:
    """The download is over: ``done``, or ``failed`` with the message's ``content`` now
    ``failed_content`` (carrying the error). Either way the sealed payload goes."""
    update: dict[str, Any] = {f"{FIELD}.download": FAILED if failed_content is not None else DONE}
    if failed_content is not None:
        update["content"] = failed_content
    db.messages.update_one({"_id": message_id}, {"$set": update, "$unset": {f"{FIELD}.sealed": ""}})


def overdue(db: Database, due_before: datetime, limit: int) -> list[str]:
    """The media ids of up to ``limit`` auto-downloads due before ``due_before``."""
    found = db.messages.find(
        {f"{FIELD}.download": PENDING, f"{FIELD}.next_attempt_at": {"$lt": due_before}, "direction": "inbound"},
        {f"{FIELD}.id": 1},
    ).limit(limit)
    return [doc[FIELD]["id"] for doc in found]


def kick_fetch(celery: Celery, media_id: str, countdown: float = 0) -> bool:
    """Ask the media service to fetch ``media_id`` (never raises a broker error: the
    media service's sweep finds a pending download whose kick was lost)."""
    return kicks.send(celery, FETCH_INBOUND_MEDIA, [media_id], MEDIA_QUEUE, countdown)


def ensure_indexes(db: Database) -> None:
    """Inbound media messages: found by media id (GET, fetch) and by pending download (sweep)."""
    db.messages.create_index(f"{FIELD}.id", partialFilterExpression={f"{FIELD}.id": {"$exists": True}})
    db.messages.create_index([(f"{FIELD}.download", 1), (f"{FIELD}.next_attempt_at", 1)],
                             partialFilterExpression={f"{FIELD}.download": {"$exists": True}})


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Every inbound payload not yet served under the newest master key
    (services/common/resealing.py); a full scan of ``messages``, as outbound_media's."""
    return reseal_field(db.messages, f"{FIELD}.sealed", lambda doc: _context(doc[FIELD]["id"]), keys,
                        also_read=(f"{FIELD}.id",))
