"""A contact's identity (spec §7.2): what the core records and what
``/v1/contacts/{wa_id}/identity`` reports.

The core records it (``services/core_worker/identity_changes.py`` decides when):

- ``contacts.identity_hash``, ``identity_created_at``, ``identity_acknowledged``: the
  identity first seen on an inbound session, and every change after it
  (``identity_acknowledged: False`` = changed and not yet acknowledged);
- ``sessions.remote_identity`` and ``remote_identity_since`` (services/sessions): the
  identity of the current session, which is all there is for a contact the business
  wrote to first.

The hash is ``session_store.identity_hash`` of the identity public key everywhere:
here, in the session record and in the ``customer_identity_changed`` callback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database

from services.common.clock import utcnow
from services.sessions import session_store


@dataclass(frozen=True)
class ContactIdentity:
    hash: str
    created_at: datetime | None
    acknowledged: bool

    def to_wire(self) -> dict:
        created = int(self.created_at.timestamp() * 1000) if self.created_at else 0
        return {"hash": self.hash, "created_timestamp": created, "acknowledged": self.acknowledged}


def current(db: Database, wa_id: str) -> ContactIdentity | None:
    contact = db.contacts.find_one(
        {"_id": wa_id}, {"identity_hash": 1, "identity_created_at": 1, "identity_acknowledged": 1}
    )
    if contact and contact.get("identity_hash"):
        return ContactIdentity(
            hash=contact["identity_hash"],
            created_at=contact.get("identity_created_at"),
            acknowledged=contact.get("identity_acknowledged", True) is not False,
        )
    session = session_store.recorded_identity(db, wa_id)
    if session is not None:
        hash_, since = session
        return ContactIdentity(hash=hash_, created_at=since, acknowledged=True)
    return None


def acknowledge(db: Database, wa_id: str, identity_hash: str) -> bool:
    """Acknowledge ``identity_hash`` when it is the contact's latest; False otherwise."""
    identity = current(db, wa_id)
    if identity is None or identity.hash != identity_hash:
        return False
    if identity.acknowledged:
        return True
    # Conditional on the hash: a change noticed meanwhile stays unacknowledged.
    result = db.contacts.update_one(
        {"_id": wa_id, "identity_hash": identity_hash}, {"$set": {"identity_acknowledged": True}}
    )
    return result.matched_count == 1


def recorded_hash(db: Database, wa_id: str) -> str | None:
    """The identity hash recorded for the contact (None: none seen yet)."""
    return (db.contacts.find_one({"_id": wa_id}, {"identity_hash": 1}) or {}).get("identity_hash")


def record(db: Database, wa_id: str, identity_hash: str, *, acknowledged: bool) -> None:
    """Record the contact's identity as seen now: ``acknowledged`` for the first one, not
    for a change (until ``PUT /v1/contacts/{wa_id}/identity`` acknowledges it)."""
    db.contacts.update_one(
        {"_id": wa_id},
        {"$set": {"identity_hash": identity_hash, "identity_created_at": utcnow(),
                  "identity_acknowledged": acknowledged}},
        upsert=True,
    )
