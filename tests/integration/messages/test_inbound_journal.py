"""The inbound journal (``inbound_events``, ``dead_events``) against real MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime

from services.cluster.sharding import row_filter, server_shard, shard_of
from services.messages import inbound_journal, message_store

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = "15550191001", "15550191002"


def _item(item_id: str, sender: str, kind: str = "receipt") -> dict:
    return {"id": item_id, "type": kind, kind: {"from": sender, "status": "read", "message_ids": ["m"]}}


def test_items_are_journaled_in_arrival_order_and_a_replay_keeps_the_first(db):
    docs = inbound_journal.append(db, [_item("a", ALICE), _item("b", BOB), _item("c", ALICE, "notification")], NOW)
    assert [(doc["_id"], doc["kind"]) for doc in docs] == [("a", "receipt"), ("b", "receipt"), ("c", "notification")]
    assert [doc["seq"] for doc in docs] == [docs[0]["seq"], docs[0]["seq"] + 1, docs[0]["seq"] + 2]
    assert db.inbound_events.find_one({"_id": "b"}) == {
        "_id": "b", "kind": "receipt", "payload": _item("b", BOB)["receipt"], "received_at": NOW,
        "seq": docs[1]["seq"], "server_shard": server_shard(BOB)}
    again = inbound_journal.append(db, [_item("a", ALICE)], NOW)  # pushed again after a reconnect
    assert again[0]["seq"] > docs[2]["seq"] and db.inbound_events.find_one({"_id": "a"})["seq"] == docs[0]["seq"]
    assert db.counters.find_one({"_id": message_store.INBOUND_SEQ})["value"] == again[0]["seq"]
    assert inbound_journal.append(db, [], NOW) == []


def test_a_shard_reads_its_own_events_in_order_and_removes_them(db):
    inbound_journal.append(db, [_item(f"e{n}", ALICE) for n in range(3)] + [_item("other", BOB)], NOW)
    shards = 32
    rows = row_filter(shard_of(server_shard(ALICE), shards), shards)
    assert shard_of(server_shard(BOB), shards) != shard_of(server_shard(ALICE), shards)
    assert [doc["_id"] for doc in inbound_journal.next_batch(db, rows, 2)] == ["e0", "e1"]
    inbound_journal.remove(db, ["e0", "e1"])
    assert [doc["_id"] for doc in inbound_journal.next_batch(db, rows, 10)] == ["e2"]


def test_an_event_set_aside_is_kept_with_its_error(db):
    [event] = inbound_journal.append(db, [_item("bad", ALICE, "envelope")], NOW)
    inbound_journal.set_aside(db, event, ValueError("secret detail"), NOW)
    inbound_journal.set_aside(db, event, KeyError("again"), NOW)  # a replay overwrites it
    assert db.dead_events.find_one({"_id": "bad"}) == {**event, "error": "KeyError", "failed_at": NOW}
