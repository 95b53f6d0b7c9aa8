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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Celery
from pymongo.database import Database

from services.common import kicks
from services.common.queues import FETCH_INBOUND_MEDIA, MEDIA_QUEUE
from services.message_types.media_payload import MediaPayload
from services.protocol import at_rest

FIELD = "received_media"
PENDING = "pending"
ON_DEMAND = "on_demand"
DONE = "done"
FAILED = "failed"


def _context(media_id: str) -> bytes:
    return f"inbound-media:{media_id}".encode()


def new_field(master_key: bytes, *, media_id: str, kind: str, payload: MediaPayload, auto: bool,
              now: datetime) -> dict[str, Any]:
    sealed = at_rest.seal(master_key, payload.model_dump_json().encode(), _context(media_id))
    return {"id": media_id, "kind": kind, "download": PENDING if auto else ON_DEMAND, "sealed": sealed,
            "attempts": 0, "next_attempt_at": now}


def open_payload(master_key: bytes, field: dict[str, Any]) -> MediaPayload:
    """The sender's payload (raises for a wrong master key or a tampered blob)."""
    raw = at_rest.open_sealed(master_key, bytes(field["sealed"]), _context(field["id"]))
    return MediaPayload.model_validate_json(raw)


def download_state(db: Database, media_id: str) -> str | None:
    """Where the download of the inbound medium ``media_id`` stands; None: no inbound
    message names it."""
    doc = db.messages.find_one({"received_media.id": media_id, "direction": "inbound"},
                               {"received_media.download": 1})
    return doc["received_media"]["download"] if doc is not None else None


def kick_fetch(celery: Celery, media_id: str, countdown: float = 0) -> bool:
    """Ask the media service to fetch ``media_id`` (never raises a broker error: the
    media service's sweep finds a pending download whose kick was lost)."""
    return kicks.send(celery, FETCH_INBOUND_MEDIA, [media_id], MEDIA_QUEUE, countdown)


def ensure_indexes(db: Database) -> None:
    """Inbound media messages: found by media id (GET, fetch) and by pending download (sweep)."""
    db.messages.create_index(f"{FIELD}.id", partialFilterExpression={f"{FIELD}.id": {"$exists": True}})
    db.messages.create_index([(f"{FIELD}.download", 1), (f"{FIELD}.next_attempt_at", 1)],
                             partialFilterExpression={f"{FIELD}.download": {"$exists": True}})
