"""What the business makes of a decrypted message: its declared inbound type, or
``unknown`` (spec §15.2: unsupported content reaches the webhook with error 501).

A media message (``{"type": "image", "image": <MediaPayload>}``) becomes the §15.2
media object under a media id allocated here; the payload itself, which holds the
sender's media KEY, is kept apart in ``Received.media``: the caller seals it and never
puts it in a webhook, a log or an unsealed field.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from services.message_types import media_types
from services.message_types.base import MessageType
from services.message_types.media_payload import MediaPayload
from services.message_types.plaintext import Plaintext
from services.message_types.registry import get

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Received:
    type: str
    body: Any
    """The validated object; None for ``unknown``."""
    context: dict[str, str] | None
    media: MediaPayload | None = field(default=None, repr=False)
    """A media message's payload (where the encrypted file is, its key and digest):
    secret, see the module docstring. None for every other type."""

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


def new_media_id() -> str:
    return str(uuid.uuid4())


def media_object(declared: MessageType, payload: MediaPayload, media_id: str) -> dict[str, Any]:
    """The §15.2 object of a received medium: what the type's inbound model has a field
    for (a caption on an image, video or document; a filename on a document or audio)."""
    assert declared.inbound is not None
    fields = declared.inbound.model_fields
    parsed = media_types.parse(payload.mime_type)
    # Normalised, or a neutral type: it becomes the Content-Type GET /v1/media serves.
    mime_type = str(parsed) if parsed is not None else "application/octet-stream"
    candidate = {"id": media_id, "mime_type": mime_type,
                 "sha256": base64.b64decode(payload.file_sha256).hex(),
                 "caption": payload.caption, "filename": payload.filename}
    shown = {key: value for key, value in candidate.items() if key in fields and value is not None}
    return declared.inbound.model_validate(shown).model_dump(mode="json", exclude_none=True)


def receive(plaintext: Plaintext, allocate_media_id: Callable[[], str] = new_media_id) -> Received:
    declared = get(plaintext.type)
    context = _context(plaintext.context)
    if declared is not None and declared.media and declared.inbound is not None:
        # Receiving media needs only its inbound side; ``available`` is about sending.
        try:
            payload = MediaPayload.model_validate(plaintext.body)
            body = media_object(declared, payload, allocate_media_id())
        except ValidationError:
            return Received(UNKNOWN, None, context)
        return Received(plaintext.type, body, context, payload)
    if declared is None or declared.inbound is None or not declared.available:
        return Received(UNKNOWN, None, context)
    try:
        body = declared.inbound.model_validate(plaintext.body).model_dump(mode="json", exclude_none=True)
    except ValidationError:
        return Received(UNKNOWN, None, context)
    return Received(plaintext.type, body, context)
