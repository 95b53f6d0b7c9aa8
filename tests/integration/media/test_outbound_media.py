"""The preparation state of outbound media messages, on the real MongoDB."""

from __future__ import annotations

import base64
import os
from datetime import timedelta

import pytest

from services.cluster.sharding import row_filter
from services.common.clock import utcnow
from services.media import outbound_media
from services.message_types.media_payload import MediaPayload
from services.messages import message_store
from services.protocol import ProtocolError
from services.protocol.media import encrypt_media

KEY = os.urandom(32)


def _store(db, message_id, wa_id, *, media=False):
    doc = message_store.new_outbound(db, message_id=message_id, wa_id=wa_id,
                                     message_type="image" if media else "text",
                                     content={"image": {"id": "m"}} if media else {"text": {"body": "x"}})
    if media:
        doc.update(outbound_media.initial())
    message_store.store_outbound(db, doc)
    return doc


def _sendable(db, heads):
    query = {"direction": "outbound", "status": "accepted", **row_filter(0, 1), **outbound_media.not_held(heads)}
    return [doc["_id"] for doc in db.messages.find(query).sort("seq", 1)]


def test_a_pending_media_message_holds_its_contact_only(db):
    _store(db, "a1", "15550001")
    _store(db, "a2", "15550001", media=True)
    _store(db, "b1", "15550002")
    _store(db, "a3", "15550001")
    _store(db, "a4", "15550001", media=True)
    _store(db, "b2", "15550002")
    heads = outbound_media.held_heads(db, row_filter(0, 1))
    assert [head["_id"] for head in heads] == ["a2"]  # the contact's first pending one
    assert _sendable(db, heads) == ["a1", "b1", "b2"]
    assert _sendable(db, []) == ["a1", "a2", "b1", "a3", "a4", "b2"]
    # Prepared: the contact goes on up to its next pending message.
    claimed = outbound_media.claim(db, "a2", now=utcnow(), hold=timedelta(seconds=60))
    assert outbound_media.finish(db, claimed, b"sealed")
    heads = outbound_media.held_heads(db, row_filter(0, 1))
    assert [head["_id"] for head in heads] == ["a4"]
    assert _sendable(db, heads) == ["a1", "a2", "b1", "a3", "b2"]
    plan = db.messages.find({**outbound_media._PENDING_OUTBOUND, **row_filter(0, 1)}).explain()
    assert "media_prep_by_shard" in str(plan["queryPlanner"]["winningPlan"])


def test_one_claim_at_a_time_and_a_dead_claim_is_taken_over(db):
    _store(db, "m1", "15550001", media=True)
    now = utcnow()
    first = outbound_media.claim(db, "m1", now=now, hold=timedelta(seconds=60))
    assert first["media_prep"]["attempts"] == 1
    assert outbound_media.claim(db, "m1", now=now, hold=timedelta(seconds=60)) is None
    assert outbound_media.renew(db, first, until=now + timedelta(seconds=90))
    later = now + timedelta(seconds=91)
    second = outbound_media.claim(db, "m1", now=later, hold=timedelta(seconds=60))
    assert second["media_prep"]["attempts"] == 2 and second["media_prep"]["claim"] != first["media_prep"]["claim"]
    # The first worker wakes up: none of its writes land.
    assert not outbound_media.renew(db, first, until=later)
    assert not outbound_media.finish(db, first, b"x")
    assert not outbound_media.fail(db, first, {"code": 400})
    assert outbound_media.fail(db, second, {"code": 400, "title": "Media download error"})
    doc = db.messages.find_one({"_id": "m1"})
    assert outbound_media.state_of(doc) == "failed" and outbound_media.error_of(doc)["code"] == 400
    assert "claim" not in doc["media_prep"]
    assert outbound_media.claim(db, "m1", now=later, hold=timedelta(seconds=60)) is None


def test_a_retry_waits_and_the_sweep_finds_what_nobody_works_on(db):
    _store(db, "m1", "15550001", media=True)
    _store(db, "m2", "15550001", media=True)
    _store(db, "t1", "15550001")
    db.messages.update_many({}, {"$set": {"created_at": utcnow() - timedelta(minutes=5)}})
    now = utcnow()
    grace = timedelta(seconds=15)
    assert sorted(outbound_media.overdue(db, now=now, grace=grace)) == ["m1", "m2"]
    claimed = outbound_media.claim(db, "m1", now=now, hold=timedelta(seconds=60))
    assert outbound_media.overdue(db, now=now, grace=grace) == ["m2"]  # m1 is being worked on
    assert outbound_media.retry_later(db, claimed, not_before=now + timedelta(seconds=8))
    assert outbound_media.claim(db, "m1", now=now, hold=timedelta(seconds=60)) is None  # not due yet
    assert outbound_media.overdue(db, now=now + timedelta(seconds=20), grace=grace) == ["m2"]
    assert sorted(outbound_media.overdue(db, now=now + timedelta(seconds=24), grace=grace)) == ["m1", "m2"]
    assert outbound_media.claim(db, "m1", now=now + timedelta(seconds=9), hold=timedelta(seconds=60)) is not None
    db.messages.update_one({"_id": "m2"}, {"$set": {"status": "failed"}})  # e.g. its ttl ran out
    assert outbound_media.overdue(db, now=now + timedelta(seconds=30), grace=grace) == []  # m1: claimed again
    assert outbound_media.claim(db, "m2", now=now, hold=timedelta(seconds=60)) is None


def test_the_payload_is_sealed_to_its_message(db):
    encrypted = encrypt_media(b"picture", "image")
    payload = MediaPayload.of(media_id="net-1", media_key=encrypted.media_key, digest=encrypted.digest,
                              mime_type="image/png", caption="hi")
    sealed = outbound_media.seal_payload(KEY, "m1", payload)
    assert base64.b64decode(payload.media_key) not in sealed and b"net-1" not in sealed
    assert outbound_media.open_payload(KEY, {"_id": "m1", "media_payload_sealed": sealed}) == payload.dump()
    with pytest.raises(ProtocolError):
        outbound_media.open_payload(KEY, {"_id": "m2", "media_payload_sealed": sealed})
