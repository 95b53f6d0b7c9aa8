"""How many shards there are now: one document in MongoDB, ``cluster/shards``.

``{_id: "shards", shards: N, generation: g, changed_at}``. It is created with
``WA_SHARDS`` the first time anyone reads it; from then on ``POST /v1/account/shards``
(spec §9.5) changes it and ``WA_SHARDS`` no longer matters for that database. Every
change increments ``generation``; the core nodes hand the shards of the old count over
before anyone claims the new ones (services/core_worker/leases.py), so a contact is
never served by two shards at once and its order holds across the change.

Rows carry their ``server_shard`` (services/cluster/sharding.py), so a change moves no
data: the new shards simply query other ranges.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from pymongo import ReturnDocument
from pymongo.database import Database

from services.common.clock import utcnow

COLLECTION = "cluster"
SHAPE_ID = "shards"


@dataclass(frozen=True)
class Shape:
    shards: int
    generation: int


def _shape(doc: dict) -> Shape:
    return Shape(int(doc["shards"]), int(doc.get("generation", 1)))


def read(db: Database, initial: int) -> Shape:
    """The shape now; ``initial`` (``WA_SHARDS``) creates it in a new database."""
    doc = db[COLLECTION].find_one({"_id": SHAPE_ID})
    if doc is not None:
        return _shape(doc)
    doc = db[COLLECTION].find_one_and_update(
        {"_id": SHAPE_ID},
        {"$setOnInsert": {"shards": initial, "generation": 1, "changed_at": utcnow()}},
        upsert=True, return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # an upsert returning the document after it always finds one
    return _shape(doc)


def change(db: Database, shards: int, initial: int) -> Shape:
    """Set the shard count; a new generation only when it really changes."""
    current = read(db, initial)
    if current.shards == shards:
        return current
    doc = db[COLLECTION].find_one_and_update(
        {"_id": SHAPE_ID},
        {"$set": {"shards": shards, "changed_at": utcnow()}, "$inc": {"generation": 1}},
        upsert=True, return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # an upsert returning the document after it always finds one
    return _shape(doc)


class CachedShape:
    """The shape for readers that only *route kicks* with it (the gateway, the network
    connection): read at most every ``max_age`` seconds. A kick routed with a count that
    just changed is not lost: the new shards' holders drain everything in their range as
    they take it, and the recovery sweep covers the rest."""

    def __init__(self, db: Database, initial: int, max_age: float = 1.0) -> None:
        self.db, self.initial, self.max_age = db, initial, max_age
        self._lock = threading.Lock()
        self._shape: Shape | None = None
        self._read_at = 0.0

    def get(self) -> Shape:
        with self._lock:
            if self._shape is not None and time.monotonic() - self._read_at < self.max_age:
                return self._shape
        shape = read(self.db, self.initial)
        with self._lock:
            self._shape, self._read_at = shape, time.monotonic()
        return shape

    def shards(self) -> int:
        return self.get().shards
