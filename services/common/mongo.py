"""MongoDB access: one client per process, and the indexes every collection needs."""

from __future__ import annotations

from functools import lru_cache

import pymongo
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from services.common.config import Config
from services.common.contact_checks import CACHE_TTL

DUPLICATE_KEY = 11000


@lru_cache(maxsize=4)
def _client(url: str) -> pymongo.MongoClient:
    return pymongo.MongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000)


def get_db(config: Config) -> Database:
    return _client(config.mongo_url)[config.mongo_db]


def ensure_indexes(db: Database) -> None:
    db.tokens.create_index("expires_at", expireAfterSeconds=0)
    db.tokens.create_index("username")
    db.messages.create_index([("shard", 1), ("direction", 1), ("status", 1), ("seq", 1)])
    db.messages.create_index([("wa_id", 1), ("seq", 1)])
    db.inbound_events.create_index([("shard", 1), ("seq", 1)])
    db.pending_callbacks.create_index("next_attempt_at")
    # The contacts cache (spec §7.1: 7 days); readers check the age too.
    db.contact_checks.create_index("checked_at", expireAfterSeconds=int(CACHE_TTL.total_seconds()))
    db.contact_check_requests.create_index("next_attempt_at")


def insert_new(collection: Collection, docs: list[dict]) -> set[int]:
    """Insert ``docs`` in one round trip, keeping the ones whose ``_id`` already exists
    (a replay); returns the indexes of those. Any other write error is raised."""
    if not docs:
        return set()
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as error:
        write_errors = error.details.get("writeErrors", [])
        if any(item.get("code") != DUPLICATE_KEY for item in write_errors):
            raise
        return {item["index"] for item in write_errors}
    return set()
