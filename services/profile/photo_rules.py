"""What a profile photo may be: pure rules, no I/O."""

from __future__ import annotations

MAX_PHOTO_BYTES = 5 * 1024 * 1024
"""The original's bound is not documented (spec §9.1, "[unverified]"); WhatsApp shrinks a
profile photo to 640x640 anyway, so 5 MiB is far beyond any real one while keeping a
photo (and its multipart envelope) a bounded read."""

MULTIPART_OVERHEAD = 64 * 1024
"""What a multipart/form-data envelope around the photo may add (boundaries, part
headers): the body of a multipart upload may be this much larger than the photo."""

JPEG = "image/jpeg"
PNG = "image/png"

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
