"""The rules a message meets when the core is about to send it, through the real
processes: the 24-hour customer-service window (470) and the ttl (410)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pymongo

from services.common.clock import utcnow
from tests.e2e.test_messaging import _phone_messages, _send_text


def _failed(webhook, message_id: str) -> dict:
    return webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "failed"])[0]


def _db(stack):
    return pymongo.MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)[stack.env["WA_MONGO_DB"]]


def test_a_free_form_message_to_a_customer_who_never_wrote_fails_with_470(api, webhook, network, new_phone):
    phone = new_phone("Stranger")
    message_id = _send_text(api, phone, "hello there")
    failed = _failed(webhook, message_id)
    assert failed["recipient_id"] == phone
    assert failed["errors"][0]["code"] == 470 and failed["errors"][0]["title"] == "Re-engagement message"
    assert not [s for s in webhook.statuses(message_id) if s["status"] in ("sent", "delivered")]
    assert not _phone_messages(network, phone, "in")


def test_the_window_closes_24_hours_after_the_customers_last_message(stack, api, webhook, network, new_phone,
                                                                     customer_writes):
    phone = new_phone("Yesterday")
    customer_writes(phone)
    inside = _send_text(api, phone, "within the window")
    webhook.wait_for(lambda: [s for s in webhook.statuses(inside) if s["status"] == "delivered"])

    # Move the customer's last message a day back rather than waiting a day.
    _db(stack).contacts.update_one({"_id": phone}, {"$set": {"last_inbound_at": utcnow() - timedelta(hours=24)}})
    outside = _send_text(api, phone, "after the window")
    assert _failed(webhook, outside)["errors"][0]["code"] == 470

    customer_writes(phone, "I am back")  # the customer writes again: the window opens again
    reopened = _send_text(api, phone, "welcome back")
    webhook.wait_for(lambda: [s for s in webhook.statuses(reopened) if s["status"] == "delivered"])
    assert [m["id"] for m in _phone_messages(network, phone, "in")] == [inside, reopened]


def test_a_message_not_sent_within_its_ttl_fails_with_410_and_is_never_sent(stack, api, webhook, network, new_phone,
                                                                            customer_writes):
    phone = new_phone("Patient")
    customer_writes(phone)
    stack.stop("sandbox")  # the network is down: nothing can be sent
    try:
        short = api("POST", "/v1/messages", json={"to": phone, "ttl": 2, "text": {"body": f"short {uuid.uuid4()}"}})
        assert short.status_code == 201, short.text
        lasting = _send_text(api, phone, "default ttl of 7 days")
        time.sleep(3)  # not a poll: the 2 s ttl must run out while the network is down, that is the test
    finally:
        stack.start("sandbox")
    expired_id = short.json()["messages"][0]["id"]
    failed = _failed(webhook, expired_id)
    assert failed["errors"][0]["code"] == 410 and failed["errors"][0]["title"] == "Message expired"
    webhook.wait_for(lambda: [s for s in webhook.statuses(lasting) if s["status"] == "delivered"], timeout=60)
    assert [m["id"] for m in _phone_messages(network, phone, "in")] == [lasting]
