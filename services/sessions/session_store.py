"""Double Ratchet sessions per contact, sealed at rest (the ``sessions`` collection).

Only the consumer of a contact's shard reads or writes its session, so a plain
replace is safe: there is never a second writer. Beside the sealed session the record
keeps the contact's identity hash (``remote_identity``) and since when the sessions
have had that identity (``remote_identity_since``), for ``/v1/contacts/{wa_id}/identity``.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from services.common.clock import utcnow
from services.common.resealing import ResealCount, reseal_field
from services.protocol import IdentityPublic, Session, at_rest


def identity_hash(identity: IdentityPublic) -> str:
    """On-Prem's identity "hash" (spec §7.2), the one definition: the session record, the
    contacts document, the ``customer_identity_changed`` callback and
    ``GET /v1/contacts/{wa_id}/identity`` all carry it. Base64 of 8 bytes
    (``UKD6Y/5SqDU=``): the first 8 bytes of SHA-256 of the public identity key, which
    is the protocol's fingerprint (the sandbox shows phones' keys the same way, so the
    two can be compared by eye)."""
    return identity.fingerprint()


def _context(wa_id: str) -> bytes:
    return f"session:{wa_id}".encode()


def load(db: Database, master_key: at_rest.Keys, wa_id: str) -> Session | None:
    doc = db.sessions.find_one({"_id": wa_id})
    if doc is None:
        return None
    return Session.from_bytes(at_rest.open_sealed(master_key, doc["sealed"], _context(wa_id)))


def save(db: Database, master_key: at_rest.Keys, wa_id: str, session: Session) -> None:
    now = utcnow()
    remote = identity_hash(session.remote_identity)
    # One pipeline update: the stage reads the stored identity before replacing it.
    db.sessions.update_one(
        {"_id": wa_id},
        [{"$replaceWith": {
            "_id": wa_id,
            "sealed": {"$literal": at_rest.seal(master_key, session.to_bytes(), _context(wa_id))},
            "remote_identity": {"$literal": remote},
            "remote_identity_since": {"$cond": [
                {"$eq": ["$remote_identity", {"$literal": remote}]},
                {"$ifNull": ["$remote_identity_since", {"$literal": now}]},
                {"$literal": now},
            ]},
            "updated_at": {"$literal": now},
        }}],
        upsert=True,
    )


def delete(db: Database, wa_id: str) -> None:
    db.sessions.delete_one({"_id": wa_id})


def delete_all(db: Database) -> None:
    """Forget every session: they belong to an identity we no longer have (a new
    registration); peers start new ones."""
    db.sessions.delete_many({})


def recorded_identity(db: Database, wa_id: str) -> tuple[str, datetime | None] | None:
    """The identity hash of ``wa_id``'s session and since when its sessions have had it
    (the session's last write for a record older than that field); None: no session."""
    doc = db.sessions.find_one({"_id": wa_id}, {"remote_identity": 1, "remote_identity_since": 1, "updated_at": 1})
    if not doc or not doc.get("remote_identity"):
        return None
    return doc["remote_identity"], doc.get("remote_identity_since") or doc.get("updated_at")


class MongoSessionStore:
    """These functions as a ``services.protocol`` session store."""

    def __init__(self, db: Database, master_key: at_rest.Keys) -> None:
        self._db = db
        self._master_key = master_key

    def load_session(self, peer: str) -> Session | None:
        return load(self._db, self._master_key, peer)

    def store_session(self, peer: str, session: Session) -> None:
        save(self._db, self._master_key, peer, session)

    def delete_session(self, peer: str) -> None:
        delete(self._db, peer)


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Every session under the newest master key (services/common/resealing.py)."""
    return reseal_field(db.sessions, "sealed", lambda doc: _context(doc["_id"]), keys)
