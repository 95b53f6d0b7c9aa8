"""Incremental media encryption: any chunking gives the whole-bytes result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.protocol import ProtocolError
from services.protocol.media import (
    MEDIA_KEY_INFO,
    BadMediaLength,
    BadMediaMac,
    MediaDigest,
    decrypt_media,
    encrypt_media,
    media_decryptor,
    media_encryptor,
)

KEY = bytes(range(32))


def _pieces(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    """``data`` split at the given offsets (clamped, sorted, duplicates give empty chunks)."""
    start = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        yield data[start:cut]
        start = cut
    yield data[start:]


def _encrypt_in_pieces(plaintext: bytes, kind: str, cuts: list[int]) -> tuple[bytes, MediaDigest]:
    encryptor = media_encryptor(kind, KEY)
    out = b"".join(encryptor.update(piece) for piece in _pieces(plaintext, cuts))
    tail, digest = encryptor.finalize()
    return out + tail, digest


def _decrypt_in_pieces(data: bytes, kind: str, digest: MediaDigest, cuts: list[int]) -> bytes:
    decryptor = media_decryptor(kind, KEY, digest)
    out = b"".join(decryptor.update(piece) for piece in _pieces(data, cuts))
    return out + decryptor.finalize()


@pytest.mark.parametrize("chunk", [1, 7, 10, 16, 17, 4096, 65536])
def test_fixed_chunking_equals_whole(chunk: int) -> None:
    plaintext = bytes(range(256)) * 1000 + b"tail"
    whole = encrypt_media(plaintext, "video", KEY)
    cuts = list(range(chunk, len(plaintext), chunk))
    data, digest = _encrypt_in_pieces(plaintext, "video", cuts)
    assert data == whole.data
    assert digest == whole.digest
    cuts = list(range(chunk, len(data), chunk))
    assert _decrypt_in_pieces(whole.data, "video", whole.digest, cuts) == plaintext


@settings(max_examples=150, deadline=None)
@given(
    plaintext=st.binary(max_size=3000),
    kind=st.sampled_from(sorted(MEDIA_KEY_INFO)),
    encrypt_cuts=st.lists(st.integers(min_value=0, max_value=3100), max_size=12),
    decrypt_cuts=st.lists(st.integers(min_value=0, max_value=3100), max_size=12),
)
def test_random_chunking_equals_whole(
    plaintext: bytes, kind: str, encrypt_cuts: list[int], decrypt_cuts: list[int]
) -> None:
    whole = encrypt_media(plaintext, kind, KEY)
    data, digest = _encrypt_in_pieces(plaintext, kind, encrypt_cuts)
    assert (data, digest) == (whole.data, whole.digest)
    assert _decrypt_in_pieces(data, kind, digest, decrypt_cuts) == plaintext
    assert decrypt_media(data, kind, KEY, digest) == plaintext


def test_plaintext_flows_out_before_the_end() -> None:
    plaintext = b"a" * 100_000
    whole = encrypt_media(plaintext, "document", KEY)
    decryptor = media_decryptor("document", KEY, whole.digest)
    first = decryptor.update(whole.data[:50_000])
    assert 49_000 < len(first) <= 50_000  # streaming: not held until finalize
    rest = decryptor.update(whole.data[50_000:])
    assert first + rest + decryptor.finalize() == plaintext


def test_longer_file_fails_during_update() -> None:
    whole = encrypt_media(b"b" * 64, "image", KEY)
    decryptor = media_decryptor("image", KEY, whole.digest)
    decryptor.update(whole.data)
    with pytest.raises(BadMediaLength):
        decryptor.update(b"extra")
    with pytest.raises(ProtocolError, match="already"):
        decryptor.finalize()


def test_tampered_stream_fails_at_finalize() -> None:
    whole = encrypt_media(b"c" * 5000, "audio", KEY)
    tampered = bytearray(whole.data)
    tampered[1234] ^= 0xFF
    decryptor = media_decryptor("audio", KEY, whole.digest)
    decryptor.update(bytes(tampered[:3000]))
    decryptor.update(bytes(tampered[3000:]))
    with pytest.raises(BadMediaMac):
        decryptor.finalize()


def test_no_use_after_finalize() -> None:
    encryptor = media_encryptor("image", KEY)
    encryptor.update(b"x")
    encryptor.finalize()
    with pytest.raises(ProtocolError, match="already"):
        encryptor.update(b"y")
    with pytest.raises(ProtocolError, match="already"):
        encryptor.finalize()
