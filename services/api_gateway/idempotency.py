"""``Idempotency-Key`` on ``POST /v1/messages`` (an extension; services/api_gateway/README.md).

The same key from the same API user within 24 hours answers what the first request
answered (201 with the same message id) and stores and sends nothing more, also when
the two requests run at the same time. The model is Stripe's and the IETF httpapi
``Idempotency-Key`` draft: only an accepted request is remembered (a 4xx leaves the key
unused), and the key sent again with a different body is refused (422/1009).

``idempotency_keys`` ``{_id: "<username>:<key>", message_id, request_hash, created_at}``
(a TTL index removes a record 24 h after ``created_at``). The record is written before
the message, holding the id the message will have, and the message is inserted under
that id, so whatever fails or crashes between the two writes, one key never gives two
messages: a retry that finds the record but not the message stores the message under
the recorded id itself, and of two requests storing it at once, the second finds the id
taken (duplicate ``_id``) and answers the same id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow
from services.common.errors import ApiError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer repeated from the record

INVALID_KEY = f"Header '{HEADER}' must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
KEY_REUSED = f"Header '{HEADER}' was already used with a different request body"


@dataclass(frozen=True)
class Record:
    """What the first accepted request with a key left: its message id and body hash."""

    message_id: str
    request_hash: str


# -- pure ------------------------------------------------------------------
def parse_key(value: str | None) -> str | None:
    """The header's key (None when the header is absent); 1009 when it is malformed.

    Printable ASCII (space to ``~``), 1 to 255 characters, taken verbatim: a key sent
    in the draft's quoted form is a different key from the same text unquoted.
    """
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in value):
        raise ApiError(1009, INVALID_KEY)
    return value


def request_hash(body: Any) -> str:
    """The body as JSON with sorted keys and no spaces, hashed: the same request sent
    again with its keys in another order or otherwise spaced counts as the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def record_id(username: str, key: str) -> str:
    # Usernames are URL-safe (no ':'), so the first ':' separates the two unambiguously.
    return f"{username}:{key}"


def replayed_id(record: Record, body_hash: str) -> str:
    """The message id to answer for a request whose key has ``record``; 422/1009 when
    the key came with another body (the draft's "key reused" case)."""
    if record.request_hash != body_hash:
        raise ApiError(1009, KEY_REUSED, http_status=422)
    return record.message_id


# -- MongoDB ---------------------------------------------------------------
def find(db: Database, username: str, key: str) -> Record | None:
    doc = db.idempotency_keys.find_one({"_id": record_id(username, key)})
    if doc is None:
        return None
    return Record(message_id=doc["message_id"], request_hash=doc["request_hash"])


def claim(db: Database, username: str, key: str, body_hash: str, message_id: str) -> str:
    """Record ``message_id`` for the key, unless a concurrent request recorded one first;
    returns the id the message must be stored under (ours or that request's).

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
        return replayed_id(record, body_hash)
    return message_id
