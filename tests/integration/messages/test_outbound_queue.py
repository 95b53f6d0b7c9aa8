"""What the outbound drain reads and writes, against real MongoDB."""

from __future__ import annotations

from services.cluster.sharding import row_filter, server_shard, shard_of
from services.messages import message_store, outbound_queue

ALICE, BOB, BUSINESS = "15550193001", "15550193002", "15550100"
SHARDS = 32


def _rows(wa_id: str) -> dict:
    return row_filter(shard_of(server_shard(wa_id), SHARDS), SHARDS)


def _accept(db, message_id: str, wa_id: str) -> dict:
    return message_store.insert_outbound(db, message_id=message_id, wa_id=wa_id, message_type="text",
                                         content={"text": {"body": message_id}})


def test_a_shard_reads_its_accepted_messages_in_seq_order(db):
    for message_id in ("m1", "m2", "m3"):
        _accept(db, message_id, ALICE)
    _accept(db, "other", BOB)
    db.messages.update_one({"_id": "m2"}, {"$set": {"status": "sent"}})
    assert [m["_id"] for m in outbound_queue.next_accepted(db, _rows(ALICE), 10)] == ["m1", "m3"]
    assert [m["_id"] for m in outbound_queue.next_accepted(db, _rows(ALICE), 1)] == ["m1"]
    narrowed = {**_rows(ALICE), "_id": {"$ne": "m1"}}
    assert [m["_id"] for m in outbound_queue.next_accepted(db, narrowed, 10)] == ["m3"]


def test_the_authors_of_quoted_messages(db):
    _accept(db, "ours", ALICE)
    db.messages.insert_one({"_id": "theirs", "direction": "inbound", "wa_id": ALICE})
    assert outbound_queue.quoted_authors(db, ["ours", "theirs", "gone"], BUSINESS) == {
        "ours": BUSINESS, "theirs": ALICE}


def test_receipts_name_outbound_messages_only(db):
    _accept(db, "ours", ALICE)
    db.messages.insert_one({"_id": "theirs", "direction": "inbound", "wa_id": ALICE})
    assert [m["_id"] for m in outbound_queue.find_outbound(db, ["ours", "theirs", "gone"])] == ["ours"]


def test_a_resend_takes_sent_messages_of_the_contact_a_bounded_number_of_times(db):
    for message_id in ("s2", "s1"):
        _accept(db, message_id, ALICE)
    _accept(db, "accepted", ALICE)
    _accept(db, "bobs", BOB)
    db.messages.update_many({"_id": {"$in": ["s1", "s2", "bobs"]}}, {"$set": {"status": "sent"}})
    wanted = ["s1", "s2", "accepted", "bobs"]
    assert [m["_id"] for m in outbound_queue.take_for_resend(db, ALICE, wanted, 2)] == ["s2", "s1"]  # seq order
    assert [m["_id"] for m in outbound_queue.take_for_resend(db, ALICE, wanted, 2)] == ["s2", "s1"]
    assert outbound_queue.take_for_resend(db, ALICE, wanted, 2) == []
    assert db.messages.find_one({"_id": "s1"})["resends"] == 2
    assert "resends" not in db.messages.find_one({"_id": "bobs"})


def test_owed_receipts_are_read_in_order_and_discarded_once_sent(db):
    first = message_store.reserve_receipt_seqs(db, 3)
    message_store.queue_delivered_receipts(db, [("in1", ALICE, first), ("in2", ALICE, first + 1),
                                                ("in3", BOB, first + 2)])
    message_store.queue_read_receipt(db, message_id="in1", wa_id=ALICE)
    owed = outbound_queue.owed_receipts(db, _rows(ALICE), 10)
    assert [row["_id"] for row in owed] == ["in1:delivered", "in2:delivered", "in1:read"]
    outbound_queue.discard_receipts(db, ["in1:delivered", "in2:delivered"])
    assert [row["_id"] for row in outbound_queue.owed_receipts(db, _rows(ALICE), 10)] == ["in1:read"]


def test_the_accepted_backlog_is_counted_up_to_a_bound(db):
    for message_id in ("m1", "m2", "m3", "m4"):
        _accept(db, message_id, ALICE)
    db.messages.update_one({"_id": "m2"}, {"$set": {"status": "sent"}})
    db.messages.insert_one({"_id": "in1", "direction": "inbound", "status": "accepted", "wa_id": ALICE})
    assert outbound_queue.accepted_count(db, at_most=10) == 3
    assert outbound_queue.accepted_count(db, at_most=2) == 2
    assert outbound_queue.accepted_count(db, at_most=0) == 1  # 0 would be no bound: one is enough to tell
    plan = db.messages.find({"direction": "outbound", "status": "accepted"}).explain()["queryPlanner"]
    assert "IXSCAN" in str(plan["winningPlan"])
