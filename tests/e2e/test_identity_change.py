"""A phone that reinstalls WhatsApp gets a new identity key: the business notices, and
either keeps talking to it or, with `show_security_notifications` on, holds off until
the change is acknowledged (spec §7.2)."""

from __future__ import annotations

import uuid

from tests.e2e.test_messaging import _phone_messages, _send_text


def _reinstalled_phone(api, webhook, network, new_phone, customer_writes, name: str) -> str:
    phone = new_phone(name)
    customer_writes(phone)
    first = _send_text(api, phone, "before")
    webhook.wait_for(lambda: [s for s in webhook.statuses(first) if s["status"] == "delivered"])
    assert network("POST", f"/sandbox/v1/phones/{phone}/reinstall", json={}).status_code == 200
    return phone


def _identity_notices(webhook, phone: str) -> list[dict]:
    return webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m["type"] == "system" and m["from"] == phone])


def test_without_security_notifications_messages_reach_the_reinstalled_phone(api, webhook, network, new_phone,
                                                                             customer_writes):
    phone = _reinstalled_phone(api, webhook, network, new_phone, customer_writes, "Judy")
    body = f"after reinstall {uuid.uuid4()}"
    second = _send_text(api, phone, body)

    # The phone cannot open it with the old session, asks for a retry, and the
    # business re-sends the same message id over a new session.
    webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == second])
    received = [m for m in _phone_messages(network, phone, "in") if m["id"] == second]
    assert len(received) == 1 and received[0]["text"]["body"] == body
    webhook.wait_for(lambda: [s for s in webhook.statuses(second) if s["status"] == "delivered"])
    assert not [m for m, _ in webhook.messages() if m["type"] == "system" and m["from"] == phone]


def test_with_security_notifications_sends_to_a_changed_identity_fail_until_it_is_acknowledged(
        api, webhook, network, new_phone, customer_writes):
    assert api("PATCH", "/v1/settings/application", json={"show_security_notifications": True}).status_code == 200
    try:
        phone = _reinstalled_phone(api, webhook, network, new_phone, customer_writes, "Mallory")
        held = _send_text(api, phone, "to the new key?")

        # The retry receipt makes the business fetch the new key: it reports the
        # change and encrypts nothing to it.
        notice = _identity_notices(webhook, phone)[0]["system"]
        assert notice["type"] == "customer_identity_changed" and notice["customer"] == phone
        assert notice["identity"]
        failed = webhook.wait_for(lambda: [s for s in webhook.statuses(held) if s["status"] == "failed"])
        assert failed[0]["errors"][0]["code"] == 480
        later = _send_text(api, phone, "still unacknowledged")
        assert webhook.wait_for(lambda: [s for s in webhook.statuses(later) if s["status"] == "failed"])
        assert [m["id"] for m in _phone_messages(network, phone, "in") if m["id"] in (held, later)] == []

        # The business acknowledges the new identity: messages go to the new key again.
        identity = api("GET", f"/v1/contacts/{phone}/identity").json()["contacts"]
        assert identity["hash"] == notice["identity"] and identity["acknowledged"] is False
        assert api("PUT", f"/v1/contacts/{phone}/identity", json={"hash": identity["hash"]}).status_code == 200
        body = f"acknowledged {uuid.uuid4()}"
        after = _send_text(api, phone, body)
        webhook.wait_for(lambda: [s for s in webhook.statuses(after) if s["status"] == "delivered"])
        received = [m for m in _phone_messages(network, phone, "in") if m["id"] in (held, later, after)]
        assert [(m["id"], m["text"]["body"]) for m in received] == [(after, body)]
    finally:
        api("PATCH", "/v1/settings/application", json={"show_security_notifications": False})
