"""``/v1/media`` answers (spec §8.1): the upload's id; the download is the medium's bytes."""

from __future__ import annotations

from pydantic import BaseModel

MEDIUM_BYTES = "application/octet-stream"
"""The download's media type in the document: the medium's own type is its Content-Type."""

UPLOAD_BODY = "application/octet-stream"
"""The upload is the file itself, sent with its own Content-Type (image/jpeg, …)."""


class MediaId(BaseModel):
    id: str


class MediaAnswer(BaseModel):
    media: list[MediaId]
