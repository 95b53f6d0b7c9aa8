"""Known answers: the format rebuilt independently (HKDF by hand from RFC 5869 with the
stdlib's HMAC, AES-CBC straight from ``cryptography``, padding by hand), plus pinned
bytes so that a change to the independent code and the module together would show."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from services.protocol.media import (
    MEDIA_KEY_INFO,
    BadMediaLength,
    BadMediaPadding,
    MediaDigest,
    MediaKeys,
    decrypt_media,
    encrypt_media,
)

KEY = bytes(range(32))
PLAINTEXT = b"WhatsApp media known answer"


def _hkdf_by_hand(ikm: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(bytes(32), ikm, hashlib.sha256).digest()  # extract, salt = HashLen zeros
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm, counter = okm + block, counter + 1
    return okm[:length]


def _pkcs7(data: bytes) -> bytes:
    pad = 16 - len(data) % 16
    return data + bytes([pad]) * pad


def _file_by_hand(expanded: bytes, padded: bytes) -> bytes:
    iv, cipher_key, mac_key = expanded[:16], expanded[16:48], expanded[48:80]
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return ciphertext + hmac.new(mac_key, iv + ciphertext, hashlib.sha256).digest()[:10]


@pytest.mark.parametrize("kind", sorted(MEDIA_KEY_INFO))
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 1000])
def test_matches_the_independent_derivation(kind: str, size: int) -> None:
    plaintext = (bytes(range(256)) * (size // 256 + 1))[:size]
    expanded = _hkdf_by_hand(KEY, MEDIA_KEY_INFO[kind], 112)
    keys = MediaKeys.derive(KEY, kind)
    assert keys.iv + keys.cipher_key + keys.mac_key + keys.ref_key == expanded
    expected = _file_by_hand(expanded, _pkcs7(plaintext))
    sealed = encrypt_media(plaintext, kind, KEY)
    assert sealed.data == expected
    assert sealed.digest == MediaDigest(
        file_sha256=hashlib.sha256(plaintext).digest(),
        file_enc_sha256=hashlib.sha256(expected).digest(),
        file_length=size,
    )


# Computed once with the independent code above; pinned.
PINNED = {
    "image": (
        "aa6a127218397cbd2383e4ccf7176a79008c9aea9b7c5d81eb56b3f530f87d42dcc92d27b11ad6b5bd66f0560d0d8c46"
        "91d09ffec108833c1699574c52657923fb6e3e161d9698bc6b3a05fbc508a5154d4981725e9eb39838fcff2130508f13"
        "60cbb319f99cef163d57ab7c050a667e",
        "9fcf1a21772cbc97ae5789c5595c99679382dc6ea4dd62a2472715f7ec5c38bfdf4fe6094d8fa0998b16",
        "e3137ea5fe05bc9a55977d98066e40cf38b00b8e22a9852fe06a618e1a29a4e0",
    ),
    "document": (
        "25e9d370804de0bb33ea5db79453db66b75c2bed8e162ad63dd02b6b9fbda46b8ad2692e99ed0f877d0ab48a86fff790"
        "94a393dafdca1265c99e197425de98f15f7d87d34714ea901f7eefc29c99e5acf826177ac4aaf590f67e927133b8a7f1"
        "02a9fa5c2a88d62587699f581b2e9b76",
        "4a0e815de496459ddda7a1a37d40f65e69482eca1c25f6e797b39645d67b091a422f3a00858d666b0c24",
        "829bbcf67791898ba39ab1c97c52f5653ffbe528b3c05fa4d3d7ef3064f38df8",
    ),
}


@pytest.mark.parametrize("kind", sorted(PINNED))
def test_pinned_bytes(kind: str) -> None:
    expanded, encrypted, enc_sha256 = PINNED[kind]
    keys = MediaKeys.derive(KEY, kind)
    assert (keys.iv + keys.cipher_key + keys.mac_key + keys.ref_key).hex() == expanded
    sealed = encrypt_media(PLAINTEXT, kind, KEY)
    assert sealed.data.hex() == encrypted
    assert sealed.digest.file_enc_sha256.hex() == enc_sha256
    assert sealed.digest.file_sha256.hex() == "38b16e8dcbba3a661d45e2a7f34aaac15c061c6c88bd2f9600ca697521a5300c"
    assert decrypt_media(bytes.fromhex(encrypted), kind, KEY, sealed.digest) == PLAINTEXT


def _forged(padded: bytes, file_length: int) -> tuple[bytes, MediaDigest]:
    """An authentic file (right MAC) of a sender that padded ``padded`` its own way."""
    data = _file_by_hand(_hkdf_by_hand(KEY, MEDIA_KEY_INFO["image"], 112), padded)
    digest = MediaDigest(
        file_sha256=hashlib.sha256(padded[:file_length]).digest(),
        file_enc_sha256=hashlib.sha256(data).digest(),
        file_length=file_length,
    )
    return data, digest


@pytest.mark.parametrize("last_block_end", [b"\x00", b"\x11", b"\x03\x02\x03"])
def test_authentic_file_with_bad_padding(last_block_end: bytes) -> None:
    padded = b"p" * (32 - len(last_block_end)) + last_block_end
    data, digest = _forged(padded, 31)
    with pytest.raises(BadMediaPadding):
        decrypt_media(data, "image", KEY, digest)


def test_authentic_file_whose_padding_disagrees_with_the_length() -> None:
    data, digest = _forged(b"p" * 30 + b"\x02\x02", 31)  # valid padding, but 30 bytes, not 31
    with pytest.raises(BadMediaLength):
        decrypt_media(data, "image", KEY, digest)
