"""``POST /v1/contacts`` and ``PUT /v1/contacts/{wa_id}/identity`` bodies (spec §7).

Checked in a fixed order, each failure with the original's wording (§2.3): ``contacts``
(required, a non-empty list of at most ``MAX_CONTACTS`` strings) → ``blocking`` →
``force_check`` → any other key (1010). ``CheckBody`` and ``AcknowledgeBody`` declare the
same bodies for the OpenAPI document, from the same bounds (a unit test holds the two
to agreeing on what they accept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from services.api_gateway.schemas.common import require_object
from services.common.errors import ApiError, invalid, missing

Blocking = Literal["wait", "no_wait"]
BLOCKING = get_args(Blocking)
DEFAULT_BLOCKING: Final = "no_wait"
MAX_CONTACTS = 1000
CHECK_FIELDS = ("contacts", "blocking", "force_check")
MAX_HASH_LENGTH = 64


@dataclass(frozen=True)
class CheckRequest:
    contacts: list[str]
    blocking: str = DEFAULT_BLOCKING
    force_check: bool = False

    @property
    def wait(self) -> bool:
        return self.blocking == "wait"


def _no_other_keys(data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in data:
        if name not in allowed:
            raise ApiError(1010, f"Parameter '{name}' is not required")


def validate_check(body: Any) -> CheckRequest:
    data = require_object(body)
    contacts = data.get("contacts")
    if contacts is None:
        raise missing("contacts")
    if not isinstance(contacts, list) or not contacts:
        raise invalid("contacts", contacts)
    if len(contacts) > MAX_CONTACTS:
        raise ApiError(1009, f"Parameter 'contacts' has invalid value: at most {MAX_CONTACTS} contacts per request")
    for index, item in enumerate(contacts):
        if not isinstance(item, str):
            raise invalid(f"contacts[{index}]", item)

    blocking = data.get("blocking", DEFAULT_BLOCKING)
    if blocking not in BLOCKING:
        raise invalid("blocking", blocking)
    force_check = data.get("force_check", False)
    if not isinstance(force_check, bool):
        raise invalid("force_check", force_check)
    _no_other_keys(data, CHECK_FIELDS)
    return CheckRequest(contacts=list(contacts), blocking=blocking, force_check=force_check)


def validate_acknowledge(body: Any) -> str:
    """The ``hash`` of ``PUT /v1/contacts/{wa_id}/identity``."""
    data = require_object(body)
    value = data.get("hash")
    if value is None or value == "":
        raise missing("hash")
    if not isinstance(value, str) or len(value) > MAX_HASH_LENGTH:
        raise invalid("hash", value)
    _no_other_keys(data, ("hash",))
    return value


# --- what the OpenAPI document shows ------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CheckBody(_Body):
    contacts: list[str] = Field(min_length=1, max_length=MAX_CONTACTS,
                                description="Phone numbers in any usual spelling (national: the business's country)")
    blocking: Blocking = DEFAULT_BLOCKING
    force_check: bool = False


class AcknowledgeBody(_Body):
    hash: str = Field(min_length=1, max_length=MAX_HASH_LENGTH, description="The latest identity's hash")


class ContactCheck(BaseModel):
    input: str
    status: Literal["valid", "invalid", "processing", "failed"]
    wa_id: str | None = None  # valid ones only


class ContactsAnswer(BaseModel):
    contacts: list[ContactCheck]


class ContactIdentity(BaseModel):
    hash: str
    created_timestamp: int = Field(description="Milliseconds since the epoch; 0 when unknown")
    acknowledged: bool


class IdentityAnswer(BaseModel):
    contacts: ContactIdentity = Field(description="An object here, not an array (spec §7.2)")
