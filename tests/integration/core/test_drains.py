"""The core's drains against real MongoDB and Redis (no network needed for these)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common import message_store
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.core_worker import inbound, recovery
from services.core_worker.context import CoreContext


@pytest.fixture
def ctx(config, db):
    context = CoreContext(config, make_celery(config, "core-test"))
    context.redis.flushdb()
    yield context
    context.redis.flushdb()  # the kicks and callbacks queued here are for no one


def _event(event_id: str, seq: int, kind: str, payload) -> dict:
    return {"_id": event_id, "kind": kind, "payload": payload, "shard": 0, "seq": seq, "received_at": utcnow()}


def test_a_poison_envelope_is_set_aside_and_the_shard_goes_on(ctx, db):
    message = message_store.insert_outbound(
        db, message_id="gBEGout1", wa_id="15550001", shard=0, message_type="text", content={"text": {"body": "x"}}
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
            db, message_id=message_id, wa_id="15550002", shard=0, message_type="text", content={}
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
    fresh = message_store.insert_outbound(db, message_id="gBEGnew", wa_id="1", shard=0, message_type="text",
                                          content={})
    assert fresh["status"] == "accepted"
    assert recovery.stale_shards(ctx, [0]) == ([], [])
    db.messages.update_one({"_id": "gBEGnew"}, {"$set": {"created_at": utcnow() - timedelta(minutes=1)}})
    db.inbound_events.insert_one({**_event("old", 1, "receipt", {}), "shard": 1,
                                  "received_at": utcnow() - timedelta(minutes=1)})
    assert recovery.stale_shards(ctx, [0, 1]) == ([0], [1])
    assert recovery.stale_shards(ctx, [1]) == ([], [1])
