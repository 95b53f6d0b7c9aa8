"""Media types (spec §6.1, §15.2): their shapes are declared; sending and receiving
them needs the media service's transfers and media crypto, which are not built yet,
so they are not ``available``: the API says "not supported yet" instead of
accepting what it could not deliver."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from services.message_types.base import MessageType, Strict
from services.message_types.fields import limited


class Provider(Strict):
    name: limited(256)  # type: ignore[valid-type]


class _MediaReference(Strict):
    id: limited(256) | None = None  # type: ignore[valid-type]
    link: limited(2048) | None = None  # type: ignore[valid-type]
    provider: Provider | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _MediaReference:
        if (self.id is None) == (self.link is None):
            raise PydanticCustomError("media_source", "exactly one of 'id' and 'link' is required")
        return self


class Captioned(_MediaReference):
    caption: limited(1024) | None = None  # type: ignore[valid-type]


class Document(Captioned):
    filename: limited(240) | None = None  # type: ignore[valid-type]


class ReceivedMedia(Strict):
    """The §15.2 media object of an inbound message (never the media key: that stays
    sealed with the message, services/common/inbound_media.py)."""

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


TYPES = (
    MessageType("image", outbound=Captioned, inbound=ReceivedCaptioned, media=True, available=False),
    MessageType("video", outbound=Captioned, inbound=ReceivedCaptioned, media=True, available=False),
    MessageType("audio", outbound=_MediaReference, inbound=ReceivedAudio, media=True, available=False),
    MessageType("document", outbound=Document, inbound=ReceivedDocument, media=True, available=False),
    MessageType("sticker", outbound=_MediaReference, inbound=ReceivedMedia, media=True, available=False),
    # A voice note: users send it, businesses send audio.
    MessageType("voice", inbound=ReceivedMedia, media=True, available=False),
)
