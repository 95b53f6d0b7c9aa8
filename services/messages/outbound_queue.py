"""What a shard's drains read of the outbound side: accepted messages to send in ``seq``
order, the receipts the business owes its contacts, the messages replies quote, those
receipts name and those a retry receipt asks for again.

``rows``: a shard's filter on ``server_shard`` (``CoreContext.shard_rows``), combined
with whatever else the caller narrows the batch by.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database


def next_accepted(db: Database, rows: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` accepted outbound messages matching ``rows``, in ``seq`` order."""
    return list(db.messages.find({"direction": "outbound", "status": "accepted", **rows}).sort("seq", 1).limit(limit))


def accepted_count(db: Database, at_most: int) -> int:
    """How many accepted outbound messages wait for the core, counted up to ``at_most``
    (load shedding's question): a count over the ``(direction, status, …)`` index that
    stops there, so a huge backlog costs no more than its bound."""
    return db.messages.count_documents({"direction": "outbound", "status": "accepted"}, limit=max(1, at_most))


def find_outbound(db: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    """The outbound messages among ``message_ids`` (one query)."""
    return list(db.messages.find({"_id": {"$in": message_ids}, "direction": "outbound"}))


def quoted_authors(db: Database, message_ids: list[str], business_wa_id: str) -> dict[str, str]:
    """Who wrote each of ``message_ids`` (the messages replies quote): the contact for an
    inbound message, the business for its own (one query; unknown ids are absent)."""
    found = db.messages.find({"_id": {"$in": message_ids}}, {"direction": 1, "wa_id": 1})
    return {doc["_id"]: doc["wa_id"] if doc["direction"] == "inbound" else business_wa_id for doc in found}


def take_for_resend(db: Database, wa_id: str, message_ids: list[str], max_resends: int) -> list[dict[str, Any]]:
    """The messages among ``message_ids`` sent to ``wa_id`` and resent fewer than
    ``max_resends`` times, in ``seq`` order, each counted as resent once more."""
    messages = list(db.messages.find({
        "_id": {"$in": message_ids}, "direction": "outbound", "wa_id": wa_id, "status": "sent",
        "resends": {"$not": {"$gte": max_resends}},
    }).sort("seq", 1))
    if messages:
        db.messages.update_many({"_id": {"$in": [m["_id"] for m in messages]}}, {"$inc": {"resends": 1}})
    return messages


def owed_receipts(db: Database, rows: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` receipts owed to contacts in ``rows``, in ``seq`` order."""
    return list(db.outbound_receipts.find(rows).sort("seq", 1).limit(limit))


def discard_receipts(db: Database, row_ids: list[str]) -> None:
    """Forget receipts that were sent (or refused for good)."""
    db.outbound_receipts.delete_many({"_id": {"$in": row_ids}})


def server_shards_waiting_since(db: Database, before: datetime) -> set[int]:
    """The server shards with outbound work (an accepted message, a receipt owed) older
    than ``before``: the recovery sweep's question. A media message still being prepared
    counts too: its drain checks the send-time rules (ttl, the 24-hour window) of what
    waits, so nothing waits for ever."""
    waiting = set(db.messages.distinct(
        "server_shard", {"direction": "outbound", "status": "accepted", "created_at": {"$lt": before}}))
    return waiting | set(db.outbound_receipts.distinct("server_shard", {"created_at": {"$lt": before}}))
