"""A snapshot plus the journal's batches rebuild exactly the state the batches were
taken from: every kind of record the sandbox changes (users, codes, keys, mailbox items,
the relay log, templates, phones and their histories), in-process and without files."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sandbox.changes import Changes
from sandbox.journal import decode_batch, encode_batch
from sandbox.phones import VirtualPhone
from sandbox.state import SandboxState
from tests.unit.sandbox.test_phones import settle

BUSINESS = "15550100"
TEMPLATE = {"namespace": "acme_ns", "name": "order_update", "language": "en_US",
            "components": [{"type": "BODY", "text": "Order {{1}} shipped"}]}


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data))


class Writer:
    """What sandbox/persistence.py's writer does, without the disk: each batch becomes
    one journal line holding the records' values at the time it is written."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.lines: list[bytes] = []

    def write(self) -> None:
        batch = self.state.changes.take()
        if batch:
            records = [(key, self.state.dump_record(key)) for key in batch.keys]
            self.lines.append(encode_batch(batch.seq, records, batch.log))

    def replay_onto(self, snapshot: dict[str, Any]) -> SandboxState:
        again = SandboxState.from_dict(_plain(snapshot))
        for line in self.lines:
            again.apply_batch(decode_batch(line.rstrip(b"\n")))
        return again


def _register_business(state: SandboxState) -> None:
    network = state.network
    cert = network.ca.issue("1", "5550100", "Acme")
    network.request_code({"cc": "1", "phone_number": "5550100", "cert": cert})
    code = network.verification_code(BUSINESS)
    network.verify_code({"cc": "1", "phone_number": "5550100", "code": code})
    network.publish_keys(BUSINESS, VirtualPhone(BUSINESS, "Acme").generate_keys())


def test_snapshot_and_batches_rebuild_the_state():
    async def run() -> None:
        state = SandboxState(Changes(enabled=True))
        writer = Writer(state)
        phones = state.phones
        state.phones.start()
        try:
            alice = phones.create({"wa_id": "4470001", "name": "Alice"})
            snapshot = state.to_dict()  # taken when the journal starts (DurableStore.open)
            state.changes.take()

            bob = phones.create({"wa_id": "4470002", "name": "Bob", "auto_read": True, "auto_reply": "echo"})
            _register_business(state)
            writer.write()
            phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "hi"}})
            phones.send(alice, {"to": BUSINESS, "type": "text", "text": {"body": "to the business"}})
            await settle(state)  # delivered, read, the echo, its receipts; in-place status updates
            writer.write()
            state.network.put_template(TEMPLATE)
            state.network.submit_receipt(BUSINESS, {"to": alice.wa_id, "status": "read",
                                                    "message_ids": [alice.messages[1]["id"]]})
            phones.mark_read(alice, alice.messages[-1]["id"])
            await settle(state)
            writer.write()
            # A reinstall: Alice's next message cannot be decrypted, Bob asks for a
            # retry, Alice re-sends (``resent`` set in place).
            phones.reinstall(bob)
            phones.send(alice, {"to": bob.wa_id, "type": "text", "text": {"body": "after reinstall"}})
            writer.write()  # the re-send changes a record written already
            state.network.fetch_bundle(alice.wa_id)  # one one-time prekey consumed
            await settle(state)
            await settle(state)
            phones.create({"wa_id": "4470001", "name": "Alicia"})  # settings changed, same phone
            writer.write()
            pending = state.network.relay.pending(BUSINESS)
            assert [i["type"] for i in pending] == ["envelope", "notification"]
            state.network.ack(BUSINESS, [pending[0]["id"]])
            phones.change_number(bob, {"new_wa_id": "4470009"})
            phones.send(alice, {"to": "4470009", "type": "text", "text": {"body": "new number"}})
            await settle(state)
            writer.write()
        finally:
            await state.phones.stop()
        assert any(m.get("resent") for m in alice.messages), "the retry path ran"
        assert "4470002" not in state.phones.phones

        again = writer.replay_onto(snapshot)
        assert _plain(again.to_dict()) == _plain(state.to_dict())
        # The derived indexes are rebuilt too: tokens, message lookups.
        assert again.network.registry._by_token == state.network.registry._by_token
        moved = again.phones.get("4470009")
        assert moved.find(moved.messages[-1]["id"]) == moved.messages[-1]

    asyncio.run(run())


def test_a_record_changed_again_after_its_batch_is_written_with_the_next():
    state = SandboxState(Changes(enabled=True))
    writer = Writer(state)
    snapshot = state.to_dict()
    relay = state.network.relay
    item = relay.queue_receipt("4470001", {"from": "1", "to": "4470001", "status": "read", "message_ids": ["x"]})
    writer.write()
    relay.ack("4470001", [item["id"]])
    other = relay.queue_receipt("4470001", {"from": "1", "to": "4470001", "status": "read", "message_ids": ["y"]})
    writer.write()
    again = writer.replay_onto(snapshot)
    assert again.network.relay.pending("4470001") == [other]
    assert _plain(again.to_dict()) == _plain(state.to_dict())
