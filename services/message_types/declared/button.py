"""``button``: the user tapped a template's quick-reply button (spec §15.2); inbound only."""

from __future__ import annotations

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited


class ButtonObject(Strict):
    payload: limited(1000)  # type: ignore[valid-type]
    text: limited(1000)  # type: ignore[valid-type]


TYPES = (MessageType("button", inbound=ButtonObject),)
