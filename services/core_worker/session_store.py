"""Double Ratchet sessions per contact, sealed at rest.

Only the consumer of a contact's shard reads or writes its session, so a plain
replace is safe: there is never a second writer. Beside the sealed session the record
keeps the contact's identity hash (``remote_identity``) and since when the sessions
have had that identity (``remote_identity_since``), for ``/v1/contacts/{wa_id}/identity``.
"""

from __future__ import annotations

from pymongo.database import Database

from services.common.clock import utcnow
from services.core_worker.identity_changes import identity_hash
from services.protocol import Session, at_rest


def _context(wa_id: str) -> bytes:
    return f"session:{wa_id}".encode()


def load(db: Database, master_key: bytes, wa_id: str) -> Session | None:
    doc = db.sessions.find_one({"_id": wa_id})
    if doc is None:
        return None
    return Session.from_bytes(at_rest.open_sealed(master_key, doc["sealed"], _context(wa_id)))


def save(db: Database, master_key: bytes, wa_id: str, session: Session) -> None:
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


class MongoSessionStore:
    """These functions as a ``services.protocol`` session store."""

    def __init__(self, db: Database, master_key: bytes) -> None:
        self._db = db
        self._master_key = master_key

    def load_session(self, peer: str) -> Session | None:
        return load(self._db, self._master_key, peer)

    def store_session(self, peer: str, session: Session) -> None:
        save(self._db, self._master_key, peer, session)

    def delete_session(self, peer: str) -> None:
        delete(self._db, peer)
