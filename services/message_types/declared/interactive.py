"""``interactive``: reply buttons and lists out, the user's choice back (spec §6.1, §15.2).

Limits as the Cloud API documents them (the On-Prem ones are unverified): body 1024,
header and footer 60, list button 20, row title 24, row description 72, at most 10
sections and 10 rows in all, at most 3 reply buttons of 20 characters.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, RootModel, model_validator
from pydantic_core import PydanticCustomError

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited

MAX_ROWS = 10


class Header(Strict):
    type: Literal["text"]
    text: limited(60)  # type: ignore[valid-type]


class Body(Strict):
    text: limited(1024)  # type: ignore[valid-type]


class Footer(Strict):
    text: limited(60)  # type: ignore[valid-type]


class Row(Strict):
    id: limited(200)  # type: ignore[valid-type]
    title: limited(24)  # type: ignore[valid-type]
    description: limited(72) | None = None  # type: ignore[valid-type]


class Section(Strict):
    title: limited(24) | None = None  # type: ignore[valid-type]
    rows: Annotated[list[Row], Field(min_length=1, max_length=MAX_ROWS)]


class ListAction(Strict):
    button: limited(20)  # type: ignore[valid-type]
    sections: Annotated[list[Section], Field(min_length=1, max_length=10)]

    @model_validator(mode="after")
    def _rows_in_all(self) -> ListAction:
        if sum(len(section.rows) for section in self.sections) > MAX_ROWS:
            raise PydanticCustomError("rows", f"at most {MAX_ROWS} rows in all sections")
        if len(self.sections) > 1 and any(section.title is None for section in self.sections):
            raise PydanticCustomError("section_title", "every section needs a title when there are several")
        ids = [row.id for section in self.sections for row in section.rows]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("row_ids", "row ids must be unique")
        return self


class Reply(Strict):
    id: limited(256)  # type: ignore[valid-type]
    title: limited(20)  # type: ignore[valid-type]


class ReplyButton(Strict):
    type: Literal["reply"]
    reply: Reply


class ButtonAction(Strict):
    buttons: Annotated[list[ReplyButton], Field(min_length=1, max_length=3)]

    @model_validator(mode="after")
    def _unique(self) -> ButtonAction:
        ids = [button.reply.id for button in self.buttons]
        titles = [button.reply.title for button in self.buttons]
        if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
            raise PydanticCustomError("buttons", "button ids and titles must be unique")
        return self


class _Interactive(Strict):
    header: Header | None = None
    body: Body
    footer: Footer | None = None


class ListMessage(_Interactive):
    type: Literal["list"]
    action: ListAction


class ButtonMessage(_Interactive):
    type: Literal["button"]
    action: ButtonAction


class OutboundInteractive(RootModel[Annotated[ListMessage | ButtonMessage, Field(discriminator="type")]]):
    model_config = {"strict": True}


class ButtonReply(Strict):
    id: limited(256)  # type: ignore[valid-type]
    title: limited(20)  # type: ignore[valid-type]


class ListReply(Strict):
    id: limited(200)  # type: ignore[valid-type]
    title: limited(24)  # type: ignore[valid-type]
    description: limited(72) | None = None  # type: ignore[valid-type]


class ButtonReplyMessage(Strict):
    type: Literal["button_reply"]
    button_reply: ButtonReply


class ListReplyMessage(Strict):
    type: Literal["list_reply"]
    list_reply: ListReply


class InboundInteractive(
    RootModel[Annotated[ButtonReplyMessage | ListReplyMessage, Field(discriminator="type")]]
):
    model_config = {"strict": True}


TYPES = (MessageType("interactive", outbound=OutboundInteractive, inbound=InboundInteractive),)
