"""The encrypted "content" object carried in an envelope, and its message header.

Parsing is strict (exact keys, exact lengths) because the relay is untrusted: anything
it could add would not be covered by the AEAD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import primitives as p
from .encoding import (
    b64d,
    b64e,
    require_dict,
    require_int,
    require_keys,
    require_optional_int,
)
from .errors import ProtocolError
from .keys import IdentityPublic

KIND_PREKEY = "prekey"
KIND_MESSAGE = "message"
_HEADER_DOMAIN = b"WAOP-H1"


@dataclass(frozen=True)
class Header:
    dh: bytes
    pn: int
    n: int

    def encode(self) -> bytes:
        """Fixed-size binary form authenticated by the AEAD."""
        return _HEADER_DOMAIN + self.dh + self.pn.to_bytes(4, "big") + self.n.to_bytes(4, "big")

    def to_dict(self) -> dict[str, Any]:
        return {"dh": b64e(self.dh), "pn": self.pn, "n": self.n}

    @classmethod
    def from_dict(cls, data: Any) -> Header:
        obj = require_dict(data, "header")
        require_keys(obj, "header", {"dh", "pn", "n"})
        return cls(
            dh=b64d(obj["dh"], "header.dh", p.KEY_LEN),
            pn=require_int(obj["pn"], "header.pn"),
            n=require_int(obj["n"], "header.n"),
        )


@dataclass(frozen=True)
class X3DHHeader:
    """What a responder needs to run X3DH: sent on every message until the first reply."""

    identity: IdentityPublic
    ephemeral: bytes
    signed_prekey_id: int
    one_time_prekey_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity.to_dict(),
            "ephemeral": b64e(self.ephemeral),
            "signed_prekey_id": self.signed_prekey_id,
            "one_time_prekey_id": self.one_time_prekey_id,
        }

    @classmethod
    def from_dict(cls, data: Any) -> X3DHHeader:
        obj = require_dict(data, "x3dh")
        require_keys(obj, "x3dh", {"identity", "ephemeral", "signed_prekey_id", "one_time_prekey_id"})
        return cls(
            identity=IdentityPublic.from_dict(obj["identity"]),
            ephemeral=b64d(obj["ephemeral"], "x3dh.ephemeral", p.KEY_LEN),
            signed_prekey_id=require_int(obj["signed_prekey_id"], "x3dh.signed_prekey_id"),
            one_time_prekey_id=require_optional_int(obj["one_time_prekey_id"], "x3dh.one_time_prekey_id"),
        )


@dataclass(frozen=True)
class Content:
    kind: str
    header: Header
    body: bytes
    x3dh: X3DHHeader | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "header": self.header.to_dict(), "body": b64e(self.body)}
        if self.x3dh is not None:
            out["x3dh"] = self.x3dh.to_dict()
        return out


def parse_content(data: Any) -> Content:
    """Validate a content dict; raises ``ProtocolError`` on any deviation."""
    obj = require_dict(data, "content")
    kind = obj.get("kind")
    if kind == KIND_PREKEY:
        require_keys(obj, "content", {"kind", "x3dh", "header", "body"})
        x3dh: X3DHHeader | None = X3DHHeader.from_dict(obj["x3dh"])
    elif kind == KIND_MESSAGE:
        require_keys(obj, "content", {"kind", "header", "body"})
        x3dh = None
    else:
        raise ProtocolError("content.kind must be 'prekey' or 'message'")
    body = b64d(obj["body"], "content.body")
    if len(body) < p.AEAD_TAG_LEN:
        raise ProtocolError("content.body is too short")
    return Content(kind=kind, header=Header.from_dict(obj["header"]), body=body, x3dh=x3dh)
