"""How a media message travels inside the end-to-end plaintext, for every media type.

``{"type": "image", "image": <MediaPayload>}``: where the encrypted file lies in the
network's media store, and what the receiver needs to fetch, check and decrypt it (the
media key and the digest of services/protocol/media.py), plus what the user sees with it.
The business (core, media service) and the users' phones (sandbox) both read and write
it through this module; the network only ever holds the encrypted file.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, field_validator

from services.message_types.base import Strict
from services.message_types.fields import limited
from services.protocol.media_stream import MediaDigest

MAX_FILE_LENGTH = 100 * 1024 * 1024  # the largest media kind (document, spec §8.2)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


class MediaPayload(Strict):
    media_id: limited(256)  # type: ignore[valid-type]
    """The encrypted file's id in the network's media store (``GET /network/v1/media/{id}``)."""
    media_key: str
    """32 random bytes, base64: the sender's fresh key for this one file."""
    file_sha256: str
    file_enc_sha256: str
    file_length: int = Field(ge=0, le=MAX_FILE_LENGTH)
    mime_type: limited(255)  # type: ignore[valid-type]
    caption: limited(1024) | None = None  # type: ignore[valid-type]
    filename: limited(240) | None = None  # type: ignore[valid-type]

    @field_validator("media_key", "file_sha256", "file_enc_sha256")
    @classmethod
    def _thirty_two_bytes(cls, value: str) -> str:
        try:
            raw = _unb64(value)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        if len(raw) != 32:
            raise ValueError("must be 32 bytes")
        return value

    @classmethod
    def of(cls, *, media_id: str, media_key: bytes, digest: MediaDigest, mime_type: str,
           caption: str | None = None, filename: str | None = None) -> MediaPayload:
        return cls(media_id=media_id, media_key=_b64(media_key), file_sha256=_b64(digest.file_sha256),
                   file_enc_sha256=_b64(digest.file_enc_sha256), file_length=digest.file_length,
                   mime_type=mime_type, caption=caption, filename=filename)

    def key(self) -> bytes:
        return _unb64(self.media_key)

    def digest(self) -> MediaDigest:
        return MediaDigest(_unb64(self.file_sha256), _unb64(self.file_enc_sha256), self.file_length)
