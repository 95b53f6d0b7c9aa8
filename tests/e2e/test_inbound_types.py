"""Every inbound type of spec §15.2 a user's phone sends, through the real processes:
the exact webhook body, the delivered receipt the business sends back at once, and the
number-change system message."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.e2e.test_messaging import _phone_messages
from tests.e2e.test_outbound_types import BUTTONS, CARD, LIST

UNKNOWN_ERRORS = [{"code": 501, "title": "Unknown message type", "details": "Message type is not currently supported"}]


def _phone_sends(network, phone: str, to: str, kind: str, obj: Any = None, reply_to: str | None = None) -> str:
    body: dict[str, Any] = {"to": to, "type": kind}
    if obj is not None:
        body[kind] = obj
    if reply_to is not None:
        body["context"] = {"message_id": reply_to}
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _sent_record(network, phone: str, message_id: str) -> dict[str, Any]:
    return next(m for m in _phone_messages(network, phone, "out") if m["id"] == message_id)


def _callback_for(webhook, message_id: str) -> dict[str, Any]:
    """The whole inbound-message webhook body carrying ``message_id``."""
    return webhook.wait_for(lambda: [body for body in webhook.bodies()
                                     if any(m.get("id") == message_id for m in body.get("messages", []))])[0]


def _expected(network, phone: str, message_id: str, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    timestamp = str(_sent_record(network, phone, message_id)["timestamp"])
    return {"contacts": [{"profile": {"name": name}, "wa_id": phone}],
            "messages": [{"from": phone, "id": message_id, "timestamp": timestamp, **fields}]}


def _business_sends(api, network, webhook, phone: str, body: dict[str, Any]) -> str:
    answer = api("POST", "/v1/messages", json={"to": phone, **body})
    assert answer.status_code == 201, answer.text
    message_id = answer.json()["messages"][0]["id"]
    webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id])
    return message_id


LOCATION = {"latitude": 37.4847, "longitude": -122.1477, "name": "HQ", "address": "1 Hacker Way",
            "url": "https://example.com/hq"}


@pytest.mark.parametrize(("kind", "obj"), [
    ("text", {"body": "hello from the phone"}),
    ("location", LOCATION),
    ("contacts", [CARD, {"name": {"formatted_name": "Jane"}}]),
])
def test_a_phone_message_reaches_the_webhook_exactly(webhook, network, new_phone, registration, kind, obj):
    phone = new_phone("Kerry")
    message_id = _phone_sends(network, phone, registration["wa_id"], kind, obj)
    assert _callback_for(webhook, message_id) == _expected(network, phone, message_id, "Kerry",
                                                           {"type": kind, kind: obj})


@pytest.mark.parametrize(("offer", "choice"), [
    (BUTTONS, {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}),
    (LIST, {"type": "list_reply", "list_reply": {"id": "tea", "title": "Tea", "description": "Hot"}}),
])
def test_an_answer_to_an_interactive_message_names_it(api, webhook, network, new_phone, registration,
                                                      customer_writes, offer, choice):
    phone = new_phone("Chooser")
    customer_writes(phone)
    offered = _business_sends(api, network, webhook, phone, {"type": "interactive", "interactive": offer})
    message_id = _phone_sends(network, phone, registration["wa_id"], "interactive", choice, reply_to=offered)
    assert _callback_for(webhook, message_id) == _expected(network, phone, message_id, "Chooser", {
        "type": "interactive", "interactive": choice, "context": {"from": registration["wa_id"], "id": offered}})


def test_a_reply_and_a_reaction_to_a_business_message(api, webhook, network, new_phone, registration,
                                                      customer_writes):
    phone = new_phone("Replier")
    customer_writes(phone)
    business = registration["wa_id"]
    ours = _business_sends(api, network, webhook, phone, {"type": "text", "text": {"body": "your order shipped"}})
    quoted = {"from": business, "id": ours}

    reply = _phone_sends(network, phone, business, "text", {"body": "thanks!"}, reply_to=ours)
    assert _callback_for(webhook, reply) == _expected(network, phone, reply, "Replier", {
        "type": "text", "text": {"body": "thanks!"}, "context": quoted})

    for emoji in ("👍", ""):  # "" takes the reaction back
        reaction = _phone_sends(network, phone, business, "reaction", {"message_id": ours, "emoji": emoji})
        assert _callback_for(webhook, reaction) == _expected(network, phone, reaction, "Replier", {
            "type": "reaction", "reaction": {"message_id": ours, "emoji": emoji}})


@pytest.mark.parametrize(("kind", "obj"), [("poll", {"question": "Tea or coffee?"}), ("ephemeral", None)])
def test_content_the_client_does_not_support_is_unknown_with_501(webhook, network, new_phone, registration,
                                                                kind, obj):
    phone = new_phone("Poller")
    message_id = _phone_sends(network, phone, registration["wa_id"], kind, obj)
    assert _callback_for(webhook, message_id) == _expected(network, phone, message_id, "Poller", {
        "type": "unknown", "errors": UNKNOWN_ERRORS})


def test_the_business_confirms_delivery_at_once_and_reading_when_it_marks_read(api, webhook, network, new_phone,
                                                                              registration):
    phone = new_phone("Ticks")
    message_id = _phone_sends(network, phone, registration["wa_id"], "text", {"body": "two ticks?"})
    _callback_for(webhook, message_id)
    delivered = webhook.wait_for(lambda: (r := _sent_record(network, phone, message_id))["status"] == "delivered"
                                 and r)
    assert set(delivered["statuses"]) == {"sent", "delivered"}

    assert api("PUT", f"/v1/messages/{message_id}", json={"status": "read"}).status_code == 200
    read = webhook.wait_for(lambda: (r := _sent_record(network, phone, message_id))["status"] == "read" and r)
    assert set(read["statuses"]) == {"sent", "delivered", "read"}
    assert read["statuses"]["delivered"] <= read["statuses"]["read"]


def _change_number(network, phone: str) -> str:
    new = f"1555900{uuid.uuid4().int % 10_000:04d}"
    answer = network("POST", f"/sandbox/v1/phones/{phone}/change-number", json={"new_wa_id": new})
    assert answer.status_code == 200, answer.text
    assert answer.json()["wa_id"] == new and answer.json()["old_wa_id"] == phone
    return new


def _number_changes(webhook, old: str) -> list[dict[str, Any]]:
    return [body for body in webhook.bodies()
            if any(m.get("type") == "system" and m.get("from") == old
                   and m["system"].get("type") == "customer_changed_number" for m in body.get("messages", []))]


def test_a_number_change_is_reported_and_the_conversation_goes_on(api, webhook, network, new_phone, registration,
                                                                  customer_writes):
    old = new_phone("Mover")
    customer_writes(old)
    new = _change_number(network, old)

    [body] = webhook.wait_for(lambda: _number_changes(webhook, old))
    message = body["messages"][0]
    assert body == {
        "contacts": [{"profile": {"name": "Mover"}, "wa_id": new}],
        "messages": [{"from": old, "id": message["id"], "timestamp": message["timestamp"], "type": "system",
                      "system": {"body": f"User Mover changed from {old} to {new}", "new_wa_id": new,
                                 "type": "customer_changed_number"}}],
    }
    assert message["id"].startswith("SYS") and message["timestamp"].isdigit()

    # Both sides keep the same session: the phone's message is opened without a retry,
    # and the business's answer is no new X3DH ("prekey") content.
    written = customer_writes(new, "still me")
    assert "resent" not in _sent_record(network, new, written)
    answer = _business_sends(api, network, webhook, new, {"type": "text", "text": {"body": "welcome back"}})
    relayed = [e for e in network("GET", "/sandbox/v1/relay/log").json()["envelopes"] if e["id"] == answer]
    assert [e["content"]["kind"] for e in relayed] == ["message"]
    # The old number is no WhatsApp user any more.
    gone = api("POST", "/v1/messages", json={"to": old, "type": "text", "text": {"body": "hello?"}})
    failed = webhook.wait_for(lambda: [s for s in webhook.statuses(gone.json()["messages"][0]["id"])
                                       if s["status"] == "failed"])
    assert failed[0]["errors"][0]["code"] == 1013


def test_no_number_change_message_when_notify_user_change_number_is_off(api, webhook, network, new_phone,
                                                                       customer_writes):
    assert api("PATCH", "/v1/settings/application", json={"notify_user_change_number": False}).status_code == 200
    try:
        old = new_phone("Quiet mover")
        customer_writes(old)
        new = _change_number(network, old)
        # One shard consumer handles the notification before the next message from the phone.
        customer_writes(new, "new number")
        # Not a poll: proving that no callback comes needs a window (callbacks are delivered
        # concurrently, so a wrongly queued one may land after the later message's).
        time.sleep(1.0)
        assert _number_changes(webhook, old) == []
    finally:
        api("PATCH", "/v1/settings/application", json={"notify_user_change_number": True})


ORDER = {"catalog_id": "1234567890", "text": "for the party",
         "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 12.5, "currency": "USD"},
                           {"product_retailer_id": "sku-2", "quantity": 1, "item_price": 3.0, "currency": "USD"}]}


def test_a_cart_from_a_phone_reaches_the_webhook_as_an_order(webhook, network, new_phone, registration):
    phone = new_phone("Shopper")
    message_id = _phone_sends(network, phone, registration["wa_id"], "order", ORDER)
    assert _callback_for(webhook, message_id) == _expected(network, phone, message_id, "Shopper",
                                                           {"type": "order", "order": ORDER})
    # End-to-end encrypted like every message: the network relayed ciphertext only.
    relayed = [e for e in network("GET", "/sandbox/v1/relay/log").json()["envelopes"] if e["id"] == message_id]
    assert relayed and "sku-1" not in str(relayed) and "for the party" not in str(relayed)


def test_a_cart_the_declaration_refuses_never_leaves_the_phone(network, new_phone, registration):
    phone = new_phone("Bad shopper")
    bad = {**ORDER, "product_items": [{**ORDER["product_items"][0], "currency": "dollars"}]}
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                     json={"to": registration["wa_id"], "type": "order", "order": bad})
    assert answer.status_code == 400 and "currency" in answer.text
