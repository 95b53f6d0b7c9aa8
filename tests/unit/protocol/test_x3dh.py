from __future__ import annotations

import base64
import json

import pytest

from services.protocol import InvalidSignature, PrekeyBundle, ProtocolError, x3dh
from services.protocol.session import Session

from .conftest import Party


@pytest.mark.parametrize("with_one_time", [True, False])
def test_both_sides_agree(alice: Party, bob: Party, with_one_time: bool) -> None:
    bundle = bob.bundle(with_one_time)
    initiated = x3dh.initiate(alice.identity, bundle)
    otpk = bob.one_time_prekeys[0] if with_one_time else None
    secret, ad = x3dh.respond(
        bob.identity,
        bob.signed_prekey,
        otpk,
        alice.identity.public,
        initiated.ephemeral_public,
    )
    assert secret == initiated.shared_secret
    assert len(secret) == 32
    assert ad == initiated.associated_data
    assert ad == alice.identity.public.to_bytes() + bob.identity.public.to_bytes()


def test_one_time_prekey_changes_the_secret(alice: Party, bob: Party) -> None:
    initiated = x3dh.initiate(alice.identity, bob.bundle(with_one_time=True))
    without, _ = x3dh.respond(
        bob.identity,
        bob.signed_prekey,
        None,
        alice.identity.public,
        initiated.ephemeral_public,
    )
    assert without != initiated.shared_secret


def test_bundle_dict_round_trip(bob: Party) -> None:
    for bundle in (bob.bundle(), bob.bundle(with_one_time=False)):
        data = bundle.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert PrekeyBundle.from_dict(data) == bundle
    assert bob.bundle(with_one_time=False).to_dict()["one_time_prekey"] is None
    assert bob.bundle().to_dict()["signed_prekey"] == bob.signed_prekey.to_public_dict()


def test_bad_signed_prekey_signature_rejected(alice: Party, bob: Party) -> None:
    data = bob.bundle().to_dict()
    signature = bytearray(base64.b64decode(data["signed_prekey"]["signature"]))
    signature[0] ^= 0x01
    data["signed_prekey"]["signature"] = base64.b64encode(bytes(signature)).decode()
    bundle = PrekeyBundle.from_dict(data)
    with pytest.raises(InvalidSignature):
        bundle.verify()
    with pytest.raises(ProtocolError):
        Session.initiate(alice.identity, bundle)


def test_signed_prekey_from_another_identity_rejected(alice: Party, bob: Party) -> None:
    data = bob.bundle().to_dict()
    data["identity"] = alice.identity.public.to_dict()
    with pytest.raises(InvalidSignature):
        Session.initiate(alice.identity, PrekeyBundle.from_dict(data))


def test_relabelled_signed_prekey_id_rejected(bob: Party) -> None:
    data = bob.bundle().to_dict()
    data["signed_prekey"]["key_id"] += 1
    with pytest.raises(InvalidSignature):
        PrekeyBundle.from_dict(data).verify()


def test_bundle_from_dict_validates_shape(bob: Party) -> None:
    good = bob.bundle().to_dict()
    bad: object
    for bad in (
        [],
        {k: v for k, v in good.items() if k != "signed_prekey"},
        {**good, "signed_prekey": {**good["signed_prekey"], "key_id": "1"}},
        {**good, "signed_prekey": {**good["signed_prekey"], "key_id": True}},
        {**good, "one_time_prekey": {"key_id": 1}},
        {**good, "surplus": 1},
    ):
        with pytest.raises(ProtocolError):
            PrekeyBundle.from_dict(bad)
