"""Queueing the §15.2 callback of a stored inbound message: by the core for most
messages, by the media service for an auto-downloaded medium once its file is stored
(or failed), both from the stored document."""

from __future__ import annotations

from typing import Any

from celery import Celery
from pymongo.database import Database

from services.callbacks import payloads as callback_payloads
from services.callbacks.outbox import enqueue_callback


def callback_id(message_id: str) -> str:
    return f"in:{message_id}"


def queue(db: Database, celery: Celery, message: dict[str, Any], profile_name: str | None = None) -> None:
    """The callback of ``message`` (a ``messages`` document, or the same fields); the
    profile name, when not given, is the one its contact document kept."""
    if profile_name is None:
        contact = db.contacts.find_one({"_id": message["wa_id"]}, {"profile_name": 1}) or {}
        profile_name = contact.get("profile_name")
    payload = callback_payloads.inbound_message(
        wa_id=message["wa_id"], profile_name=profile_name, message_id=message["_id"],
        timestamp=message["timestamp"], message={"type": message["type"], **message["content"]},
    )
    enqueue_callback(db, celery, callback_id(message["_id"]), payload)
