"""ProtocolClient over memory stores: two devices talking through a directory."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.protocol import (
    DecryptionError,
    Envelope,
    IdentityKeyPair,
    MemoryKeyStore,
    MemorySessionStore,
    OneTimePrekey,
    Outgoing,
    PrekeyBundle,
    ProtocolClient,
    ProtocolError,
    Session,
    SignedPrekey,
)


class CountingSessions(MemorySessionStore):
    """Counts the round trips a MongoDB store would make."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = self.stores = 0

    def load_session(self, peer: str) -> Session | None:
        self.loads += 1
        return super().load_session(peer)

    def store_session(self, peer: str, session: Session) -> None:
        self.stores += 1
        super().store_session(peer, session)


class Device:
    """One install: keys, sessions and the client over them; ``bundle`` is the directory."""

    def __init__(self, wa_id: str, one_time: int = 3, spk_id: int = 1) -> None:
        self.wa_id = wa_id
        identity = IdentityKeyPair.generate()
        self.keys = MemoryKeyStore(
            identity,
            {spk_id: SignedPrekey.generate(identity, spk_id)},
            {k.key_id: k for k in OneTimePrekey.generate_batch(100, one_time)},
        )
        self.published = list(self.keys.one_time_prekeys.values())
        self.sessions = CountingSessions()
        self.client = ProtocolClient(self.keys, self.sessions)
        self.fetches = 0

    def bundle(self, wa_id: str) -> dict[str, Any]:
        """What the directory hands out for this device: each one-time prekey once."""
        assert wa_id == self.wa_id
        self.fetches += 1
        one_time = self.published.pop(0) if self.published else None
        spk = next(iter(self.keys.signed_prekeys.values()))
        return PrekeyBundle.from_keys(self.keys.identity.public, spk, one_time).to_dict()

    def seal(self, peer: Device, *texts: bytes, first_id: int = 0) -> list[Envelope]:
        messages = [Outgoing(f"m{first_id + n}", 1700000000 + n, text) for n, text in enumerate(texts)]
        return self.client.seal(self.wa_id, peer.wa_id, messages, peer.bundle)


def no_bundle(wa_id: str) -> dict[str, Any]:
    raise AssertionError("a session exists: no bundle may be fetched")


@pytest.fixture
def alice() -> Device:
    return Device("4470001")


@pytest.fixture
def bob() -> Device:
    return Device("4470002")


def test_first_message_starts_a_session_and_consumes_a_one_time_prekey(alice, bob):
    [envelope] = alice.seal(bob, b"hello bob")
    assert envelope.to_dict() == {
        "v": 1, "id": "m0", "from": alice.wa_id, "to": bob.wa_id, "timestamp": 1700000000,
        "content": envelope.content,
    }
    assert envelope.content["kind"] == "prekey" and alice.fetches == 0 and bob.fetches == 1
    assert alice.sessions.sessions[bob.wa_id].remote_identity == bob.keys.identity.public

    opened = bob.client.open(Envelope.from_dict(envelope.to_dict()))
    assert opened.plaintext == b"hello bob"
    assert opened.new_session and opened.before is None and not opened.identity_changed
    assert opened.one_time_prekey_used == 100
    assert 100 not in bob.keys.one_time_prekeys and set(bob.keys.one_time_prekeys) == {101, 102}
    assert bob.sessions.sessions[alice.wa_id] is opened.after
    assert opened.after.remote_identity == alice.keys.identity.public


def test_reply_uses_the_session_and_ends_the_prekey_phase(alice, bob):
    bob.client.open(alice.seal(bob, b"hi")[0])
    [reply] = bob.client.seal(bob.wa_id, alice.wa_id, [Outgoing("r1", 1, b"hi alice")], no_bundle)
    assert reply.content["kind"] == "message"
    opened = alice.client.open(reply)
    assert opened.plaintext == b"hi alice"
    assert not opened.new_session and opened.before is opened.after and opened.one_time_prekey_used is None
    # Alice has seen Bob answer: no more X3DH header.
    [later] = alice.client.seal(alice.wa_id, bob.wa_id, [Outgoing("m9", 2, b"again")], no_bundle)
    assert later.content["kind"] == "message"
    assert bob.client.open(later).plaintext == b"again"


def test_a_batch_costs_one_session_load_and_one_store(alice, bob):
    texts = [f"message {n}".encode() for n in range(5)]
    envelopes = alice.seal(bob, *texts)
    assert [e.id for e in envelopes] == [f"m{n}" for n in range(5)]
    assert (alice.sessions.loads, alice.sessions.stores, bob.fetches) == (1, 1, 1)
    assert [bob.client.open(e).plaintext for e in envelopes] == texts
    # The next batch continues the same session.
    more = alice.seal(bob, b"six", b"seven", first_id=5)
    assert (alice.sessions.loads, alice.sessions.stores, bob.fetches) == (2, 2, 1)
    assert [bob.client.open(e).plaintext for e in more] == [b"six", b"seven"]


def test_an_empty_batch_touches_nothing(alice, bob):
    assert alice.client.seal(alice.wa_id, bob.wa_id, [], bob.bundle) == []
    assert (alice.sessions.loads, alice.sessions.stores, bob.fetches) == (0, 0, 0)


def test_out_of_order_envelopes_open(alice, bob):
    envelopes = alice.seal(bob, b"zero", b"one", b"two", b"three")
    order = [2, 0, 3, 1]
    opened = [bob.client.open(envelopes[n]) for n in order]
    assert [o.plaintext for o in opened] == [b"two", b"zero", b"three", b"one"]
    # Only the first one to arrive started the session.
    assert [o.new_session for o in opened] == [True, False, False, False]
    with pytest.raises(DecryptionError):  # a replay: its key is spent
        bob.client.open(envelopes[0])


def test_a_reinstalled_peer_is_a_new_session_with_an_identity_change(alice, bob):
    bob.client.open(alice.seal(bob, b"before")[0])
    old = bob.sessions.sessions[alice.wa_id]
    reinstalled = Device(alice.wa_id)  # same number, new identity, no sessions
    [envelope] = reinstalled.seal(bob, b"I'm back")
    opened = bob.client.open(envelope)
    assert opened.plaintext == b"I'm back" and opened.new_session and opened.identity_changed
    assert opened.before is old and opened.before.remote_identity == alice.keys.identity.public
    assert opened.after.remote_identity == reinstalled.keys.identity.public
    assert bob.sessions.sessions[alice.wa_id] is opened.after
    # The same install starting over (it lost its session) is a new session, not a change.
    again = Device(alice.wa_id)
    again.keys = reinstalled.keys
    again.client = ProtocolClient(again.keys, again.sessions)
    second = bob.client.open(again.seal(bob, b"lost my session")[0])
    assert second.new_session and not second.identity_changed


def test_a_used_one_time_prekey_cannot_start_a_second_session(alice, bob):
    stale = bob.bundle(bob.wa_id)  # handed out twice by a broken directory
    bob.published.insert(0, bob.keys.one_time_prekeys[stale["one_time_prekey"]["key_id"]])
    bob.client.open(alice.seal(bob, b"first")[0])
    assert stale["one_time_prekey"]["key_id"] not in bob.keys.one_time_prekeys
    carol = Device("4470003")
    [envelope] = carol.client.seal(carol.wa_id, bob.wa_id, [Outgoing("c1", 1, b"me too")], lambda _: stale)
    stores = bob.sessions.stores
    with pytest.raises(ProtocolError, match="one-time prekey"):
        bob.client.open(envelope)
    assert carol.wa_id not in bob.sessions.sessions and bob.sessions.stores == stores


def test_a_content_for_an_unknown_signed_prekey_is_refused(alice, bob):
    [envelope] = alice.seal(bob, b"hi")
    bob.keys.signed_prekeys.clear()
    with pytest.raises(ProtocolError, match="signed prekey"):
        bob.client.open(envelope)
    assert bob.sessions.sessions == {} and len(bob.keys.one_time_prekeys) == 3


def test_without_a_session_a_message_content_is_refused(alice, bob):
    bob.client.open(alice.seal(bob, b"hi")[0])
    alice.client.open(bob.client.seal(bob.wa_id, alice.wa_id, [Outgoing("r", 1, b"yo")], no_bundle)[0])
    [message] = alice.seal(bob, b"who are you?", first_id=1)
    bob.sessions.sessions.clear()
    with pytest.raises(ProtocolError, match="no session"):
        bob.client.open(message)


def test_a_tampered_or_rerouted_envelope_raises_and_changes_nothing(alice, bob):
    first, second = alice.seal(bob, b"one", b"two")
    bob.client.open(first)
    session_bytes = bob.sessions.sessions[alice.wa_id].to_bytes()
    body = bytearray(second.content["body"].encode())
    body[5] = ord("A") if body[5] != ord("A") else ord("B")
    tampered = replace(second, content={**second.content, "body": body.decode()})
    for bad in (tampered, replace(second, id="other"), replace(second, recipient="4479999")):
        with pytest.raises(ProtocolError):
            bob.client.open(bad)
    assert bob.sessions.sessions[alice.wa_id].to_bytes() == session_bytes
    assert bob.client.open(second).plaintext == b"two"


def test_a_bundle_that_does_not_verify_is_refused_and_nothing_is_stored(alice, bob):
    forged = bob.bundle(bob.wa_id)
    forged["identity"] = IdentityKeyPair.generate().public.to_dict()
    with pytest.raises(ProtocolError):
        alice.client.seal(alice.wa_id, bob.wa_id, [Outgoing("m", 1, b"x")], lambda _: forged)
    assert alice.sessions.sessions == {}


def test_bundle_errors_pass_through(alice, bob):
    class NotAUser(Exception):
        pass

    def gone(wa_id: str) -> dict[str, Any]:
        raise NotAUser(wa_id)

    with pytest.raises(NotAUser):
        alice.client.seal(alice.wa_id, bob.wa_id, [Outgoing("m", 1, b"x")], gone)
    assert alice.sessions.sessions == {}


def test_reset_session_starts_over_from_a_fresh_bundle(alice, bob):
    bob.client.open(alice.seal(bob, b"one")[0])
    bob.sessions.sessions.clear()  # Bob's device lost the session
    [lost] = alice.seal(bob, b"two", first_id=1)
    with pytest.raises(ProtocolError):
        bob.client.open(lost)
    # Bob's retry receipt: Alice drops the session and seals the same message again.
    previous = alice.client.reset_session(bob.wa_id)
    assert previous is not None and previous.remote_identity == bob.keys.identity.public
    assert bob.wa_id not in alice.sessions.sessions
    assert alice.client.reset_session(bob.wa_id) is None
    [resent] = alice.seal(bob, b"two", first_id=1)
    assert resent.id == lost.id and resent.content["kind"] == "prekey" and bob.fetches == 2
    opened = bob.client.open(resent)
    assert opened.plaintext == b"two" and opened.new_session and opened.before is None
