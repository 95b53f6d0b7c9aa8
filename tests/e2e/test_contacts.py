"""Contacts (spec §7) end to end: checks, the cache, sends to phone numbers, identity."""

from __future__ import annotations

import secrets
import uuid

from tests.e2e.test_messaging import _phone_messages


def _national(wa_id: str) -> str:
    """'15550001234' as '(555) 000-1234' (a national number of the business's country 1)."""
    return f"({wa_id[1:4]}) {wa_id[4:7]}-{wa_id[7:]}"


def _unknown_number() -> str:
    # outside the new_phone fixture's 1555000xxxx range
    return "1556" + "".join(secrets.choice("0123456789") for _ in range(7))


def _check(api, contacts: list[str], **options) -> list[dict]:
    answer = api("POST", "/v1/contacts", json={"contacts": contacts, **options})
    assert answer.status_code == 200, answer.text
    return answer.json()["contacts"]


def test_a_blocking_check_in_several_forms(api, registration, new_phone):
    phone = new_phone("Kim")
    unknown = _unknown_number()
    inputs = [phone, f"+{phone[0]} {phone[1:4]}-{phone[4:7]}-{phone[7:]}", _national(phone),
              f"+{phone[0]}.{phone[1:4]}.{phone[4:7]}.{phone[7:]}", unknown, f"+{unknown}", "not a number"]
    assert _check(api, inputs, blocking="wait") == [
        *({"input": text, "status": "valid", "wa_id": phone} for text in inputs[:4]),
        {"input": unknown, "status": "invalid"},
        {"input": f"+{unknown}", "status": "invalid"},
        {"input": "not a number", "status": "invalid"},
    ]


def test_a_non_blocking_check_answers_processing_then_calls_back(api, webhook, new_phone):
    phone = new_phone("Lee")
    unknown = _unknown_number()
    inputs = [_national(phone), unknown]
    assert _check(api, inputs) == [{"input": text, "status": "processing"} for text in inputs]
    [callback] = webhook.wait_for(lambda: [body for body in webhook.received if "messages" not in body
                                           and [c.get("input") for c in body.get("contacts", [])] == inputs])
    assert callback == {"contacts": [
        {"input": _national(phone), "status": "valid", "wa_id": phone},
        {"input": unknown, "status": "invalid"},
    ]}
    # now cached: answered at once, no callback needed
    assert _check(api, inputs) == callback["contacts"]


def test_the_cache_holds_for_seven_days_unless_force_check(api, network, registration):
    number = _unknown_number()
    assert _check(api, [number], blocking="wait") == [{"input": number, "status": "invalid"}]
    created = network("POST", "/sandbox/v1/phones", json={"wa_id": number, "name": "Late", "auto_delivered": True})
    assert created.status_code == 201, created.text
    assert _check(api, [number], blocking="wait") == [{"input": number, "status": "invalid"}]
    assert _check(api, [number], blocking="wait", force_check=True) == [
        {"input": number, "status": "valid", "wa_id": number},
    ]
    assert _check(api, [number]) == [{"input": number, "status": "valid", "wa_id": number}]


def test_a_send_to_a_phone_number_reaches_the_phone(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Max")
    customer_writes(phone)
    body = f"to a phone number {uuid.uuid4()}"
    for to in (f"+1 ({phone[1:4]}) {phone[4:7]}-{phone[7:]}", _national(phone)):
        answer = api("POST", "/v1/messages", json={"to": to, "type": "text", "text": {"body": f"{body} {to}"}})
        assert answer.status_code == 201, answer.text
        message_id = answer.json()["messages"][0]["id"]
        webhook.wait_for(lambda mid=message_id: [m for m in _phone_messages(network, phone, "in") if m["id"] == mid])
        received = [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id]
        assert received[0]["text"]["body"] == f"{body} {to}"
        delivered = webhook.wait_for(
            lambda mid=message_id: [s for s in webhook.statuses(mid) if s["status"] == "delivered"])
        assert delivered[0]["recipient_id"] == phone


def test_identity_changes_are_shown_and_acknowledged(api, webhook, network, new_phone, customer_writes):
    assert api("PATCH", "/v1/settings/application", json={"show_security_notifications": True}).status_code == 200
    try:
        phone = new_phone("Noa")
        assert api("GET", f"/v1/contacts/{phone}/identity").json()["errors"][0]["code"] == 1006
        customer_writes(phone, "first")
        answer = api("GET", f"/v1/contacts/{phone}/identity")
        assert answer.status_code == 200, answer.text
        first = answer.json()["contacts"]
        assert set(first) == {"hash", "created_timestamp", "acknowledged"}
        assert len(first["hash"]) == 12 and first["acknowledged"] is True
        assert isinstance(first["created_timestamp"], int) and first["created_timestamp"] > 10**12

        reinstalled = network("POST", f"/sandbox/v1/phones/{phone}/reinstall", json={})
        assert reinstalled.status_code == 200
        customer_writes(phone, "after reinstall")
        second = api("GET", f"/v1/contacts/{phone}/identity").json()["contacts"]
        assert second["hash"] != first["hash"] and second["acknowledged"] is False
        assert second["hash"] == reinstalled.json()["identity"]  # the phone's own fingerprint
        assert second["created_timestamp"] >= first["created_timestamp"]
        notices = webhook.wait_for(lambda: [m for m, _ in webhook.messages()
                                            if m["type"] == "system" and m["from"] == phone])
        assert notices[0]["system"]["identity"] == second["hash"]

        stale = api("PUT", f"/v1/contacts/{phone}/identity", json={"hash": first["hash"]})
        assert stale.status_code == 400 and stale.json()["errors"][0]["code"] == 1009
        assert api("PUT", f"/v1/contacts/{phone}/identity", json={"hash": second["hash"]}).status_code == 200
        assert api("GET", f"/v1/contacts/{phone}/identity").json()["contacts"] == {**second, "acknowledged": True}
    finally:
        api("PATCH", "/v1/settings/application", json={"show_security_notifications": False})
