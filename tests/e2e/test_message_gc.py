"""Message GC through the real processes (spec §12): the gateway answers
``processing``, the core deletes the finished messages older than 30 days and the
webhook gets the callback; recent ones stay. Messages are made old by moving their
``created_at`` back in MongoDB, as tests/e2e/test_media_gc.py does with media."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo

from tests.common.factories import issue_token
from tests.common.waiting import wait_for
from tests.e2e.test_messaging import _send_text


def _database(stack):
    return pymongo.MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)[stack.env["WA_MONGO_DB"]]


def _settled(db, inbound: list[str], outbound: list[str]) -> bool:
    """Nothing about these messages waits any more: every callback delivered to the
    webhook, every receipt sent to the phone."""
    callbacks = [f"in:{message_id}" for message_id in inbound] + [
        f"status:{message_id}:{status}" for message_id in outbound for status in ("sent", "delivered")]
    return (db.pending_callbacks.count_documents({"_id": {"$in": callbacks}}) == 0
            and db.outbound_receipts.count_documents({"message_id": {"$in": inbound}}) == 0)


def test_old_finished_messages_are_collected_and_reported(stack, api, webhook, new_phone, customer_writes):
    phone = new_phone("Collector")
    inbound_old = customer_writes(phone, "old news")
    inbound_recent = customer_writes(phone, "fresh news")
    outbound_old, outbound_recent = _send_text(api, phone, "old reply"), _send_text(api, phone, "new reply")
    db = _database(stack)
    ours = [inbound_old, inbound_recent, outbound_old, outbound_recent]
    wait_for(lambda: db.messages.count_documents({"_id": {"$in": [outbound_old, outbound_recent]},
                                                  "status": "delivered"}) == 2, timeout=30)
    wait_for(lambda: _settled(db, [inbound_old, inbound_recent], [outbound_old, outbound_recent]), timeout=30)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    db.messages.update_many({"_id": {"$in": [inbound_old, outbound_old]}}, {"$set": {"created_at": long_ago}})

    answer = api("PUT", "/v1/services/message/gc")
    assert answer.status_code == 200
    assert answer.json()["services"] == {"message": {"gc": {"status": "processing"}}}

    def reported():
        return [body for body in webhook.bodies() if "message" in (body.get("services") or [{}])[0]]

    report = webhook.wait_for(reported, timeout=30)[0]
    assert report == {"services": [{"message": {"gc": {"messages_deleted": 2, "status": "complete"}}}]}
    assert sorted(db.messages.distinct("_id", {"_id": {"$in": ours}})) == sorted([inbound_recent, outbound_recent])
    # The deleted inbound message is no longer known to the API.
    assert api("PUT", f"/v1/messages/{inbound_old}", json={"status": "read"}).status_code == 404
    assert api("PUT", f"/v1/messages/{inbound_recent}", json={"status": "read"}).status_code == 200


def test_a_user_may_not_collect_messages(stack, api):
    db = _database(stack)
    user = issue_token(db, 3600, username="gc-user", role="user")
    answer = api("PUT", "/v1/services/message/gc", headers={"Authorization": f"Bearer {user}"})
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == 1005
