"""Status callbacks against real MongoDB: the settings that shape them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.common import redis_client
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.messages import message_store, statuses
from services.settings import app_settings


class Recorder:
    """``statuses.record_many`` as a core task calls it: the settings read afresh each time."""

    def __init__(self, db, celery) -> None:
        self.db, self.celery = db, celery

    def record_statuses(self, items, status, **options):
        return statuses.record_many(self.db, self.celery, app_settings.load(self.db), items, status, **options)


@pytest.fixture
def ctx(config, db):
    broker = redis_client.connect(config.redis_url)
    yield Recorder(db, make_celery(config, "statuses-test"))
    broker.flushdb()  # the callbacks' kicks queued here are for no one


def _deliver(ctx: Recorder, db, message_id: str, wa_id: str) -> dict:
    message = message_store.insert_outbound(
        db, message_id=message_id, wa_id=wa_id, message_type="text", content={"text": {"body": "x"}}
    )
    assert ctx.record_statuses([(message, 1700000000)], "delivered") == [message_id]
    return db.pending_callbacks.find_one({"_id": f"status:{message_id}:delivered"})["payload"]["statuses"][0]


def test_delivered_callbacks_carry_conversation_and_pricing_by_default(ctx, db):
    status = _deliver(ctx, db, "gBEGp1", "15550101")
    assert status["conversation"]["origin"] == {"type": "business_initiated"}
    assert status["pricing"] == {"billable": True, "pricing_model": "CBP", "category": "business_initiated"}


def test_the_pricing_switch_removes_them_and_keeps_the_conversation(ctx, db):
    app_settings.apply_patch(db, {"webhook_payload_conversation_pricingmodel_disabled": True})
    status = _deliver(ctx, db, "gBEGp2", "15550102")
    assert "conversation" not in status and "pricing" not in status
    assert status["status"] == "delivered" and status["recipient_id"] == "15550102"
    opened = db.contacts.find_one({"_id": "15550102"})["conversation"]

    # Off again: the next callback shows the conversation that was opened meanwhile.
    app_settings.apply_patch(db, {"webhook_payload_conversation_pricingmodel_disabled": False})
    status = _deliver(ctx, db, "gBEGp3", "15550102")
    assert status["conversation"]["id"] == opened["id"]


def test_a_preloaded_contact_gives_the_conversation_without_reading_it(ctx, db):
    app_settings.apply_patch(db, {"webhooks.message.sent": True})
    message = message_store.insert_outbound(
        db, message_id="gBEGp4", wa_id="15550104", message_type="text", content={"text": {"body": "x"}})
    db.contacts.insert_one({"_id": "15550104"})  # stored without a conversation
    opened = {"id": "c0ffee", "origin": "user_initiated", "expires_at": utcnow() + timedelta(hours=1)}
    ctx.record_statuses([(message, int(utcnow().timestamp()))], "sent",
                        contacts={"15550104": {"_id": "15550104", "conversation": opened}})
    status = db.pending_callbacks.find_one({"_id": "status:gBEGp4:sent"})["payload"]["statuses"][0]
    assert status["conversation"]["id"] == "c0ffee"  # the preloaded document is what counted
    assert "conversation" not in db.contacts.find_one({"_id": "15550104"})  # still open: nothing written


def test_each_status_is_counted_once_by_the_node(ctx, db):
    from services.stats import counters as stats_counters

    stats_counters.COUNTERS.reset()
    try:
        message = message_store.insert_outbound(
            db, message_id="gBEGc1", wa_id="15550109", message_type="image", content={"image": {"id": "m"}}
        )
        for status in ("sent", "sent", "delivered", "read", "read"):  # replays change nothing
            ctx.record_statuses([(message, 1700000000)], status)
        counted = stats_counters.COUNTERS.snapshot("core")
        assert counted["messages_sent"] == [{"labels": {"type": "image"}, "value": 1}]
        assert counted["receipts_received"] == [{"labels": {"status": "delivered"}, "value": 1},
                                                {"labels": {"status": "read"}, "value": 1}]
        assert "messages_failed" not in counted
    finally:
        stats_counters.COUNTERS.reset()
