"""The documented constructions (docs/protocol.md), re-derived independently.

These tests rebuild the first message of a session with hashlib/hmac and raw
``cryptography`` calls only, so a change in any info string, key order, KDF or
associated-data layout fails here even when both sides of the package still agree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.protocol import RatchetState, Session
from services.protocol.ratchet import kdf_ck, kdf_rk

from .conftest import Party


def _hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _dh(private: bytes, public: bytes) -> bytes:
    key = x25519.X25519PrivateKey.from_private_bytes(private)
    return key.exchange(x25519.X25519PublicKey.from_public_bytes(public))


def test_kdf_ck() -> None:
    ck = bytes(range(32))
    next_ck, mk = kdf_ck(ck)
    assert next_ck == hmac.new(ck, b"\x02", hashlib.sha256).digest()
    assert mk == hmac.new(ck, b"\x01", hashlib.sha256).digest()


def test_kdf_rk() -> None:
    rk, dh_out = bytes(range(32)), bytes(range(32, 64))
    expected = _hkdf(dh_out, rk, b"WAOnPrem_Ratchet_v1", 64)
    assert kdf_rk(rk, dh_out) == (expected[:32], expected[32:])


def test_first_message_matches_documented_construction(alice: Party, bob: Party) -> None:
    content = Session.initiate(alice.identity, bob.bundle()).encrypt(b"hello bob", associated=b"ENV")
    ephemeral = base64.b64decode(content["x3dh"]["ephemeral"])
    header_dh = base64.b64decode(content["header"]["dh"])
    ik_a, ik_b = alice.identity.public, bob.identity.public
    spk, otpk = bob.signed_prekey, bob.one_time_prekeys[0]

    # X3DH, responder view.
    dh1 = _dh(spk.private, ik_a.dh)
    dh2 = _dh(bob.identity.dh_private, ephemeral)
    dh3 = _dh(spk.private, ephemeral)
    dh4 = _dh(otpk.private, ephemeral)
    sk = _hkdf(b"\xff" * 32 + dh1 + dh2 + dh3 + dh4, bytes(32), b"WAOnPrem_X3DH_v1", 32)

    # First receiving chain: the initiator ratcheted against the signed prekey.
    chain = _hkdf(_dh(spk.private, header_dh), sk, b"WAOnPrem_Ratchet_v1", 64)[32:]
    mk = hmac.new(chain, b"\x01", hashlib.sha256).digest()
    key_nonce = _hkdf(mk, bytes(32), b"WAOnPrem_MessageKeys_v1", 44)

    x3dh_ad = ik_a.dh + ik_a.sign + ik_b.dh + ik_b.sign
    header = b"WAOP-H1" + header_dh + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    ad = b"WAOP-AD1" + len(x3dh_ad).to_bytes(2, "big") + x3dh_ad + header + b"ENV"
    body = base64.b64decode(content["body"])
    assert AESGCM(key_nonce[:32]).decrypt(key_nonce[32:], body, ad) == b"hello bob"


def test_ratchet_state_round_trip(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    a.encrypt(b"x")
    state = RatchetState.from_bytes(a.ratchet.to_bytes())
    assert state.to_dict() == a.ratchet.to_dict()
    assert (state.ns, state.nr, state.dhs_public) == (1, 0, a.ratchet.dhs_public)
