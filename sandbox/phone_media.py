"""What a virtual phone does with media, as WhatsApp does it (docs/sandbox.md, "Virtual phones").

Sending: the user's file (``{"data": <base64>, "mime_type", "caption"?, "filename"?}``
in ``POST /sandbox/v1/phones/{wa_id}/messages``) is encrypted with a fresh media key,
the ciphertext goes to the network's media store, and the end-to-end plaintext carries
``{"type": kind, kind: MediaPayload}`` (services/message_types/media_payload.py).

Receiving: the phone fetches the blob named by the payload from the store, checks and
decrypts it with the payload's key and digest, and records what the user sees:
``{"sha256": <hex of the decrypted bytes>, "mime_type", "caption"?, "filename"?,
"file_length"}``, or ``"error": "media_download_failed"`` in place of ``sha256`` when
the blob is missing or does not verify. The phone keeps no file bytes.

The phone does not hold a file to the kind's MIME types and size limits: checking them
is the receiving business's job, and tests need to send what it must refuse.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sandbox.errors import ApiError, bad_request
from sandbox.network.media_store import MediaStore
from sandbox.validation import require_digits, require_object, require_str
from services import message_types
from services.message_types.media_payload import MediaPayload
from services.protocol import ProtocolError
from services.protocol.media import EncryptedMedia, decrypt_media

MAX_PHONE_MEDIA_BYTES = 20 * 1024 * 1024
"""The largest file a phone sends: over every kind's limit but the document's, so a
test can send an audio or video the business must refuse as too large."""
MAX_SEND_BODY = (MAX_PHONE_MEDIA_BYTES + 2) // 3 * 4 + 64 * 1024
"""A phone's send request with such a file, base64 and JSON around it."""
DOWNLOAD_FAILED = "media_download_failed"


def is_media(kind: Any) -> bool:
    declared = message_types.get(kind) if isinstance(kind, str) else None
    return declared is not None and declared.media


@dataclass(frozen=True, repr=False)
class MediaToSend:
    to: str
    kind: str
    data: bytes
    mime_type: str
    caption: str | None
    filename: str | None
    quoted: str | None
    """The message it replies to (``context.message_id``)."""

    def __repr__(self) -> str:
        return f"MediaToSend({self.kind}, <{len(self.data)} bytes>)"


def check_send(body: Any) -> MediaToSend:
    """The sandbox's media body a user asks their phone to send (400 when malformed)."""
    body = require_object(body)
    to = require_digits(body, "to", 5, 20)
    kind = body.get("type")
    if not is_media(kind):
        raise bad_request("'type' must be a media type")
    media = require_object(body.get(kind))
    unknown = set(media) - {"data", "mime_type", "caption", "filename"}
    if unknown:
        raise bad_request(f"unknown field '{sorted(unknown)[0]}' in '{kind}'")
    try:
        data = base64.b64decode(require_str(media, "data"), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"'{kind}.data' must be the file in standard base64") from None
    if not data:
        raise bad_request(f"'{kind}.data' must not be empty")
    if len(data) > MAX_PHONE_MEDIA_BYTES:
        raise bad_request(f"a phone sends files of at most {MAX_PHONE_MEDIA_BYTES} bytes")
    mime_type = require_str(media, "mime_type")
    for name in ("caption", "filename"):
        if media.get(name) is not None and not isinstance(media[name], str):
            raise bad_request(f"'{kind}.{name}' must be a string")
    quoted = None
    if "context" in body:
        quoted = require_str(require_object(body["context"]), "message_id")
    return MediaToSend(to, kind, data, mime_type, media.get("caption"), media.get("filename"), quoted)


def payload(media: MediaToSend, media_id: str, encrypted: EncryptedMedia) -> dict[str, Any]:
    """The plaintext object of the message: where the blob is and how to open it."""
    try:
        return MediaPayload.of(
            media_id=media_id, media_key=encrypted.media_key, digest=encrypted.digest,
            mime_type=media.mime_type, caption=media.caption, filename=media.filename,
        ).dump()
    except ValidationError as exc:  # caption, filename or mime_type too long
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise bad_request(f"'{media.kind}.{where}': {error['msg']}") from None


@dataclass(frozen=True)
class Received:
    shown: dict[str, Any]
    """What the phone records as the message's object."""
    failure: str | None = None
    """Why the download failed (for the phone's ``errors``); None when it worked."""


def receive(kind: str, body: Any, store: MediaStore) -> Received:
    """Fetch, check and decrypt the file a media message names (in-process, at once)."""
    try:
        media = MediaPayload.model_validate(body)
    except ValidationError:
        shown = {key: body[key] for key in ("mime_type", "caption", "filename") if isinstance(body, dict)
                 and isinstance(body.get(key), str)}
        return Received({"error": DOWNLOAD_FAILED, **shown}, "the media object is not a media payload")
    shown = {"mime_type": media.mime_type}
    if media.caption is not None:
        shown["caption"] = media.caption
    if media.filename is not None:
        shown["filename"] = media.filename
    try:
        blob = store.read(media.media_id)
        plaintext = decrypt_media(blob, kind, media.key(), media.digest())
    except ApiError as exc:
        return Received({"error": DOWNLOAD_FAILED, **shown, "file_length": media.file_length}, exc.message)
    except ProtocolError as exc:  # MediaError mostly: MAC, hashes, length
        failure = f"{type(exc).__name__}: {exc}"
        return Received({"error": DOWNLOAD_FAILED, **shown, "file_length": media.file_length}, failure)
    return Received({"sha256": hashlib.sha256(plaintext).hexdigest(), **shown, "file_length": len(plaintext)})
