"""The session API the rest of the project uses: X3DH set-up plus the Double Ratchet.

Lifecycle (as Signal): the initiator fetches a prekey bundle, ``Session.initiate``s and
sends "prekey" contents (carrying the X3DH header) until it has decrypted one reply; the
responder turns the first "prekey" content into a session with ``Session.accept``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import x3dh
from .content import KIND_MESSAGE, KIND_PREKEY, Content, X3DHHeader, parse_content
from .encoding import (
    b64d,
    b64e,
    canonical_json,
    load_json_object,
    require_dict,
    require_keys,
)
from .errors import ProtocolError
from .keys import IdentityKeyPair, IdentityPublic, OneTimePrekey, SignedPrekey
from .ratchet import RatchetState

_SESSION_VERSION = 1
_INITIATOR = "initiator"
_RESPONDER = "responder"


@dataclass(repr=False)
class Session:
    role: str
    remote_identity: IdentityPublic
    associated_data: bytes
    """X3DH AD: initiator identity || responder identity."""
    base_key: bytes
    """The X3DH ephemeral that created this session; tells a retransmission from a new session."""
    ratchet: RatchetState
    pending_prekey: X3DHHeader | None = None
    """Initiator only: the X3DH header to attach until the responder has answered."""

    def __repr__(self) -> str:
        return f"Session(role={self.role!r}, remote={self.remote_identity.fingerprint()!r})"

    # --- set-up -------------------------------------------------------------------

    @classmethod
    def initiate(cls, own: IdentityKeyPair, bundle: x3dh.PrekeyBundle) -> Session:
        agreement = x3dh.initiate(own, bundle)
        return cls(
            role=_INITIATOR,
            remote_identity=bundle.identity,
            associated_data=agreement.associated_data,
            base_key=agreement.ephemeral_public,
            ratchet=RatchetState.initiator(agreement.shared_secret, bundle.signed_prekey),
            pending_prekey=X3DHHeader(
                identity=own.public,
                ephemeral=agreement.ephemeral_public,
                signed_prekey_id=bundle.signed_prekey_id,
                one_time_prekey_id=bundle.one_time_prekey_id,
            ),
        )

    @classmethod
    def accept(
        cls,
        own: IdentityKeyPair,
        signed_prekey: SignedPrekey,
        one_time_prekey: OneTimePrekey | None,
        content: dict[str, Any],
        associated: bytes = b"",
    ) -> tuple[Session, bytes]:
        """Responder side of a "prekey" content: the new session and the plaintext.

        The caller must delete ``one_time_prekey`` once the result is stored; it must
        never be used for a second session.
        """
        parsed = parse_content(content)
        if parsed.x3dh is None:
            raise ProtocolError("only a 'prekey' content can start a session")
        header = parsed.x3dh
        if header.signed_prekey_id != signed_prekey.key_id:
            raise ProtocolError("content was made for another signed prekey")
        wanted_otpk = None if one_time_prekey is None else one_time_prekey.key_id
        if header.one_time_prekey_id != wanted_otpk:
            raise ProtocolError("content was made for another one-time prekey")
        shared_secret, ad = x3dh.respond(own, signed_prekey, one_time_prekey, header.identity, header.ephemeral)
        session = cls(
            role=_RESPONDER,
            remote_identity=header.identity,
            associated_data=ad,
            base_key=header.ephemeral,
            ratchet=RatchetState.responder(shared_secret, signed_prekey.private),
        )
        # A wrong key, a forged x3dh block or a tampered body all surface here.
        plaintext = session._decrypt_parsed(parsed, associated)
        return session, plaintext

    # --- messages -----------------------------------------------------------------

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> dict[str, Any]:
        header, body = self.ratchet.encrypt(plaintext, self.associated_data, associated)
        kind = KIND_PREKEY if self.pending_prekey is not None else KIND_MESSAGE
        return Content(kind=kind, header=header, body=body, x3dh=self.pending_prekey).to_dict()

    def decrypt(self, content: dict[str, Any], associated: bytes = b"") -> bytes:
        parsed = parse_content(content)
        if parsed.x3dh is not None and _starts_new_session(self, parsed.x3dh):
            raise ProtocolError("content starts a new session: use Session.accept (see is_new_session)")
        return self._decrypt_parsed(parsed, associated)

    def _decrypt_parsed(self, parsed: Content, associated: bytes) -> bytes:
        plaintext = self.ratchet.decrypt(parsed.header, parsed.body, self.associated_data, associated)
        # The responder has proven it holds the session: stop sending the X3DH header.
        self.pending_prekey = None
        return plaintext

    # --- serialization ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": _SESSION_VERSION,
            "role": self.role,
            "remote_identity": self.remote_identity.to_dict(),
            "ad": b64e(self.associated_data),
            "base_key": b64e(self.base_key),
            "pending_prekey": None if self.pending_prekey is None else self.pending_prekey.to_dict(),
            "ratchet": self.ratchet.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Session:
        obj = require_dict(data, "session")
        require_keys(obj, "session", {"v", "role", "remote_identity", "ad", "base_key", "pending_prekey", "ratchet"})
        if obj["v"] != _SESSION_VERSION:
            raise ProtocolError("session: unsupported version")
        if obj["role"] not in (_INITIATOR, _RESPONDER):
            raise ProtocolError("session: bad role")
        pending = obj["pending_prekey"]
        return cls(
            role=obj["role"],
            remote_identity=IdentityPublic.from_dict(obj["remote_identity"]),
            associated_data=b64d(obj["ad"], "session.ad", 128),
            base_key=b64d(obj["base_key"], "session.base_key", 32),
            ratchet=RatchetState.from_dict(require_dict(obj["ratchet"], "session.ratchet")),
            pending_prekey=None if pending is None else X3DHHeader.from_dict(pending),
        )

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> Session:
        return cls.from_dict(load_json_object(data, "session"))


def _starts_new_session(session: Session, header: X3DHHeader) -> bool:
    # Only the responder's own session was made from a peer's X3DH header; any prekey
    # content reaching an initiator session is the peer starting over.
    return (
        session.role != _RESPONDER or header.identity != session.remote_identity or header.ephemeral != session.base_key
    )


def is_new_session(session: Session | None, content: dict[str, Any]) -> bool:
    """True when ``content`` must go through ``Session.accept`` rather than ``decrypt``:
    a "prekey" content and no session, or one made with another identity or ephemeral
    (the peer reinstalled or started over). A changed ``sender_identity`` is the
    caller's cue to report an identity change."""
    parsed = parse_content(content)
    if parsed.x3dh is None:
        return False
    return session is None or _starts_new_session(session, parsed.x3dh)


def prekey_ids(content: dict[str, Any]) -> tuple[int, int | None]:
    """(signed prekey id, one-time prekey id or None) a "prekey" content was made for."""
    parsed = parse_content(content)
    if parsed.x3dh is None:
        raise ProtocolError("not a 'prekey' content")
    return parsed.x3dh.signed_prekey_id, parsed.x3dh.one_time_prekey_id


def sender_identity(content: dict[str, Any]) -> IdentityPublic | None:
    """The sender's claimed identity on a "prekey" content (authenticated only once
    ``Session.accept`` succeeds), None for "message"."""
    parsed = parse_content(content)
    return None if parsed.x3dh is None else parsed.x3dh.identity
