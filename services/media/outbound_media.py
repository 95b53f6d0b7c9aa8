"""An outbound media message's preparation, as its message document records it.

A media message (``image``, ``video``, ``audio``, ``document``, ``sticker``), or a
template with a media header (services/message_types/carried_media.py), is stored
by the gateway like any other, plus ``media_prep``; the media service reads its bytes
(the object store, or the link), encrypts them, puts the encrypted file on the
network's media store and records the result here; the core sends it once prepared.
The core never transfers anything itself, so a shard never waits on a large file.

    media_prep: {state: "pending" | "ready" | "failed", attempts, not_before?,
                 claim?, claimed_until?, error? (the webhook's error item)}
    media_payload_sealed: <the MediaPayload JSON, sealed with the master key>

- ``pending``: the core holds the contact: this message and the contact's later ones
  wait (other contacts go on). The media service claims the message for a while
  (``claim``, ``claimed_until``, renewed during a long transfer) so that a re-kick by
  the sweep never runs a second transfer beside a live one; a claim that ran out (the
  worker died) is taken over.
- ``ready``: the sealed payload is written (it holds the media key, so it is sealed at
  rest like sessions and keys); the core sends the payload in place of the medium's object (``{"type": kind, kind:
  MediaPayload}``, or a template whose header parameter holds it).
- ``failed``: ``error`` is the item of the ``failed`` status the core records (the core
  records every outbound status: one consumer per shard writes them).

The media service is the only writer of ``media_prep`` after the gateway; everything
that reads or writes these fields goes through this module.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from services.common.resealing import ResealCount, reseal_field
from services.message_types.media_payload import MediaPayload
from services.protocol import at_rest

PENDING = "pending"
READY = "ready"
FAILED = "failed"

FIELD = "media_prep"
PAYLOAD_FIELD = "media_payload_sealed"

_PENDING_OUTBOUND = {"direction": "outbound", "status": "accepted", f"{FIELD}.state": PENDING}


def initial() -> dict[str, Any]:
    """The fields the gateway adds to a media message's document."""
    return {FIELD: {"state": PENDING, "attempts": 0}}


def state_of(message: dict[str, Any]) -> str | None:
    """``pending``, ``ready``, ``failed``, or None for a message without media."""
    prep = message.get(FIELD)
    return prep.get("state") if isinstance(prep, dict) else None


def error_of(message: dict[str, Any]) -> dict[str, Any]:
    return dict(message[FIELD]["error"])


def _context(message_id: str) -> bytes:
    return f"media-payload:{message_id}".encode()


def seal_payload(master_key: at_rest.Keys, message_id: str, payload: MediaPayload) -> bytes:
    return at_rest.seal(master_key, json.dumps(payload.dump()).encode(), _context(message_id))


def open_payload(master_key: at_rest.Keys, message: dict[str, Any]) -> dict[str, Any]:
    """The MediaPayload (as JSON data) of a prepared message; raises ``ProtocolError``
    when the sealed blob is not this message's."""
    raw = at_rest.open_sealed(master_key, bytes(message[PAYLOAD_FIELD]), _context(message["_id"]))
    return MediaPayload.model_validate_json(raw).dump()


# --- the core: which contacts wait -------------------------------------------------

def held_heads(db: Database, rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Per contact among ``rows`` (a shard's row filter), its first accepted message
    still being prepared: that message and the contact's later ones wait."""
    pipeline = [
        {"$match": {**_PENDING_OUTBOUND, **rows}},
        {"$sort": {"seq": 1}},
        {"$group": {"_id": "$wa_id", "head": {"$first": "$$ROOT"}}},
    ]
    return [group["head"] for group in db.messages.aggregate(pipeline)]


def not_held(heads: list[dict[str, Any]]) -> dict[str, Any]:
    """The filter that leaves out what ``heads`` hold: each one and its contact's later
    messages."""
    if not heads:
        return {}
    return {"$nor": [{"wa_id": head["wa_id"], "seq": {"$gte": head["seq"]}} for head in heads]}


# --- the media service: claims and results ------------------------------------------

def _free(now: datetime) -> dict[str, Any]:
    return {"$and": [
        {"$or": [{f"{FIELD}.claimed_until": None}, {f"{FIELD}.claimed_until": {"$lt": now}}]},
        {"$or": [{f"{FIELD}.not_before": None}, {f"{FIELD}.not_before": {"$lte": now}}]},
    ]}


def claim(db: Database, message_id: str, *, now: datetime, hold: timedelta) -> dict[str, Any] | None:
    """Take the preparation of ``message_id`` for ``hold``: the message document with its
    new ``claim``, or None when it needs no preparation now (prepared, failed, claimed by
    a live worker, its retry not due yet, or no longer ``accepted``)."""
    return db.messages.find_one_and_update(
        {"_id": message_id, **_PENDING_OUTBOUND, **_free(now)},
        {"$set": {f"{FIELD}.claim": uuid.uuid4().hex, f"{FIELD}.claimed_until": now + hold},
         "$inc": {f"{FIELD}.attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )


def _claimed(message: dict[str, Any]) -> dict[str, Any]:
    return {"_id": message["_id"], f"{FIELD}.state": PENDING, f"{FIELD}.claim": message[FIELD]["claim"]}


def renew(db: Database, message: dict[str, Any], *, until: datetime) -> bool:
    """Extend a claim during a long transfer; False when it was lost (taken over)."""
    result = db.messages.update_one(_claimed(message), {"$set": {f"{FIELD}.claimed_until": until}})
    return result.matched_count == 1


def finish(db: Database, message: dict[str, Any], sealed_payload: bytes) -> bool:
    """Record the prepared payload; False when the claim was lost meanwhile."""
    result = db.messages.update_one(_claimed(message), {
        "$set": {f"{FIELD}.state": READY, PAYLOAD_FIELD: sealed_payload},
        "$unset": {f"{FIELD}.claim": "", f"{FIELD}.claimed_until": "", f"{FIELD}.not_before": ""},
    })
    return result.matched_count == 1


def fail(db: Database, message: dict[str, Any], error: dict[str, Any]) -> bool:
    """Record that the preparation failed for good, with the webhook's error item."""
    result = db.messages.update_one(_claimed(message), {
        "$set": {f"{FIELD}.state": FAILED, f"{FIELD}.error": error},
        "$unset": {f"{FIELD}.claim": "", f"{FIELD}.claimed_until": "", f"{FIELD}.not_before": ""},
    })
    return result.matched_count == 1


def retry_later(db: Database, message: dict[str, Any], *, not_before: datetime) -> bool:
    """Give the claim back and make the next attempt wait until ``not_before``."""
    result = db.messages.update_one(_claimed(message), {
        "$set": {f"{FIELD}.not_before": not_before},
        "$unset": {f"{FIELD}.claim": "", f"{FIELD}.claimed_until": ""},
    })
    return result.matched_count == 1


def overdue(db: Database, *, now: datetime, grace: timedelta, limit: int = 100) -> list[str]:
    """Pending preparations nobody works on although they could have started ``grace``
    ago: their kick (or a retry's countdown) was lost."""
    cutoff = now - grace
    found = db.messages.find({
        **_PENDING_OUTBOUND, "created_at": {"$lt": cutoff}, **_free(now),
        f"{FIELD}.not_before": {"$not": {"$gt": cutoff}},
    }, {"_id": 1}).limit(limit)
    return [doc["_id"] for doc in found]


def ensure_indexes(db: Database) -> None:
    """Only media messages have ``media_prep``: partial indexes cost the others nothing."""
    partial = {f"{FIELD}.state": {"$exists": True}}
    db.messages.create_index([(f"{FIELD}.state", 1), ("server_shard", 1), ("seq", 1)],
                             partialFilterExpression=partial, name="media_prep_by_shard")
    db.messages.create_index([(f"{FIELD}.state", 1), ("created_at", 1)],
                             partialFilterExpression=partial, name="media_prep_by_age")


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Every prepared outbound payload (it holds a media key) under the newest master
    key (services/common/resealing.py). A full scan of ``messages``: a rare, offline-grade
    command, not worth an index every insert pays for."""
    return reseal_field(db.messages, PAYLOAD_FIELD, lambda doc: _context(doc["_id"]), keys)
