"""The ``Idempotency-Key``s of ``POST /v1/messages``, stored (the HTTP side, the header
and the replayed answer: services/api_gateway/idempotency.py).

``idempotency_keys`` ``{_id: "<username>:<key>", message_id, request_hash, created_at}``
(a TTL index removes a record 24 h after ``created_at``). The record is written before
the message, holding the id the message will have, and the message is inserted under
that id, so whatever fails or crashes between the two writes, one key never gives two
messages: a retry that finds the record but not the message stores the message under
the recorded id itself, and of two requests storing it at once, the second finds the id
taken (duplicate ``_id``) and answers the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow

WINDOW = timedelta(hours=24)
"""How long a key is remembered."""


@dataclass(frozen=True)
class Record:
    """What the first accepted request with a key left: its message id and body hash."""

    message_id: str
    request_hash: str


def ensure_indexes(db: Database) -> None:
    db.idempotency_keys.create_index("created_at", expireAfterSeconds=int(WINDOW.total_seconds()))


def record_id(username: str, key: str) -> str:
    """Keys are per API user."""
    # Usernames are URL-safe (no ':'), so the first ':' separates the two unambiguously.
    return f"{username}:{key}"


def find(db: Database, username: str, key: str) -> Record | None:
    doc = db.idempotency_keys.find_one({"_id": record_id(username, key)})
    if doc is None:
        return None
    return Record(message_id=doc["message_id"], request_hash=doc["request_hash"])


def claim(db: Database, username: str, key: str, body_hash: str, message_id: str) -> Record:
    """Record ``message_id`` for the key, unless a concurrent request recorded one first;
    returns the record that holds the key (ours, or that request's, whose body may differ).

    Not journaled on its own: the message's journaled insert, which follows, flushes
    the journal up to and including this write. A crash before it loses the record
    together with the message, which is what the client saw (no answer) and repeats.
    """
    try:
        db.idempotency_keys.insert_one(
            {"_id": record_id(username, key), "message_id": message_id, "request_hash": body_hash,
             "created_at": utcnow()}
        )
    except DuplicateKeyError:
        record = find(db, username, key)
        if record is None:  # expired between the two calls: claim again
            return claim(db, username, key, body_hash, message_id)
        return record
    return Record(message_id=message_id, request_hash=body_hash)
