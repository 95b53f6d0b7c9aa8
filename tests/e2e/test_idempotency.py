"""``Idempotency-Key`` through gunicorn, the core and the network: a retried send
reaches the phone once."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.test_messaging import _phone_messages


def test_a_send_retried_with_its_key_reaches_the_phone_once(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Ines")
    customer_writes(phone)
    body = {"to": phone, "type": "text", "text": {"body": f"once {uuid.uuid4()}"}}
    headers = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}

    # The client's retries: one after the other and, as a client with a short timeout
    # might, several at once (gunicorn's workers and threads answer them in parallel).
    first = api("POST", "/v1/messages", json=body, headers=headers)
    assert first.status_code == 201, first.text
    with ThreadPoolExecutor(4) as pool:
        retries = list(pool.map(lambda _: api("POST", "/v1/messages", json=body, headers=headers), range(4)))
    assert {(r.status_code, r.text) for r in retries} == {(201, first.text)}
    assert all(r.headers["Idempotent-Replayed"] == "true" for r in retries)
    message_id = first.json()["messages"][0]["id"]

    webhook.wait_for(lambda: any(s["status"] == "delivered" for s in webhook.statuses(message_id)), timeout=30)
    # Not a poll: proving that no duplicate comes needs a window in which it would have.
    time.sleep(1)
    received = [m for m in _phone_messages(network, phone, "in") if m["text"]["body"] == body["text"]["body"]]
    assert [m["id"] for m in received] == [message_id]


def test_the_key_reused_with_another_body_is_refused(api, registration):
    headers = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    first = api("POST", "/v1/messages", json={"to": "15550009999", "type": "text", "text": {"body": "a"}},
                headers=headers)
    assert first.status_code == 201, first.text
    other = api("POST", "/v1/messages", json={"to": "15550009999", "type": "text", "text": {"body": "b"}},
                headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["code"] == 1009
