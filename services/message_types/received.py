"""What the business makes of a decrypted message: its declared inbound type, or
``unknown`` (spec §15.2: unsupported content reaches the webhook with error 501)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.message_types.plaintext import Plaintext
from services.message_types.registry import get

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Received:
    type: str
    body: Any
    """The validated object; None for ``unknown``."""
    context: dict[str, str] | None

    def webhook_fields(self) -> dict[str, Any]:
        """The type-specific part of the §15.2 ``messages[]`` item."""
        fields: dict[str, Any] = {"type": self.type}
        if self.type == UNKNOWN:
            fields["errors"] = [{"code": 501, "title": "Unknown message type",
                                 "details": "Message type is not currently supported"}]
        else:
            fields[self.type] = self.body
        if self.context:
            fields["context"] = self.context
        return fields


def _context(value: dict[str, Any] | None) -> dict[str, str] | None:
    if not value or not isinstance(value.get("id"), str):
        return None
    context = {"id": value["id"]}
    if isinstance(value.get("from"), str):
        context["from"] = value["from"]
    return context


def receive(plaintext: Plaintext) -> Received:
    declared = get(plaintext.type)
    context = _context(plaintext.context)
    if declared is None or declared.inbound is None or not declared.available:
        return Received(UNKNOWN, None, context)
    try:
        body = declared.inbound.model_validate(plaintext.body).model_dump(mode="json", exclude_none=True)
    except ValidationError:
        return Received(UNKNOWN, None, context)
    return Received(plaintext.type, body, context)
