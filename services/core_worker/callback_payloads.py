"""The webhook bodies of spec §15, built from stored documents. Pure."""

from __future__ import annotations

from typing import Any

from services.common.errors import ERROR_TABLE, WEBHOOK_ERROR_TITLES


def inbound_message(
    *, wa_id: str, profile_name: str | None, message_id: str, timestamp: int, message: dict[str, Any]
) -> dict[str, Any]:
    contact: dict[str, Any] = {"wa_id": wa_id}
    if profile_name:
        contact["profile"] = {"name": profile_name}
    body = {key: value for key, value in message.items() if key not in {"profile", "id", "timestamp"}}
    return {
        "contacts": [contact],
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


def system_message(*, wa_id: str, message_id: str, timestamp: int, system: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"from": wa_id, "id": message_id, "timestamp": str(timestamp), "type": "system",
                          "system": system}]}
