"""End to end through the real processes: gateway, core, dispatcher, media, sandbox."""

from __future__ import annotations

import json
import re
import uuid

from tests.common.openapi_check import checked_request
from tests.e2e.conftest import NEW_PASSWORD


def _phone_messages(network, wa_id: str, direction: str) -> list[dict]:
    answer = network("GET", f"/sandbox/v1/phones/{wa_id}/messages")
    assert answer.status_code == 200, answer.text
    return [m for m in answer.json()["messages"] if m["direction"] == direction]


def _send_text(api, to: str, body: str) -> str:
    answer = api("POST", "/v1/messages", json={"to": to, "type": "text", "text": {"body": body}})
    assert answer.status_code == 201, answer.text
    return answer.json()["messages"][0]["id"]


def test_first_login_requires_a_new_password(stack, first_logins):
    refused = first_logins["without_new_password"]
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == 1024
    assert refused.json()["meta"]["api_status"] == "stable"
    accepted = first_logins["with_new_password"].json()["users"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", accepted["expires_after"])
    url = f"{stack.api_url}/v1/users/login"
    assert checked_request("POST", url, auth=("admin", "secret"), timeout=10).status_code == 401
    again = checked_request("POST", url, auth=("admin", NEW_PASSWORD), timeout=10)
    assert again.status_code == 200 and again.json()["users"][0]["token"] != accepted["token"]


def test_registration_through_the_sandbox(registration):
    assert registration["health_before"]["health"]["gateway_status"] == "unregistered"
    assert registration["requested"].status_code == 202, registration["requested"].text
    assert registration["requested"].json()["account"] == [{"vname": "Acme Test"}]
    assert registration["verified"].status_code == 201, registration["verified"].text
    assert registration["health_after"]["health"]["gateway_status"] == "connected"


def test_text_is_decrypted_by_the_phone_with_sent_delivered_and_read(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Bob")
    customer_writes(phone)
    body = f"hello {uuid.uuid4()}"
    message_id = _send_text(api, phone, body)
    received = webhook.wait_for(lambda: _phone_messages(network, phone, "in"))
    assert received[0]["id"] == message_id and received[0]["text"]["body"] == body

    delivered = webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "delivered"])
    assert delivered[0]["recipient_id"] == phone
    assert delivered[0]["timestamp"].isdigit()
    assert delivered[0]["conversation"]["origin"]["type"] == "user_initiated"  # the customer wrote first
    assert [s for s in webhook.statuses(message_id) if s["status"] == "sent"]

    assert network("POST", f"/sandbox/v1/phones/{phone}/read", json={"message_id": message_id}).status_code == 200
    webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "read"])


def test_reply_arrives_with_the_profile_name_and_can_be_marked_read(api, webhook, network, new_phone):
    phone = new_phone("Carol Example")
    body = f"reply {uuid.uuid4()}"
    sent = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                   json={"to": "15550100", "type": "text", "text": {"body": body}})
    assert sent.status_code == 201, sent.text
    inbound_id = sent.json()["id"]

    found = webhook.wait_for(lambda: [(m, c) for m, c in webhook.messages() if m["id"] == inbound_id])
    message, contact = found[0]
    assert message["from"] == phone and message["type"] == "text"
    assert message["text"] == {"body": body}
    assert message["timestamp"].isdigit()
    assert contact == {"profile": {"name": "Carol Example"}, "wa_id": phone}

    marked = api("PUT", f"/v1/messages/{inbound_id}", json={"status": "read"})
    assert marked.status_code == 200, marked.text
    webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "out")
                              if m["id"] == inbound_id and m.get("status") == "read"])
    assert api("PUT", "/v1/messages/doesNotExist", json={"status": "read"}).status_code == 404


def test_echo_reply_reaches_the_webhook(api, webhook, new_phone, customer_writes):
    phone = new_phone("Echo", auto_reply="echo")
    customer_writes(phone)
    body = f"echo {uuid.uuid4()}"
    _send_text(api, phone, body)
    echoed = webhook.wait_for(lambda: [m for m, _ in webhook.messages()
                                       if m["from"] == phone and m["text"]["body"] == body])
    assert len(echoed) == 1


def test_thirty_messages_arrive_complete_and_in_order(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Dave")
    customer_writes(phone)
    bodies = [f"#{n:02d} {uuid.uuid4()}" for n in range(30)]
    ids = [_send_text(api, phone, body) for body in bodies]
    webhook.wait_for(lambda: len(_phone_messages(network, phone, "in")) >= 30, timeout=60)
    received = _phone_messages(network, phone, "in")
    assert [m["text"]["body"] for m in received] == bodies
    assert [m["id"] for m in received] == ids


def test_relay_log_never_holds_a_sent_body(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Eve")
    customer_writes(phone)
    secret = f"secret-{uuid.uuid4()}"
    message_id = _send_text(api, phone, secret)
    webhook.wait_for(lambda: _phone_messages(network, phone, "in"))
    log = network("GET", "/sandbox/v1/relay/log").json()["envelopes"]
    assert any(envelope["id"] == message_id for envelope in log)
    assert secret not in json.dumps(log)


def test_validation_errors_use_the_on_prem_envelope(api, registration):
    cases = [
        ({"type": "text", "text": {"body": "x"}}, 1008),
        ({"to": "15550001234", "type": "foo"}, 1009),
        ({"to": "15550001234", "type": "text", "text": {"body": "x"}, "image": {"id": "x"}}, 1010),
    ]
    for body, code in cases:
        answer = api("POST", "/v1/messages", json=body)
        assert answer.status_code == 400, body
        payload = answer.json()
        assert payload["errors"][0]["code"] == code, payload
        assert payload["errors"][0]["title"] and payload["meta"]["version"]


def test_a_failing_webhook_gets_the_callback_once_it_answers_200(api, webhook, new_phone, customer_writes):
    phone = new_phone("Frank")
    customer_writes(phone)
    message_id_holder: list[str] = []

    def is_delivered_of_ours(body: dict) -> bool:
        return any(s["status"] == "delivered" and s["id"] in message_id_holder for s in body.get("statuses", []))

    webhook.refuse(is_delivered_of_ours, times=3)
    message_id_holder.append(_send_text(api, phone, "retry me"))
    webhook.wait_for(lambda: [s for s in webhook.statuses(message_id_holder[0]) if s["status"] == "delivered"])
    attempts = [(at, status) for at, body, status in webhook.attempts if is_delivered_of_ours(body)]
    assert [status for _, status in attempts][:4] == [500, 500, 500, 200]
    gaps = [later - earlier for (earlier, _), (later, _) in zip(attempts, attempts[1:], strict=False)][:3]
    assert gaps[2] > gaps[0], gaps  # linear backoff: the waits grow
