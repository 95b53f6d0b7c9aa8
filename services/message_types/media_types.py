"""The media kinds, their MIME types and size limits (spec §8.2): declared once. Pure.

``POST /v1/media`` classifies an upload by its ``Content-Type`` with :func:`classify`;
outbound media messages and inbound media read the same table (``KINDS``).

Choices on what §8.2 leaves open (docs/compatibility.md "Media"):

- Sizes are binary: 1 MB is 1024 × 1024 bytes, 1 KB is 1024 bytes.
- An upload is held to the limit of the kind its type belongs to: ``image/jpeg`` to
  5 MB, ``image/webp`` to the sticker's 100 KB (500 KB when the file's own header says
  it is animated), any other valid type to the document's 100 MB.
- A type of the ``audio``, ``image`` or ``video`` families that no kind lists
  (``audio/ogg`` without ``codecs=opus``, ``image/gif``, ``video/webm``) is refused: the
  phone could not show it as that kind, and §8.2 names exactly what each kind takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KB = 1024
MB = 1024 * KB

UPLOAD_LIMIT = 100 * MB
"""No body of ``POST /v1/media`` may be larger (spec §8.1), whatever its type."""

# RFC 6838 §4.2 restricted names, and RFC 9110 parameters (token or quoted string).
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\x09\x20-\x7e])*"'
_ESSENCE = re.compile(rf"\s*({_NAME})/({_NAME})\s*")
_PARAMETER = re.compile(rf";\s*({_TOKEN})=({_TOKEN}|{_QUOTED})\s*")

# A kind's MIME types are matched on these families; the rest are documents.
_MEDIA_FAMILIES = frozenset({"audio", "image", "video"})

# WebP (RIFF container): "RIFF" <size> "WEBP" "VP8X" <chunk size> <flags>; flag 0x02 of
# the extended header's first byte marks an animation.
WEBP_PROBE_BYTES = 21
_WEBP_ANIMATION_FLAG = 0x02


@dataclass(frozen=True)
class MediaType:
    """A parsed ``Content-Type``: lower-case essence and its parameters, in order."""

    essence: str  # "audio/ogg"
    parameters: tuple[tuple[str, str], ...] = ()  # (("codecs", "opus"),), names lower-case

    @property
    def family(self) -> str:
        return self.essence.split("/", 1)[0]

    def __str__(self) -> str:
        return "; ".join([self.essence, *(f"{name}={_quoted(value)}" for name, value in self.parameters)])


def _quoted(value: str) -> str:
    if re.fullmatch(_TOKEN, value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class MediaKind:
    name: str  # the message type of spec §6.1 that carries it
    mime_types: frozenset[str] | None  # None: any valid MIME type
    max_bytes: int
    animated_max_bytes: int | None = None  # stickers: an animated WebP may be larger

    def accepts(self, media_type: MediaType) -> bool:
        return self.mime_types is None or _listed_form(media_type) in self.mime_types

    @property
    def largest(self) -> int:
        """The most any file of this kind may hold (before its header is seen)."""
        return max(self.max_bytes, self.animated_max_bytes or 0)

    @property
    def probe_bytes(self) -> int:
        """How much of a file :meth:`limit_for` needs to see."""
        return WEBP_PROBE_BYTES if self.animated_max_bytes is not None else 0

    def limit_for(self, head: bytes) -> int:
        """The limit of the file that starts with ``head`` (its first ``probe_bytes``)."""
        if self.animated_max_bytes is not None and webp_animated(head):
            return self.animated_max_bytes
        return self.max_bytes


KINDS: tuple[MediaKind, ...] = (
    MediaKind("audio", frozenset({"audio/aac", "audio/mp4", "audio/amr", "audio/mpeg", "audio/ogg; codecs=opus"}),
              16 * MB),
    MediaKind("image", frozenset({"image/jpeg", "image/png"}), 5 * MB),
    MediaKind("video", frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    MediaKind("sticker", frozenset({"image/webp"}), 100 * KB, animated_max_bytes=500 * KB),
    MediaKind("document", None, 100 * MB),
)
BY_NAME: dict[str, MediaKind] = {kind.name: kind for kind in KINDS}
_LISTED: dict[str, MediaKind] = {mime: kind for kind in KINDS for mime in kind.mime_types or ()}

# The file extension a download is named with (Content-Disposition); other types get none.
EXTENSIONS: dict[str, str] = {
    "audio/aac": ".aac", "audio/mp4": ".m4a", "audio/amr": ".amr", "audio/mpeg": ".mp3", "audio/ogg": ".ogg",
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
    "video/mp4": ".mp4", "video/3gpp": ".3gp",
    "application/pdf": ".pdf", "text/plain": ".txt", "text/csv": ".csv",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/zip": ".zip",
}


def parse(content_type: str) -> MediaType | None:
    """``content_type`` as a :class:`MediaType`, or None when it is not a MIME type."""
    essence = _ESSENCE.match(content_type)
    if essence is None:
        return None
    parameters = []
    position = essence.end()
    while position < len(content_type):
        parameter = _PARAMETER.match(content_type, position)
        if parameter is None:
            return None
        name, value = parameter.group(1).lower(), parameter.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        parameters.append((name, value))
        position = parameter.end()
    return MediaType(f"{essence.group(1)}/{essence.group(2)}".lower(), tuple(parameters))


def _listed_form(media_type: MediaType) -> str:
    """How the table writes this type: the essence, plus ``codecs`` for ``audio/ogg``
    (the one type whose parameter decides whether it is supported)."""
    if media_type.essence == "audio/ogg":
        codecs = [value.lower() for name, value in media_type.parameters if name == "codecs"]
        return f"audio/ogg; codecs={codecs[0]}" if codecs else "audio/ogg"
    return media_type.essence


@dataclass(frozen=True)
class Classified:
    kind: MediaKind
    mime_type: str  # what is stored and served back as Content-Type


def classify(media_type: MediaType) -> Classified | None:
    """The kind an upload of this type is held to, or None when no kind takes it."""
    listed = _listed_form(media_type)
    kind = _LISTED.get(listed)
    if kind is not None:
        return Classified(kind, listed)
    if media_type.family in _MEDIA_FAMILIES:
        return None
    return Classified(BY_NAME["document"], str(media_type))


def webp_animated(head: bytes) -> bool:
    """Whether a WebP file starting with ``head`` declares an animation."""
    return (
        len(head) >= WEBP_PROBE_BYTES
        and head[0:4] == b"RIFF"
        and head[8:12] == b"WEBP"
        and head[12:16] == b"VP8X"
        and bool(head[20] & _WEBP_ANIMATION_FLAG)
    )


def extension(mime_type: str) -> str:
    """The file extension of a stored type ("" when it has no usual one)."""
    essence = mime_type.split(";", 1)[0].strip().lower()
    return EXTENSIONS.get(essence, "")


def shown_size(size: int) -> str:
    """A limit as the errors state it: "100 MB", "500 KB"."""
    if size % MB == 0:
        return f"{size // MB} MB"
    if size % KB == 0:
        return f"{size // KB} KB"
    return f"{size} bytes"
