"""``POST /v1/contacts`` and ``PUT /v1/contacts/{wa_id}/identity`` bodies (spec §7).

``CheckBody`` and ``AcknowledgeBody`` both validate the bodies and declare them for the
OpenAPI document. Checked in a fixed order, each failure with the original's wording
(§2.3): ``contacts`` (required, a non-empty list of at most ``MAX_CONTACTS`` strings) →
``blocking`` → ``force_check`` → any other key (1010): pydantic checks the fields in the
order they are declared and the keys nobody declared after them, and ``first_error``
reports the first failure.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.api_gateway.schemas.common import missing_when, parse
from services.message_types.fields import onprem_error

Blocking = Literal["wait", "no_wait"]
BLOCKING = get_args(Blocking)
DEFAULT_BLOCKING: Final = "no_wait"
MAX_CONTACTS = 1000
MAX_HASH_LENGTH = 64


def _at_most_max_contacts(value: Any) -> Any:
    # Before the list's own bounds, so that a long list gets the original's wording.
    if isinstance(value, list) and len(value) > MAX_CONTACTS:
        raise onprem_error(1009, f"Parameter 'contacts' has invalid value: at most {MAX_CONTACTS} contacts per request")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CheckBody(_Body):
    contacts: Annotated[list[str], BeforeValidator(_at_most_max_contacts), missing_when(None)] = Field(
        min_length=1, max_length=MAX_CONTACTS,
        description="Phone numbers in any usual spelling (national: the business's country)")
    blocking: Blocking = DEFAULT_BLOCKING
    force_check: bool = False

    @property
    def wait(self) -> bool:
        return self.blocking == "wait"


class AcknowledgeBody(_Body):
    hash: Annotated[str, missing_when(None, "")] = Field(
        min_length=1, max_length=MAX_HASH_LENGTH, description="The latest identity's hash")


def validate_check(body: Any) -> CheckBody:
    return parse(CheckBody, body)


def validate_acknowledge(body: Any) -> str:
    """The ``hash`` of ``PUT /v1/contacts/{wa_id}/identity``."""
    return parse(AcknowledgeBody, body).hash


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
