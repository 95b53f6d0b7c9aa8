from __future__ import annotations

import asyncio

from sandbox.changes import Changes
from sandbox.network.relay import Mailbox, Relay


def test_mailbox_keeps_order_until_acked():
    box = Mailbox()
    for i in range(5):
        box.push({"id": f"i{i}"})
    assert [i["id"] for i in box.pending()] == ["i0", "i1", "i2", "i3", "i4"]
    assert box.ack(["i1", "i3", "unknown"]) == 2
    assert [i["id"] for i in box.pending()] == ["i0", "i2", "i4"]
    box.push({"id": "i5"})
    assert [i["id"] for i in box.pending()] == ["i0", "i2", "i4", "i5"]
    assert box.ack(["i0", "i0"]) == 1
    assert len(box) == 3


def test_relay_queues_logs_and_redelivers():
    changes = Changes(enabled=True)
    relay = Relay(changes)
    env = {"v": 1, "id": "m1", "from": "1", "to": "2", "timestamp": 1, "content": {"kind": "message"}}
    item = relay.queue_envelope("2", env)
    receipt = relay.queue_receipt("2", {"from": "3", "status": "read", "message_ids": ["x"]})
    assert list(relay.log) == [env]
    assert relay.log[0] is env  # exactly as received
    assert [i["type"] for i in relay.pending("2")] == ["envelope", "receipt"]
    assert item["envelope"] is env
    # Nothing acknowledged: a reconnecting consumer sees the same items again.
    assert relay.pending("2") == [item, receipt]
    assert relay.ack("2", [item["id"]]) == 1
    assert relay.pending("2") == [receipt]
    assert relay.pending("nobody") == []
    assert relay.ack("nobody", ["x"]) == 0
    assert changes.pending()


def test_relay_log_is_capped():
    relay = Relay(log_cap=3)
    for i in range(5):
        relay.queue_envelope("2", {"id": i})
    assert [e["id"] for e in relay.log] == [2, 3, 4]


def test_snapshot_round_trip():
    relay = Relay()
    relay.queue_envelope("2", {"id": "a"})
    done = relay.queue_receipt("2", {"status": "read"})
    relay.ack("2", [done["id"]])
    again = Relay()
    again.load(relay.to_dict())
    assert again.pending("2") == relay.pending("2")
    assert list(again.log) == [{"id": "a"}]


def test_watchers_are_woken():
    async def run() -> None:
        relay = Relay()
        event = asyncio.Event()
        relay.watch("2", event)
        assert event.is_set()  # look at whatever is already there
        event.clear()
        relay.queue_receipt("3", {})
        assert not event.is_set()
        relay.queue_receipt("2", {})
        assert event.is_set()
        relay.unwatch("2", event)
        event.clear()
        relay.queue_receipt("2", {})
        assert not event.is_set()

    asyncio.run(run())
