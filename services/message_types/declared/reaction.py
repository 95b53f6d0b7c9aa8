"""``reaction``: both ways (spec §6.1, §15.2). An empty emoji removes the reaction."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from services.message_types.base import MessageType, Strict
from services.message_types.fields import Text, limited

MAX_EMOJI = 16
"""Code points: one emoji can be a long sequence (flags, skin tones, joiners)."""


def _emoji(value: str) -> str:
    if len(value) > MAX_EMOJI or any(c.isascii() and c.isalnum() for c in value) or (value and not value.strip()):
        raise PydanticCustomError("emoji", "must be one emoji, or empty to remove the reaction")
    return value


class ReactionObject(Strict):
    message_id: limited(128)  # type: ignore[valid-type]
    emoji: Annotated[Text, AfterValidator(_emoji)]


TYPES = (MessageType("reaction", outbound=ReactionObject, inbound=ReactionObject),)
