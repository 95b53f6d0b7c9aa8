"""Rows of the older layout (a ``shard`` number, per-shard counters) still pending when
migration 1 runs are served, and nothing new overtakes them."""

from __future__ import annotations

from services.cluster.sharding import server_shard
from services.messages import message_store
from services.migrations.versions import v0001_shared_counters


def test_pending_rows_get_their_server_shard_and_the_counters_continue(db):
    outbound = {"direction": "outbound", "wa_id": "15550001", "shard": 0}
    db.messages.insert_many([{"_id": "old-pending", **outbound, "status": "accepted", "seq": 41},
                             {"_id": "old-sent", **outbound, "status": "sent", "seq": 40}])
    db.inbound_events.insert_one({"_id": "ev", "kind": "receipt", "payload": {"from": "15550002"}, "shard": 0,
                                  "seq": 7})
    db.outbound_receipts.insert_one({"_id": "r", "wa_id": "15550003", "shard": 0, "seq": 3})
    db.counters.insert_many([{"_id": "outbound:0", "value": 41}, {"_id": "outbound:1", "value": 90},
                             {"_id": "inbound:0", "value": 7}])

    v0001_shared_counters.apply(db)
    v0001_shared_counters.apply(db)  # twice changes nothing more

    assert db.messages.find_one({"_id": "old-pending"})["server_shard"] == server_shard("15550001")
    assert "server_shard" not in db.messages.find_one({"_id": "old-sent"})  # not pending: left as it was
    assert db.inbound_events.find_one({"_id": "ev"})["server_shard"] == server_shard("15550002")
    assert db.outbound_receipts.find_one({"_id": "r"})["server_shard"] == server_shard("15550003")
    fresh = message_store.insert_outbound(db, message_id="new", wa_id="15550001", message_type="text", content={})
    assert fresh["seq"] == 91  # after every per-shard number
    assert message_store.next_seq(db, message_store.INBOUND_SEQ) == 8
    assert message_store.reserve_receipt_seqs(db, 1) == 4  # no receipts counter: after the pending row
