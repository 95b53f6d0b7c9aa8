"""Long-term and medium-term keys: identity, signed prekey, one-time prekeys.

An identity is two keys: X25519 for the X3DH agreements and Ed25519 to sign the signed
prekey. Signal uses one key and XEdDSA; a second key costs 32 bytes per bundle and lets
us use only audited primitives from ``cryptography``.

Private serializations (``to_bytes``) are a version byte followed by fixed-size fields:
they are meant to be sealed with ``at_rest.seal`` and never leave the host.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from . import primitives as p
from .encoding import U32_MAX, b64d, b64e, require_dict, require_int, require_keys
from .errors import ProtocolError

_VERSION = 1
_SIGNED_PREKEY_DOMAIN = b"wa-onprem/signed-prekey/v1"


def _check_key_id(key_id: int) -> int:
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not 0 <= key_id <= U32_MAX:
        raise ProtocolError("key id must be an integer in [0, 2**32)")
    return key_id


def _unpack(data: bytes, what: str, length: int) -> bytes:
    if not isinstance(data, bytes) or len(data) != 1 + length or data[0] != _VERSION:
        raise ProtocolError(f"{what}: unsupported serialization")
    return data[1:]


def signed_prekey_message(key_id: int, public: bytes) -> bytes:
    """What the identity signs: the key id is bound so a relay cannot relabel keys."""
    return _SIGNED_PREKEY_DOMAIN + _check_key_id(key_id).to_bytes(4, "big") + public


@dataclass(frozen=True)
class IdentityPublic:
    dh: bytes
    sign: bytes

    def __post_init__(self) -> None:
        for name in ("dh", "sign"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != p.KEY_LEN:
                raise ProtocolError(f"identity {name} key must be {p.KEY_LEN} bytes")

    def to_bytes(self) -> bytes:
        """The 64-byte encoding used in X3DH associated data."""
        return self.dh + self.sign

    def to_dict(self) -> dict[str, str]:
        return {"dh": b64e(self.dh), "sign": b64e(self.sign)}

    @classmethod
    def from_dict(cls, data: Any) -> IdentityPublic:
        obj = require_dict(data, "identity")
        require_keys(obj, "identity", {"dh", "sign"})
        return cls(dh=b64d(obj["dh"], "identity.dh", p.KEY_LEN), sign=b64d(obj["sign"], "identity.sign", p.KEY_LEN))

    def fingerprint(self) -> str:
        """Short stable id of the identity (On-Prem's contact identity "hash")."""
        return base64.b64encode(p.sha256(self.to_bytes())[:8]).decode("ascii")


@dataclass(frozen=True, repr=False)
class IdentityKeyPair:
    dh_private: bytes
    sign_private: bytes
    public: IdentityPublic = field(init=False)

    def __post_init__(self) -> None:
        public = IdentityPublic(dh=p.x25519_public(self.dh_private), sign=p.ed25519_public(self.sign_private))
        object.__setattr__(self, "public", public)

    def __repr__(self) -> str:  # never print private keys into logs
        return f"IdentityKeyPair(fingerprint={self.public.fingerprint()!r})"

    @classmethod
    def generate(cls) -> IdentityKeyPair:
        return cls(dh_private=p.x25519_generate()[0], sign_private=p.ed25519_generate()[0])

    def sign(self, message: bytes) -> bytes:
        return p.ed25519_sign(self.sign_private, message)

    def to_bytes(self) -> bytes:
        return bytes([_VERSION]) + self.dh_private + self.sign_private

    @classmethod
    def from_bytes(cls, data: bytes) -> IdentityKeyPair:
        raw = _unpack(data, "identity key pair", 2 * p.KEY_LEN)
        return cls(dh_private=raw[: p.KEY_LEN], sign_private=raw[p.KEY_LEN :])


@dataclass(frozen=True, repr=False)
class SignedPrekey:
    key_id: int
    private: bytes
    signature: bytes
    public: bytes = field(init=False)

    def __post_init__(self) -> None:
        _check_key_id(self.key_id)
        if not isinstance(self.signature, bytes) or len(self.signature) != p.SIGNATURE_LEN:
            raise ProtocolError("signed prekey signature must be 64 bytes")
        object.__setattr__(self, "public", p.x25519_public(self.private))

    def __repr__(self) -> str:
        return f"SignedPrekey(key_id={self.key_id})"

    @classmethod
    def generate(cls, identity: IdentityKeyPair, key_id: int) -> SignedPrekey:
        private, public = p.x25519_generate()
        return cls(key_id=key_id, private=private, signature=identity.sign(signed_prekey_message(key_id, public)))

    def to_public_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "public": b64e(self.public), "signature": b64e(self.signature)}

    def to_bytes(self) -> bytes:
        return bytes([_VERSION]) + self.key_id.to_bytes(4, "big") + self.private + self.signature

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedPrekey:
        raw = _unpack(data, "signed prekey", 4 + p.KEY_LEN + p.SIGNATURE_LEN)
        key_id, private, signature = raw[:4], raw[4 : 4 + p.KEY_LEN], raw[4 + p.KEY_LEN :]
        return cls(key_id=int.from_bytes(key_id, "big"), private=private, signature=signature)


@dataclass(frozen=True, repr=False)
class OneTimePrekey:
    key_id: int
    private: bytes
    public: bytes = field(init=False)

    def __post_init__(self) -> None:
        _check_key_id(self.key_id)
        object.__setattr__(self, "public", p.x25519_public(self.private))

    def __repr__(self) -> str:
        return f"OneTimePrekey(key_id={self.key_id})"

    @classmethod
    def generate(cls, key_id: int) -> OneTimePrekey:
        return cls(key_id=key_id, private=p.x25519_generate()[0])

    @classmethod
    def generate_batch(cls, start_id: int, count: int) -> list[OneTimePrekey]:
        """Keys ``start_id`` .. ``start_id + count - 1``; the caller keeps the id counter."""
        if count < 0:
            raise ProtocolError("count must not be negative")
        _check_key_id(start_id)
        _check_key_id(start_id + max(count - 1, 0))
        return [cls.generate(start_id + i) for i in range(count)]

    def to_public_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "public": b64e(self.public)}

    def to_bytes(self) -> bytes:
        return bytes([_VERSION]) + self.key_id.to_bytes(4, "big") + self.private

    @classmethod
    def from_bytes(cls, data: bytes) -> OneTimePrekey:
        raw = _unpack(data, "one-time prekey", 4 + p.KEY_LEN)
        return cls(key_id=int.from_bytes(raw[:4], "big"), private=raw[4:])


def parse_signed_prekey_public(data: Any) -> tuple[int, bytes, bytes]:
    """Validate a ``SignedPrekey.to_public_dict()``: (key_id, public, signature)."""
    obj = require_dict(data, "signed_prekey")
    require_keys(obj, "signed_prekey", {"key_id", "public", "signature"})
    return (
        require_int(obj["key_id"], "signed_prekey.key_id"),
        b64d(obj["public"], "signed_prekey.public", p.KEY_LEN),
        b64d(obj["signature"], "signed_prekey.signature", p.SIGNATURE_LEN),
    )


def parse_one_time_prekey_public(data: Any) -> tuple[int, bytes]:
    """Validate a ``OneTimePrekey.to_public_dict()``: (key_id, public)."""
    obj = require_dict(data, "one_time_prekey")
    require_keys(obj, "one_time_prekey", {"key_id", "public"})
    key_id = require_int(obj["key_id"], "one_time_prekey.key_id")
    return key_id, b64d(obj["public"], "one_time_prekey.public", p.KEY_LEN)
