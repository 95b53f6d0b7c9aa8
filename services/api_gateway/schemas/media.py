"""``/v1/media`` (spec §8.1): the upload is the file itself, the download its bytes;
what each kind takes and its size limit are services/message_types/media_types.py."""

from __future__ import annotations

from pydantic import BaseModel

from services.message_types.media_types import KINDS, MediaKind, shown_size

ANY_MEDIUM = "*/*"
"""The upload's and the download's media type: the medium's own (any valid type is a
document); the upload names it in its Content-Type."""


def _kind_line(kind: MediaKind) -> str:
    types = ", ".join(sorted(kind.mime_types)) if kind.mime_types is not None else "any other type"
    limit = shown_size(kind.max_bytes)
    if kind.animated_max_bytes is not None:
        limit += f" ({shown_size(kind.animated_max_bytes)} animated)"
    return f"- {kind.name}: {types}; at most {limit}"


UPLOAD_DESCRIPTION = "\n".join(
    ["The body is the file; its Content-Type is the medium's type. Each kind takes:", *map(_kind_line, KINDS)])


class MediaId(BaseModel):
    id: str


class MediaAnswer(BaseModel):
    media: list[MediaId]
