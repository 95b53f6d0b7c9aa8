
import pytest

from services.cluster.sharding import server_shard
from tests.integration.gateway.conftest import META, assert_error, insert_inbound_message, register

TEXT = {"to": "+1 631-555-1234", "type": "text", "text": {"body": "hello"}}


def test_send_before_registration(client, auth, db):
    assert_error(client.post("/v1/messages", headers=auth, json=TEXT), 500, 1011)
    assert db.messages.count_documents({}) == 0


def test_send_after_registration(client, auth, db, redis, config):
    register(db)
    response = client.post("/v1/messages", headers=auth, json={**TEXT, "preview_url": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["meta"] == META
    [item] = body["messages"]
    message_id = item["id"]
    assert message_id.startswith("gBEG") and message_id.isalnum() and len(message_id) == 27

    doc = db.messages.find_one({"_id": message_id})
    assert doc["direction"] == "outbound"
    assert doc["status"] == "accepted"
    assert doc["wa_id"] == "16315551234"
    assert doc["server_shard"] == server_shard("16315551234")
    assert doc["type"] == "text"
    assert doc["content"] == {"text": {"body": "hello", "preview_url": True}}
    assert doc["seq"] == 1
    assert redis.llen("core.shard.0") > 0


def test_send_sequence_increases(client, auth, db):
    register(db)
    ids = [client.post("/v1/messages", headers=auth, json=TEXT).get_json()["messages"][0]["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    assert [db.messages.find_one({"_id": i})["seq"] for i in ids] == [1, 2, 3]


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        ({"text": {"body": "x"}}, 1008, "Missing mandatory parameter 'to'"),
        ({**TEXT, "type": "foo"}, 1009, "Parameter 'type' has invalid value 'foo'"),
        ({**TEXT, "image": {"id": "1"}}, 1010, "Parameter 'image' is not required for type 'text'"),
        ({**TEXT, "text": {"body": "x" * 4097}}, 1001, "Text body must be at most 4096 characters, got 4097"),
        ({**TEXT, "recipient_type": "other"}, 1002, "Parameter 'recipient_type' has invalid value 'other'"),
        ({**TEXT, "ttl": ""}, 1009, "Empty TTL value not allowed"),
    ],
)
def test_validation_errors_are_enveloped(client, auth, db, body, code, details):
    register(db)
    assert_error(client.post("/v1/messages", headers=auth, json=body), 400, code, details)
    assert db.messages.count_documents({}) == 0


def test_validation_comes_before_registration_check(client, auth):
    assert_error(client.post("/v1/messages", headers=auth, json={}), 400, 1008)


def test_mark_read_unknown_id(client, auth):
    assert_error(client.put("/v1/messages/ABGGunknown", headers=auth, json={"status": "read"}), 404, 1006)


def test_mark_read_outbound_id_is_not_found(client, auth, db):
    register(db)
    message_id = client.post("/v1/messages", headers=auth, json=TEXT).get_json()["messages"][0]["id"]
    assert_error(client.put(f"/v1/messages/{message_id}", headers=auth, json={"status": "read"}), 404, 1006)


def test_mark_read_body_validation(client, auth):
    assert_error(client.put("/v1/messages/x", headers=auth, json={}), 400, 1008, "Missing mandatory parameter 'status'")
    assert_error(
        client.put("/v1/messages/x", headers=auth, json={"status": "delivered"}),
        400, 1009, "Parameter 'status' has invalid value 'delivered'",
    )


def test_mark_read_inbound_message(client, auth, db, redis):
    insert_inbound_message(db)
    for _ in range(2):  # idempotent
        response = client.put("/v1/messages/ABGGFlA5FpafAgo6tHcNmNjXmuSf", headers=auth, json={"status": "read"})
        assert response.status_code == 200
        assert response.get_json() == {"meta": META}
    doc = db.messages.find_one({"_id": "ABGGFlA5FpafAgo6tHcNmNjXmuSf"})
    assert doc["status"] == "read"
    assert "read" in doc["status_timestamps"]
    receipts = list(db.outbound_receipts.find())
    assert len(receipts) == 1
    assert receipts[0]["_id"] == "ABGGFlA5FpafAgo6tHcNmNjXmuSf:read"
    assert receipts[0]["message_id"] == "ABGGFlA5FpafAgo6tHcNmNjXmuSf"
    assert receipts[0]["wa_id"] == "16315551234"
    assert receipts[0]["status"] == "read"
    assert receipts[0]["server_shard"] == server_shard(receipts[0]["wa_id"])
    assert redis.llen("core.shard.0") >= 1


def test_get_and_delete_answer_like_the_original_stubs(client, auth):
    for method in (client.get, client.delete):
        answer = method("/v1/messages/gBEGkYiEB1VXAglK1ZEqA1YKPrU", headers=auth)
        assert answer.status_code == 200
        assert set(answer.get_json()) == {"meta"}
    assert client.get("/v1/messages/gBEGkYiEB1VXAglK1ZEqA1YKPrU").status_code == 401
