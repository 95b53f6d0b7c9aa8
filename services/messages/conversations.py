"""Conversation windows for the `conversation` / `pricing` objects of status callbacks.

A conversation is a 24-hour window per contact that opens with the first business
message; it is user-initiated when the customer wrote within the previous 24 hours.
Pure: the caller loads and stores the window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Conversation:
    id: str
    origin: str
    expires_at: datetime

    def to_doc(self) -> dict:
        return {"id": self.id, "origin": self.origin, "expires_at": self.expires_at}

    @classmethod
    def from_doc(cls, doc: dict) -> Conversation:
        return cls(doc["id"], doc["origin"], doc["expires_at"])


def current(
    existing: Conversation | None, wa_id: str, now: datetime, last_inbound_at: datetime | None
) -> tuple[Conversation, bool]:
    """The conversation a business message sent at ``now`` belongs to, and whether it is new."""
    if existing is not None and existing.expires_at > now:
        return existing, False
    user_initiated = last_inbound_at is not None and now - last_inbound_at < WINDOW
    origin = "user_initiated" if user_initiated else "business_initiated"
    seed = f"{wa_id}:{now.timestamp()}".encode()
    return Conversation(hashlib.md5(seed).hexdigest(), origin, now + WINDOW), True


def status_fields(conversation: Conversation) -> dict:
    return {
        "conversation": {
            "id": conversation.id,
            "expiration_timestamp": str(int(conversation.expires_at.timestamp())),
            "origin": {"type": conversation.origin},
        },
        "pricing": {"billable": True, "pricing_model": "CBP", "category": conversation.origin},
    }
