"""Whether an accepted message may still go out, decided just before it is sent. Pure.

The API accepts a message without knowing when the core will send it (the network may
be down, the shard backed up), so the rules that depend on time are checked here, at
send time, and a message that breaks one gets a `failed` status instead of being sent
(spec §6.1 `ttl`, §15.5 the customer-service window, §7.2 identity changes):

- 410 when its `ttl` (default 7 days) ran out before it could be sent;
- 2061 / 2062 when its template was paused or disabled after the API accepted it;
- 470 when it is free-form and the customer has not written in the last 24 hours;
- 480 when `show_security_notifications` is on and the contact's identity changed
  and the business has not acknowledged it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.callbacks import payloads as callback_payloads
from services.message_types import templates
from services.messages.conversations import WINDOW

DEFAULT_TTL = timedelta(days=7)


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know of the contact a message goes to."""

    last_inbound_at: datetime | None = None
    identity_unacknowledged: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Recipient:
        if not doc:
            return cls()
        return cls(doc.get("last_inbound_at"), doc.get("identity_acknowledged") is False)


def refusal(
    message: dict[str, Any], recipient: Recipient, *, free_form: bool, now: datetime, block_identity_changes: bool,
    template_status: str | None = None,
) -> dict[str, Any] | None:
    """The webhook error item that fails ``message`` instead of sending it, or None.
    ``template_status``: the current status of the template it was accepted with (None
    when it is no template message, or the network no longer lists its template)."""
    ttl = message["content"].get("ttl")
    expires_at = message["created_at"] + (timedelta(seconds=ttl) if ttl else DEFAULT_TTL)
    if now >= expires_at:
        return callback_payloads.error_item(410, "Message failed to send because it was not sent within its ttl")
    template = accepted_template(message)
    if template is not None and (error := templates.send_failure(template, template_status)):
        return error
    if free_form and not in_service_window(recipient, now):
        return callback_payloads.error_item(
            470, "Message failed to send because more than 24 hours have passed since the customer last replied "
                 "to this number")
    if block_identity_changes and recipient.identity_unacknowledged:
        return identity_change_error()
    return None


def identity_change_error() -> dict[str, Any]:
    return callback_payloads.error_item(
        480, "Message failed to send because the recipient's identity changed: acknowledge it with "
             "PUT /v1/contacts/{wa_id}/identity")


def accepted_template(message: dict[str, Any]) -> dict[str, Any] | None:
    """The template translation a template message was accepted with (the gateway's
    ``resolve`` stored it), or None."""
    template = (message["content"].get("resolved") or {}).get("template")
    return template if isinstance(template, dict) else None


def in_service_window(recipient: Recipient, now: datetime) -> bool:
    """The customer wrote within the last 24 hours (spec §15.5)."""
    return recipient.last_inbound_at is not None and now - recipient.last_inbound_at < WINDOW
