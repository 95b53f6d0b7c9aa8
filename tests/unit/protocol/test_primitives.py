"""Known-answer tests through our wrappers (so a wrong argument order would show)."""

from __future__ import annotations

import pytest

from services.protocol import DecryptionError, InvalidSignature, ProtocolError
from services.protocol import primitives as p

H = bytes.fromhex

# RFC 7748 §5.2: (scalar, input u-coordinate, output u-coordinate).
RFC7748_SCALAR_MULT = [
    (
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
    ),
    (
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    ),
]


@pytest.mark.parametrize(("scalar", "u", "expected"), RFC7748_SCALAR_MULT)
def test_x25519_rfc7748_scalar_mult(scalar: str, u: str, expected: str) -> None:
    assert p.x25519(H(scalar), H(u)).hex() == expected


def test_x25519_rfc7748_diffie_hellman() -> None:
    # RFC 7748 §6.1
    alice_private = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    alice_public = H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    bob_private = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    bob_public = H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    assert p.x25519_public(alice_private) == alice_public
    assert p.x25519_public(bob_private) == bob_public
    assert p.x25519(alice_private, bob_public).hex() == shared
    assert p.x25519(bob_private, alice_public).hex() == shared


def test_x25519_rejects_low_order_point() -> None:
    private, _ = p.x25519_generate()
    with pytest.raises(ProtocolError):
        p.x25519(private, bytes(32))


def test_x25519_rejects_wrong_lengths() -> None:
    with pytest.raises(ProtocolError):
        p.x25519(bytes(31), bytes(32))


# RFC 5869 Appendix A, test cases 1-3 (SHA-256).
RFC5869 = [
    (
        "0b" * 22,
        "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9",
        42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
    (
        bytes(range(0x50)).hex(),
        bytes(range(0x60, 0xB0)).hex(),
        bytes(range(0xB0, 0x100)).hex(),
        82,
        (
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87"
        ),
    ),
    (
        "0b" * 22,
        "",
        "",
        42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ),
]


@pytest.mark.parametrize(("ikm", "salt", "info", "length", "okm"), RFC5869)
def test_hkdf_rfc5869(ikm: str, salt: str, info: str, length: int, okm: str) -> None:
    assert p.hkdf_sha256(H(ikm), salt=H(salt), info=H(info), length=length).hex() == okm


def test_hmac_sha256_rfc4231_case_2() -> None:
    assert p.hmac_sha256(b"Jefe", b"what do ya want for nothing?").hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_aead_round_trip_and_tamper() -> None:
    key, nonce = bytes(range(32)), bytes(12)
    sealed = p.aead_encrypt(key, nonce, b"plaintext", b"ad")
    assert len(sealed) == len(b"plaintext") + 16
    assert p.aead_decrypt(key, nonce, sealed, b"ad") == b"plaintext"
    with pytest.raises(DecryptionError):
        p.aead_decrypt(key, nonce, sealed, b"other ad")
    flipped = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(DecryptionError):
        p.aead_decrypt(key, nonce, flipped, b"ad")


def test_ed25519_sign_verify() -> None:
    private, public = p.ed25519_generate()
    signature = p.ed25519_sign(private, b"message")
    p.ed25519_verify(public, signature, b"message")
    with pytest.raises(InvalidSignature):
        p.ed25519_verify(public, signature, b"messagE")
    assert issubclass(InvalidSignature, ProtocolError)
