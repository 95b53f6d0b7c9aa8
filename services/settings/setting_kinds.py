"""The value kinds of application settings: how a PATCH value is checked and normalised.

Each kind parses one JSON value into what is stored, or raises ``ValueError`` with the
reason (the caller turns it into a 1009). ``describe()`` is the type column of the
settings table in docs/compatibility.md; ``stored()`` is the type of the value a GET
answers and ``accepted()`` the type of what a PATCH may carry, for the OpenAPI document
(services/settings/settings_schema.py). Pure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field

from services.common import egress_rules, escaping
from services.common.egress_rules import EgressAllow

# Longer than any bound below, short enough that int() never sees a huge string.
_MAX_DIGITS = 10
_DIGIT_STRING = Annotated[str, Field(pattern=f"^[0-9]{{1,{_MAX_DIGITS}}}$")]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class PatchContext:
    """What validation needs to know about the installation."""

    allow_http_webhooks: bool = False
    egress_allow: EgressAllow = EgressAllow()
    """``WA_EGRESS_ALLOW``: a webhook URL whose host is a literal address the egress policy
    refuses (loopback, private, …) must be listed there."""


def ascii_whole_number(value: Any) -> int:
    """A JSON integer, or a string of ASCII digits (the original takes both)."""
    # bool is an int in Python but not a number in JSON; str.isdigit() alone would let
    # fullwidth or other non-ASCII digits through, so the ASCII check comes first.
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
        return int(value)
    raise ValueError("must be a whole number")


@dataclass(frozen=True)
class Boolean:
    def parse(self, value: Any, context: PatchContext) -> bool:
        # Spec §14: JSON booleans only, never "true" or 1.
        if not isinstance(value, bool):
            raise ValueError("must be a JSON boolean")
        return value

    def describe(self) -> str:
        return "bool"

    def stored(self) -> Any:
        return bool

    def accepted(self) -> Any:
        return bool


@dataclass(frozen=True)
class WholeNumber:
    low: int
    high: int
    unit: str = ""

    def parse(self, value: Any, context: PatchContext) -> int:
        number = ascii_whole_number(value)
        if not self.low <= number <= self.high:
            raise ValueError(f"must be between {self.low} and {self.high}")
        return number

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"int{unit}, {self.low}–{self.high} (or a digit string)"

    def stored(self) -> Any:
        return Annotated[int, Field(ge=self.low, le=self.high)]

    def accepted(self) -> Any:
        return self.stored() | _DIGIT_STRING


@dataclass(frozen=True)
class OneOfNumbers:
    choices: tuple[int, ...]

    def parse(self, value: Any, context: PatchContext) -> int:
        number = ascii_whole_number(value)
        if number not in self.choices:
            raise ValueError(f"must be one of {', '.join(map(str, self.choices))}")
        return number

    def describe(self) -> str:
        return f"int, one of {', '.join(map(str, self.choices))} (or a digit string)"

    def stored(self) -> Any:
        return Literal[self.choices]

    def accepted(self) -> Any:
        return self.stored() | _DIGIT_STRING


@dataclass(frozen=True)
class OneOfWords:
    choices: tuple[str, ...]

    def parse(self, value: Any, context: PatchContext) -> str:
        if isinstance(value, str) and value.lower() in self.choices:
            return value.lower()
        raise ValueError(f"must be one of {', '.join(self.choices)}")

    def describe(self) -> str:
        return f"string, one of {', '.join(self.choices)}"

    def stored(self) -> Any:
        return Literal[self.choices]

    def accepted(self) -> Any:
        return Annotated[str, Field(description=f"one of {', '.join(self.choices)}, in any case")]


@dataclass(frozen=True)
class Pattern:
    """A string matching ``regex`` (ASCII only), ``""`` included when ``allow_empty``."""

    regex: str
    meaning: str
    max_length: int = 255
    allow_empty: bool = True

    def parse(self, value: Any, context: PatchContext) -> str:
        if isinstance(value, str) and value == "" and self.allow_empty:
            return value
        if (
            isinstance(value, str)
            and len(value) <= self.max_length
            and value.isascii()
            and re.fullmatch(self.regex, value)
        ):
            return value
        raise ValueError(f"must be {self.meaning}")

    def describe(self) -> str:
        empty = ' or ""' if self.allow_empty else ""
        return f"string: {self.meaning}{empty}"

    def stored(self) -> Any:
        regex = f"^(?:{self.regex})?$" if self.allow_empty else f"^(?:{self.regex})$"
        return Annotated[str, Field(pattern=regex, max_length=self.max_length, description=self.meaning)]

    def accepted(self) -> Any:
        return self.stored()


def check_webhook_url(url: str, *, allow_http: bool, egress_allow: EgressAllow | None = None) -> None:
    """HTTPS with a host; plain HTTP only to loopback and only when the installation allows
    it; and a literal address only where the egress policy lets the dispatcher connect (a
    name is judged by the dispatcher at each delivery, when it resolves it)."""
    parts = urlsplit(url)
    if not (parts.scheme == "https" and parts.hostname) and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK and allow_http):
        raise ValueError("HTTPS required")
    refused = egress_rules.url_refusal(url, egress_allow or EgressAllow())
    if refused is not None:
        raise ValueError(refused)


@dataclass(frozen=True)
class WebhookUrl:
    max_length: int = 2048

    def parse(self, value: Any, context: PatchContext) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if value == "":
            return value  # no webhook: callbacks wait in the outbox
        if len(value) > self.max_length or not value.isprintable() or " " in value:
            raise ValueError("must be a URL")
        check_webhook_url(value, allow_http=context.allow_http_webhooks, egress_allow=context.egress_allow)
        return value

    def describe(self) -> str:
        return 'string: an https:// URL or ""'

    def stored(self) -> Any:
        return Annotated[str, Field(max_length=self.max_length, description='an https:// URL or ""')]

    def accepted(self) -> Any:
        return self.stored()


@dataclass(frozen=True)
class IndexedUrls:
    """The oldest callback setting: ``{"0": url, "1": url, …}``, each URL or ``""``."""

    max_entries: int = 10

    def parse(self, value: Any, context: PatchContext) -> dict[str, str]:
        if not isinstance(value, dict) or len(value) > self.max_entries:
            raise ValueError(f"must be an object of at most {self.max_entries} URLs keyed '0', '1', …")
        urls: dict[str, str] = {}
        for key, url in value.items():
            if not (key.isascii() and key.isdigit() and len(key) <= 2):
                raise ValueError("keys must be '0', '1', …")
            urls[key] = WebhookUrl().parse(url, context)
        return urls

    def describe(self) -> str:
        return 'object `{"0": url, "1": url, …}`'

    def stored(self) -> Any:
        index = Annotated[str, Field(pattern="^[0-9]{1,2}$")]
        return Annotated[dict[index, WebhookUrl().stored()],  # type: ignore[misc]
                         Field(max_length=self.max_entries)]

    def accepted(self) -> Any:
        return self.stored()


@dataclass(frozen=True)
class SubsetOf:
    """A list drawn from ``choices``; repeats are dropped, the order kept."""

    choices: tuple[str, ...]

    def parse(self, value: Any, context: PatchContext) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError("must be a list of strings")
        unknown = [item for item in value if item not in self.choices]
        if unknown:
            raise ValueError(f"must be a subset of {', '.join(sorted(self.choices))}")
        return list(dict.fromkeys(value))

    def describe(self) -> str:
        return f"list of {', '.join(sorted(self.choices))}"

    def stored(self) -> Any:
        return list[Literal[self.choices]]  # type: ignore[name-defined]

    def accepted(self) -> Any:
        return self.stored()


def shown(value: Any, limit: int = 64) -> str:
    """A value as a 1009 echoes it: strings as they are, other JSON as JSON, escaped and cut short."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return escaping.shown(text, limit)
