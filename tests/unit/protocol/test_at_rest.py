from __future__ import annotations

import pytest

from services.protocol import DecryptionError, ProtocolError, open_sealed, seal
from services.protocol.at_rest import sealed_key_id, sealed_under_newest
from services.protocol.keyring import LEGACY_ID, Keyring
from tests.common.factories import v1_sealed

KEY = bytes(range(32))
OLD, NEW = bytes([1]) * 32, bytes([2]) * 32
RING = Keyring((("k1", OLD), ("k2", NEW)))


def test_round_trip_and_format() -> None:
    sealed = seal(KEY, b"private key bytes", b"keys:identity")
    header = b"\x02" + bytes([len(LEGACY_ID)]) + LEGACY_ID.encode()
    assert sealed.startswith(header)
    assert len(sealed) == len(header) + 16 + 12 + len(b"private key bytes") + 16
    assert b"private key bytes" not in sealed
    assert open_sealed(KEY, sealed, b"keys:identity") == b"private key bytes"
    assert open_sealed(KEY, seal(KEY, b"", b""), b"") == b""


def test_the_newest_key_seals_and_any_configured_key_opens() -> None:
    sealed = seal(RING, b"secret", b"ctx")
    assert sealed_key_id(sealed) == "k2"
    assert open_sealed(Keyring.single(NEW, "k2"), sealed, b"ctx") == b"secret"
    older = seal(Keyring.single(OLD, "k1"), b"old", b"ctx")
    assert open_sealed(RING, older, b"ctx") == b"old"
    assert not sealed_under_newest(RING, older) and sealed_under_newest(RING, sealed)


def test_a_key_that_is_no_longer_configured_does_not_open() -> None:
    sealed = seal(Keyring.single(OLD, "k1"), b"secret", b"ctx")
    with pytest.raises(DecryptionError, match="k1"):
        open_sealed(Keyring.single(NEW, "k2"), sealed, b"ctx")


def test_a_blob_opens_only_under_the_key_its_id_names() -> None:
    # Same id, other key material: the tag fails rather than another key being tried.
    sealed = seal(Keyring.single(OLD, "k"), b"secret", b"ctx")
    with pytest.raises(DecryptionError):
        open_sealed(Keyring((("x", OLD), ("k", NEW))), sealed, b"ctx")


def test_a_relabelled_key_id_does_not_open() -> None:
    ring = Keyring((("ka", OLD), ("kb", OLD)))
    sealed = seal(ring, b"secret", b"ctx")
    relabelled = sealed.replace(b"kb", b"ka", 1)
    with pytest.raises(DecryptionError):
        open_sealed(ring, relabelled, b"ctx")


def test_v1_blobs_open_under_whichever_configured_key_sealed_them() -> None:
    blob = v1_sealed(OLD, b"from before ids", b"session:1")
    assert sealed_key_id(blob) is None and not sealed_under_newest(RING, blob)
    assert open_sealed(RING, blob, b"session:1") == b"from before ids"
    assert open_sealed(OLD, blob, b"session:1") == b"from before ids"
    with pytest.raises(DecryptionError):
        open_sealed(Keyring.single(NEW), blob, b"session:1")
    with pytest.raises(DecryptionError):
        open_sealed(RING, blob, b"session:2")


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


@pytest.mark.parametrize("index", [9, 25, 37, -1])
def test_modified_blob_rejected(index: int) -> None:
    sealed = bytearray(seal(KEY, b"secret", b"ctx"))
    sealed[index] ^= 0x80
    with pytest.raises(DecryptionError):
        open_sealed(KEY, bytes(sealed), b"ctx")


def test_bad_inputs() -> None:
    sealed = seal(KEY, b"secret", b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY, b"\x03" + sealed[1:], b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY, sealed[:20], b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY, b"", b"ctx")
    with pytest.raises(ProtocolError):
        seal(b"short", b"x", b"ctx")
    with pytest.raises(ProtocolError):
        open_sealed(KEY[:31], sealed, b"ctx")
