"""Inbound messages as the core stores them: one ``messages`` document per message a
contact sent, written once (a replayed envelope finds it stored and changes nothing).

    {_id: message id, direction: "inbound", wa_id, server_shard, type, content,
     status: "received", timestamp, created_at, received_media?}

(``received_media``: services/media/inbound_media.py.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database

from services.cluster.sharding import server_shard


def new_document(*, wa_id: str, message_type: str, content: dict[str, Any], timestamp: int,
                 now: datetime) -> dict[str, Any]:
    """The document of a message ``wa_id`` sent (without its id; not yet stored)."""
    return {
        "direction": "inbound", "wa_id": wa_id, "server_shard": server_shard(wa_id),
        "type": message_type, "content": content,
        "status": "received", "timestamp": timestamp, "created_at": now,
    }


def store(db: Database, message_id: str, document: dict[str, Any]) -> bool:
    """Store :func:`new_document`'s ``document`` under ``message_id`` unless a message
    has that id already; True when this call stored it."""
    result = db.messages.update_one({"_id": message_id}, {"$setOnInsert": document}, upsert=True)
    return result.upserted_id is not None


def find_stored(db: Database, message_id: Any) -> dict[str, Any] | None:
    """The inbound message stored under ``message_id``, if any."""
    return db.messages.find_one({"_id": message_id, "direction": "inbound"})


def find_any(db: Database, message_id: str) -> dict[str, Any] | None:
    """The message stored under ``message_id``, whatever its direction."""
    return db.messages.find_one({"_id": message_id})
