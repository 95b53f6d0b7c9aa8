"""Where a message's media is, for every service: one answer.

A media message (``image``, ``video``, ``audio``, ``document``, ``sticker``) carries its
medium as its own object; a ``template`` whose header is IMAGE, VIDEO or DOCUMENT
carries it as the header's one parameter, ``{"type": kind, kind: obj}``. The gateway
stores either pending its preparation, the media service prepares what
:func:`media_of` names (services/media_service/outbound.py), the core sends the
prepared ``MediaPayload`` in the object's place (:func:`with_media`), and a phone
fetches what :func:`media_of` names in what it received (sandbox/phones.py).
"""

from __future__ import annotations

from typing import Any

from services.message_types import registry, templates


def media_of(kind: str, obj: Any) -> tuple[str, dict[str, Any]] | None:
    """``(media kind, its object)`` of a message of type ``kind`` whose object is
    ``obj``, or None when it carries no medium."""
    declared = registry.get(kind)
    if declared is not None and declared.media:
        return (kind, obj) if isinstance(obj, dict) else None
    if kind == "template":
        header = templates.media_header(obj)
        return (header.kind, header.obj) if header is not None else None
    return None


def with_media(kind: str, obj: Any, replacement: Any) -> Any:
    """The object of a message that carries a medium (:func:`media_of`) with
    ``replacement`` in place of the medium's object: the prepared ``MediaPayload`` the
    core sends, or what a phone shows of the file it fetched."""
    if kind == "template":
        return templates.with_header_media(obj, replacement)
    return replacement
