"""X3DH key agreement (Signal's X3DH spec, with a separate Ed25519 signing key).

SK = HKDF-SHA256(ikm = F || DH1 || DH2 || DH3 [|| DH4], salt = 32 zero bytes,
info = "WAOnPrem_X3DH_v1"), F = 32 0xFF bytes, as in the spec for X25519.
AD = initiator identity (dh || sign) || responder identity (dh || sign).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import primitives as p
from .encoding import b64e, require_dict, require_keys
from .errors import ProtocolError
from .keys import (
    IdentityKeyPair,
    IdentityPublic,
    OneTimePrekey,
    SignedPrekey,
    parse_one_time_prekey_public,
    parse_signed_prekey_public,
    signed_prekey_message,
)

X3DH_INFO = b"WAOnPrem_X3DH_v1"
_F = b"\xff" * 32


@dataclass(frozen=True)
class PrekeyBundle:
    """What the directory hands out for a user: enough to start a session offline.

    ``to_dict()`` nests the same shapes that are uploaded (``IdentityPublic.to_dict()``,
    ``SignedPrekey.to_public_dict()``, ``OneTimePrekey.to_public_dict()``) so a directory
    can assemble a bundle from stored uploads without re-encoding anything.
    """

    identity: IdentityPublic
    signed_prekey_id: int
    signed_prekey: bytes
    signed_prekey_signature: bytes
    one_time_prekey_id: int | None = None
    one_time_prekey: bytes | None = None

    def __post_init__(self) -> None:
        if (self.one_time_prekey_id is None) != (self.one_time_prekey is None):
            raise ProtocolError("one-time prekey id and key must be both present or both absent")

    @classmethod
    def from_keys(
        cls, identity: IdentityPublic, signed_prekey: SignedPrekey, one_time_prekey: OneTimePrekey | None = None
    ) -> PrekeyBundle:
        return cls(
            identity=identity,
            signed_prekey_id=signed_prekey.key_id,
            signed_prekey=signed_prekey.public,
            signed_prekey_signature=signed_prekey.signature,
            one_time_prekey_id=None if one_time_prekey is None else one_time_prekey.key_id,
            one_time_prekey=None if one_time_prekey is None else one_time_prekey.public,
        )

    def to_dict(self) -> dict[str, Any]:
        one_time = None
        if self.one_time_prekey is not None:
            one_time = {"key_id": self.one_time_prekey_id, "public": b64e(self.one_time_prekey)}
        return {
            "identity": self.identity.to_dict(),
            "signed_prekey": {
                "key_id": self.signed_prekey_id,
                "public": b64e(self.signed_prekey),
                "signature": b64e(self.signed_prekey_signature),
            },
            "one_time_prekey": one_time,
        }

    @classmethod
    def from_dict(cls, data: Any) -> PrekeyBundle:
        obj = require_dict(data, "bundle")
        require_keys(obj, "bundle", {"identity", "signed_prekey"}, frozenset({"one_time_prekey"}))
        spk_id, spk, signature = parse_signed_prekey_public(obj["signed_prekey"])
        otpk_id, otpk = None, None
        if obj.get("one_time_prekey") is not None:
            otpk_id, otpk = parse_one_time_prekey_public(obj["one_time_prekey"])
        return cls(
            identity=IdentityPublic.from_dict(obj["identity"]),
            signed_prekey_id=spk_id,
            signed_prekey=spk,
            signed_prekey_signature=signature,
            one_time_prekey_id=otpk_id,
            one_time_prekey=otpk,
        )

    def verify(self) -> None:
        """Raise ``InvalidSignature`` unless the identity signed this signed prekey."""
        p.ed25519_verify(
            self.identity.sign,
            self.signed_prekey_signature,
            signed_prekey_message(self.signed_prekey_id, self.signed_prekey),
        )


@dataclass(frozen=True, repr=False)
class InitiatorAgreement:
    shared_secret: bytes
    associated_data: bytes
    ephemeral_public: bytes


def _derive(dh_outputs: list[bytes]) -> bytes:
    return p.hkdf_sha256(_F + b"".join(dh_outputs), salt=b"\x00" * 32, info=X3DH_INFO, length=32)


def associated_data(initiator: IdentityPublic, responder: IdentityPublic) -> bytes:
    return initiator.to_bytes() + responder.to_bytes()


def initiate(own: IdentityKeyPair, bundle: PrekeyBundle) -> InitiatorAgreement:
    """Initiator side; verifies the bundle first (an unsigned prekey would allow MITM)."""
    bundle.verify()
    ephemeral_private, ephemeral_public = p.x25519_generate()
    outputs = [
        p.x25519(own.dh_private, bundle.signed_prekey),
        p.x25519(ephemeral_private, bundle.identity.dh),
        p.x25519(ephemeral_private, bundle.signed_prekey),
    ]
    if bundle.one_time_prekey is not None:
        outputs.append(p.x25519(ephemeral_private, bundle.one_time_prekey))
    return InitiatorAgreement(
        shared_secret=_derive(outputs),
        associated_data=associated_data(own.public, bundle.identity),
        ephemeral_public=ephemeral_public,
    )


def respond(
    own: IdentityKeyPair,
    signed_prekey: SignedPrekey,
    one_time_prekey: OneTimePrekey | None,
    initiator: IdentityPublic,
    ephemeral_public: bytes,
) -> tuple[bytes, bytes]:
    """Responder side: (shared secret, associated data)."""
    outputs = [
        p.x25519(signed_prekey.private, initiator.dh),
        p.x25519(own.dh_private, ephemeral_public),
        p.x25519(signed_prekey.private, ephemeral_public),
    ]
    if one_time_prekey is not None:
        outputs.append(p.x25519(one_time_prekey.private, ephemeral_public))
    return _derive(outputs), associated_data(initiator, own.public)
