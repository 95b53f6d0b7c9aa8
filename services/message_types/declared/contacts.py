"""``contacts``: contact cards, both ways (spec §6.1 and §15.2 share the schema)."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, RootModel
from pydantic_core import PydanticCustomError

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited

MAX_CARDS = 257
"""WhatsApp lets a user share at most 257 contacts in one message."""
MAX_ENTRIES = 20

Short = limited(256)
Long = limited(2048)


def _date(value: str) -> str:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("birthday", "must be YYYY-MM-DD") from None
    if len(value) != 10:
        raise PydanticCustomError("birthday", "must be YYYY-MM-DD")
    return value


class Address(Strict):
    street: Short | None = None  # type: ignore[valid-type]
    city: Short | None = None  # type: ignore[valid-type]
    state: Short | None = None  # type: ignore[valid-type]
    zip: Short | None = None  # type: ignore[valid-type]
    country: Short | None = None  # type: ignore[valid-type]
    country_code: Short | None = None  # type: ignore[valid-type]
    type: Literal["HOME", "WORK"] | None = None


class Email(Strict):
    email: Short | None = None  # type: ignore[valid-type]
    type: Literal["HOME", "WORK"] | None = None


class Name(Strict):
    formatted_name: Short  # type: ignore[valid-type]
    first_name: Short | None = None  # type: ignore[valid-type]
    last_name: Short | None = None  # type: ignore[valid-type]
    middle_name: Short | None = None  # type: ignore[valid-type]
    suffix: Short | None = None  # type: ignore[valid-type]
    prefix: Short | None = None  # type: ignore[valid-type]


class Org(Strict):
    company: Short | None = None  # type: ignore[valid-type]
    department: Short | None = None  # type: ignore[valid-type]
    title: Short | None = None  # type: ignore[valid-type]


class Phone(Strict):
    phone: Short | None = None  # type: ignore[valid-type]
    type: Literal["CELL", "MAIN", "IPHONE", "HOME", "WORK"] | None = None
    wa_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = None


class Url(Strict):
    url: Long | None = None  # type: ignore[valid-type]
    type: Literal["HOME", "WORK"] | None = None


class Card(Strict):
    addresses: Annotated[list[Address], Field(max_length=MAX_ENTRIES)] | None = None
    birthday: Annotated[str, AfterValidator(_date)] | None = None
    emails: Annotated[list[Email], Field(max_length=MAX_ENTRIES)] | None = None
    name: Name
    org: Org | None = None
    phones: Annotated[list[Phone], Field(max_length=MAX_ENTRIES)] | None = None
    urls: Annotated[list[Url], Field(max_length=MAX_ENTRIES)] | None = None


class Cards(RootModel[Annotated[list[Card], Field(min_length=1, max_length=MAX_CARDS)]]):
    model_config = {"strict": True}


TYPES = (MessageType("contacts", outbound=Cards, inbound=Cards),)
