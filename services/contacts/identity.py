"""A contact's identity as ``/v1/contacts/{wa_id}/identity`` reports it (spec §7.2).

The core writes it (``services/core_worker/identity_changes.py``):

- ``contacts.identity_hash``, ``identity_created_at``, ``identity_acknowledged``: the
  identity first seen on an inbound session, and every change after it
  (``identity_acknowledged: False`` = changed and not yet acknowledged);
- ``sessions.remote_identity`` and ``remote_identity_since``: the identity of the
  current session, which is all there is for a contact the business wrote to first.

The hash is ``identity_changes.identity_hash`` of the identity public key everywhere:
here, in the session record and in the ``customer_identity_changed`` callback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database


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
    session = db.sessions.find_one({"_id": wa_id}, {"remote_identity": 1, "remote_identity_since": 1, "updated_at": 1})
    if session and session.get("remote_identity"):
        return ContactIdentity(
            hash=session["remote_identity"],
            created_at=session.get("remote_identity_since") or session.get("updated_at"),
            acknowledged=True,
        )
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
