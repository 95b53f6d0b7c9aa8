"""The network envelope: routing metadata around an encrypted content.

The relay sees and may rewrite everything in it, so ``associated_data()`` binds the
fields that name the message and its route into the content's AEAD. ``timestamp`` is
left out on purpose: the network may stamp it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .content import parse_content
from .encoding import require_dict, require_int, require_keys, require_str
from .errors import ProtocolError

ENVELOPE_VERSION = 1
_AD_DOMAIN = b"wa-onprem/envelope/v1"
_MAX_ID_LENGTH = 128
_MAX_ADDRESS_LENGTH = 64


def _field(value: str) -> bytes:
    data = value.encode("utf-8")
    return len(data).to_bytes(2, "big") + data


@dataclass(frozen=True)
class Envelope:
    id: str
    sender: str
    recipient: str
    timestamp: int
    content: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": ENVELOPE_VERSION,
            "id": self.id,
            "from": self.sender,
            "to": self.recipient,
            "timestamp": self.timestamp,
            "content": self.content,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Envelope:
        obj = require_dict(data, "envelope")
        require_keys(obj, "envelope", {"v", "id", "from", "to", "timestamp", "content"})
        if obj["v"] != ENVELOPE_VERSION or isinstance(obj["v"], bool):
            raise ProtocolError("envelope: unsupported version")
        parse_content(obj["content"])
        return cls(
            id=require_str(obj["id"], "envelope.id", _MAX_ID_LENGTH),
            sender=require_str(obj["from"], "envelope.from", _MAX_ADDRESS_LENGTH),
            recipient=require_str(obj["to"], "envelope.to", _MAX_ADDRESS_LENGTH),
            timestamp=require_int(obj["timestamp"], "envelope.timestamp", maximum=2**63 - 1),
            content=obj["content"],
        )

    def associated_data(self) -> bytes:
        """Length-prefixed v/id/from/to: what callers pass as ``associated`` to
        ``Session.encrypt``/``decrypt`` so a ciphertext cannot be re-routed or re-labelled."""
        return (
            _AD_DOMAIN
            + ENVELOPE_VERSION.to_bytes(1, "big")
            + _field(self.id)
            + _field(self.sender)
            + _field(self.recipient)
        )
