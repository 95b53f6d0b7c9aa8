from __future__ import annotations

import pytest

from services.protocol import DecryptionError, ProtocolError, open_sealed, seal

KEY = bytes(range(32))


def test_round_trip_and_format() -> None:
    sealed = seal(KEY, b"private key bytes", b"keys:identity")
    assert sealed[0] == 1
    assert len(sealed) == 1 + 16 + 12 + len(b"private key bytes") + 16
    assert b"private key bytes" not in sealed
    assert open_sealed(KEY, sealed, b"keys:identity") == b"private key bytes"
    assert open_sealed(KEY, seal(KEY, b"", b""), b"") == b""


def test_random_per_seal() -> None:
    assert seal(KEY, b"same", b"ctx") != seal(KEY, b"same", b"ctx")


def test_wrong_key_or_context_rejected() -> None:
    sealed = seal(KEY, b"secret", b"session:15550001111")
    with pytest.raises(DecryptionError):
        open_sealed(bytes(32), sealed, b"session:15550001111")
    with pytest.raises(DecryptionError):
        open_sealed(KEY, sealed, b"session:15550002222")
    with pytest.raises(DecryptionError):
        open_sealed(KEY, sealed, b"")


@pytest.mark.parametrize("index", [1, 17, 29, -1])
def test_modified_blob_rejected(index: int) -> None:
    sealed = bytearray(seal(KEY, b"secret", b"ctx"))
    sealed[index] ^= 0x80
    with pytest.raises(DecryptionError):
        open_sealed(KEY, bytes(sealed), b"ctx")


def test_bad_inputs() -> None:
    sealed = seal(KEY, b"secret", b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY, b"\x02" + sealed[1:], b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY, sealed[:20], b"ctx")
    with pytest.raises(ProtocolError):
        seal(b"short", b"x", b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY[:31], sealed, b"ctx")
