"""Media types (spec §6.1, §15.2): a business sends ``image``, ``video``, ``audio``,
``document`` and ``sticker`` by ``id`` (a medium of ``POST /v1/media``) or by ``link``
(downloaded by the media service, with a media provider's credentials when
``provider.name`` names one, §8.3).

The gateway checks what it can at once (``resolve``): the medium exists and is ready,
its MIME type is one the kind takes (§8.2, services/message_types/media_types.py), a
link's host is not an address the egress policy refuses (services/common/egress_rules.py:
a name is judged by the media service when it resolves it), the provider exists and
its ``hosts`` name the link's host. What only the transfer can tell (a link that does not answer, a file
too large) arrives as a ``failed`` status (docs/design.md "Outbound media").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator

from services.common import egress_rules
from services.common.errors import ApiError
from services.common.escaping import shown
from services.message_types import media_types
from services.message_types.base import BusinessEnvironment, MessageType, Strict
from services.message_types.fields import limited, onprem_error

LINK_SCHEMES = ("http", "https")


class Provider(Strict):
    name: limited(256)  # type: ignore[valid-type]


class _MediaReference(Strict):
    id: limited(256) | None = None  # type: ignore[valid-type]
    link: limited(2048) | None = None  # type: ignore[valid-type]
    provider: Provider | None = None

    @field_validator("link")
    @classmethod
    def _web_link(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
                raise ValueError("not an http(s) link")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> _MediaReference:
        # The original's wordings (spec §2.3).
        if self.id is None and self.link is None:
            raise onprem_error(1008, "Atleast one of the following parameters must be present: 'id', 'link'")
        if self.id is not None and self.link is not None:
            raise onprem_error(1010, "Exactly one of the following parameters must be present: 'id', 'link'")
        return self


class Captioned(_MediaReference):
    caption: limited(1024) | None = None  # type: ignore[valid-type]


class Document(Captioned):
    filename: limited(240) | None = None  # type: ignore[valid-type]


class ReceivedMedia(Strict):
    """The §15.2 media object of an inbound message (never the media key: that stays
    sealed with the message, services/media/inbound_media.py)."""

    id: limited(256)  # type: ignore[valid-type]
    """The media id ``GET /v1/media/{id}`` serves (a UUID v4 the business allocated)."""
    mime_type: limited(255)  # type: ignore[valid-type]
    sha256: limited(64)  # type: ignore[valid-type]
    """Hex SHA-256 of the decrypted file."""


class ReceivedCaptioned(ReceivedMedia):
    caption: limited(1024) | None = None  # type: ignore[valid-type]


class ReceivedDocument(ReceivedCaptioned):
    filename: limited(240) | None = None  # type: ignore[valid-type]


class ReceivedAudio(ReceivedMedia):
    filename: limited(240) | None = None  # type: ignore[valid-type]


def check_reference(kind: str, obj: dict[str, Any], env: BusinessEnvironment,
                    where: str | None = None) -> dict[str, Any]:
    """Checks the medium or the provider a ``kind`` object (of a media message, or of a
    template's media header, at ``where`` in the request) names; returns ``{"source":
    "id", "media_id", "mime_type"}`` or ``{"source": "link"}``."""
    where = where or kind
    if "id" in obj:
        if "provider" in obj:
            raise ApiError(1010, f"Parameter '{where}.provider' is not required for '{where}.id'")
        mime_type = env.media_type(obj["id"])
        if mime_type is None:
            raise ApiError(1006, f"File with id {shown(obj['id'])} not found")
        parsed = media_types.parse(mime_type)
        if parsed is None or not media_types.BY_NAME[kind].accepts(parsed):
            raise ApiError(2008, f"Media of type '{shown(mime_type)}' cannot be sent as {kind}")
        return {"source": "id", "media_id": obj["id"].lower(), "mime_type": mime_type}
    # The link is not quoted: it may carry a token.
    refused = egress_rules.url_refusal(obj["link"], env.egress_allow())
    if refused is not None:
        raise ApiError(1009, f"Parameter '{where}.link' has invalid value: {refused}")
    provider = obj.get("provider")
    if provider is not None:
        name = provider["name"]
        if not env.has_media_provider(name):
            raise ApiError(1009, f"Parameter '{where}.provider.name' has invalid value "
                                 f"'{shown(name)}': no such media provider")
        refused = egress_rules.credentials_refusal(env.media_provider_hosts(name), obj["link"], env.egress_allow())
        if refused is not None:
            raise ApiError(1009, f"Parameter '{where}.provider.name' has invalid value '{shown(name)}': {refused}")
    return {"source": "link"}


def _resolver(kind: str) -> Any:
    """The ``resolve`` hook of one media kind (:func:`check_reference`); what it stores
    the media service reads."""
    def resolve(obj: dict[str, Any], env: BusinessEnvironment) -> dict[str, Any]:
        return check_reference(kind, obj, env)

    return resolve


TYPES = (
    MessageType("image", outbound=Captioned, inbound=ReceivedCaptioned, media=True, resolve=_resolver("image")),
    MessageType("video", outbound=Captioned, inbound=ReceivedCaptioned, media=True, resolve=_resolver("video")),
    MessageType("audio", outbound=_MediaReference, inbound=ReceivedAudio, media=True, resolve=_resolver("audio")),
    MessageType("document", outbound=Document, inbound=ReceivedDocument, media=True, resolve=_resolver("document")),
    MessageType("sticker", outbound=_MediaReference, inbound=ReceivedMedia, media=True, resolve=_resolver("sticker")),
    # A voice note: users send it, businesses send audio.
    MessageType("voice", inbound=ReceivedMedia, media=True, available=False),
)
