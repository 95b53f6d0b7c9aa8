"""What a message type is: one declaration that every service reads.

A :class:`MessageType` says how a business sends the type (``outbound``, the pydantic
model of its object in ``POST /v1/messages``), how a user's phone sends it to the
business (``inbound``, which is also the object of the §15.2 webhook), and how it
travels inside the end-to-end plaintext (:mod:`services.message_types.plaintext`).
The gateway validates with it, the core encodes and decodes with it, the sandbox's
phones send and record with it, and the OpenAPI is generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from services.common.egress_rules import EgressAllow


class Strict(BaseModel):
    """Base of every type's object: unknown keys are errors (1010) and nothing is
    coerced (a JSON string is never taken for a number or a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class PhoneEnvironment(Protocol):
    """What a user's phone can look up to show a message (the network's template store)."""

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """Every translation of the template ``name`` in ``namespace`` (network shape)."""
        ...


class BusinessEnvironment(Protocol):
    """What the gateway can look up to check a send against what the business holds:
    its templates, as the core's cache has them, its media and media providers."""

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """Every translation of the template ``name`` in ``namespace`` (network shape)."""
        ...

    def refresh_templates(self) -> None:
        """Fetch the templates from the network again (raises ApiError when it cannot)."""
        ...

    def media_type(self, media_id: str) -> str | None:
        """The stored MIME type of the ready medium ``media_id`` (``POST /v1/media``), or
        None when there is none."""
        ...

    def has_media_provider(self, name: str) -> bool:
        """Whether a media provider of that name is configured (spec §8.3)."""
        ...

    def media_provider_hosts(self, name: str) -> tuple[str, ...] | None:
        """The ``hosts`` of the media provider ``name`` (where its credentials may go), or
        None when it has none."""
        ...

    def egress_allow(self) -> EgressAllow:
        """The operator's egress exceptions (``WA_EGRESS_ALLOW``), to judge a link whose
        host is a literal address (services/common/egress_rules.py)."""
        ...


def _as_received(obj: Any, env: PhoneEnvironment) -> Any:
    return obj


@dataclass(frozen=True)
class MessageType:
    name: str
    outbound: type[BaseModel] | None = None
    """The object a business sends (``POST /v1/messages``); None: a business cannot send it."""
    inbound: type[BaseModel] | None = None
    """The object a user's phone sends and the webhook carries; None: users do not send it."""
    free_form: bool = True
    """Free-form messages need the 24-hour customer-service window (§15.5); templates do not."""
    media: bool = False
    available: bool = True
    """False while the machinery the type needs does not exist yet: the API answers
    1009 "not supported yet" instead of accepting what it could not deliver."""
    display: Callable[[Any, PhoneEnvironment], Any] = _as_received
    """Phone side: the received object as the user sees it (a template gains its
    rendered text); what the sandbox records for tests and people to read."""
    resolve: Callable[[Any, BusinessEnvironment], dict[str, Any]] | None = None
    """Gateway side, after the model: checks the validated object against what the
    business holds (raising the ApiError the original answers synchronously) and
    returns what to store with it as ``content["resolved"]``; None: nothing to check."""
