"""The message GC against the real MongoDB: a run deletes exactly the finished messages
older than 30 days that nothing waits on, in slices, and reports once by callback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.callbacks import service_runs
from services.common import redis_client
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.messages import gc as message_gc
from services.messages import inbound_messages, message_store
from services.settings import app_settings
from tests.common.recorded_kicks import RecordedKicks

WA_ID = "16315551234"


@pytest.fixture
def celery(config, db):
    broker = redis_client.connect(config.redis_url)
    yield RecordedKicks(make_celery(config, "message-gc-test"))
    broker.flushdb()  # the callbacks' kicks queued here are for no one


def _outbound(db, message_id: str, status: str, age: timedelta) -> str:
    message_store.insert_outbound(db, message_id=message_id, wa_id=WA_ID, message_type="text",
                                  content={"text": {"body": "x"}})
    db.messages.update_one({"_id": message_id}, {"$set": {"status": status, "created_at": utcnow() - age}})
    return message_id


def _inbound(db, message_id: str, status: str, age: timedelta, **extra) -> str:
    document = inbound_messages.new_document(wa_id=WA_ID, message_type="text", content={"text": {"body": "x"}},
                                             timestamp=1700000000, now=utcnow() - age)
    inbound_messages.store(db, message_id, {**document, "status": status, **extra})
    return message_id


OLD, RECENT = timedelta(days=31), timedelta(days=29)


def test_a_run_deletes_exactly_the_old_finished_messages_and_reports_once(db, celery):
    garbage = {_outbound(db, "out-delivered", "delivered", OLD), _outbound(db, "out-read", "read", OLD),
               _outbound(db, "out-failed", "failed", OLD), _inbound(db, "in-received", "received", OLD),
               _inbound(db, "in-read", "read", OLD)}
    kept = {_outbound(db, "out-accepted", "accepted", OLD), _outbound(db, "out-sent", "sent", OLD),
            _outbound(db, "out-recent", "read", RECENT), _inbound(db, "in-recent", "read", RECENT),
            _outbound(db, "out-callback", "read", OLD), _inbound(db, "in-callback", "received", OLD),
            _inbound(db, "in-receipt", "received", OLD),
            _inbound(db, "in-fetching", "received", OLD, received_media={"id": "m1", "download": "pending"})}
    db.pending_callbacks.insert_many([{"_id": "status:out-callback:read"}, {"_id": "in:in-callback"}])
    db.outbound_receipts.insert_one({"_id": "in-receipt:read", "message_id": "in-receipt"})

    run_id = message_gc.request(db, celery)
    assert celery.sent == [(message_gc.RUN.task, [run_id], message_gc.RUN.queue)]
    message_gc.run(db, celery, run_id)  # what the core's task does

    assert set(db.messages.distinct("_id")) == kept
    callback = db.pending_callbacks.find_one({"_id": f"message-gc:{run_id}"})
    assert callback["payload"] == {"services": [{"message": {"gc": {"messages_deleted": len(garbage),
                                                                    "status": "complete"}}}]}
    assert db.service_runs.find_one({"_id": message_gc.KIND})["status"] == "complete"
    message_gc.run(db, celery, run_id)  # a repeated kick reports nothing twice
    assert db.pending_callbacks.count_documents({"_id": {"$regex": "^message-gc:"}}) == 1


def test_a_run_goes_on_in_slices_where_the_last_one_stopped(db, celery, monkeypatch):
    monkeypatch.setattr(message_gc, "BATCH", 2)
    monkeypatch.setattr(message_gc, "SLICE_SECONDS", 0.0)  # every batch ends its slice
    for n in range(5):
        _outbound(db, f"old-{n}", "read", OLD + timedelta(minutes=n))
    _outbound(db, "held", "read", OLD + timedelta(minutes=10))
    db.pending_callbacks.insert_one({"_id": "status:held:read"})

    run_id = message_gc.request(db, celery)
    slices = 0
    while db.service_runs.find_one({"_id": message_gc.KIND})["status"] == "processing":
        message_gc.run(db, celery, run_id)
        slices += 1
        assert slices < 10
    assert slices == 4  # 2 deleted, 2, 1 (and the held one, seen once), then nothing left

    assert db.messages.distinct("_id") == ["held"]
    assert [name for name, _, _ in celery.sent].count(message_gc.RUN.task) == 4  # the request's kick, 3 more
    payload = db.pending_callbacks.find_one({"_id": f"message-gc:{run_id}"})["payload"]
    assert payload["services"][0]["message"]["gc"]["messages_deleted"] == 5


def test_a_failing_run_reports_failed(db, celery, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(message_gc, "collect", broken)
    run_id = message_gc.request(db, celery)
    message_gc.run(db, celery, run_id)
    gc = db.pending_callbacks.find_one({"_id": f"message-gc:{run_id}"})["payload"]["services"][0]["message"]["gc"]
    assert gc["status"] == "failed" and gc["errors"][0]["details"] == "RuntimeError while deleting"


def test_an_unfinished_run_is_resumed_by_a_starting_core(db, celery):
    run_id = message_gc.request(db, celery)
    celery.sent.clear()
    message_gc.resume_unfinished(db, celery)
    assert celery.sent == [(message_gc.RUN.task, [run_id], message_gc.RUN.queue)]
    db.service_runs.update_one({"_id": message_gc.KIND}, {"$set": {"status": "complete"}})
    celery.sent.clear()
    message_gc.resume_unfinished(db, celery)
    assert celery.sent == []
    assert service_runs.unfinished(db, message_gc.RUN) is None


def test_the_automatic_collection_follows_the_settings(db):
    _outbound(db, "old", "read", OLD)
    app_settings.apply_patch(db, {"garbagecollector_enable.messages": False})
    assert message_gc.automatic(db) == 0 and db.messages.count_documents({}) == 1
    app_settings.apply_patch(db, {"garbagecollector_enable.messages": True, "db_garbagecollector_enable": False})
    assert message_gc.automatic(db) == 0 and db.messages.count_documents({}) == 1
    app_settings.reset(db)  # both on by default
    assert message_gc.automatic(db) == 1 and db.messages.count_documents({}) == 0
    assert db.service_runs.count_documents({}) == 0  # no run record, no callback
