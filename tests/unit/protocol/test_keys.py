from __future__ import annotations

import base64

import pytest

from services.protocol import (
    IdentityKeyPair,
    IdentityPublic,
    OneTimePrekey,
    ProtocolError,
    SignedPrekey,
)
from services.protocol import primitives as p
from services.protocol.keys import signed_prekey_message


def test_identity_round_trips() -> None:
    identity = IdentityKeyPair.generate()
    restored = IdentityKeyPair.from_bytes(identity.to_bytes())
    assert restored.public == identity.public
    assert restored.dh_private == identity.dh_private
    assert len(identity.to_bytes()) == 65
    assert IdentityPublic.from_dict(identity.public.to_dict()) == identity.public
    assert identity.public.dh != identity.public.sign


def test_identity_repr_hides_private_keys() -> None:
    identity = IdentityKeyPair.generate()
    assert identity.dh_private.hex() not in repr(identity)
    assert base64.b64encode(identity.dh_private).decode() not in repr(identity)


def test_fingerprint_is_sha256_prefix_of_both_keys() -> None:
    public = IdentityKeyPair.generate().public
    expected = base64.b64encode(p.sha256(public.dh + public.sign)[:8]).decode()
    assert public.fingerprint() == expected
    assert len(public.fingerprint()) == 12
    other = IdentityPublic(dh=public.dh, sign=IdentityKeyPair.generate().public.sign)
    assert other.fingerprint() != public.fingerprint()


def test_identity_public_from_dict_rejects_bad_input() -> None:
    good = IdentityKeyPair.generate().public.to_dict()
    for bad in (
        None,
        {"dh": good["dh"]},
        {**good, "extra": 1},
        {**good, "dh": "not base64!"},
        {**good, "dh": base64.b64encode(bytes(31)).decode()},
        {**good, "sign": 5},
    ):
        with pytest.raises(ProtocolError):
            IdentityPublic.from_dict(bad)


def test_signed_prekey_signature_and_round_trip() -> None:
    identity = IdentityKeyPair.generate()
    spk = SignedPrekey.generate(identity, 42)
    p.ed25519_verify(identity.public.sign, spk.signature, signed_prekey_message(42, spk.public))
    restored = SignedPrekey.from_bytes(spk.to_bytes())
    assert (restored.key_id, restored.public, restored.signature) == (
        42,
        spk.public,
        spk.signature,
    )
    public = spk.to_public_dict()
    assert public["key_id"] == 42
    assert base64.b64decode(public["public"]) == spk.public
    assert set(public) == {"key_id", "public", "signature"}


def test_one_time_prekey_batch() -> None:
    batch = OneTimePrekey.generate_batch(10, 5)
    assert [k.key_id for k in batch] == [10, 11, 12, 13, 14]
    assert len({k.public for k in batch}) == 5
    restored = OneTimePrekey.from_bytes(batch[2].to_bytes())
    assert (restored.key_id, restored.public) == (12, batch[2].public)
    assert batch[0].to_public_dict() == {
        "key_id": 10,
        "public": base64.b64encode(batch[0].public).decode(),
    }
    with pytest.raises(ProtocolError):
        OneTimePrekey.generate_batch(2**32 - 2, 3)


def test_from_bytes_rejects_wrong_version_and_length() -> None:
    data = IdentityKeyPair.generate().to_bytes()
    with pytest.raises(ProtocolError):
        IdentityKeyPair.from_bytes(b"\x02" + data[1:])
    with pytest.raises(ProtocolError):
        IdentityKeyPair.from_bytes(data[:-1])
    with pytest.raises(ProtocolError):
        OneTimePrekey.from_bytes(data)
