"""The webhook bodies of spec §15, built from stored documents. Pure."""

from __future__ import annotations

from typing import Any

from services.common.errors import ERROR_TABLE, WEBHOOK_ERROR_TITLES


def contact(wa_id: str, profile_name: str | None) -> dict[str, Any]:
    """A ``contacts[]`` item of an inbound callback."""
    item: dict[str, Any] = {"wa_id": wa_id}
    if profile_name:
        item["profile"] = {"name": profile_name}
    return item


def inbound_message(
    *, wa_id: str, profile_name: str | None, message_id: str, timestamp: int, message: dict[str, Any]
) -> dict[str, Any]:
    body = {key: value for key, value in message.items() if key not in {"profile", "id", "timestamp"}}
    return {
        "contacts": [contact(wa_id, profile_name)],
        "messages": [{"from": wa_id, "id": message_id, "timestamp": str(timestamp), **body}],
    }


def error_item(code: int, details: str | None = None) -> dict[str, Any]:
    title = WEBHOOK_ERROR_TITLES.get(code) or ERROR_TABLE.get(code, ERROR_TABLE[0])[0]
    item: dict[str, Any] = {"code": code, "title": title}
    if details:
        item["details"] = details
    return item


def status(
    *,
    message_id: str,
    recipient_id: str,
    status: str,
    timestamp: int,
    extra: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": message_id,
        "recipient_id": recipient_id,
        "status": status,
        "timestamp": str(timestamp),
        "type": "message",
    }
    item.update(extra or {})
    if errors:
        item["errors"] = errors
    return {"statuses": [item]}


def system_message(
    *, wa_id: str, message_id: str, timestamp: int, system: dict[str, Any], about: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A §15.2 ``system`` message from ``wa_id``; ``about``: the ``contacts[]`` item to
    carry with it (a number change names the contact's new number)."""
    message = {"from": wa_id, "id": message_id, "timestamp": str(timestamp), "type": "system", "system": system}
    if about is None:
        return {"messages": [message]}
    return {"contacts": [about], "messages": [message]}
