"""Media keys as WhatsApp derives them: one random 32-byte media key per file, expanded
per media kind.

``HKDF-SHA256(ikm = media_key, salt = 32 zero bytes, info = the kind's info string,
L = 112)`` split into IV (16) || cipher key (32) || MAC key (32) || ref key (32).

The kind → info-string table below is the one place that says which keys a media
message type uses; its names are the message types of
``services/message_types/declared/media.py`` (a unit test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from . import primitives as p
from .errors import ProtocolError

MEDIA_KEY_LEN = 32
_EXPANDED_LEN = 112

MEDIA_KEY_INFO: MappingProxyType[str, bytes] = MappingProxyType(
    {
        "image": b"WhatsApp Image Keys",
        "sticker": b"WhatsApp Image Keys",  # WhatsApp encrypts stickers as images
        "video": b"WhatsApp Video Keys",
        "audio": b"WhatsApp Audio Keys",
        "voice": b"WhatsApp Audio Keys",  # a voice note ("ptt") is audio
        "document": b"WhatsApp Document Keys",
    }
)
"""Message type name → HKDF info string."""


def new_media_key() -> bytes:
    """A fresh random media key; one per file, never reused."""
    return p.random_bytes(MEDIA_KEY_LEN)


def media_key_info(kind: str) -> bytes:
    try:
        return MEDIA_KEY_INFO[kind]
    except (KeyError, TypeError):
        raise ProtocolError(f"unknown media kind {kind!r}") from None


@dataclass(frozen=True, repr=False)
class MediaKeys:
    """The expanded keys of one file and kind. ``repr`` hides them: they must not reach logs."""

    iv: bytes
    cipher_key: bytes
    mac_key: bytes
    ref_key: bytes
    """Derived for completeness (WhatsApp's 4th block); nothing in the format uses it."""

    def __post_init__(self) -> None:
        for name, length in (("iv", 16), ("cipher_key", 32), ("mac_key", 32), ("ref_key", 32)):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != length:
                raise ProtocolError(f"media {name} must be {length} bytes")

    def __repr__(self) -> str:
        return "MediaKeys(<secret>)"

    @classmethod
    def derive(cls, media_key: bytes, kind: str) -> MediaKeys:
        if not isinstance(media_key, bytes) or len(media_key) != MEDIA_KEY_LEN:
            raise ProtocolError(f"media key must be {MEDIA_KEY_LEN} bytes")
        expanded = p.hkdf_sha256(media_key, salt=None, info=media_key_info(kind), length=_EXPANDED_LEN)
        return cls(iv=expanded[:16], cipher_key=expanded[16:48], mac_key=expanded[48:80], ref_key=expanded[80:])
