"""The message inside the end-to-end encryption, the same for every type.

``{"type": t, t: <object>, "context": {"id", "from"}?, "profile": {"name"}?}`` as
compact JSON. Only the two ends ever see it: the network relays it sealed. Both the
business (core) and the users' phones (sandbox) read and write it through this module.

A medium travels as its ``MediaPayload`` (media_payload.py) in place of the object the
business sent (``{id | link, ...}``): a media message's object is the payload; a
template's media header parameter is ``{"type": kind, kind: MediaPayload}`` inside the
template object, which is otherwise as sent (carried_media.py, docs/design.md
"Outbound media").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class BadPlaintext(ValueError):
    """Decrypted bytes that are not a message object."""


@dataclass(frozen=True)
class Plaintext:
    type: str
    body: Any
    """The type's object (a list for ``contacts``)."""
    context: dict[str, Any] | None = None
    """The message this one replies to: ``{"id", "from"}``."""
    profile_name: str | None = None

    def encode(self) -> bytes:
        out: dict[str, Any] = {"type": self.type, self.type: self.body}
        if self.context:
            out["context"] = self.context
        if self.profile_name:
            out["profile"] = {"name": self.profile_name}
        return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()


def decode(raw: bytes) -> Plaintext:
    """Parse decrypted bytes; the type's object is checked later against the registry
    (an unknown or malformed object becomes an ``unknown`` message, not an error here)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadPlaintext("the plaintext is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise BadPlaintext("the plaintext is not a message object")
    kind = data["type"]
    context = data.get("context")
    profile = data.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return Plaintext(
        type=kind,
        body=data.get(kind),
        context=context if isinstance(context, dict) else None,
        profile_name=name if isinstance(name, str) and name else None,
    )
