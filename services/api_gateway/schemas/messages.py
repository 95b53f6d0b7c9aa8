"""``POST /v1/messages`` and ``PUT /v1/messages/{id}`` bodies (spec §6, §19 item 2).

The envelope is checked by hand because the original checks it in a fixed order, each
failure with its own code and wording:

required ``to`` → ``type`` in the allowed set → ``recipient_type`` → boolean
``preview_url`` / ``render_mentions`` → ``ttl`` not empty → exactly one type object →
the type's object, validated by the model its registry declaration names
(``services/message_types``) → ``context``.

What the OpenAPI document shows (``SendBody``, a union discriminated by ``type``, one
member per available type) is generated from the same registry declarations: each
member's type object is the model that validates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from services import message_types
from services.api_gateway.schemas.common import require_object
from services.common import phone_numbers
from services.common.errors import ApiError, invalid, missing, not_required
from services.message_types import MessageType

MESSAGE_TYPES = message_types.outbound_names()
MAX_MESSAGE_ID = 128

# ASCII digits only: \d would also take "５" and other Unicode digits.
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>[0-9]{1,9})D)?(?:T(?:(?P<h>[0-9]{1,9})H)?(?:(?P<m>[0-9]{1,9})M)?(?:(?P<s>[0-9]{1,9})S)?)?$"
)
_SECONDS = re.compile(r"^[0-9]{1,12}$")
MAX_TTL_SECONDS = 30 * 86400
"""The longest ttl accepted (the original's range is unverified; the default is 7 days)."""


@dataclass(frozen=True)
class SendRequest:
    wa_id: str
    type: str
    content: dict[str, Any] = field(default_factory=dict)


def normalize_recipient(value: object, country_code: str | None = None) -> str:
    """The wa_id ``to`` names, in any form of ``services.common.phone_numbers`` (phone
    numbers are sendable directly since v2.39.1); 1009 when it is not a phone number."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise invalid("to", value)
    digits = phone_numbers.normalize(str(value), country_code)
    if digits is None:
        raise invalid("to", value)
    return digits


def ttl_seconds(value: object) -> int:
    """``ttl`` as seconds: an ISO-8601 duration (``P1D``) or seconds (string or int)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(1009, "Empty TTL value not allowed")
    if isinstance(value, bool):
        raise invalid("ttl", value)
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and _SECONDS.match(value.strip()):
        seconds = int(value.strip())
    elif isinstance(value, str) and (match := _ISO_DURATION.match(value.strip())) and value.strip() != "P":
        parts = {k: int(v or 0) for k, v in match.groupdict().items()}
        seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    else:
        raise invalid("ttl", value)
    if not 0 < seconds <= MAX_TTL_SECONDS:
        raise invalid("ttl", value)
    return seconds


def validate_send(body: Any, country_code: str | None = None) -> SendRequest:
    """``country_code``: the business's, for national numbers in ``to``."""
    data = require_object(body)

    # 1. required `to`
    to = data.get("to")
    if to is None or to == "":
        raise missing("to")
    wa_id = normalize_recipient(to, country_code)

    # 2. `type` in the allowed set
    message_type = data.get("type", "text")
    if not isinstance(message_type, str) or message_type not in MESSAGE_TYPES:
        raise invalid("type", message_type)

    # 3. `recipient_type`
    recipient_type = data.get("recipient_type", "individual")
    if recipient_type == "group":
        raise ApiError(1009, "Parameter 'recipient_type' has invalid value 'group': groups are not supported")
    if recipient_type != "individual":
        raise ApiError(1002, f"Parameter 'recipient_type' has invalid value '{recipient_type}'")

    # 4. booleans
    for name in ("preview_url", "render_mentions"):
        if name in data and not isinstance(data[name], bool):
            raise invalid(name, data[name])

    # 5. ttl
    ttl = ttl_seconds(data["ttl"]) if "ttl" in data else None

    # 6. exactly one type object: one named after another type is not required
    for other in MESSAGE_TYPES:
        if other != message_type and other in data:
            raise not_required(other, message_type)

    # 7. the type's object
    content: dict[str, Any] = {message_type: _type_object(data, message_type)}

    # 8. the message replied to
    if "context" in data:
        content["context"] = _context(data["context"])
    if ttl is not None:
        content["ttl"] = ttl
    return SendRequest(wa_id=wa_id, type=message_type, content=content)


def _type_object(data: dict[str, Any], message_type: str) -> Any:
    declared = message_types.get(message_type)
    assert declared is not None and declared.outbound is not None  # MESSAGE_TYPES is the registry's
    if not declared.available:
        raise ApiError(1009, f"Parameter 'type' has invalid value '{message_type}': not supported yet")
    obj = data.get(message_type)
    if obj is None:
        raise ApiError(1008, f"Parameter '{message_type}' is mandatory for type '{message_type}'")
    # On-Prem puts preview_url at the top level; a type that has it (text) takes it
    # inside its object, where the Cloud API puts it too.
    if "preview_url" in data and "preview_url" in declared.outbound.model_fields and isinstance(obj, dict):
        obj = {"preview_url": data["preview_url"], **obj}
    return message_types.parse(declared.outbound, obj, message_type)


def _context(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise invalid("context", value)
    for name in value:
        if name != "message_id":
            raise ApiError(1010, f"Parameter 'context.{name}' is not required")
    message_id = value.get("message_id")
    if message_id is None or message_id == "":
        raise missing("context.message_id")
    if not isinstance(message_id, str) or len(message_id) > MAX_MESSAGE_ID or not message_id.isascii():
        raise invalid("context.message_id", message_id)
    return {"message_id": message_id}


def validate_mark_read(body: Any) -> str:
    data = require_object(body)
    if "status" not in data or data["status"] in (None, ""):
        raise missing("status")
    if data["status"] != "read":
        raise invalid("status", data["status"])
    return "read"


# --- what the OpenAPI document shows ------------------------------------------------
DEFAULT_TYPE = "text"


class MessageContext(BaseModel):
    """The message replied to."""

    model_config = ConfigDict(extra="forbid", strict=True)

    message_id: str = Field(min_length=1, max_length=MAX_MESSAGE_ID)


class _SendEnvelope(BaseModel):
    """The keys every send has, whatever its type (checked by ``validate_send``)."""

    # Unknown top-level keys are ignored, as the original does (Cloud API clients send
    # ``messaging_product``).
    model_config = ConfigDict(extra="allow", strict=True)

    to: str | int = Field(description="The recipient: a wa_id, or a phone number in any usual spelling "
                                      "(national numbers are in the business's country)")
    recipient_type: Literal["individual"] = "individual"
    preview_url: bool | None = None
    render_mentions: bool | None = None
    ttl: str | int | None = Field(default=None, description=(
        f"An ISO-8601 duration (P1D) or seconds, at most {MAX_TTL_SECONDS}"))
    context: MessageContext | None = None


def _send_member(declared: MessageType) -> type[BaseModel]:
    """The send of one type: the envelope, ``type`` and the type's object, whose model
    is the registry's (the one ``_type_object`` validates with)."""
    tag: Any = Literal[declared.name]  # type: ignore[valid-type]
    type_field = (tag, DEFAULT_TYPE) if declared.name == DEFAULT_TYPE else (tag, ...)
    fields: dict[str, Any] = {"type": type_field, declared.name: (declared.outbound, ...)}
    return create_model(f"Send{declared.name.capitalize()}", __base__=_SendEnvelope, **fields)


def _send_members() -> tuple[type[BaseModel], ...]:
    return tuple(_send_member(declared) for declared in message_types.REGISTRY.values()
                 if declared.outbound is not None and declared.available)


SEND_MEMBERS = _send_members()
SendBody = RootModel[Annotated[Union[SEND_MEMBERS], Field(discriminator="type")]]  # type: ignore[valid-type]  # noqa: UP007
"""``POST /v1/messages``: one member per type a business can send now."""


class MarkReadBody(BaseModel):
    """``PUT /v1/messages/{id}`` (checked by ``validate_mark_read``)."""

    status: Literal["read"]


class MessageId(BaseModel):
    id: str


class MessagesAnswer(BaseModel):
    messages: list[MessageId]
