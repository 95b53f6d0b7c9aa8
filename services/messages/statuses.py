"""How an outbound message's status changes (``accepted → sent → delivered → read``, or
``failed``), and the status callback each change queues.

Each status is recorded once per message (the first time its timestamp is set), and
that first recording is what queues the callback: replays of the same receipt change
nothing. Statuses are recorded a batch at a time: a receipt burst costs a few writes,
not a few per message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from celery import Celery
from pymongo import UpdateOne
from pymongo.database import Database

from services.callbacks import payloads as callback_payloads
from services.callbacks.outbox import enqueue_callbacks
from services.messages import conversations
from services.settings import app_settings
from services.stats import counters as stats_counters

RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
_WITH_PRICING = {"sent", "delivered"}


def record_many(
    db: Database,
    celery: Celery,
    settings: dict[str, Any],
    items: list[tuple[dict[str, Any], int]],
    status: str,
    errors: list[dict[str, Any]] | None = None,
    contacts: Mapping[str, dict[str, Any]] | None = None,
) -> list[str]:
    """Record ``status`` for each (message, timestamp); returns the ids newly recorded.
    ``settings``: the application settings the caller's task reads (the callbacks they
    enable, pricing); ``celery``: where the callbacks' kicks go. ``contacts``: the
    recipients' contact documents (with their ``conversation`` and
    ``last_inbound_at``) when the caller has them, so that pricing need not read them."""
    if not items:
        return []
    ids = [message["_id"] for message, _ in items]
    unrecorded = {f"status_timestamps.{status}": {"$exists": False}}
    # One consumer owns these messages' shard, so nothing records them in between.
    fresh = set(db.messages.distinct("_id", {"_id": {"$in": ids}, **unrecorded}))
    todo = [(message, timestamp) for message, timestamp in items if message["_id"] in fresh]
    if not todo:
        return []
    db.messages.bulk_write(
        [UpdateOne({"_id": message["_id"], **unrecorded}, _status_pipeline(status, timestamp, errors))
         for message, timestamp in todo],
        ordered=False,
    )
    stats_counters.statuses_recorded(status, [message.get("type", "unknown") for message, _ in todo])
    if app_settings.status_callback_enabled(settings, status):
        with_pricing = carries_pricing(status, settings)
        enqueue_callbacks(db, celery, _callbacks(db, todo, status, errors, with_pricing, contacts or {}))
    return [message["_id"] for message, _ in todo]


def callback_id(message_id: str, status: str) -> str:
    """The outbox id of the status callback of ``message_id`` (one per status)."""
    return f"status:{message_id}:{status}"


def carries_pricing(status: str, settings: dict[str, Any]) -> bool:
    """Whether a status callback carries `conversation` / `pricing`: `sent` and `delivered`
    do (spec §15.3), unless `webhook_payload_conversation_pricingmodel_disabled` is on."""
    return status in _WITH_PRICING and app_settings.pricing_in_status_callbacks(settings)


def _status_pipeline(status: str, timestamp: int, errors: list[dict[str, Any]] | None) -> list[dict]:
    # The status only moves forward (a late "delivered" after "read" must not step
    # back); its timestamp is kept either way.
    lower = [name for name, rank in RANK.items() if rank < RANK[status]]
    fields: dict[str, Any] = {
        f"status_timestamps.{status}": {"$literal": timestamp},
        "status": {"$cond": [{"$in": ["$status", lower]}, status, "$status"]},
    }
    if errors:
        fields["errors"] = {"$literal": errors}
    return [{"$set": fields}]


def _callbacks(
    db: Database,
    todo: list[tuple[dict[str, Any], int]],
    status: str,
    errors: list[dict[str, Any]] | None,
    with_pricing: bool,
    contacts: Mapping[str, dict[str, Any]],
) -> list[tuple[str, dict[str, Any]]]:
    pricing_by_contact: dict[str, dict[str, Any]] = {}
    callbacks = []
    for message, timestamp in todo:
        wa_id = message["wa_id"]
        extra = None
        if status in _WITH_PRICING:
            # The conversation is opened even when the payload leaves it out: the switch
            # changes what callbacks show, not when a conversation starts.
            if wa_id not in pricing_by_contact:
                pricing_by_contact[wa_id] = _pricing(db, wa_id, timestamp, contacts.get(wa_id))
            extra = pricing_by_contact[wa_id] if with_pricing else None
        payload = callback_payloads.status(
            message_id=message["_id"], recipient_id=wa_id, status=status,
            timestamp=timestamp, extra=extra, errors=errors,
        )
        callbacks.append((callback_id(message["_id"], status), payload))
    return callbacks


def _pricing(db: Database, wa_id: str, timestamp: int, contact: dict[str, Any] | None) -> dict[str, Any]:
    if contact is None:
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
