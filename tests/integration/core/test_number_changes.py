"""A contact's number change, through the inbound drain against real MongoDB and Redis."""

from __future__ import annotations

from services.common.clock import utcnow
from services.core_worker import inbound
from services.protocol import IdentityKeyPair, PrekeyBundle, Session, SignedPrekey
from services.sessions import session_store
from services.settings import app_settings

OLD, NEW = "15550004444", "15550005555"


def _session() -> Session:
    contact = IdentityKeyPair.generate()
    return Session.initiate(IdentityKeyPair.generate(),
                            PrekeyBundle.from_keys(contact.public, SignedPrekey.generate(contact, 1)))


def _journal(db, event_id: str, seq: int, timestamp: int = 1700000000) -> None:
    db.inbound_events.insert_one({
        "_id": event_id, "kind": "notification", "server_shard": 0, "seq": seq, "received_at": utcnow(),
        "payload": {"kind": "user_changed_number", "from": OLD, "old_wa_id": OLD, "new_wa_id": NEW,
                    "timestamp": timestamp},
    })


def _system_callbacks(db) -> list[dict]:
    return [doc["payload"] for doc in db.pending_callbacks.find() if doc["_id"].startswith("system:")]


def test_the_contact_and_its_session_follow_the_new_number(ctx, db):
    session = _session()
    session_store.save(db, ctx.master_key, OLD, session)
    db.contacts.insert_one({"_id": OLD, "profile_name": "Alice", "identity_hash": "abc",
                            "identity_acknowledged": True})
    _journal(db, "n1", 1)
    assert inbound.drain(ctx, 0) == 1

    assert session_store.load(db, ctx.master_key, OLD) is None
    moved = session_store.load(db, ctx.master_key, NEW)
    assert moved is not None and moved.to_bytes() == session.to_bytes()
    assert db.contacts.find_one({"_id": OLD})["changed_to"] == NEW
    new = db.contacts.find_one({"_id": NEW})
    assert (new["profile_name"], new["identity_hash"], new["identity_acknowledged"], new["changed_from"]) == (
        "Alice", "abc", True, OLD)
    [callback] = _system_callbacks(db)
    assert callback["contacts"] == [{"wa_id": NEW, "profile": {"name": "Alice"}}]
    assert callback["messages"][0]["system"] == {
        "body": f"User Alice changed from {OLD} to {NEW}", "new_wa_id": NEW, "type": "customer_changed_number"}

    # The same notification again (a replay): nothing moves back, one callback.
    _journal(db, "n2", 2)
    inbound.drain(ctx, 0)
    assert session_store.load(db, ctx.master_key, NEW).to_bytes() == session.to_bytes()
    assert len(_system_callbacks(db)) == 1


def test_no_callback_when_notify_user_change_number_is_off(ctx, db):
    app_settings.apply_patch(db, {"notify_user_change_number": False})
    _journal(db, "n1", 1)
    inbound.drain(ctx, 0)
    assert db.contacts.find_one({"_id": NEW})["changed_from"] == OLD
    assert _system_callbacks(db) == []
