"""A contact's identity records against real MongoDB."""

from __future__ import annotations

import os

from services.contacts import identity as contact_identity
from services.protocol import IdentityKeyPair, PrekeyBundle, Session, SignedPrekey
from services.sessions import session_store

WA_ID = "15550180011"


def test_the_first_identity_is_recorded_acknowledged_and_a_change_is_not(db):
    assert contact_identity.recorded_hash(db, WA_ID) is None
    contact_identity.record(db, WA_ID, "first=", acknowledged=True)
    first = contact_identity.current(db, WA_ID)
    assert contact_identity.recorded_hash(db, WA_ID) == "first="
    assert first.hash == "first=" and first.acknowledged and first.created_at is not None
    contact_identity.record(db, WA_ID, "second", acknowledged=False)
    changed = contact_identity.current(db, WA_ID)
    assert (changed.hash, changed.acknowledged) == ("second", False)
    assert changed.created_at >= first.created_at
    assert contact_identity.acknowledge(db, WA_ID, "first=") is False
    assert contact_identity.acknowledge(db, WA_ID, "second") is True
    assert contact_identity.current(db, WA_ID).acknowledged


def test_a_contact_the_business_wrote_to_first_has_its_sessions_identity(db):
    ours, theirs = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    session = Session.initiate(ours, PrekeyBundle.from_keys(theirs.public, SignedPrekey.generate(theirs, 1)))
    session_store.save(db, os.urandom(32), WA_ID, session)
    identity = contact_identity.current(db, WA_ID)
    assert identity.hash == session_store.identity_hash(theirs.public) and identity.acknowledged
    assert identity.created_at == db.sessions.find_one({"_id": WA_ID})["remote_identity_since"]
    assert contact_identity.recorded_hash(db, WA_ID) is None  # not recorded on the contact
