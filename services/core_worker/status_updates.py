"""Recording an outbound message's status and queueing its status callback.

Each status is recorded once (the first time its timestamp is set), and that first
recording is what queues the callback: replays of the same receipt change nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.common import app_settings
from services.core_worker import callback_payloads, conversations
from services.core_worker.context import CoreContext
from services.webhook_dispatcher.outbox import enqueue_callback

RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
_WITH_PRICING = {"sent", "delivered"}


def record(
    ctx: CoreContext,
    message: dict[str, Any],
    status: str,
    timestamp: int,
    errors: list[dict[str, Any]] | None = None,
) -> bool:
    db = ctx.db
    lower = [name for name, rank in RANK.items() if rank < RANK[status]]
    # One atomic update: the timestamp is set once, and the status only moves forward
    # (a late "delivered" after "read" must not step back).
    fields: dict[str, Any] = {
        f"status_timestamps.{status}": timestamp,
        "status": {"$cond": [{"$in": ["$status", lower]}, status, "$status"]},
    }
    if errors:
        fields["errors"] = {"$literal": errors}
    result = db.messages.update_one(
        {"_id": message["_id"], f"status_timestamps.{status}": {"$exists": False}},
        [{"$set": fields}],
    )
    if result.modified_count == 0:
        return False
    settings = ctx.settings()
    if app_settings.status_callback_enabled(settings, status):
        extra = _pricing(ctx, message["wa_id"], timestamp) if status in _WITH_PRICING else None
        payload = callback_payloads.status(
            message_id=message["_id"], recipient_id=message["wa_id"], status=status,
            timestamp=timestamp, extra=extra, errors=errors,
        )
        enqueue_callback(db, ctx.celery, f"status:{message['_id']}:{status}", payload)
    return True


def _pricing(ctx: CoreContext, wa_id: str, timestamp: int) -> dict[str, Any]:
    db = ctx.db
    contact = db.contacts.find_one({"_id": wa_id}, {"conversation": 1, "last_inbound_at": 1}) or {}
    existing = contact.get("conversation")
    now = datetime.fromtimestamp(timestamp, UTC)
    conversation, is_new = conversations.current(
        conversations.Conversation.from_doc(existing) if existing else None,
        wa_id, now, contact.get("last_inbound_at"),
    )
    if is_new:
        db.contacts.update_one(
            {"_id": wa_id}, {"$set": {"conversation": conversation.to_doc()}}, upsert=True
        )
    return conversations.status_fields(conversation)
