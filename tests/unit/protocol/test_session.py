"""Double Ratchet behaviour through the public Session API."""

from __future__ import annotations

import base64
import copy
import json
import random

import pytest

from services.protocol import (
    DecryptionError,
    IdentityKeyPair,
    ProtocolError,
    Session,
    is_new_session,
    prekey_ids,
    sender_identity,
)
from services.protocol import ratchet as ratchet_module

from .conftest import Party, establish


def _flip_b64(value: str, index: int = 0) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_ping_pong(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    for i in range(10):
        to_a = b.encrypt(f"b{i}".encode())
        assert a.decrypt(to_a) == f"b{i}".encode()
        to_b = a.encrypt(f"a{i}".encode())
        assert to_b["kind"] == "message"
        assert b.decrypt(to_b) == f"a{i}".encode()
    # Every turn of the conversation moves to a new ratchet key.
    assert a.ratchet.ns == 1 and b.ratchet.nr == 1


def test_content_is_json_safe_and_shaped(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    content = a.encrypt(b"hi")
    assert json.loads(json.dumps(content)) == content
    assert set(content) == {"kind", "x3dh", "header", "body"}
    assert content["kind"] == "prekey"
    assert content["header"]["n"] == 0 and content["header"]["pn"] == 0
    assert content["x3dh"]["identity"] == alice.identity.public.to_dict()
    assert content["x3dh"]["signed_prekey_id"] == 1
    assert content["x3dh"]["one_time_prekey_id"] == 100
    assert prekey_ids(content) == (1, 100)
    assert sender_identity(content) == alice.identity.public
    assert b"hi" not in base64.b64decode(content["body"])


def test_same_plaintext_encrypts_differently(sessions: tuple[Session, Session]) -> None:
    a, _ = sessions
    assert a.encrypt(b"same")["body"] != a.encrypt(b"same")["body"]


def test_kind_switches_from_prekey_to_message_after_first_reply(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle(with_one_time=False))
    first, second = a.encrypt(b"1"), a.encrypt(b"2")
    assert first["kind"] == second["kind"] == "prekey"
    assert prekey_ids(first) == (1, None)
    b, plaintext = Session.accept(bob.identity, bob.signed_prekey, None, first)
    assert plaintext == b"1"
    # A later "prekey" content of the same session is not a new session.
    assert not is_new_session(b, second)
    assert b.decrypt(second) == b"2"
    reply = b.encrypt(b"r")
    assert reply["kind"] == "message" and "x3dh" not in reply
    assert sender_identity(reply) is None
    assert a.encrypt(b"3")["kind"] == "prekey"  # nothing received yet
    a.decrypt(reply)
    after = a.encrypt(b"4")
    assert after["kind"] == "message" and "x3dh" not in after
    assert b.decrypt(after) == b"4"


def test_many_messages_one_way(alice: Party, bob: Party) -> None:
    a, b = establish(alice, bob)
    for i in range(60):
        assert b.decrypt(a.encrypt(b"%d" % i)) == b"%d" % i
    for i in range(60):
        assert a.decrypt(b.encrypt(b"r%d" % i)) == b"r%d" % i
    assert b.ratchet.ns == 60 and a.ratchet.nr == 60


def test_out_of_order_first_messages(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    contents = [a.encrypt(b"m%d" % i) for i in range(5)]
    order = [3, 0, 4, 1, 2]
    b, plaintext = Session.accept(bob.identity, bob.signed_prekey, bob.one_time_prekeys[0], contents[3])
    assert plaintext == b"m3"
    assert len(b.ratchet.skipped) == 3
    for i in order[1:]:
        assert not is_new_session(b, contents[i])
        assert b.decrypt(contents[i]) == b"m%d" % i
    assert b.ratchet.skipped == {}


def test_out_of_order_across_ratchet_steps(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    a.decrypt(b.encrypt(b"turn"))
    chain1 = [a.encrypt(b"c1-%d" % i) for i in range(3)]
    b.decrypt(chain1[0])
    a.decrypt(b.encrypt(b"turn again"))
    chain2 = [a.encrypt(b"c2-%d" % i) for i in range(3)]
    assert chain2[0]["header"]["pn"] == 3
    # New chain first, then the stragglers of the previous one.
    assert b.decrypt(chain2[2]) == b"c2-2"
    assert b.decrypt(chain1[2]) == b"c1-2"
    assert b.decrypt(chain2[0]) == b"c2-0"
    assert b.decrypt(chain1[1]) == b"c1-1"
    assert b.decrypt(chain2[1]) == b"c2-1"
    assert b.ratchet.skipped == {}


def test_random_delivery_order(alice: Party, bob: Party) -> None:
    a, b = establish(alice, bob)
    rng = random.Random(1234)
    outbox: list[tuple[bytes, dict]] = []
    for turn in range(6):
        for i in range(4):
            text = b"t%d-%d" % (turn, i)
            outbox.append((text, a.encrypt(text)))
        a.decrypt(b.encrypt(b"ack"))
    rng.shuffle(outbox)
    for text, content in outbox:
        assert b.decrypt(content) == text


def test_skipped_keys_bounded(sessions: tuple[Session, Session], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = sessions
    monkeypatch.setattr(ratchet_module, "MAX_SKIP", 5)
    # establish() used n=0, so contents[i] carries n = i + 1.
    contents = [a.encrypt(b"%d" % i) for i in range(8)]
    with pytest.raises(DecryptionError):
        b.decrypt(contents[6])  # n=7 would need 6 skipped keys (n=1..6)
    assert b.ratchet.skipped == {} and b.ratchet.nr == 1  # state untouched
    assert b.decrypt(contents[5]) == b"5"
    assert sorted(n for _, n in b.ratchet.skipped) == [1, 2, 3, 4, 5]
    assert b.decrypt(contents[7]) == b"7"
    assert b.decrypt(contents[0]) == b"0"
    assert b.decrypt(contents[6]) == b"6"


def test_stored_skipped_keys_evict_oldest(sessions: tuple[Session, Session], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = sessions
    monkeypatch.setattr(ratchet_module, "MAX_STORED_SKIPPED", 3)
    contents = [a.encrypt(b"%d" % i) for i in range(7)]
    assert b.decrypt(contents[6]) == b"6"
    # n=7 skipped n=1..6; only the newest three keys are kept.
    assert sorted(n for _, n in b.ratchet.skipped) == [4, 5, 6]
    with pytest.raises(DecryptionError):
        b.decrypt(contents[1])
    assert b.decrypt(contents[4]) == b"4"


def test_default_skip_bound_is_1000() -> None:
    assert ratchet_module.MAX_SKIP == 1000


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c.__setitem__("body", _flip_b64(c["body"])), id="body"),
        pytest.param(lambda c: c.__setitem__("body", _flip_b64(c["body"], -1)), id="body-tag"),
        pytest.param(lambda c: c["header"].__setitem__("n", 1), id="header-n"),
        pytest.param(lambda c: c["header"].__setitem__("pn", 9), id="header-pn"),
        pytest.param(
            lambda c: c["header"].__setitem__("dh", _flip_b64(c["header"]["dh"], 5)),
            id="header-dh",
        ),
    ],
)
def test_tampered_content_rejected(sessions: tuple[Session, Session], tamper) -> None:
    a, b = sessions
    a.decrypt(b.encrypt(b"make it a 'message' kind"))
    content = a.encrypt(b"secret")
    forged = copy.deepcopy(content)
    tamper(forged)
    assert forged != content
    before = b.to_bytes()
    with pytest.raises(DecryptionError):
        b.decrypt(forged)
    assert b.to_bytes() == before  # a forgery does not advance or corrupt the state
    assert b.decrypt(content) == b"secret"


def test_low_order_header_key_is_a_decryption_error(
    sessions: tuple[Session, Session],
) -> None:
    a, b = sessions
    content = a.encrypt(b"x")
    content["header"]["dh"] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(DecryptionError):
        b.decrypt(content)


def test_associated_data_must_match(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    content = a.encrypt(b"routed", associated=b"to:bob")
    with pytest.raises(DecryptionError):
        b.decrypt(content, associated=b"to:carol")
    with pytest.raises(DecryptionError):
        b.decrypt(content)
    assert b.decrypt(content, associated=b"to:bob") == b"routed"


def test_first_message_associated_data_checked(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    content = a.encrypt(b"hi", associated=b"env")
    otpk = bob.one_time_prekeys[0]
    with pytest.raises(DecryptionError):
        Session.accept(bob.identity, bob.signed_prekey, otpk, content, b"other")
    _, plaintext = Session.accept(bob.identity, bob.signed_prekey, otpk, content, b"env")
    assert plaintext == b"hi"


def test_replay_rejected(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    c0, c1, c2 = (a.encrypt(b"%d" % i) for i in range(3))
    assert b.decrypt(c0) == b"0"
    with pytest.raises(DecryptionError):
        b.decrypt(c0)
    assert b.decrypt(c2) == b"2"  # c1's key is now a skipped key
    assert b.decrypt(c1) == b"1"
    with pytest.raises(DecryptionError):
        b.decrypt(c1)  # skipped key consumed
    with pytest.raises(DecryptionError):
        b.decrypt(c2)
    # After the ratchet has turned, an old-chain message is still refused.
    a.decrypt(b.encrypt(b"turn"))
    b.decrypt(a.encrypt(b"new chain"))
    with pytest.raises(DecryptionError):
        b.decrypt(c2)
    assert b.decrypt(a.encrypt(b"still fine")) == b"still fine"


def test_replayed_first_message_after_accept(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    first = a.encrypt(b"first")
    otpk = bob.one_time_prekeys[0]
    b, _ = Session.accept(bob.identity, bob.signed_prekey, otpk, first)
    assert not is_new_session(b, first)
    with pytest.raises(DecryptionError):
        b.decrypt(first)


def test_serialization_round_trip_mid_conversation(alice: Party, bob: Party) -> None:
    a, b = establish(alice, bob)
    a.decrypt(b.encrypt(b"r0"))
    pending = [a.encrypt(b"p%d" % i) for i in range(4)]
    assert b.decrypt(pending[3]) == b"p3"  # leaves skipped keys in b's state
    late_reply = b.encrypt(b"late")

    a2 = Session.from_bytes(a.to_bytes())
    b2 = Session.from_bytes(b.to_bytes())
    assert a2.to_bytes() == a.to_bytes() and b2.to_bytes() == b.to_bytes()
    assert len(b2.ratchet.skipped) == 3
    assert b2.remote_identity == alice.identity.public
    assert a2.remote_identity == bob.identity.public

    assert b2.decrypt(pending[1]) == b"p1"
    assert a2.decrypt(late_reply) == b"late"
    for i in range(3):
        assert b2.decrypt(a2.encrypt(b"x%d" % i)) == b"x%d" % i
        assert a2.decrypt(b2.encrypt(b"y%d" % i)) == b"y%d" % i
    assert b2.decrypt(pending[0]) == b"p0"


def test_pending_prekey_survives_serialization(alice: Party, bob: Party) -> None:
    a = Session.from_bytes(Session.initiate(alice.identity, bob.bundle()).to_bytes())
    content = a.encrypt(b"hi")
    assert content["kind"] == "prekey"
    _, plaintext = Session.accept(bob.identity, bob.signed_prekey, bob.one_time_prekeys[0], content)
    assert plaintext == b"hi"


def test_session_from_bytes_rejects_garbage(sessions: tuple[Session, Session]) -> None:
    a, _ = sessions
    good = json.loads(a.to_bytes())
    for bad in (
        b"not json",
        b"[]",
        json.dumps({**good, "v": 2}).encode(),
        json.dumps({**good, "role": "x"}).encode(),
        json.dumps({k: v for k, v in good.items() if k != "ratchet"}).encode(),
        json.dumps({**good, "ratchet": {**good["ratchet"], "rk": "AAAA"}}).encode(),
    ):
        with pytest.raises(ProtocolError):
            Session.from_bytes(bad)


def test_reinstall_detected(alice: Party, bob: Party) -> None:
    a, b = establish(alice, bob)
    a.decrypt(b.encrypt(b"reply"))
    assert not is_new_session(b, a.encrypt(b"normal"))

    reinstalled = Party.create(spk_id=7, otpk_start=500)  # new identity keys
    bob_bundle = bob.bundle(with_one_time=False)
    fresh = Session.initiate(reinstalled.identity, bob_bundle).encrypt(b"I'm back")
    assert is_new_session(b, fresh)
    claimed = sender_identity(fresh)
    assert claimed == reinstalled.identity.public
    assert claimed != b.remote_identity
    assert claimed.fingerprint() != alice.identity.public.fingerprint()
    with pytest.raises(ProtocolError):
        b.decrypt(fresh)
    b_new, plaintext = Session.accept(bob.identity, bob.signed_prekey, None, fresh)
    assert plaintext == b"I'm back"
    assert b_new.remote_identity == reinstalled.identity.public


def test_same_identity_new_session_detected(alice: Party, bob: Party) -> None:
    a, b = establish(alice, bob)
    # Alice lost her session (same identity): a new ephemeral is a new session.
    again = Session.initiate(alice.identity, bob.bundle(with_one_time=False))
    content = again.encrypt(b"again")
    assert sender_identity(content) == b.remote_identity
    assert is_new_session(b, content)
    assert is_new_session(None, content)
    assert a.encrypt(b"x")["kind"] == "prekey"  # Alice has had no reply yet
    assert is_new_session(None, a.encrypt(b"y"))
    # A prekey content reaching an initiator session is the peer starting over.
    peer_start = Session.initiate(bob.identity, alice.bundle()).encrypt(b"hey")
    assert is_new_session(a, peer_start)


def test_message_kind_is_never_new_session(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    reply = b.encrypt(b"r")
    assert not is_new_session(a, reply)
    assert not is_new_session(None, reply)
    with pytest.raises(ProtocolError):
        prekey_ids(reply)


def test_accept_checks_prekeys(alice: Party, bob: Party) -> None:
    a = Session.initiate(alice.identity, bob.bundle())
    content = a.encrypt(b"hi")
    otpk = bob.one_time_prekeys[0]
    other_spk = Party.create().signed_prekey
    with pytest.raises(ProtocolError):
        Session.accept(bob.identity, bob.signed_prekey, None, content)
    with pytest.raises(ProtocolError):
        Session.accept(bob.identity, bob.signed_prekey, bob.one_time_prekeys[1], content)
    with pytest.raises(DecryptionError):  # same id, different key: wrong secret
        Session.accept(bob.identity, other_spk, otpk, content)
    with pytest.raises(DecryptionError):  # somebody else's identity keys
        Session.accept(IdentityKeyPair.generate(), bob.signed_prekey, otpk, content)
    with pytest.raises(ProtocolError):
        Session.accept(bob.identity, bob.signed_prekey, otpk, a.encrypt(b"x") | {"kind": "message"})


def test_accept_rejects_forged_sender_identity(alice: Party, bob: Party) -> None:
    content = Session.initiate(alice.identity, bob.bundle()).encrypt(b"hi")
    content["x3dh"]["identity"] = IdentityKeyPair.generate().public.to_dict()
    with pytest.raises(DecryptionError):
        Session.accept(bob.identity, bob.signed_prekey, bob.one_time_prekeys[0], content)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {},
        {"kind": "other", "header": {}, "body": ""},
        {"kind": "message", "header": {"dh": "", "pn": 0, "n": 0}, "body": "AAAA"},
    ],
)
def test_malformed_content_rejected(sessions: tuple[Session, Session], bad) -> None:
    _, b = sessions
    with pytest.raises(ProtocolError):
        b.decrypt(bad)
    with pytest.raises(ProtocolError):
        is_new_session(b, bad)


def test_malformed_header_fields_rejected(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    good = a.encrypt(b"x")
    variants = [
        {**good, "header": {**good["header"], "n": -1}},
        {**good, "header": {**good["header"], "n": True}},
        {**good, "header": {**good["header"], "pn": 2**32}},
        {**good, "header": {**good["header"], "extra": 1}},
        {**good, "body": "AAAA"},  # shorter than a GCM tag
        {k: v for k, v in good.items() if k != "x3dh"},  # prekey without x3dh
        {**good, "kind": "message"},  # message with an x3dh block
    ]
    for bad in variants:
        with pytest.raises(ProtocolError):
            b.decrypt(bad)
    assert b.decrypt(good) == b"x"
