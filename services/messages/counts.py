"""How many messages there are, for ``/v1/stats/db``: one aggregation pass over the
rows of some shards gives ``db_messages``, ``db_pending_messages`` and
``db_message_receipts`` together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from services.cluster import sharding


@dataclass(frozen=True)
class MessageGroup:
    """The messages of one type and direction; ``pending``, ``delivered`` and ``read``
    count outbound ones only (not sent yet, delivered, read)."""

    type: str
    direction: str
    count: int
    pending: int
    delivered: int
    read: int


def rows_of_shards(shards: list[int] | None, count: int = 1) -> dict[str, Any]:
    """The MongoDB filter of the ``messages`` rows that these shards (of ``count``)
    serve, and with None of the rows that name no server shard (stored before rows
    carried one): the one place that knows how a row maps to a shard for counting.
    While the shard count is being changed, a node may still hold shards of the old
    count for a second or two; they are counted by the new count's ranges."""
    if shards is None:
        return {"server_shard": {"$exists": False}}
    return {"$or": [sharding.row_filter(shard, count) for shard in sorted(shards)]}


_OUTBOUND = {"$eq": ["$direction", "outbound"]}


def _has(field: str) -> dict[str, Any]:
    return {"$ne": [{"$type": field}, "missing"]}


def _outbound_with(condition: dict[str, Any]) -> dict[str, Any]:
    return {"$sum": {"$cond": [{"$and": [_OUTBOUND, condition]}, 1, 0]}}


def count_messages(db: Database, rows: dict[str, Any] | None) -> list[MessageGroup]:
    """The messages of ``rows`` (a :func:`rows_of_shards` filter; None: every message)
    by type and direction, in one pass."""
    pipeline: list[dict[str, Any]] = [{"$match": rows}] if rows is not None else []
    pipeline.append({"$group": {
        "_id": {"type": "$type", "direction": "$direction"},
        "count": {"$sum": 1},
        "pending": _outbound_with({"$eq": ["$status", "accepted"]}),
        "delivered": _outbound_with(_has("$status_timestamps.delivered")),
        "read": _outbound_with(_has("$status_timestamps.read")),
    }})
    return [MessageGroup(type=str(group["_id"].get("type")), direction=str(group["_id"].get("direction")),
                         count=group["count"], pending=group["pending"], delivered=group["delivered"],
                         read=group["read"])
            for group in db.messages.aggregate(pipeline, allowDiskUse=True)]


@dataclass(frozen=True)
class QueueDepths:
    """The work waiting in the collections this package owns (``GET /v1/support``)."""

    pending_outbound_messages: int  # accepted, not yet sent
    owed_receipts: int  # delivered/read receipts not yet sent to their contacts
    inbound_events: int  # received from the network, not yet processed
    dead_events: int  # set aside for an operator


def queue_depths(db: Database) -> QueueDepths:
    """Index-only or metadata counts: cheap on a big database."""
    return QueueDepths(
        pending_outbound_messages=db.messages.count_documents({"direction": "outbound", "status": "accepted"}),
        owed_receipts=db.outbound_receipts.estimated_document_count(),
        inbound_events=db.inbound_events.estimated_document_count(),
        dead_events=db.dead_events.estimated_document_count(),
    )
