"""What a profile photo may be: pure rules, no I/O."""

from __future__ import annotations

import re
from typing import Any

MAX_PHOTO_BYTES = 5 * 1024 * 1024
"""The original's bound is not documented (spec §9.1, "[unverified]"); WhatsApp shrinks a
profile photo to 640x640 anyway, so 5 MiB is far beyond any real one while keeping a
photo (and its multipart envelope) a bounded read."""

MULTIPART_OVERHEAD = 64 * 1024
"""What a multipart/form-data envelope around the photo may add (boundaries, part
headers): the body of a multipart upload may be this much larger than the photo."""

JPEG = "image/jpeg"
PNG = "image/png"
MIME_TYPES = (JPEG, PNG)

KEY_PREFIX = "profile/photo/"
"""Where the photos' bytes live in the media object store: one new key per photo."""
_KEY = re.compile(re.escape(KEY_PREFIX) + r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def photo_key(unique: str) -> str:
    return KEY_PREFIX + unique


def is_photo(object_key: Any, mime_type: Any, size: Any, sha256: Any) -> bool:
    """Whether a stored photo's description is one ``photos.save`` made: a key under
    ``KEY_PREFIX`` (never another object of the store), a type we accept, a size within
    the bound and a SHA-256 in hex."""
    return (isinstance(object_key, str) and _KEY.fullmatch(object_key) is not None and mime_type in MIME_TYPES
            and isinstance(size, int) and not isinstance(size, bool) and 0 < size <= MAX_PHOTO_BYTES
            and isinstance(sha256, str) and _SHA256.fullmatch(sha256) is not None)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)
SNIFF_BYTES = max(len(signature) for signature, _ in _SIGNATURES)

_FILENAMES = {JPEG: "profilePicture.jpg", PNG: "profilePicture.png"}


def sniff(head: bytes) -> str | None:
    """The image type the first bytes announce (JPEG or PNG), or None: the client's
    Content-Type is not trusted, the bytes are what a phone will be shown."""
    for signature, mime_type in _SIGNATURES:
        if head.startswith(signature):
            return mime_type
    return None


def filename(mime_type: str) -> str:
    """The attachment's name: the original's ``profilePicture.jpg``, or ``.png`` for a
    PNG (served as the type it is)."""
    return _FILENAMES.get(mime_type, _FILENAMES[JPEG])
