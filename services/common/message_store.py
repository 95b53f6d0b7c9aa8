"""Writes that several services make to the ``messages`` and related collections.

Each shard has its own sequence counter: the order in which the API accepted work
for a contact is the order its shard consumer processes it.

What the API acknowledges is written with ``j=True``: the 201 goes out only once the
write is in MongoDB's journal, so not even a crash of MongoDB itself loses it.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument, WriteConcern
from pymongo.collection import Collection
from pymongo.database import Database

from services.common.clock import utcnow


def _journaled(db: Database, name: str) -> Collection:
    return db.get_collection(name, write_concern=WriteConcern(w=1, j=True))


def next_seq(db: Database, counter: str) -> int:
    return reserve_seq(db, counter, 1)


def reserve_seq(db: Database, counter: str, count: int) -> int:
    """Reserve ``count`` consecutive numbers of ``counter``; returns the first."""
    doc = db.counters.find_one_and_update(
        {"_id": counter}, {"$inc": {"value": count}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert doc is not None  # upsert with ReturnDocument.AFTER always returns the document
    return int(doc["value"]) - count + 1


def insert_outbound(
    db: Database, *, message_id: str, wa_id: str, shard: int, message_type: str, content: dict[str, Any]
) -> dict[str, Any]:
    now = utcnow()
    doc = {
        "_id": message_id,
        "direction": "outbound",
        "wa_id": wa_id,
        "shard": shard,
        "seq": next_seq(db, f"outbound:{shard}"),
        "type": message_type,
        "content": content,
        "status": "accepted",
        "status_timestamps": {},
        "created_at": now,
        "errors": [],
    }
    _journaled(db, "messages").insert_one(doc)
    return doc


def queue_read_receipt(db: Database, *, message_id: str, wa_id: str, shard: int) -> None:
    """Ask the core to tell the sender that the business read ``message_id``."""
    _journaled(db, "outbound_receipts").update_one(
        {"_id": message_id},
        {
            "$setOnInsert": {
                "wa_id": wa_id,
                "shard": shard,
                "status": "read",
                "seq": next_seq(db, f"receipts:{shard}"),
                "created_at": utcnow(),
            }
        },
        upsert=True,
    )
