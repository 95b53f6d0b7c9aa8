"""The inbound journal: what the network pushed, stored before it is acknowledged, until
the inbound drain of the sender's shard has processed it.

    inbound_events: {_id: network item id, kind: "envelope" | "receipt" | "notification",
                     payload, server_shard (of the sender), seq, received_at}
    dead_events:    an event that failed for a reason retrying cannot fix, with
                    ``error`` (its class) and ``failed_at``: kept for an operator

Events are numbered by the shared ``inbound`` counter in arrival order, and a shard
processes its range in that order (``message_store``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

from services.cluster import sharding
from services.common.mongo import accepted, insert_new
from services.messages.message_store import INBOUND_SEQ, reserve_seq


def append(db: Database, items: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Journal the network's ``items`` (``{"id", "type": kind, kind: payload}``), numbered
    in arrival order: one reservation and one journaled write. An item pushed again
    after a reconnect is stored already and kept as it is. Returns the documents."""
    if not items:
        return []
    first = reserve_seq(db, INBOUND_SEQ, len(items))
    docs = []
    for offset, item in enumerate(items):
        kind = item["type"]
        payload = item[kind]
        docs.append({"_id": item["id"], "kind": kind, "payload": payload, "received_at": now, "seq": first + offset,
                     "server_shard": sharding.server_shard(str(payload.get("from", "")))})
    insert_new(accepted(db, "inbound_events"), docs)
    return docs


def next_batch(db: Database, rows: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` events of a shard (``rows``: its filter), in ``seq`` order."""
    return list(db.inbound_events.find(rows).sort("seq", 1).limit(limit))


def remove(db: Database, event_ids: list[Any]) -> None:
    """Forget processed events (one round trip)."""
    db.inbound_events.delete_many({"_id": {"$in": event_ids}})


def set_aside(db: Database, event: dict[str, Any], error: Exception, now: datetime) -> None:
    """Keep an event that failed for good in ``dead_events`` (an operator can look at it
    and replay it); the caller removes it from the journal with its batch."""
    db.dead_events.replace_one(
        {"_id": event["_id"]}, {**event, "error": error.__class__.__name__, "failed_at": now}, upsert=True
    )


def server_shards_waiting_since(db: Database, before: datetime) -> set[int]:
    """The server shards whose senders have events journaled before ``before`` and not
    processed yet: the recovery sweep's question."""
    return set(db.inbound_events.distinct("server_shard", {"received_at": {"$lt": before}}))
