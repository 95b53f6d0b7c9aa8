"""A phone that reinstalls WhatsApp gets a new identity key: the business notices and
keeps talking to it."""

from __future__ import annotations

import uuid

from tests.e2e.test_messaging import _phone_messages, _send_text


def test_messages_reach_a_reinstalled_phone_and_the_change_is_reported(api, webhook, network, new_phone,
        customer_writes):
    assert api("PATCH", "/v1/settings/application", json={"show_security_notifications": True}).status_code == 200
    try:
        phone = new_phone("Judy")
        customer_writes(phone)
        first = _send_text(api, phone, "before")
        webhook.wait_for(lambda: [s for s in webhook.statuses(first) if s["status"] == "delivered"])

        assert network("POST", f"/sandbox/v1/phones/{phone}/reinstall", json={}).status_code == 200
        body = f"after reinstall {uuid.uuid4()}"
        second = _send_text(api, phone, body)

        # The phone cannot open it with the old session, asks for a retry, and the
        # business re-sends the same message id over a new session.
        webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == second])
        received = [m for m in _phone_messages(network, phone, "in") if m["id"] == second]
        assert len(received) == 1 and received[0]["text"]["body"] == body
        webhook.wait_for(lambda: [s for s in webhook.statuses(second) if s["status"] == "delivered"])

        notices = webhook.wait_for(lambda: [m for m, _ in webhook.messages()
                                            if m["type"] == "system" and m["from"] == phone])
        assert notices[0]["system"]["type"] == "customer_identity_changed"
        assert notices[0]["system"]["customer"] == phone and notices[0]["system"]["identity"]
    finally:
        api("PATCH", "/v1/settings/application", json={"show_security_notifications": False})
