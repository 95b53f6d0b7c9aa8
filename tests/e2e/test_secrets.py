"""Secrets and message bodies stay out of every process's log and out of the network."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import NEW_PASSWORD
from tests.e2e.test_messaging import _phone_messages, _send_text


def test_no_log_holds_a_token_a_password_or_a_message_body(stack, api, token, webhook, network, new_phone,
        customer_writes):
    phone = new_phone("Heidi", auto_reply="echo")
    customer_writes(phone)
    body = f"confidential-{uuid.uuid4()}"
    _send_text(api, phone, body)
    webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m.get("text", {}).get("body") == body])
    assert _phone_messages(network, phone, "in")[0]["text"]["body"] == body

    logs = {path.name: path.read_text(errors="replace") for path in stack.run_dir.glob("*.log")}
    assert {"gateway.log", "core.log", "dispatcher.log", "sandbox.log"} <= set(logs)
    for name, text in logs.items():
        assert token not in text, name
        assert NEW_PASSWORD not in text, name
        assert body not in text, name


def test_private_keys_and_sessions_are_sealed_at_rest(stack, registration, api, webhook, network, new_phone,
        customer_writes):
    import pymongo

    phone = new_phone("Ivan")
    customer_writes(phone)
    _send_text(api, phone, "hi")
    webhook.wait_for(lambda: _phone_messages(network, phone, "in"))
    db = pymongo.MongoClient(stack.env["WA_MONGO_URL"])[stack.env["WA_MONGO_DB"]]
    identity = db.keys.find_one({"_id": "identity"})
    assert set(identity) == {"_id", "public", "sealed"}
    session = db.sessions.find_one({"_id": phone})
    assert set(session) == {"_id", "sealed", "remote_identity", "remote_identity_since", "updated_at"}
    account = db.account.find_one({"_id": "account"})
    assert "network_token" not in account and account["network_token_sealed"]
    assert all(len(doc["_id"]) == 64 for doc in db.tokens.find())  # SHA-256 hex, never the token
