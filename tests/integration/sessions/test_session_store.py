"""The ``sessions`` records against real MongoDB."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from services.protocol import IdentityKeyPair, PrekeyBundle, Session, SignedPrekey
from services.sessions import session_store
from services.sessions.session_store import identity_hash

MASTER = os.urandom(32)


def _session_with_new_identity() -> Session:
    ours, theirs = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    return Session.initiate(ours, PrekeyBundle.from_keys(theirs.public, SignedPrekey.generate(theirs, 1)))


def test_the_session_record_keeps_since_when_its_identity_is_known(db):
    wa_id = "15550170009"
    session = _session_with_new_identity()
    session_store.save(db, MASTER, wa_id, session)
    saved = db.sessions.find_one({"_id": wa_id})
    assert saved["remote_identity"] == identity_hash(session.remote_identity)
    since = saved["remote_identity_since"]
    session_store.save(db, MASTER, wa_id, session)
    assert db.sessions.find_one({"_id": wa_id})["remote_identity_since"] == since
    assert session_store.load(db, MASTER, wa_id).remote_identity == session.remote_identity
    assert session_store.recorded_identity(db, wa_id) == (identity_hash(session.remote_identity), since)
    other = _session_with_new_identity()
    session_store.save(db, MASTER, wa_id, other)
    hash_, changed_since = session_store.recorded_identity(db, wa_id)
    assert hash_ == identity_hash(other.remote_identity) and changed_since >= since


def test_a_record_older_than_its_since_field_dates_its_identity_by_its_last_write(db):
    updated = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    db.sessions.insert_one({"_id": "15550170010", "sealed": b"x", "remote_identity": "abc", "updated_at": updated})
    assert session_store.recorded_identity(db, "15550170010") == ("abc", updated)
    assert session_store.recorded_identity(db, "15550170011") is None


def test_sessions_are_deleted_one_or_all(db):
    for wa_id in ("15550170012", "15550170013", "15550170014"):
        session_store.save(db, MASTER, wa_id, _session_with_new_identity())
    session_store.delete(db, "15550170012")
    assert session_store.load(db, MASTER, "15550170012") is None
    assert session_store.load(db, MASTER, "15550170013") is not None
    session_store.delete_all(db)
    assert db.sessions.count_documents({}) == 0
