"""The rules of preparing an outbound media message, without I/O: which MIME type a
downloaded link has, when a failed attempt is tried again, and the error a message
fails with (docs/compatibility.md "Outbound media").
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from services.message_types import media_types
from services.message_types.media_types import MediaKind

MAX_ATTEMPTS = 5
"""Attempts of one message's preparation before a transient failure (the network's
media store or the object store unreachable, a link answering 5xx) fails it."""

FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 30.0

# The §3.2 / §3.1 codes a preparation fails with.
DOWNLOAD_ERROR = 400  # "Media download error": the link could not be downloaded
INTERNAL_ERROR = 1014  # "Internal error": our side (stores unreachable, upload to the network failed)
NOT_FOUND = 1006  # the medium (or provider) the send named was deleted before it was prepared
PROVIDER_ERROR = 1009  # the provider's credentials may not go to the link (its ``hosts``), as at send time
UNSUPPORTED_FORMAT = 2008  # "Media format used is unsupported": the link's type is not one the kind takes

_BY_EXTENSION: dict[str, str] = {extension: mime for mime, extension in media_types.EXTENSIONS.items()}
_BY_EXTENSION[".jpeg"] = "image/jpeg"


@dataclass
class PreparationFailed(Exception):
    """One attempt failed: ``code`` and ``details`` go into the ``failed`` status (after
    the last attempt when ``retryable``). ``details`` never quote the link (it may carry
    a token in its query)."""

    code: int
    details: str
    retryable: bool = False

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.details}")


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 2, 4, 8, 16, 30."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def may_retry(attempts: int) -> bool:
    return attempts < MAX_ATTEMPTS


def _accepted(kind: MediaKind, mime_type: str) -> str | None:
    parsed = media_types.parse(mime_type)
    if parsed is None or not kind.accepts(parsed):
        return None
    classified = media_types.classify(parsed)
    # A document takes any valid type, also one of a media family classify() refuses.
    return classified.mime_type if classified is not None else str(parsed)


def link_mime_type(kind: MediaKind, content_type: str | None, link: str) -> str | None:
    """The MIME type of a downloaded link for ``kind``: its ``Content-Type`` when the
    kind takes it, else the type its path's extension names (many servers answer
    ``application/octet-stream`` for anything), else None (the kind cannot send it)."""
    if content_type:
        found = _accepted(kind, content_type)
        if found is not None and not (found == "application/octet-stream" and _guessed(link)):
            return found
    guessed = _guessed(link)
    return _accepted(kind, guessed) if guessed else None


def _guessed(link: str) -> str | None:
    extension = posixpath.splitext(unquote(urlsplit(link).path))[1].lower()
    return _BY_EXTENSION.get(extension)


def a_kind(kind: MediaKind) -> str:
    """"an image", "a video": for the details of errors."""
    return ("an " if kind.name[0] in "aeiou" else "a ") + kind.name


def too_large(kind: MediaKind, limit: int) -> PreparationFailed:
    return PreparationFailed(DOWNLOAD_ERROR, f"The media file is larger than the {media_types.shown_size(limit)} "
                                             f"{a_kind(kind)} may have")
