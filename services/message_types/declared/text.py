"""``text``: both ways (spec §6.1, §15.2)."""

from __future__ import annotations

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited

MAX_BODY = 4096


class TextObject(Strict):
    body: limited(MAX_BODY, code=1001, label="Text body")  # type: ignore[valid-type]


class OutboundText(TextObject):
    preview_url: bool | None = None
    """Render a link preview (On-Prem has it at the top level of the request; the
    phone is told inside the text object)."""


TYPES = (MessageType("text", outbound=OutboundText, inbound=TextObject),)
