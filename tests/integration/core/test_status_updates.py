"""Status callbacks against real MongoDB: the settings that shape them."""

from __future__ import annotations

import pytest

from services.common import app_settings, message_store
from services.common.celery_app import make_celery
from services.core_worker import status_updates
from services.core_worker.context import CoreContext


@pytest.fixture
def ctx(config, db):
    context = CoreContext(config, make_celery(config, "core-test"))
    context.redis.flushdb()
    yield context
    context.redis.flushdb()  # the callbacks kicked here are for no one


def _deliver(ctx: CoreContext, db, message_id: str, wa_id: str) -> dict:
    message = message_store.insert_outbound(
        db, message_id=message_id, wa_id=wa_id, shard=0, message_type="text", content={"text": {"body": "x"}}
    )
    assert status_updates.record_many(ctx, [(message, 1700000000)], "delivered") == [message_id]
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
