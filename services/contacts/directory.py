"""The ``contacts`` documents the core keeps about the people who write to the business:
their profile name, when they last wrote, what the send-time rules read, and a move to
another number. (Their identity: ``identity.py``; the conversation a status opens:
``services/messages/statuses.py``.)

    {_id: wa_id, profile_name, last_inbound_at, identity_hash, identity_created_at,
     identity_acknowledged, conversation, changed_to?, changed_from?, updated_at}
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

CARRIED = ("profile_name", "identity_hash", "identity_acknowledged")
"""What the new number's contact inherits: it is the same person on the same device."""

SEND_FIELDS = {"last_inbound_at": 1, "identity_acknowledged": 1, "conversation": 1}
"""What a send needs of its recipient: the 24-hour window, an unacknowledged identity
change, and the conversation its ``sent`` status reports."""


# -- pure ------------------------------------------------------------------
def carried(old: dict[str, Any]) -> dict[str, Any]:
    """The fields of the old number's contact that the new number's inherits."""
    return {name: old[name] for name in CARRIED if name in old}


# -- MongoDB ---------------------------------------------------------------
def record_inbound(db: Database, wa_id: str, now: datetime, profile_name: str | None) -> None:
    """The contact wrote at ``now`` (the 24-hour window opens), under ``profile_name``
    when its message carried one."""
    update: dict[str, Any] = {"last_inbound_at": now, "updated_at": now}
    if profile_name:
        update["profile_name"] = profile_name
    db.contacts.update_one({"_id": wa_id}, {"$set": update}, upsert=True)


def for_sending(db: Database, wa_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``SEND_FIELDS`` of these recipients' documents, by wa_id (one query); a
    contact without a document is absent."""
    return {doc["_id"]: doc for doc in db.contacts.find({"_id": {"$in": list(wa_ids)}}, SEND_FIELDS)}


def move_number(db: Database, old: str, new: str, now: datetime) -> str | None:
    """The contact moved from ``old`` to ``new``: ``new`` records ``changed_from`` and, if
    it had no document yet, inherits ``carried``; ``old`` records ``changed_to``. Returns
    the profile name ``new`` then has. Replaying it changes nothing more."""
    inherited = carried(db.contacts.find_one({"_id": old}) or {})
    moved = db.contacts.find_one_and_update(
        {"_id": new},
        {"$set": {"changed_from": old, "updated_at": now}, "$setOnInsert": inherited},
        upsert=True, return_document=ReturnDocument.AFTER,
    )
    db.contacts.update_one({"_id": old}, {"$set": {"changed_to": new, "updated_at": now}}, upsert=True)
    assert moved is not None  # upsert with ReturnDocument.AFTER always returns the document
    return moved.get("profile_name")
