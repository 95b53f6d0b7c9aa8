"""The core's drains against real MongoDB and Redis (no network needed for these)."""

from __future__ import annotations

from datetime import timedelta

from services.cluster import shard_shape
from services.cluster.sharding import server_shard
from services.common.clock import utcnow
from services.common.queues import DRAIN_OUTBOUND
from services.core_worker import inbound, receipt_batches, recovery
from services.message_types import Plaintext
from services.messages import message_store
from services.protocol import Envelope, IdentityKeyPair, PrekeyBundle, Session
from services.sessions import key_store


def _event(event_id: str, seq: int, kind: str, payload) -> dict:
    return {"_id": event_id, "kind": kind, "payload": payload, "server_shard": 0, "seq": seq, "received_at": utcnow()}


def test_a_poison_envelope_is_set_aside_and_the_shard_goes_on(ctx, db):
    message = message_store.insert_outbound(
        db, message_id="gBEGout1", wa_id="15550001", message_type="text", content={"text": {"body": "x"}}
    )
    db.messages.update_one({"_id": message["_id"]}, {"$set": {"status": "sent"}})
    db.inbound_events.insert_many([
        _event("e1", 1, "envelope", "not an envelope at all"),
        _event("e2", 2, "receipt", {"from": "15550001", "status": "delivered", "message_ids": ["gBEGout1"],
                                    "timestamp": 1700000000}),
    ])
    assert inbound.drain(ctx, 0) == 2
    assert db.inbound_events.count_documents({}) == 0
    dead = db.dead_events.find_one({"_id": "e1"})
    assert dead["payload"] == "not an envelope at all" and dead["error"] == "AttributeError"
    stored = db.messages.find_one({"_id": "gBEGout1"})
    assert stored["status"] == "delivered" and stored["status_timestamps"]["delivered"] == 1700000000


def test_receipts_count_only_from_the_recipient_and_never_step_back(ctx, db):
    for message_id in ("gBEGa", "gBEGb"):
        message_store.insert_outbound(
            db, message_id=message_id, wa_id="15550002", message_type="text", content={}
        )
    db.messages.update_many({}, {"$set": {"status": "sent"}})
    db.inbound_events.insert_many([
        _event("r1", 1, "receipt", {"from": "15550002", "status": "read", "message_ids": ["gBEGa"], "timestamp": 20}),
        _event("r2", 2, "receipt", {"from": "15550002", "status": "delivered", "message_ids": ["gBEGa"],
                                    "timestamp": 10}),
        _event("r3", 3, "receipt", {"from": "19999999999", "status": "read", "message_ids": ["gBEGb"],
                                    "timestamp": 30}),
    ])
    inbound.drain(ctx, 0)
    first = db.messages.find_one({"_id": "gBEGa"})
    assert first["status"] == "read" and first["status_timestamps"] == {"delivered": 10, "read": 20}
    assert db.messages.find_one({"_id": "gBEGb"})["status"] == "sent"  # a stranger's receipt
    # Replaying the same receipts changes nothing and queues no second callback.
    callbacks = db.pending_callbacks.count_documents({})
    db.inbound_events.insert_one(_event("r4", 4, "receipt", {"from": "15550002", "status": "read",
                                                             "message_ids": ["gBEGa"], "timestamp": 99}))
    inbound.drain(ctx, 0)
    assert db.messages.find_one({"_id": "gBEGa"})["status_timestamps"]["read"] == 20
    assert db.pending_callbacks.count_documents({}) == callbacks


def test_recovery_finds_only_stale_work(ctx, db):
    shard_shape.change(db, 2, initial=1)  # shard 0 serves 15550000, shard 1 serves 15550020
    fresh = message_store.insert_outbound(db, message_id="gBEGnew", wa_id="15550000", message_type="text",
                                          content={})
    assert fresh["status"] == "accepted"
    assert recovery.stale_shards(ctx, [0, 1]) == ([], [])
    db.messages.update_one({"_id": "gBEGnew"}, {"$set": {"created_at": utcnow() - timedelta(minutes=1)}})
    db.inbound_events.insert_one({**_event("old", 1, "receipt", {}), "server_shard": server_shard("15550020"),
                                  "received_at": utcnow() - timedelta(minutes=1)})
    assert recovery.stale_shards(ctx, [0, 1]) == ([0], [1])
    assert recovery.stale_shards(ctx, [1]) == ([], [1])


def _phone_envelopes(ctx, sender: str, count: int) -> list[dict]:
    """Envelopes a user's phone encrypted to this business (keys made for the test)."""
    keys = key_store.create_keys(ctx.db, ctx.master_key)
    session = Session.initiate(IdentityKeyPair.generate(), PrekeyBundle.from_keys(keys.identity.public,
                                                                                  keys.signed_prekey))
    envelopes = []
    for n in range(count):
        routing = Envelope(f"ABGGin{n}", sender, "15550100", 1700000000 + n, {})
        plaintext = Plaintext("text", {"body": f"m{n}"}, profile_name="Ann").encode()
        content = session.encrypt(plaintext, routing.associated_data())
        envelopes.append(Envelope(routing.id, sender, routing.recipient, routing.timestamp, content).to_dict())
    return envelopes


def test_stored_messages_get_their_delivered_receipts_in_one_write_and_one_kick(ctx, db):
    envelopes = _phone_envelopes(ctx, "15550003", 3)
    db.inbound_events.insert_many([
        _event("e1", 1, "envelope", envelopes[0]),
        _event("e2", 2, "envelope", {**envelopes[1], "content": {"bogus": True}}),  # cannot be opened
        _event("e3", 3, "envelope", envelopes[1]),
        _event("e4", 4, "envelope", envelopes[2]),
    ])
    assert inbound.drain(ctx, 0) == 4
    rows = list(db.outbound_receipts.find().sort("seq", 1))
    assert [(r["_id"], r["message_id"], r["wa_id"], r["status"], r["server_shard"]) for r in rows] == [
        (f"ABGGin{n}:delivered", f"ABGGin{n}", "15550003", "delivered", server_shard("15550003")) for n in range(3)
    ]
    # One drain_outbound kick for the whole batch.
    queued = [ctx.redis.lindex("core.shard.0", i) for i in range(ctx.redis.llen("core.shard.0"))]
    assert sum(DRAIN_OUTBOUND.encode() in message for message in queued) == 1

    # The business reads one now: its read is numbered after every delivered of the batch
    # and goes out after them.
    message_store.queue_read_receipt(db, message_id="ABGGin1", wa_id="15550003")
    pending = list(db.outbound_receipts.find().sort("seq", 1))
    assert pending[-1]["_id"] == "ABGGin1:read" and pending[-1]["seq"] > rows[-1]["seq"]
    assert [(b.status, b.message_ids) for b in receipt_batches.group(pending)] == [
        ("delivered", ["ABGGin0", "ABGGin1", "ABGGin2"]), ("read", ["ABGGin1"])]

    # A replayed batch (the drain died before deleting its events) queues no second row.
    db.inbound_events.insert_one(_event("e5", 5, "envelope", envelopes[0]))
    assert inbound.drain(ctx, 0) == 1
    assert db.outbound_receipts.count_documents({"_id": "ABGGin0:delivered"}) == 1
    assert db.messages.count_documents({"direction": "inbound"}) == 3

    # Sent (rows gone), then the network pushes an envelope again: the message is kept
    # once and its receipt goes again, so a crash between storing and queueing loses none.
    db.outbound_receipts.delete_many({"status": "delivered"})
    db.inbound_events.insert_one(_event("e6", 6, "envelope", envelopes[0]))
    assert inbound.drain(ctx, 0) == 1
    assert sorted(r["_id"] for r in db.outbound_receipts.find()) == ["ABGGin0:delivered", "ABGGin1:read"]
    assert db.messages.count_documents({"direction": "inbound"}) == 3


def test_a_message_stored_by_a_core_killed_before_its_callback_gets_the_callback_on_replay(ctx, db):
    """A core SIGKILLed between storing an inbound message and queueing its callback: the
    network pushes the envelope again and the replay queues the callback (chaos suite)."""
    envelopes = _phone_envelopes(ctx, "15550004", 1)
    db.inbound_events.insert_one(_event("e1", 1, "envelope", envelopes[0]))
    assert inbound.drain(ctx, 0) == 1
    first = db.pending_callbacks.find_one({"_id": "in:ABGGin0"})
    db.pending_callbacks.delete_many({})  # as if the core died before queueing it

    db.inbound_events.insert_one(_event("e2", 2, "envelope", envelopes[0]))
    assert inbound.drain(ctx, 0) == 1
    again = db.pending_callbacks.find_one({"_id": "in:ABGGin0"})
    assert again is not None and again["payload"] == first["payload"]
    assert again["payload"]["contacts"][0]["profile"]["name"] == "Ann"
    assert db.messages.count_documents({"direction": "inbound"}) == 1
