"""The sandbox network through a real process: a business client plays against
virtual phones with services.protocol end-to-end encryption."""

from __future__ import annotations

import json

import pytest
import requests
from websockets.exceptions import ConnectionClosed

from services.protocol import Envelope, OneTimePrekey, sender_identity
from tests.common.waiting import wait_for
from tests.integration.sandbox.client import Business, ack, business_message_id, next_item


def make_phone(url: str, wa_id: str, **settings: object) -> None:
    body = {"wa_id": wa_id, "name": "Alice", **settings}
    r = requests.post(url + "/sandbox/v1/phones", json=body, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json() == {"wa_id": wa_id}


def phone_messages(url: str, wa_id: str) -> list[dict]:
    r = requests.get(f"{url}/sandbox/v1/phones/{wa_id}/messages", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


def phone_send(url: str, wa_id: str, to: str, body: str) -> str:
    r = requests.post(
        f"{url}/sandbox/v1/phones/{wa_id}/messages",
        json={"to": to, "type": "text", "text": {"body": body}},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_registration_tokens_and_certificates(sandbox, number):
    biz = Business(sandbox.url, "1", number)
    biz.register()
    first = biz.token
    assert biz.get("/network/v1/keys").status_code == 200

    # Re-registration issues a new token and invalidates the old one.
    biz.register()
    assert biz.token != first
    r = requests.get(sandbox.url + "/network/v1/keys", headers={"Authorization": f"Bearer {first}"}, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert biz.get("/network/v1/keys").status_code == 200

    # A certificate for another number, a tampered one, garbage.
    other = Business(sandbox.url, "1", str(int(number) + 5000)).certificate()
    for cert in (other, other[:-8] + "AAAAAAA=", "not base64!", None):
        r = biz.post(
            "/network/v1/registration/code",
            {"cc": "1", "phone_number": number, "method": "sms", "cert": cert},
            auth=False,
        )
        assert r.status_code == 400, cert
        assert r.json()["error"] in ("invalid_certificate", "bad_request")

    # Wrong code.
    biz.post(
        "/network/v1/registration/code",
        {"cc": "1", "phone_number": number, "method": "sms", "cert": biz.certificate()},
        auth=False,
    )
    code = requests.get(f"{sandbox.url}/sandbox/v1/verification-codes/1{number}", timeout=10).json()["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = biz.post("/network/v1/registration/verify", {"cc": "1", "phone_number": number, "code": wrong}, auth=False)
    assert r.status_code == 403
    assert r.json()["error"] == "invalid_code"


def test_unauthorized_everywhere(sandbox):
    for method, path in [
        ("PUT", "/network/v1/keys"),
        ("GET", "/network/v1/keys/15550001111"),
        ("POST", "/network/v1/envelopes"),
        ("POST", "/network/v1/receipts"),
        ("GET", "/network/v1/connect"),
    ]:
        r = requests.request(method, sandbox.url + path, headers={"Authorization": "Bearer nope"}, timeout=10)
        assert r.status_code == 401, path
        assert r.json() == {"error": "unauthorized", "message": r.json()["message"]}


def test_bundles_hand_out_one_time_prekeys_once(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup(keys=2)
    other = Business(sandbox.url, "1", str(int(number) + 5000)).setup()
    seen = [other.get(f"/network/v1/keys/{biz.wa_id}").json()["one_time_prekey"] for _ in range(3)]
    assert seen[0]["key_id"] != seen[1]["key_id"]
    assert seen[2] is None
    r = other.get("/network/v1/keys/19999999999")
    assert r.status_code == 404
    assert r.json()["error"] == "not_a_user"


def test_business_to_phone_text_with_delivered_receipt(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    message_id, sent = biz.send_text(phone, "hello Alice")
    assert isinstance(sent["id"], str) and isinstance(sent["timestamp"], int)

    messages = wait_for(lambda: phone_messages(sandbox.url, phone))
    assert messages[0]["direction"] == "in"
    assert messages[0]["id"] == message_id
    assert messages[0]["peer"] == biz.wa_id
    assert messages[0]["type"] == "text"
    assert messages[0]["text"] == {"body": "hello Alice"}
    assert messages[0]["profile"] == {"name": "Acme"}

    with biz.connect() as ws:
        item = next_item(ws)
        assert item["type"] == "receipt"
        assert item["receipt"]["status"] == "delivered"
        assert item["receipt"]["message_ids"] == [message_id]
        assert item["receipt"]["from"] == phone
        ack(ws, item)
        # A second message in the same session (still a "prekey" content: no reply yet).
        second, _ = biz.send_text(phone, "again")
        item2 = next_item(ws)
        assert item2["receipt"]["message_ids"] == [second]
        ack(ws, item2)
    wait_for(lambda: len(phone_messages(sandbox.url, phone)) == 2)
    with biz.connect() as ws:  # everything was acknowledged: nothing comes back
        item = next_item(ws, skip_pings=False)
        assert item == {"type": "ping"}


def test_phone_to_business_and_read_receipts_both_ways(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone, auto_delivered=False)
    with biz.connect() as ws:
        message_id = phone_send(sandbox.url, phone, biz.wa_id, "hi business")
        assert message_id.startswith("ABGG") and message_id.isalnum()
        item = next_item(ws)
        assert item["type"] == "envelope"
        assert item["envelope"]["from"] == phone and item["envelope"]["id"] == message_id
        plain = biz.decrypt(item["envelope"])
        assert plain["type"] == "text" and plain["text"] == {"body": "hi business"}
        assert plain["profile"] == {"name": "Alice"}
        ack(ws, item)

        # Business -> phone: delivered then read.
        assert biz.receipt(phone, "delivered", [message_id]).status_code == 200
        assert biz.receipt(phone, "read", [message_id]).status_code == 200
        wait_for(lambda: phone_messages(sandbox.url, phone)[0]["status"] == "read")
        out = phone_messages(sandbox.url, phone)[0]
        assert out["direction"] == "out" and set(out["statuses"]) == {"sent", "delivered", "read"}

        # The business answers in the session; the phone (auto_delivered off) reads it on request.
        reply_id, _ = biz.send_text(phone, "how can we help?")
        wait_for(lambda: len(phone_messages(sandbox.url, phone)) == 2)
        assert phone_messages(sandbox.url, phone)[1]["text"] == {"body": "how can we help?"}
        r = requests.post(f"{sandbox.url}/sandbox/v1/phones/{phone}/read", json={"message_id": reply_id}, timeout=10)
        assert r.status_code == 200, r.text
        item = next_item(ws)
        assert item["type"] == "receipt"
        assert item["receipt"]["status"] == "read" and item["receipt"]["message_ids"] == [reply_id]
        ack(ws, item)

        r = requests.post(f"{sandbox.url}/sandbox/v1/phones/{phone}/read", json={"message_id": "nope"}, timeout=10)
        assert r.status_code == 404


def test_echo_auto_reply_and_auto_read(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone, auto_read=True, auto_reply="echo")
    with biz.connect() as ws:
        message_id, _ = biz.send_text(phone, "echo me")
        items = [next_item(ws) for _ in range(3)]
        ack(ws, *items)
    kinds = [(i["type"], i.get("receipt", {}).get("status")) for i in items]
    assert kinds == [("receipt", "delivered"), ("receipt", "read"), ("envelope", None)]
    echo = biz.decrypt(items[2]["envelope"])
    assert echo["text"] == {"body": "echo me"}
    # The echo answered the business's session: a plain "message" content.
    assert items[2]["envelope"]["content"]["kind"] == "message"
    messages = phone_messages(sandbox.url, phone)
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[0]["status"] == "read"


def test_reinstall_gives_a_new_identity(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    with biz.connect() as ws:
        phone_send(sandbox.url, phone, biz.wa_id, "before")
        first = next_item(ws)
        biz.decrypt(first["envelope"])
        old_identity = biz.sessions[phone].remote_identity
        ack(ws, first)

        r = requests.post(f"{sandbox.url}/sandbox/v1/phones/{phone}/reinstall", json={}, timeout=10)
        assert r.status_code == 200, r.text
        phone_send(sandbox.url, phone, biz.wa_id, "after")
        second = next_item(ws)
        content = second["envelope"]["content"]
        assert content["kind"] == "prekey"
        assert sender_identity(content) != old_identity
        assert biz.decrypt(second["envelope"])["text"] == {"body": "after"}
        assert biz.sessions[phone].remote_identity != old_identity
        ack(ws, second)

    # The business's old session is useless now; a fresh bundle reaches the new install.
    del biz.sessions[phone]
    biz.send_text(phone, "welcome back")
    wait_for(lambda: any(m["text"] == {"body": "welcome back"} for m in phone_messages(sandbox.url, phone)))


def test_unacked_items_are_redelivered_in_order(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    ids = [phone_send(sandbox.url, phone, biz.wa_id, f"m{i}") for i in range(3)]
    with biz.connect() as ws:
        got = [next_item(ws) for _ in range(3)]
        assert [i["envelope"]["id"] for i in got] == ids
        ack(ws, got[0])
    with biz.connect() as ws:
        again = [next_item(ws) for _ in range(2)]
        assert [i["id"] for i in again] == [got[1]["id"], got[2]["id"]]
        texts = [biz.decrypt(i["envelope"])["text"]["body"] for i in got]
        assert texts == ["m0", "m1", "m2"]
        ack(ws, *again)


def test_a_new_connection_replaces_the_old(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    with biz.connect() as first, biz.connect() as second:
        with pytest.raises(ConnectionClosed):
            while True:
                first.recv(timeout=5)
        assert first.close_code == 4001
        assert next_item(second, skip_pings=False) == {"type": "ping"}


def test_relay_log_holds_no_plaintext(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone, auto_reply="echo")
    secret = "the password is swordfish"
    message_id, _ = biz.send_text(phone, secret)
    wait_for(lambda: len(phone_messages(sandbox.url, phone)) == 2)
    log = requests.get(sandbox.url + "/sandbox/v1/relay/log", timeout=10).json()["envelopes"]
    mine = [e for e in log if biz.wa_id in (e["from"], e["to"])]
    assert [e["from"] for e in mine] == [biz.wa_id, phone]
    assert mine[0]["id"] == message_id
    for e in mine:
        Envelope.from_dict(e)  # exactly the envelope dicts
    dump = json.dumps(log)
    assert "swordfish" not in dump and "Alice" not in dump and "Acme" not in dump


def test_bad_inputs(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    r = requests.post(sandbox.url + "/network/v1/envelopes", data=b"{nope", headers=biz.headers, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    r = biz.post("/network/v1/envelopes", {"v": 1, "id": "x"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_envelope"

    # A well-formed envelope, then with the wrong sender and an unknown recipient.
    msg_id, _ = biz.send_text(phone, "x")
    envelope = next(
        e
        for e in requests.get(sandbox.url + "/sandbox/v1/relay/log", timeout=10).json()["envelopes"]
        if e["id"] == msg_id
    )
    forged = {**envelope, "from": phone, "to": biz.wa_id, "id": business_message_id()}
    r = biz.post("/network/v1/envelopes", forged)
    assert r.status_code == 403
    unknown = {**envelope, "to": "19999999999", "id": business_message_id()}
    r = biz.post("/network/v1/envelopes", unknown)
    assert r.status_code == 404 and r.json()["error"] == "not_a_user"

    r = biz.receipt(phone, "seen", ["x"])
    assert r.status_code == 400
    r = biz.receipt("19999999999", "read", ["x"])
    assert r.status_code == 404 and r.json()["error"] == "not_a_user"
    r = requests.put(sandbox.url + "/network/v1/keys", json={"identity": {}}, headers=biz.headers, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_keys"

    url = sandbox.url + "/sandbox/v1/phones"
    assert requests.post(url, json={"wa_id": "12ab", "name": "x"}, timeout=10).status_code == 400
    assert requests.post(url, json={"wa_id": phone, "name": "x", "auto_reply": "rude"}, timeout=10).status_code == 400
    r = requests.post(url, json={"wa_id": biz.wa_id, "name": "x"}, timeout=10)
    assert r.status_code == 409
    assert requests.get(f"{url}/4400000/messages", timeout=10).status_code == 404
    for body in ({"to": biz.wa_id}, {"to": biz.wa_id, "type": "text", "text": {"body": ""}}, {"type": "text"}, []):
        r = requests.post(f"{url}/{phone}/messages", json=body, timeout=10)
        assert r.status_code == 400, body
        assert "error" in r.json()
    r = requests.post(
        f"{url}/{phone}/messages", json={"to": "19999999999", "type": "text", "text": {"body": "hi"}}, timeout=10
    )
    assert r.status_code == 404 and r.json()["error"] == "not_a_user"
    r = requests.post(
        f"{url}/4400000/messages", json={"to": biz.wa_id, "type": "text", "text": {"body": "hi"}}, timeout=10
    )
    assert r.status_code == 404
    r = requests.get(sandbox.url + "/nothing/here", timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = requests.get(sandbox.url + "/sandbox/v1/verification-codes/123", timeout=10)
    assert r.status_code == 404
    r = requests.post(sandbox.url + "/sandbox/v1/certificates", json={"cc": "x"}, timeout=10)
    assert r.status_code == 400


def test_one_time_prekey_replenishment(sandbox, number):
    fresh = Business(sandbox.url, "1", number)
    fresh.register()
    more = {"one_time_prekeys": [k.to_public_dict() for k in OneTimePrekey.generate_batch(100, 3)]}
    r = fresh.post("/network/v1/keys/one-time", more)
    assert r.status_code == 409 and r.json()["error"] == "no_keys"
    fresh.publish_keys(2)
    assert fresh.post("/network/v1/keys/one-time", more).json() == {"one_time_prekeys": 5}
    assert fresh.get("/network/v1/keys").json() == {"one_time_prekeys": 5, "published": True}
    users = requests.get(sandbox.url + "/sandbox/v1/users", timeout=10).json()["users"]
    mine = next(u for u in users if u["wa_id"] == fresh.wa_id)
    assert mine["kind"] == "business" and mine["one_time_prekeys"] == 5 and mine["keys_published"]


def test_a_retransmitted_envelope_is_recorded_once(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    make_phone(sandbox.url, phone)
    message_id, _ = biz.send_text(phone, "once")
    log = requests.get(sandbox.url + "/sandbox/v1/relay/log", timeout=10).json()["envelopes"]
    envelope = next(e for e in log if e["id"] == message_id)
    assert biz.post("/network/v1/envelopes", envelope).status_code == 200
    with biz.connect() as ws:
        receipts = [next_item(ws), next_item(ws)]
        assert [i["receipt"]["message_ids"] for i in receipts] == [[message_id], [message_id]]
        ack(ws, *receipts)
    assert [m["id"] for m in phone_messages(sandbox.url, phone)] == [message_id]
    summary = requests.get(f"{sandbox.url}/sandbox/v1/phones/{phone}", timeout=10).json()
    assert summary["errors"] == [] and summary["sessions"] == [biz.wa_id]


def test_a_batch_of_envelopes_is_relayed_in_order_with_a_result_each(sandbox, number):
    biz = Business(sandbox.url, "1", number).setup()
    phone = "45" + number
    make_phone(sandbox.url, phone)
    envelopes = [e.to_dict() for e in biz.seal_texts(phone, [f"batch {n}" for n in range(3)])]
    stranger = dict(envelopes[0], to="19999999999")
    answer = biz.post("/network/v1/envelopes/batch", {"envelopes": [*envelopes, stranger]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [sorted(r) for r in results[:3]] == [["id", "timestamp"]] * 3
    assert results[3]["error"] == "not_a_user"
    received = wait_for(lambda: len(phone_messages(sandbox.url, phone)) == 3 and phone_messages(sandbox.url, phone))
    assert [m["text"]["body"] for m in received] == ["batch 0", "batch 1", "batch 2"]
    assert biz.post("/network/v1/envelopes/batch", {"envelopes": []}).status_code == 400
