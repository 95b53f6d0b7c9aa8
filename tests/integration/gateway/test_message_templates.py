"""``POST /v1/messages`` with templates: checked against the core's cache in MongoDB;
a miss asks the core to refresh it (control RPC), and no core answering is 1014."""

from __future__ import annotations

from services.common.queues import CONTROL_QUEUE, SYNC_TEMPLATES
from tests.integration.gateway.conftest import assert_error, register

TEMPLATE = {"id": "t1", "namespace": "ns", "name": "hello", "language": "en_US", "category": "UTILITY",
            "status": "APPROVED", "components": [{"type": "BODY", "text": "Hello {{1}}"}]}


def _send(name: str = "hello", params=("Ann",)) -> dict:
    return {"to": "16315551234", "type": "template", "template": {
        "namespace": "ns", "name": name, "language": {"policy": "deterministic", "code": "en_US"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}]}}


def test_a_cached_template_is_stored_with_its_translation(client, auth, db, redis):
    register(db)
    db.templates.insert_one({"_id": "ns:hello:en_US", **TEMPLATE})
    response = client.post("/v1/messages", headers=auth, json=_send())
    assert response.status_code == 201, response.get_json()
    doc = db.messages.find_one({"_id": response.get_json()["messages"][0]["id"]})
    assert doc["type"] == "template"
    assert doc["content"]["resolved"] == {"language": "en_US", "template": TEMPLATE}
    assert redis.llen(CONTROL_QUEUE) == 0  # no refresh needed


def test_a_template_error_stores_nothing(client, auth, db):
    register(db)
    db.templates.insert_one({"_id": "ns:hello:en_US", **TEMPLATE})
    assert_error(client.post("/v1/messages", headers=auth, json=_send(params=("a", "b"))), 400, 2000)
    assert db.messages.count_documents({}) == 0


def test_a_miss_asks_the_core_and_no_core_is_1014(client, auth, db, redis):
    register(db)
    response = client.post("/v1/messages", headers=auth, json=_send("not_cached"))
    assert_error(response, 500, 1014, "Please check if the core service is running")
    [queued] = redis.lrange(CONTROL_QUEUE, 0, -1)
    assert SYNC_TEMPLATES.encode() in queued
    assert db.messages.count_documents({}) == 0
