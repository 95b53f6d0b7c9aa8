"""The Double Ratchet (Signal spec, revision 4) with header fields dh/pn/n.

KDF_RK(rk, dh_out) = HKDF-SHA256(ikm=dh_out, salt=rk, info="WAOnPrem_Ratchet_v1", L=64)
                     -> (new root key, chain key)
KDF_CK(ck)         = (HMAC-SHA256(ck, 0x02) as next chain key, HMAC-SHA256(ck, 0x01) as message key)
Message key mk     -> HKDF-SHA256(ikm=mk, salt=32 zero bytes, info="WAOnPrem_MessageKeys_v1", L=44)
                     = AES-256 key (32) || GCM nonce (12). A deterministic nonce is safe
                     because every message key encrypts exactly one message.

The state is plain bytes and ints so that it serializes to JSON and can be sealed in the
database between messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import primitives as p
from .content import Header
from .encoding import (
    b64d,
    b64e,
    canonical_json,
    load_json_object,
    require_int,
    require_keys,
)
from .errors import DecryptionError, ProtocolError

RATCHET_INFO = b"WAOnPrem_Ratchet_v1"
MESSAGE_KEYS_INFO = b"WAOnPrem_MessageKeys_v1"
MAX_SKIP = 1000
"""Most message keys derived ahead for one header: bounds work an attacker can force."""
MAX_STORED_SKIPPED = 2000
"""Most skipped keys kept overall (oldest evicted first): bounds the stored state size."""
_AD_DOMAIN = b"WAOP-AD1"
_STATE_VERSION = 1


def kdf_rk(root_key: bytes, dh_out: bytes) -> tuple[bytes, bytes]:
    out = p.hkdf_sha256(dh_out, salt=root_key, info=RATCHET_INFO, length=64)
    return out[:32], out[32:]


def kdf_ck(chain_key: bytes) -> tuple[bytes, bytes]:
    """(next chain key, message key)."""
    return p.hmac_sha256(chain_key, b"\x02"), p.hmac_sha256(chain_key, b"\x01")


def _message_cipher(message_key: bytes) -> tuple[bytes, bytes]:
    out = p.hkdf_sha256(message_key, salt=b"\x00" * 32, info=MESSAGE_KEYS_INFO, length=44)
    return out[:32], out[32:]


def aead_associated_data(x3dh_ad: bytes, header: Header, associated: bytes) -> bytes:
    """X3DH AD || header || caller's data. The first two have fixed sizes, so the
    concatenation is unambiguous with the variable caller part last."""
    return _AD_DOMAIN + len(x3dh_ad).to_bytes(2, "big") + x3dh_ad + header.encode() + associated


@dataclass(repr=False)
class RatchetState:
    dhs_private: bytes
    dhr: bytes | None
    rk: bytes
    cks: bytes | None
    ckr: bytes | None
    ns: int = 0
    nr: int = 0
    pn: int = 0
    # (remote ratchet key, n) -> message key; dict order is insertion order, oldest first.
    skipped: dict[tuple[bytes, int], bytes] = field(default_factory=dict)
    dhs_public: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.dhs_public = p.x25519_public(self.dhs_private)

    def __repr__(self) -> str:
        return f"RatchetState(ns={self.ns}, nr={self.nr}, pn={self.pn}, skipped={len(self.skipped)})"

    # --- construction -------------------------------------------------------------

    @classmethod
    def initiator(cls, shared_secret: bytes, remote_ratchet_key: bytes) -> RatchetState:
        """Alice: the responder's signed prekey is its first ratchet key."""
        dhs_private, _ = p.x25519_generate()
        rk, cks = kdf_rk(shared_secret, p.x25519(dhs_private, remote_ratchet_key))
        return cls(dhs_private=dhs_private, dhr=remote_ratchet_key, rk=rk, cks=cks, ckr=None)

    @classmethod
    def responder(cls, shared_secret: bytes, own_ratchet_private: bytes) -> RatchetState:
        """Bob: starts with the signed prekey pair and no chains until Alice's first message."""
        return cls(dhs_private=own_ratchet_private, dhr=None, rk=shared_secret, cks=None, ckr=None)

    # --- encrypt / decrypt --------------------------------------------------------

    def encrypt(self, plaintext: bytes, x3dh_ad: bytes, associated: bytes) -> tuple[Header, bytes]:
        if self.cks is None:
            raise ProtocolError("no sending chain yet: the responder must receive first")
        if self.ns >= 0xFFFFFFFF:
            raise ProtocolError("sending chain exhausted")
        self.cks, message_key = kdf_ck(self.cks)
        header = Header(dh=self.dhs_public, pn=self.pn, n=self.ns)
        self.ns += 1
        key, nonce = _message_cipher(message_key)
        return header, p.aead_encrypt(key, nonce, plaintext, aead_associated_data(x3dh_ad, header, associated))

    def decrypt(self, header: Header, ciphertext: bytes, x3dh_ad: bytes, associated: bytes) -> bytes:
        """All-or-nothing: a message that fails to decrypt leaves the state untouched,
        so forged or replayed input cannot desynchronize the session."""
        trial = self.copy()
        try:
            plaintext = trial._decrypt(header, ciphertext, aead_associated_data(x3dh_ad, header, associated))
        except DecryptionError:
            raise
        except ProtocolError as exc:  # e.g. a low-order ratchet key: still a bad message
            raise DecryptionError(str(exc)) from exc
        for f in fields(self):
            setattr(self, f.name, getattr(trial, f.name))
        return plaintext

    def _decrypt(self, header: Header, ciphertext: bytes, ad: bytes) -> bytes:
        skipped_key = self.skipped.pop((header.dh, header.n), None)
        if skipped_key is not None:
            return _open(skipped_key, ciphertext, ad)
        if header.dh != self.dhr:
            self._skip_until(header.pn)
            self._dh_ratchet(header.dh)
        elif header.n < self.nr:
            raise DecryptionError("message key already used (duplicate or replayed message)")
        self._skip_until(header.n)
        assert self.ckr is not None  # set by _dh_ratchet at the latest
        self.ckr, message_key = kdf_ck(self.ckr)
        self.nr += 1
        return _open(message_key, ciphertext, ad)

    def _skip_until(self, until: int) -> None:
        if self.ckr is None:
            return
        if until - self.nr > MAX_SKIP:
            raise DecryptionError(f"more than {MAX_SKIP} skipped messages")
        assert self.dhr is not None
        while self.nr < until:
            self.ckr, message_key = kdf_ck(self.ckr)
            self.skipped[(self.dhr, self.nr)] = message_key
            self.nr += 1
        while len(self.skipped) > MAX_STORED_SKIPPED:
            del self.skipped[next(iter(self.skipped))]

    def _dh_ratchet(self, remote: bytes) -> None:
        self.pn, self.ns, self.nr = self.ns, 0, 0
        self.dhr = remote
        self.rk, self.ckr = kdf_rk(self.rk, p.x25519(self.dhs_private, remote))
        self.dhs_private, self.dhs_public = p.x25519_generate()
        self.rk, self.cks = kdf_rk(self.rk, p.x25519(self.dhs_private, remote))

    # --- serialization ------------------------------------------------------------

    def copy(self) -> RatchetState:
        return replace(self, skipped=dict(self.skipped))

    def to_dict(self) -> dict[str, Any]:
        def opt(value: bytes | None) -> str | None:
            return None if value is None else b64e(value)

        return {
            "v": _STATE_VERSION,
            "dhs": b64e(self.dhs_private),
            "dhr": opt(self.dhr),
            "rk": b64e(self.rk),
            "cks": opt(self.cks),
            "ckr": opt(self.ckr),
            "ns": self.ns,
            "nr": self.nr,
            "pn": self.pn,
            "skipped": [[b64e(dh), n, b64e(mk)] for (dh, n), mk in self.skipped.items()],
        }

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> RatchetState:
        require_keys(obj, "ratchet", {"v", "dhs", "dhr", "rk", "cks", "ckr", "ns", "nr", "pn", "skipped"})
        if obj["v"] != _STATE_VERSION:
            raise ProtocolError("ratchet: unsupported state version")

        def opt(name: str) -> bytes | None:
            return None if obj[name] is None else b64d(obj[name], f"ratchet.{name}", 32)

        skipped: dict[tuple[bytes, int], bytes] = {}
        if not isinstance(obj["skipped"], list):
            raise ProtocolError("ratchet.skipped: expected a list")
        for entry in obj["skipped"]:
            if not isinstance(entry, list) or len(entry) != 3:
                raise ProtocolError("ratchet.skipped: bad entry")
            dh = b64d(entry[0], "ratchet.skipped.dh", 32)
            skipped[(dh, require_int(entry[1], "ratchet.skipped.n"))] = b64d(entry[2], "ratchet.skipped.mk", 32)
        return cls(
            dhs_private=b64d(obj["dhs"], "ratchet.dhs", 32),
            dhr=opt("dhr"),
            rk=b64d(obj["rk"], "ratchet.rk", 32),
            cks=opt("cks"),
            ckr=opt("ckr"),
            ns=require_int(obj["ns"], "ratchet.ns", maximum=1 << 32),
            nr=require_int(obj["nr"], "ratchet.nr", maximum=1 << 32),
            pn=require_int(obj["pn"], "ratchet.pn"),
            skipped=skipped,
        )

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_bytes(cls, data: bytes) -> RatchetState:
        return cls.from_dict(load_json_object(data, "ratchet"))


def _open(message_key: bytes, ciphertext: bytes, ad: bytes) -> bytes:
    key, nonce = _message_cipher(message_key)
    return p.aead_decrypt(key, nonce, ciphertext, ad)
