from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from sandbox.errors import ApiError
from sandbox.phones import INITIAL_ONE_TIME_PREKEYS, REFILL_BELOW, VirtualPhone
from sandbox.state import SandboxState


async def settle(state: SandboxState) -> None:
    for _ in range(50):
        await asyncio.sleep(0)
        if not any(state.network.relay.pending(p.wa_id) for p in state.phones.all()):
            return


def with_phones(scenario: Callable[[SandboxState], Awaitable[None]]) -> None:
    """Run ``scenario`` against a fresh sandbox whose phones are started, then stop them."""

    async def run() -> None:
        state = SandboxState()
        state.phones.start()
        try:
            await scenario(state)
        finally:
            await state.phones.stop()

    asyncio.run(run())


def test_phone_to_phone_with_receipts_and_echo():
    async def scenario(state: SandboxState) -> None:
        phones = state.phones
        alice = phones.create({"wa_id": "4470001", "name": "Alice"})
        bob = phones.create({"wa_id": "4470002", "name": "Bob", "auto_read": True, "auto_reply": "echo"})
        assert state.network.directory.count(bob.wa_id) == INITIAL_ONE_TIME_PREKEYS
        mid = phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "hi"}})
        await settle(state)
        received = bob.find(mid)
        assert received is not None and received["text"] == {"body": "hi"}
        assert received["profile"] == {"name": "Alice"} and received["status"] == "read"
        sent = alice.find(mid)
        assert sent is not None and sent["status"] == "read"
        assert set(sent["statuses"]) == {"sent", "delivered", "read"}
        echo = alice.messages[-1]
        assert echo["direction"] == "in" and echo["text"] == {"body": "hi"} and echo["peer"] == bob.wa_id
        assert not alice.errors and not bob.errors
        # Both directions are in the relay log, as ciphertext.
        assert len(state.network.relay.log) == 2

    with_phones(scenario)


def test_one_time_prekeys_are_refilled():
    async def scenario(state: SandboxState) -> None:
        phones = state.phones
        bob = phones.create({"wa_id": "4470002", "name": "Bob"})
        # Other senders drain Bob's pool down to the refill threshold.
        for _ in range(INITIAL_ONE_TIME_PREKEYS - REFILL_BELOW + 1):
            state.network.fetch_bundle(bob.wa_id)
        alice = phones.create({"wa_id": "4470001", "name": "Alice"})
        phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "hi"}})
        await settle(state)
        assert state.network.directory.count(bob.wa_id) > REFILL_BELOW

    with_phones(scenario)


def test_phone_state_round_trip():
    async def run() -> None:
        state = SandboxState()
        state.phones.start()
        alice = state.phones.create({"wa_id": "4470001", "name": "Alice"})
        bob = state.phones.create({"wa_id": "4470002", "name": "Bob"})
        state.phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "one"}})
        await settle(state)
        await state.phones.stop()

        again = SandboxState.from_dict(state.to_dict())
        again.phones.start()
        try:
            alice2 = again.phones.get("4470001")
            bob2 = again.phones.get("4470002")
            assert isinstance(alice2, VirtualPhone) and alice2.fingerprint() == alice.fingerprint()
            # Bob answers within the restored session: a "message" content.
            again.phones.send(bob2, {"to": alice2.wa_id, "type": "text", "text": {"body": "two"}})
            assert again.network.relay.log[-1]["content"]["kind"] == "message"
            await settle(again)
            assert alice2.messages[-1]["text"] == {"body": "two"}
        finally:
            await again.phones.stop()

    asyncio.run(run())


def test_create_validates_and_is_idempotent():
    state = SandboxState()
    phones = state.phones
    with pytest.raises(ApiError):
        phones.create({"wa_id": "abc", "name": "x"})
    with pytest.raises(ApiError):
        phones.create({"wa_id": "4470001", "name": "x", "auto_read": "yes"})
    first = phones.create({"wa_id": "4470001", "name": "Alice"})
    again = phones.create({"wa_id": "4470001", "name": "Alicia", "auto_reply": "echo"})
    assert again is first and first.name == "Alicia" and first.auto_reply == "echo"
    with pytest.raises(ApiError) as exc:
        phones.send(first, {"to": "4470009", "type": "text", "text": {"body": "x"}})
    assert exc.value.code == "not_a_user"


def test_retry_receipts_between_phones_after_a_reinstall():
    async def scenario(state: SandboxState) -> None:
        phones = state.phones
        alice = phones.create({"wa_id": "4470001", "name": "Alice"})
        bob = phones.create({"wa_id": "4470002", "name": "Bob"})
        phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "one"}})
        await settle(state)
        phones.reinstall(bob)
        # Alice still holds the old session: a prekey content for keys Bob no longer has.
        lost = phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "two"}})
        await settle(state)
        # Bob asked for a retry, Alice re-sent from a fresh bundle, Bob received it once.
        retries = [e for e in bob.errors if e.get("id") == lost]
        assert len(retries) == 1 and retries[0]["error"] == "ProtocolError"
        received = bob.find(lost)
        assert received is not None and received["direction"] == "in" and received["text"] == {"body": "two"}
        assert [m["id"] for m in bob.messages].count(lost) == 1
        assert bob.undecryptable == {}
        sent = alice.find(lost)
        assert sent is not None and sent["resent"] == 1 and sent["status"] == "delivered"
        assert alice.sessions[bob.wa_id].remote_identity.fingerprint() == bob.fingerprint()
        # The relay saw the lost envelope and its resend under the same id.
        assert [e["id"] for e in state.network.relay.log].count(lost) == 2

    with_phones(scenario)


def test_retry_receipts_and_resends_are_bounded():
    async def scenario(state: SandboxState) -> None:
        phones = state.phones
        alice = phones.create({"wa_id": "4470001", "name": "Alice"})
        bob = phones.create({"wa_id": "4470002", "name": "Bob"})
        mid = phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "one"}})
        await settle(state)
        assert bob.find(mid) is not None
        bob.signed_prekeys.clear()  # a broken install: Bob can decrypt no new session at all
        bob.sessions.clear()
        lost = phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "lost"}})
        await settle(state)
        # Alice: the envelope plus 2 resends; Bob: 3 failures but only 2 retry receipts.
        assert [e["id"] for e in state.network.relay.log].count(lost) == 3
        sent = alice.find(lost)
        assert sent is not None and sent["resent"] == 2 and sent["status"] == "sent"
        assert bob.undecryptable == {lost: {"peer": alice.wa_id, "retries": 2}}
        assert len([e for e in bob.errors if e.get("id") == lost]) == 3
        assert bob.find(lost) is None
        # Alice refuses a third resend even when asked again.
        state.network.submit_receipt(bob.wa_id, {"to": alice.wa_id, "status": "retry", "message_ids": [lost]})
        await settle(state)
        assert [e["id"] for e in state.network.relay.log].count(lost) == 3
        assert alice.errors[-1]["error"] == "retry_limit"
        # A retry receipt for a message that is not the sender's own is ignored.
        state.network.submit_receipt(bob.wa_id, {"to": alice.wa_id, "status": "retry", "message_ids": ["nope"]})
        await settle(state)
        assert [e["id"] for e in state.network.relay.log].count(lost) == 3
        # The failure record survives a snapshot.
        again = SandboxState.from_dict(state.to_dict())
        assert again.phones.get(bob.wa_id).undecryptable == bob.undecryptable

    with_phones(scenario)


def test_network_accepts_retry_receipts():
    state = SandboxState()
    state.phones.create({"wa_id": "4470001", "name": "Alice"})
    state.phones.create({"wa_id": "4470002", "name": "Bob"})
    body = {"to": "4470002", "status": "retry", "message_ids": ["m1"]}
    assert state.network.submit_receipt("4470001", body) == {}
    item = state.network.relay.pending("4470002")[-1]
    assert item["type"] == "receipt"
    assert item["receipt"]["status"] == "retry" and item["receipt"]["from"] == "4470001"
    with pytest.raises(ApiError):
        state.network.submit_receipt("4470001", {**body, "status": "retried"})


def test_a_peer_with_a_new_identity_shows_a_security_code_change_on_both_paths():
    async def scenario(state: SandboxState) -> None:
        phones = state.phones
        alice = phones.create({"wa_id": "4470001", "name": "Alice"})
        bob = phones.create({"wa_id": "4470002", "name": "Bob"})
        carol = phones.create({"wa_id": "4470003", "name": "Carol"})
        phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "one"}})
        phones.send(carol, {"to": bob.wa_id, "type": "text", "text": {"body": "one"}})
        await settle(state)
        assert alice.security_code_changes == [] and bob.security_code_changes == []
        phones.reinstall(bob)
        # Alice learns it resending (retry receipt, new bundle); Carol from Bob's new session.
        phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "two"}})
        phones.send(bob, {"to": carol.wa_id, "type": "text", "text": {"body": "new phone"}})
        await settle(state)
        for phone in (alice, carol):
            assert [(c["peer"], c["identity"]) for c in phone.security_code_changes] == [(bob.wa_id, bob.fingerprint())]
            assert phone.summary()["security_code_changes"] == phone.security_code_changes
        assert bob.security_code_changes == []  # his peers kept their identities
        restored = VirtualPhone.from_dict(alice.to_dict())
        assert restored.security_code_changes == alice.security_code_changes
        assert restored.peer_identities == alice.peer_identities

    with_phones(scenario)
