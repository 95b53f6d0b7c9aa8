"""Reads and writes that several services make to the ``messages`` and related collections.

Rows carry the ``server_shard`` of their contact (services/cluster/sharding.py), and
each kind of row one sequence counter for all contacts (``outbound``, ``receipts``,
``inbound``): the order in which work for a contact was accepted is the order the shard
serving it processes it, whatever the shard count was then or is now.

What the API acknowledges is written with ``services.common.mongo.ACCEPTED``: the 201
goes out only once the write is in the journal of a majority of the replica set, so
neither a crash of MongoDB nor the loss of its primary loses it.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from services.cluster.sharding import server_shard
from services.common.clock import utcnow
from services.common.mongo import accepted, insert_new

OUTBOUND_SEQ = "outbound"
RECEIPT_SEQ = "receipts"
INBOUND_SEQ = "inbound"


def _journaled(db: Database, name: str) -> Collection:
    return accepted(db, name)


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
    db: Database, *, message_id: str, wa_id: str, message_type: str, content: dict[str, Any]
) -> dict[str, Any]:
    doc = new_outbound(db, message_id=message_id, wa_id=wa_id, message_type=message_type, content=content)
    store_outbound(db, doc)
    return doc


def new_outbound(
    db: Database, *, message_id: str, wa_id: str, message_type: str, content: dict[str, Any]
) -> dict[str, Any]:
    """The document of an accepted message, with its reserved ``seq`` (not yet stored)."""
    return {
        "_id": message_id,
        "direction": "outbound",
        "wa_id": wa_id,
        "server_shard": server_shard(wa_id),
        "seq": next_seq(db, OUTBOUND_SEQ),
        "type": message_type,
        "content": content,
        "status": "accepted",
        "status_timestamps": {},
        "created_at": utcnow(),
        "errors": [],
    }


def store_outbound(db: Database, doc: dict[str, Any]) -> None:
    """Insert :func:`new_outbound`'s document; the same document again after a lost
    answer raises DuplicateKeyError when the first insert was applied."""
    _journaled(db, "messages").insert_one(doc)


def is_stored(db: Database, message_id: str) -> bool:
    """The message is stored for good: journaled on a majority of the replica set.

    A no-op write that matches the document, acknowledged with ``ACCEPTED``: MongoDB
    waits on a no-op for everything its primary holds, so the acknowledgement also
    covers an insert whose own acknowledgement was lost (a timeout during a failover),
    which a majority read could not yet see and which a plain read would report before
    it is safe from a rollback."""
    found = accepted(db, "messages").update_one({"_id": message_id}, {"$setOnInsert": {"_id": message_id}})
    return found.matched_count == 1


def mark_inbound_read(db: Database, message_id: str) -> str | None:
    """Mark an inbound message ``read`` (the first time only: a repeat keeps the time of
    the first); returns its sender's wa_id, or None when no inbound message has this id."""
    message = db.messages.find_one({"_id": message_id, "direction": "inbound"}, {"wa_id": 1})
    if message is None:
        return None
    db.messages.update_one(
        {"_id": message_id, "status": {"$ne": "read"}},
        {"$set": {"status": "read", "status_timestamps.read": utcnow()}},
    )
    return message["wa_id"]


def receipt_id(message_id: str, status: str) -> str:
    """``outbound_receipts`` key: one row per inbound message and status, so a ``read``
    queued while its ``delivered`` is still pending is a second row, not lost."""
    return f"{message_id}:{status}"


def reserve_receipt_seqs(db: Database, count: int) -> int:
    """``count`` consecutive receipt sequence numbers; returns the first.

    Delivered and read receipts share the counter: a shard drains them in ``seq``
    order, and a message's ``delivered`` is always numbered before its ``read``."""
    return reserve_seq(db, RECEIPT_SEQ, count)


def queue_read_receipt(db: Database, *, message_id: str, wa_id: str, seq: int | None = None) -> None:
    """Ask the core to tell the sender that the business read ``message_id`` (``seq``:
    one reserved with :func:`reserve_receipt_seqs`, so that the write can be repeated)."""
    if seq is None:
        seq = reserve_receipt_seqs(db, 1)
    _journaled(db, "outbound_receipts").update_one(
        {"_id": receipt_id(message_id, "read")},
        {
            "$setOnInsert": {
                "message_id": message_id,
                "wa_id": wa_id,
                "server_shard": server_shard(wa_id),
                "status": "read",
                "seq": seq,
                "created_at": utcnow(),
            }
        },
        upsert=True,
    )


def queue_delivered_receipts(db: Database, stored: list[tuple[str, str, int]]) -> None:
    """Tell the senders that these inbound messages are stored: ``(message id, sender,
    seq)`` each, the seqs reserved with :func:`reserve_receipt_seqs`. One round trip;
    a row already queued (a replayed batch) is left as it is."""
    now = utcnow()
    rows = [
        {"_id": receipt_id(message_id, "delivered"), "message_id": message_id, "wa_id": wa_id,
         "server_shard": server_shard(wa_id), "status": "delivered", "seq": seq, "created_at": now}
        for message_id, wa_id, seq in stored
    ]
    insert_new(db.outbound_receipts, rows)


def ensure_indexes(db: Database) -> None:
    # A shard's pending rows in seq order, its server-shard range checked on the index
    # keys (services/cluster/sharding.py row_filter): no row is read that is not its own.
    db.messages.create_index([("direction", 1), ("status", 1), ("seq", 1), ("server_shard", 1)])
    db.messages.create_index([("wa_id", 1), ("seq", 1)])
    db.inbound_events.create_index([("seq", 1), ("server_shard", 1)])
    db.outbound_receipts.create_index([("seq", 1), ("server_shard", 1)])
