"""Inbound messages as the core stores them, against real MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime

from services.cluster.sharding import server_shard
from services.messages import inbound_messages

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ALICE = "15550192001"


def _document(body: str) -> dict:
    return inbound_messages.new_document(wa_id=ALICE, message_type="text", content={"text": {"body": body}},
                                         timestamp=1700000000, now=NOW)


def test_a_message_is_stored_once(db):
    assert inbound_messages.store(db, "in1", _document("hi")) is True
    assert inbound_messages.store(db, "in1", _document("replayed")) is False
    assert inbound_messages.find_stored(db, "in1") == {
        "_id": "in1", "direction": "inbound", "wa_id": ALICE, "server_shard": server_shard(ALICE), "type": "text",
        "content": {"text": {"body": "hi"}}, "status": "received", "timestamp": 1700000000, "created_at": NOW}


def test_find_stored_knows_inbound_messages_only(db):
    db.messages.insert_one({"_id": "out1", "direction": "outbound", "wa_id": ALICE})
    assert inbound_messages.find_stored(db, "out1") is None
    assert inbound_messages.find_stored(db, None) is None  # an envelope without an id
    assert inbound_messages.find_any(db, "out1")["direction"] == "outbound"
    assert inbound_messages.find_any(db, "nothing") is None
