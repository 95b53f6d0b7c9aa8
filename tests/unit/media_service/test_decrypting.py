"""DecryptingReader: a received file decrypted as it streams, whose last byte waits
for the MAC and hashes."""

from __future__ import annotations

import os

import pytest

from services.media_service.decrypting import DecryptingReader
from services.protocol.media import BadMediaLength, BadMediaMac, MediaError, encrypt_media, media_decryptor


def _chunks(data: bytes, size: int):
    return iter([data[i:i + size] for i in range(0, len(data), size)])


def _reader(plaintext: bytes, *, chunk: int = 1000, tamper: int | None = None, cut: int = 0) -> DecryptingReader:
    encrypted = encrypt_media(plaintext, "image")
    data = bytearray(encrypted.data)
    if tamper is not None:
        data[tamper] ^= 0x01
    if cut:
        del data[-cut:]
    decryptor = media_decryptor("image", encrypted.media_key, encrypted.digest)
    return DecryptingReader(_chunks(bytes(data), chunk), decryptor, len(plaintext))


def _read_all(reader: DecryptingReader, size: int) -> bytes:
    out = b""
    while True:
        piece = reader.read(size)
        if not piece:
            return out
        out += piece


@pytest.mark.parametrize("length", [0, 1, 15, 16, 32, 4095, 100_000])
@pytest.mark.parametrize("size", [-1, 1, 7, 4096, 5 * 1024 * 1024])
def test_gives_back_the_file_whatever_the_read_sizes(length, size):
    plaintext = os.urandom(length)
    assert _read_all(_reader(plaintext, chunk=333), size) == plaintext


@pytest.mark.parametrize("length", [16, 48, 1000])  # multiples of 16: the whole file decrypts before finalize
def test_the_last_byte_waits_for_the_mac_even_when_exactly_length_bytes_are_asked(length):
    plaintext = os.urandom(length)
    reader = _reader(plaintext, tamper=length // 2)  # a flipped ciphertext byte
    # A store that knows the length asks for exactly that many bytes and never for more.
    with pytest.raises(BadMediaMac):
        reader.read(length)


def test_a_tampered_file_raises_before_its_end_leaves_the_reader():
    plaintext = os.urandom(50_000)
    reader = _reader(plaintext, tamper=10)
    given = b""
    with pytest.raises(MediaError):
        while True:
            piece = reader.read(4096)
            assert piece, "the reader ended without raising"
            given += piece
    assert len(given) < len(plaintext)


def test_a_tampered_mac_and_a_short_download_raise():
    plaintext = os.urandom(3000)
    encrypted_length = len(encrypt_media(plaintext, "image").data)
    with pytest.raises(BadMediaMac):
        _read_all(_reader(plaintext, tamper=encrypted_length - 1), 1 << 20)
    with pytest.raises(BadMediaLength):
        _read_all(_reader(plaintext, cut=26), 1 << 20)


def test_read_zero_gives_nothing_and_consumes_nothing():
    plaintext = os.urandom(100)
    reader = _reader(plaintext)
    assert reader.read(0) == b""
    assert _read_all(reader, 10) == plaintext
