"""The core's ProtocolClient over its MongoDB stores, talking to a phone's memory stores."""

from __future__ import annotations

import os

from services.protocol import (
    IdentityKeyPair,
    MemoryKeyStore,
    MemorySessionStore,
    Outgoing,
    PrekeyBundle,
    ProtocolClient,
    SignedPrekey,
    open_sealed,
)
from services.sessions import key_store, session_store
from services.sessions.key_store import MongoKeyStore
from services.sessions.session_store import MongoSessionStore

BUSINESS, PHONE = "15550100", "4470100"


def _phone() -> tuple[ProtocolClient, MemoryKeyStore]:
    identity = IdentityKeyPair.generate()
    keys = MemoryKeyStore(identity, {1: SignedPrekey.generate(identity, 1)})
    return ProtocolClient(keys, MemorySessionStore()), keys


def test_the_core_opens_and_seals_with_keys_and_sessions_sealed_in_mongodb(db):
    master_key = os.urandom(32)
    new = key_store.create_keys(db, master_key)
    core = ProtocolClient(MongoKeyStore(db, master_key), MongoSessionStore(db, master_key))
    phone, phone_keys = _phone()
    used = new.one_time_prekeys[0]
    bundle = PrekeyBundle.from_keys(new.identity.public, new.signed_prekey, used).to_dict()

    [first] = phone.seal(PHONE, BUSINESS, [Outgoing("p1", 1, b"hello business")], lambda _: bundle)
    opened = core.open(first)
    assert opened.plaintext == b"hello business" and opened.new_session
    assert opened.one_time_prekey_used == used.key_id
    assert db.keys.find_one({"_id": f"otpk:{used.key_id}"}) is None
    assert key_store.one_time_prekey_count(db) == len(new.one_time_prekeys) - 1
    # The stored session keeps its documented shape, sealed under its own context.
    doc = db.sessions.find_one({"_id": PHONE})
    assert set(doc) == {"_id", "sealed", "remote_identity", "remote_identity_since", "updated_at"}
    assert doc["remote_identity"] == phone_keys.identity.public.fingerprint()
    assert open_sealed(master_key, doc["sealed"], f"session:{PHONE}".encode()) == opened.after.to_bytes()

    def no_bundle(wa_id: str) -> dict:
        raise AssertionError("the session is in MongoDB: no bundle needed")

    replies = core.seal(BUSINESS, PHONE, [Outgoing(f"b{n}", n, f"reply {n}".encode()) for n in range(3)], no_bundle)
    assert [phone.open(e).plaintext for e in replies] == [b"reply 0", b"reply 1", b"reply 2"]
    assert session_store.load(db, master_key, PHONE).to_bytes() != opened.after.to_bytes()  # saved again

    previous = core.reset_session(PHONE)
    assert previous is not None and previous.remote_identity == phone_keys.identity.public
    assert db.sessions.find_one({"_id": PHONE}) is None


def test_the_identity_is_read_once_per_store(db):
    master_key = os.urandom(32)
    new = key_store.create_keys(db, master_key)
    keys = MongoKeyStore(db, master_key)
    assert keys.own_identity().public == new.identity.public
    db.keys.delete_one({"_id": "identity"})  # a second read would now fail
    assert keys.own_identity().public == new.identity.public
    assert keys.signed_prekey(new.signed_prekey.key_id).to_bytes() == new.signed_prekey.to_bytes()
    assert keys.signed_prekey(999) is None and keys.one_time_prekey(999999) is None
