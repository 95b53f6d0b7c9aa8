"""The ``media`` collection: what the object store holds and whose it is.

MongoDB is the truth about media as about everything else: an object is served only
while a ``ready`` document names it. Each medium has one document and one object:

    {_id: "<uuid4>", object_key: "media/<uuid4>", state: "uploading" | "ready",
     origin: "uploaded" | "inbound", owner: <API user> | None (inbound), mime_type,
     size, sha256 (hex), created_at, last_used_at, message_id (inbound)}

The document is written *before* the bytes (``state: "uploading"``), so that every
object the store may hold is known here even if a process dies mid-upload; the media
GC removes ``uploading`` documents older than ``STALE_UPLOAD`` with their objects.
The gateway, the media service (network transfers, inbound media) and the GC all
read and write media through this module.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.database import Database

from services.common.clock import utcnow
from services.common.mongo import accepted

UPLOADING = "uploading"
READY = "ready"
UPLOADED = "uploaded"  # origin: POST /v1/media
INBOUND = "inbound"  # origin: a contact's media message, downloaded by the media service

STALE_UPLOAD = timedelta(hours=1)
"""An ``uploading`` document this old belongs to a request that died (a 100 MB upload
takes seconds)."""

_MEDIA_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Medium:
    id: str
    object_key: str
    mime_type: str
    size: int
    sha256: str
    owner: str | None
    origin: str
    created_at: datetime
    last_used_at: datetime

    @classmethod
    def from_doc(cls, doc: dict) -> Medium:
        return cls(id=doc["_id"], object_key=doc["object_key"], mime_type=doc["mime_type"], size=doc["size"],
                   sha256=doc["sha256"], owner=doc.get("owner"), origin=doc["origin"],
                   created_at=doc["created_at"], last_used_at=doc["last_used_at"])


def new_id() -> str:
    return str(uuid.uuid4())


def parse_id(text: str) -> str | None:
    """``text`` as a media id (a UUID v4, any case), or None when it cannot be one."""
    lowered = text.lower()
    return lowered if _MEDIA_ID.fullmatch(lowered) else None


def object_key(media_id: str) -> str:
    return f"media/{media_id}"


def begin_upload(db: Database, media_id: str, *, owner: str, mime_type: str, origin: str = UPLOADED) -> str:
    """Records an upload about to start; returns the object key to write."""
    now = utcnow()
    key = object_key(media_id)
    db.media.insert_one({
        "_id": media_id, "object_key": key, "state": UPLOADING, "origin": origin, "owner": owner,
        "mime_type": mime_type, "size": None, "sha256": None, "created_at": now, "last_used_at": now,
    })
    return key


def begin_download(db: Database, media_id: str, *, mime_type: str, message_id: str) -> str | None:
    """Records the download of an inbound medium about to be stored (its id was
    allocated when the message was received); returns the object key to write, or None
    when the medium is already ready. Repeatable: a download that died left its
    document ``uploading``, and the next attempt takes it over."""
    now = utcnow()
    key = object_key(media_id)
    doc = db.media.find_one_and_update(
        {"_id": media_id},
        {"$setOnInsert": {"object_key": key, "state": UPLOADING, "origin": INBOUND, "owner": None,
                          "mime_type": mime_type, "size": None, "sha256": None, "message_id": message_id,
                          "created_at": now, "last_used_at": now}},
        upsert=True, return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # an upsert returning the document after it always finds one
    return None if doc["state"] == READY else key


def complete_upload(db: Database, media_id: str, *, size: int, sha256: str) -> Medium | None:
    """The bytes are stored: the medium can be served (journaled, as the 201 promises).
    None when the document is no longer ``uploading`` (removed meanwhile)."""
    doc = accepted(db, "media").find_one_and_update(
        {"_id": media_id, "state": UPLOADING},
        {"$set": {"state": READY, "size": size, "sha256": sha256}},
        return_document=ReturnDocument.AFTER,
    )
    return Medium.from_doc(doc) if doc is not None else None


def forget(db: Database, media_id: str) -> None:
    """Removes the document of a medium whose object is gone or was never written."""
    db.media.delete_one({"_id": media_id})


def find(db: Database, media_id: str) -> Medium | None:
    """The ready medium with this id."""
    doc = db.media.find_one({"_id": media_id, "state": READY})
    return Medium.from_doc(doc) if doc is not None else None


def garbage(db: Database, *, unused_before: datetime, stale_upload_before: datetime,
            limit: int) -> list[tuple[str, str]]:
    """(id, object key) of up to ``limit`` media the GC may delete: not used since
    ``unused_before`` (``last_used_at``: the upload, and every send since), or uploads
    that died before ``stale_upload_before``."""
    found = db.media.find(
        {"$or": [{"state": {"$ne": UPLOADING}, "last_used_at": {"$lt": unused_before}},
                 {"state": UPLOADING, "created_at": {"$lt": stale_upload_before}}]},
        {"object_key": 1},
    ).limit(limit)
    return [(doc["_id"], doc["object_key"]) for doc in found]


def mark_used(db: Database, media_id: str, when: datetime | None = None) -> None:
    """A send used this medium: the media GC's clock starts again (spec §12)."""
    db.media.update_one({"_id": media_id, "state": READY}, {"$max": {"last_used_at": when or utcnow()}})


def ensure_indexes(db: Database) -> None:
    # The media GC's two questions (services/media/gc.py): unused media, and uploads that died.
    db.media.create_index([("state", 1), ("last_used_at", 1)])
    db.media.create_index([("state", 1), ("created_at", 1)])
