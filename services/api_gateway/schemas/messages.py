"""``POST /v1/messages`` and ``PUT /v1/messages/{id}`` bodies (spec §6, §19 item 2).

The models here both validate the bodies and declare them for the OpenAPI document.
The original checks a send in a fixed order, each failure with its own code and wording:

required ``to`` → ``type`` in the allowed set → ``recipient_type`` → boolean
``preview_url`` / ``render_mentions`` → ``ttl`` not empty → exactly one type object →
the type's object, validated by the model its registry declaration names
(``services/message_types``) → ``context``.

pydantic checks a model's fields in the order they are declared, so each send member
(one per type, ``_send_member``) declares its fields in that order and
``validate_send`` reports the first failure. The rules pydantic's types cannot say
(the original's wording, "not required for type") are validators on those fields.
``SendBody``, what the OpenAPI document shows, is the union of the members of the
types a business can send now, discriminated by ``type``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from services import message_types
from services.api_gateway.schemas.common import item_error, missing_when, parse, require_object
from services.common import phone_numbers
from services.common.errors import ApiError, invalid, not_required
from services.message_types import MessageType
from services.message_types.fields import onprem_error
from services.message_types.validation import item_to_api_error

MESSAGE_TYPES = message_types.outbound_names()
DEFAULT_TYPE = "text"
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
    message_type = data.get("type", DEFAULT_TYPE)
    member = _MEMBERS.get(message_type) if isinstance(message_type, str) else None
    try:
        # A type no member has fails the envelope's own ``type`` (after ``to``).
        parsed = (member or _SendEnvelope).model_validate(data, context={"country_code": country_code})
    except ValidationError as error:
        raise _send_error(error.errors()[0], message_type) from None
    assert member is not None  # only a member's type passes the envelope's ``type``
    values = vars(parsed)  # the member's own fields, which the envelope does not declare
    content: dict[str, Any] = {message_type: values[message_type].model_dump(mode="json", exclude_none=True)}
    if values["context"] is not None:
        content["context"] = values["context"].model_dump()
    if parsed.ttl is not None:
        content["ttl"] = parsed.ttl
    return SendRequest(wa_id=parsed.to, type=message_type, content=content)


def _send_error(item: Any, message_type: Any) -> ApiError:
    """The type's object in the registry's words (``message_types``), the rest in the
    gateway's."""
    loc = tuple(item["loc"])
    declared = message_types.get(message_type) if isinstance(message_type, str) else None
    if loc and loc[0] == message_type and declared is not None and declared.outbound is not None:
        return item_to_api_error(item, loc[1:], declared.outbound, message_type)
    if item["type"] == NOT_REQUIRED_FOR_TYPE:
        return not_required(loc[0], message_type)
    return item_error(item)


def _raised_as_pydantic(check: Callable[[Any, ValidationInfo], Any]) -> Callable[[Any, ValidationInfo], Any]:
    """``check`` raising its ApiError as an error pydantic collects: an exception of its
    own would stop validation at once, ahead of an earlier field's error."""

    def validator(value: Any, info: ValidationInfo) -> Any:
        try:
            return check(value, info)
        except ApiError as error:
            raise onprem_error(error.code, error.details or "") from None

    return validator


def _recipient(value: Any, info: ValidationInfo) -> str:
    return normalize_recipient(value, (info.context or {}).get("country_code"))


def _ttl(value: Any, _info: ValidationInfo) -> int:
    return ttl_seconds(value)


def _individual_only(value: Any, _info: ValidationInfo) -> Any:
    if value == "group":
        raise ApiError(1009, "Parameter 'recipient_type' has invalid value 'group': groups are not supported")
    if value != "individual":
        raise ApiError(1002, f"Parameter 'recipient_type' has invalid value '{value}'")
    return value


def _not_null(value: Any) -> Any:
    # An absent key is None by default; a null one is not a value the original takes.
    if value is None:
        raise PydanticCustomError("null", "must not be null")
    return value


def validate_mark_read(body: Any) -> str:
    return parse(MarkReadBody, body).status


class MessageContext(BaseModel):
    """The message replied to."""

    model_config = ConfigDict(extra="forbid", strict=True)

    message_id: Annotated[str, missing_when(None, "")] = Field(min_length=1, max_length=MAX_MESSAGE_ID)

    @model_validator(mode="before")
    @classmethod
    def _no_other_keys_first(cls, data: Any) -> Any:
        # The original names an unknown key before it looks at message_id.
        if isinstance(data, dict):
            for name in data:
                if name != "message_id":
                    raise onprem_error(1010, f"Parameter 'context.{name}' is not required")
        return data

    @field_validator("message_id")
    @classmethod
    def _ascii(cls, value: str) -> str:
        if not value.isascii():
            raise PydanticCustomError("not_ascii", "must be ASCII")
        return value


class _SendEnvelope(BaseModel):
    """The keys every send has, whatever its type, in the order they are checked."""

    # Unknown top-level keys are ignored, as the original does (Cloud API clients send
    # ``messaging_product``).
    model_config = ConfigDict(extra="allow", strict=True)

    # Before validators run last listed first: missing, then a number's form.
    to: Annotated[str, BeforeValidator(_raised_as_pydantic(_recipient), json_schema_input_type=str | int),
                  missing_when(None, "")] = Field(
        description="The recipient: a wa_id, or a phone number in any usual spelling "
                    "(national numbers are in the business's country)")
    type: Literal[MESSAGE_TYPES] = DEFAULT_TYPE  # type: ignore[valid-type]
    recipient_type: Annotated[Literal["individual"], BeforeValidator(_raised_as_pydantic(_individual_only))] = (
        "individual")
    # Optional but never null: the schema shows what a client may send.
    preview_url: Annotated[bool | None, BeforeValidator(_not_null, json_schema_input_type=bool)] = None
    render_mentions: Annotated[bool | None, BeforeValidator(_not_null, json_schema_input_type=bool)] = None
    ttl: Annotated[int | None, BeforeValidator(_raised_as_pydantic(_ttl), json_schema_input_type=str | int)] = (
        Field(default=None, description=f"An ISO-8601 duration (P1D) or seconds, at most {MAX_TTL_SECONDS}"))


NOT_REQUIRED_FOR_TYPE = "not_required_for_type"


def _other_type_objects(message_type: str) -> Any:
    """The keys named after the other types, in the registry's order: declared (as one
    field, whose error names the key found) only to refuse them, in their place in the order."""

    def refuse(value: Any) -> Any:
        raise PydanticCustomError(NOT_REQUIRED_FOR_TYPE, "Parameter is not required for this type")

    others = [other for other in MESSAGE_TYPES if other != message_type]
    return (Annotated[Any, BeforeValidator(refuse), SkipJsonSchema()],
            Field(default=None, validation_alias=AliasChoices(*others), exclude=True))


def _type_object(declared: MessageType) -> Any:
    """The type's object: the registry's model, or, for a type not available yet, a key
    that is refused whether it is there or not."""
    name = declared.name
    if not declared.available:
        def not_yet(value: Any) -> Any:
            raise onprem_error(1009, f"Parameter 'type' has invalid value '{name}': not supported yet")

        return (Annotated[Any, BeforeValidator(not_yet), SkipJsonSchema()], Field(default=None, validate_default=True))
    model = declared.outbound
    # On-Prem puts preview_url at the top level; a type that has it (text) takes it
    # inside its object, where the Cloud API puts it too.
    assert model is not None  # members are made for the types a business can send
    if "preview_url" not in model.model_fields:
        return (Annotated[model, missing_when(None)], ...)

    def top_level_preview_url(value: Any, info: ValidationInfo) -> Any:
        preview_url = info.data.get("preview_url")
        if preview_url is not None and isinstance(value, dict):
            return {"preview_url": preview_url, **value}
        return value

    return (Annotated[model, BeforeValidator(top_level_preview_url), missing_when(None)], ...)


def _send_member(declared: MessageType) -> type[_SendEnvelope]:
    """The send of one type: the envelope, the other types' keys refused, the type's
    object, then ``context``."""
    tag: Any = Literal[declared.name]  # type: ignore[valid-type]
    fields: dict[str, Any] = {"type": (tag, DEFAULT_TYPE) if declared.name == DEFAULT_TYPE else (tag, ...)}
    fields["other_type_objects"] = _other_type_objects(declared.name)
    fields[declared.name] = _type_object(declared)
    fields["context"] = (Annotated[MessageContext | None,
                                   BeforeValidator(_not_null, json_schema_input_type=MessageContext)], None)
    return create_model(f"Send{declared.name.capitalize()}", __base__=_SendEnvelope, **fields)


_MEMBERS = {declared.name: _send_member(declared) for declared in message_types.REGISTRY.values()
            if declared.outbound is not None}
SEND_MEMBERS = tuple(member for name, member in _MEMBERS.items() if message_types.REGISTRY[name].available)
SendBody = RootModel[Annotated[Union[SEND_MEMBERS], Field(discriminator="type")]]  # type: ignore[valid-type]  # noqa: UP007
"""``POST /v1/messages``: one member per type a business can send now."""


class MarkReadBody(BaseModel):
    """``PUT /v1/messages/{id}``: other keys are ignored, as the original does."""

    status: Annotated[Literal["read"], missing_when(None, "")]


class MessageId(BaseModel):
    id: str


class MessagesAnswer(BaseModel):
    messages: list[MessageId]
