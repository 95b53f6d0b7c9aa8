"""Retry receipts through a real process: a phone that cannot decrypt an envelope asks
the sender to start over; a phone asked to retry re-sends its message."""

from __future__ import annotations

import requests

from services.protocol import sender_identity
from tests.common.waiting import wait_for
from tests.integration.sandbox.client import Business, ack, next_item
from tests.integration.sandbox.test_network import make_phone, phone_messages, phone_send


def phone_summary(url: str, wa_id: str) -> dict:
    r = requests.get(f"{url}/sandbox/v1/phones/{wa_id}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def relayed(url: str, message_id: str) -> list[dict]:
    log = requests.get(url + "/sandbox/v1/relay/log", timeout=10).json()["envelopes"]
    return [e for e in log if e["id"] == message_id]


def drain_until_ping(ws) -> list[dict]:
    items = []
    while (item := next_item(ws, skip_pings=False)) != {"type": "ping"}:
        items.append(item)
    return items


def test_reinstalled_phone_asks_the_business_to_retry(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    with biz.connect() as ws:
        first, _ = biz.send_text(phone, "first")
        item = next_item(ws)
        assert item["receipt"]["status"] == "delivered" and item["receipt"]["message_ids"] == [first]
        ack(ws, item)
        # The phone answers, so the business's session is confirmed: it now sends "message" contents.
        phone_send(sandbox.url, phone, biz.wa_id, "reply")
        item = next_item(ws)
        biz.decrypt(item["envelope"])
        ack(ws, item)
        old_identity = biz.sessions[phone].remote_identity.fingerprint()

        r = requests.post(f"{sandbox.url}/sandbox/v1/phones/{phone}/reinstall", json={}, timeout=10)
        assert r.status_code == 200, r.text
        new_identity = r.json()["identity"]
        assert new_identity != old_identity

        # Sent with the old session: the phone has no session any more and cannot decrypt it.
        lost, _ = biz.send_text(phone, "are you there?")
        assert relayed(sandbox.url, lost)[0]["content"]["kind"] == "message"
        item = next_item(ws)
        assert item["type"] == "receipt"
        receipt = item["receipt"]
        assert receipt == {
            "from": phone,
            "to": biz.wa_id,
            "status": "retry",
            "message_ids": [lost],
            "timestamp": receipt["timestamp"],
        }
        assert isinstance(receipt["timestamp"], int)
        ack(ws, item)
        summary = phone_summary(sandbox.url, phone)
        assert summary["undecryptable"] == [lost]
        assert summary["errors"][-1]["id"] == lost and summary["errors"][-1]["peer"] == biz.wa_id
        assert lost not in [m["id"] for m in phone_messages(sandbox.url, phone)]

        # The business starts over from a fresh bundle: the new identity, the same message id.
        assert biz.protocol().reset_session(phone) is not None
        biz.send_text(phone, "are you there?", message_id=lost)
        assert biz.sessions[phone].remote_identity.fingerprint() == new_identity
        assert relayed(sandbox.url, lost)[1]["content"]["kind"] == "prekey"
        item = next_item(ws)
        assert item["receipt"]["status"] == "delivered" and item["receipt"]["message_ids"] == [lost]
        assert item["receipt"]["from"] == phone
        ack(ws, item)

        # A duplicate of a message already received: not recorded again, delivered again.
        biz.send_text(phone, "are you there?", message_id=lost)
        item = next_item(ws)
        assert item["receipt"]["status"] == "delivered" and item["receipt"]["message_ids"] == [lost]
        ack(ws, item)
        assert drain_until_ping(ws) == []

    received = [m for m in phone_messages(sandbox.url, phone) if m["id"] == lost]
    assert len(received) == 1
    assert received[0]["direction"] == "in" and received[0]["text"] == {"body": "are you there?"}
    assert received[0]["peer"] == biz.wa_id
    summary = phone_summary(sandbox.url, phone)
    assert summary["undecryptable"] == []
    assert summary["sessions"] == [biz.wa_id]


def test_retry_receipts_are_bounded_per_message_id(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)

    def failures(message_id: str) -> int:
        return sum(e.get("id") == message_id for e in phone_summary(sandbox.url, phone)["errors"])

    with biz.connect() as ws:
        bad, _ = biz.send_text(phone, "garbage", garble=True)
        for _ in range(4):
            biz.send_text(phone, "garbage", message_id=bad, garble=True)
        wait_for(lambda: failures(bad) == 5)
        items = drain_until_ping(ws)
        assert [(i["receipt"]["status"], i["receipt"]["message_ids"]) for i in items] == [("retry", [bad])] * 2
        ack(ws, *items)

        # The bound is per message id: another id gets its own retries.
        other, _ = biz.send_text(phone, "garbage too", garble=True)
        item = next_item(ws)
        assert item["receipt"]["status"] == "retry" and item["receipt"]["message_ids"] == [other]
        ack(ws, item)

        # A decryptable envelope under the failed id is received after all.
        biz.send_text(phone, "readable", message_id=bad)
        item = next_item(ws)
        assert item["receipt"]["status"] == "delivered" and item["receipt"]["message_ids"] == [bad]
        ack(ws, item)

    messages = phone_messages(sandbox.url, phone)
    assert [(m["id"], m["text"]) for m in messages] == [(bad, {"body": "readable"})]
    assert phone_summary(sandbox.url, phone)["undecryptable"] == [other]


def test_phone_resends_on_a_retry_receipt(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    with biz.connect() as ws:
        message_id = phone_send(sandbox.url, phone, biz.wa_id, "hello?")
        original = next_item(ws)
        assert original["envelope"]["id"] == message_id
        ack(ws, original)  # the business "could not decrypt" it

        # The network takes retry receipts from businesses too; unknown ids are ignored by the phone.
        assert biz.receipt(phone, "retry", [message_id, "unknown"]).status_code == 200
        again = next_item(ws)
        assert again["type"] == "envelope"
        envelope = again["envelope"]
        assert envelope["id"] == message_id and envelope["from"] == phone and envelope["to"] == biz.wa_id
        assert envelope["timestamp"] == original["envelope"]["timestamp"]
        # A new session from a fresh bundle: a prekey content with a new ephemeral.
        assert envelope["content"]["kind"] == "prekey"
        assert envelope["content"] != original["envelope"]["content"]
        assert sender_identity(envelope["content"]) == sender_identity(original["envelope"]["content"])
        plain = biz.decrypt(envelope)
        assert plain["text"] == {"body": "hello?"} and plain["profile"] == {"name": "Alice"}
        ack(ws, again)

        # Bounded: a second retry is honoured, a third is not.
        assert biz.receipt(phone, "retry", [message_id]).status_code == 200
        second = next_item(ws)
        assert second["envelope"]["id"] == message_id
        assert biz.decrypt(second["envelope"])["text"] == {"body": "hello?"}
        ack(ws, second)
        assert biz.receipt(phone, "retry", [message_id]).status_code == 200
        wait_for(lambda: any(e["error"] == "retry_limit" for e in phone_summary(sandbox.url, phone)["errors"]))
        assert drain_until_ping(ws) == []

        # The new session works: the business answers in it and the phone reads it.
        reply, _ = biz.send_text(phone, "yes, hello")
        item = next_item(ws)
        assert item["receipt"]["status"] == "delivered" and item["receipt"]["message_ids"] == [reply]
        ack(ws, item)

    messages = phone_messages(sandbox.url, phone)
    assert [(m["direction"], m["id"]) for m in messages] == [("out", message_id), ("in", reply)]
    assert messages[0]["resent"] == 2 and messages[0]["status"] == "sent"
    assert len(relayed(sandbox.url, message_id)) == 3
