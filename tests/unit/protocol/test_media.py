"""Whole-bytes media encryption: round trips, every way a file can be wrong, the kind table."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from services.message_types.registry import media_names
from services.protocol import DecryptionError, ProtocolError
from services.protocol.media import (
    MAC_LEN,
    MEDIA_KEY_INFO,
    BadMediaHash,
    BadMediaLength,
    BadMediaMac,
    MediaDecryptor,
    MediaDigest,
    MediaError,
    MediaKeys,
    decrypt_media,
    encrypt_media,
    encrypted_length,
    new_media_key,
)

KINDS = sorted(MEDIA_KEY_INFO)
SIZES = [0, 1, 15, 16, 17, 1024 * 1024]


def _plaintext(size: int) -> bytes:
    return bytes((i * 7 + 3) % 251 for i in range(size))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip(kind: str, size: int) -> None:
    plaintext = _plaintext(size)
    sealed = encrypt_media(plaintext, kind)
    assert len(sealed.media_key) == 32
    assert len(sealed.data) == encrypted_length(size) == sealed.digest.encrypted_length
    assert (len(sealed.data) - MAC_LEN) % 16 == 0
    assert sealed.digest.file_length == size
    assert decrypt_media(sealed.data, kind, sealed.media_key, sealed.digest) == plaintext


def test_digest_hashes_the_plaintext_and_the_encrypted_file() -> None:
    sealed = encrypt_media(b"hello media", "image")
    assert sealed.digest.file_sha256 == hashlib.sha256(b"hello media").digest()
    assert sealed.digest.file_enc_sha256 == hashlib.sha256(sealed.data).digest()


def test_fresh_key_per_file_and_no_plaintext_in_the_blob() -> None:
    marker = b"KNOWN-PATTERN-" * 64
    first, second = encrypt_media(marker, "document"), encrypt_media(marker, "document")
    assert first.media_key != second.media_key
    assert first.data != second.data
    assert b"KNOWN-PATTERN-" not in first.data


def test_given_key_is_deterministic() -> None:
    key = new_media_key()
    assert encrypt_media(b"x" * 40, "video", key).data == encrypt_media(b"x" * 40, "video", key).data


def test_tamper_of_any_byte_fails_the_mac() -> None:
    sealed = encrypt_media(_plaintext(33), "image")
    for index in range(len(sealed.data)):
        tampered = bytearray(sealed.data)
        tampered[index] ^= 0x01
        with pytest.raises(BadMediaMac):
            decrypt_media(bytes(tampered), "image", sealed.media_key, sealed.digest)


def test_the_mac_covers_the_iv() -> None:
    sealed = encrypt_media(_plaintext(33), "audio")
    keys = MediaKeys.derive(sealed.media_key, "audio")
    other_iv = dataclasses.replace(keys, iv=bytes(b ^ 0x80 for b in keys.iv))
    decryptor = MediaDecryptor(other_iv, sealed.digest)
    decryptor.update(sealed.data)
    with pytest.raises(BadMediaMac):
        decryptor.finalize()


@pytest.mark.parametrize(
    ("sender", "receiver"),
    [("image", "video"), ("video", "audio"), ("audio", "document"), ("document", "image"), ("sticker", "voice")],
)
def test_wrong_kinds_keys_fail_the_mac(sender: str, receiver: str) -> None:
    sealed = encrypt_media(_plaintext(100), sender)
    with pytest.raises(BadMediaMac):
        decrypt_media(sealed.data, receiver, sealed.media_key, sealed.digest)


@pytest.mark.parametrize(("first", "second"), [("image", "sticker"), ("audio", "voice")])
def test_kinds_sharing_keys_open_each_other(first: str, second: str) -> None:
    sealed = encrypt_media(b"shared keys", first)
    assert decrypt_media(sealed.data, second, sealed.media_key, sealed.digest) == b"shared keys"


def test_wrong_media_key_fails_the_mac() -> None:
    sealed = encrypt_media(_plaintext(50), "document")
    with pytest.raises(BadMediaMac) as caught:
        decrypt_media(sealed.data, "document", new_media_key(), sealed.digest)
    assert isinstance(caught.value, DecryptionError)  # a bad MAC is a failed authentication


@pytest.mark.parametrize("cut", [1, MAC_LEN, 16, 26, None])
def test_truncated_file_is_a_bad_length(cut: int | None) -> None:
    sealed = encrypt_media(_plaintext(40), "video")
    data = b"" if cut is None else sealed.data[:-cut]
    with pytest.raises(BadMediaLength):
        decrypt_media(data, "video", sealed.media_key, sealed.digest)


def test_extended_file_is_a_bad_length() -> None:
    sealed = encrypt_media(_plaintext(40), "video")
    with pytest.raises(BadMediaLength):
        decrypt_media(sealed.data + b"\x00", "video", sealed.media_key, sealed.digest)


def test_announced_length_must_match() -> None:
    sealed = encrypt_media(_plaintext(40), "image")
    other_block = dataclasses.replace(sealed.digest, file_length=60)
    with pytest.raises(BadMediaLength):
        decrypt_media(sealed.data, "image", sealed.media_key, other_block)
    # Same number of blocks, so the file's length is right, but the padding says 40 bytes.
    same_block = dataclasses.replace(sealed.digest, file_length=41)
    with pytest.raises(BadMediaLength):
        decrypt_media(sealed.data, "image", sealed.media_key, same_block)


def test_wrong_hashes_are_bad_hashes() -> None:
    sealed = encrypt_media(_plaintext(40), "audio")
    for field in ("file_sha256", "file_enc_sha256"):
        wrong = dataclasses.replace(sealed.digest, **{field: bytes(32)})
        with pytest.raises(BadMediaHash, match=field):
            decrypt_media(sealed.data, "audio", sealed.media_key, wrong)


def test_errors_are_protocol_errors() -> None:
    for error in (BadMediaMac, BadMediaHash, BadMediaLength):
        assert issubclass(error, MediaError)
        assert issubclass(error, ProtocolError)


def test_every_declared_media_type_has_keys() -> None:
    assert set(MEDIA_KEY_INFO) == set(media_names())


def test_info_strings() -> None:
    assert MEDIA_KEY_INFO == {
        "image": b"WhatsApp Image Keys",
        "sticker": b"WhatsApp Image Keys",
        "video": b"WhatsApp Video Keys",
        "audio": b"WhatsApp Audio Keys",
        "voice": b"WhatsApp Audio Keys",
        "document": b"WhatsApp Document Keys",
    }


def test_bad_inputs() -> None:
    with pytest.raises(ProtocolError, match="unknown media kind"):
        encrypt_media(b"x", "gif")
    with pytest.raises(ProtocolError, match="32 bytes"):
        encrypt_media(b"x", "image", bytes(16))
    with pytest.raises(ProtocolError):
        MediaDigest(file_sha256=bytes(31), file_enc_sha256=bytes(32), file_length=1)
    with pytest.raises(ProtocolError):
        MediaDigest(file_sha256=bytes(32), file_enc_sha256=bytes(32), file_length=-1)
    with pytest.raises(ProtocolError):
        MediaDigest(file_sha256=bytes(32), file_enc_sha256=bytes(32), file_length=True)


def test_reprs_hide_keys_and_bytes() -> None:
    sealed = encrypt_media(b"secret body", "image")
    keys = MediaKeys.derive(sealed.media_key, "image")
    assert keys.cipher_key.hex() not in repr(keys)
    assert sealed.media_key.hex() not in repr(sealed)
    assert "secret body" not in repr(sealed)
