"""``Idempotency-Key`` on POST /v1/messages against the real app, MongoDB and Redis."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from services.api_gateway.idempotency import INVALID_KEY, KEY_REUSED, request_hash
from services.common.clock import utcnow
from services.messages.idempotency import record_id
from services.users import store as user_store
from tests.common.factories import issue_token
from tests.integration.gateway.conftest import META, assert_error, bearer, register

TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}
KEY = "order-1234-attempt"


def _send(client, auth, body=TEXT, key=KEY):
    return client.post("/v1/messages", headers={**auth, "Idempotency-Key": key}, json=body)


def _message_id(response) -> str:
    assert response.status_code == 201, response.get_json()
    return response.get_json()["messages"][0]["id"]


def test_a_retry_answers_the_first_answer_and_stores_one_message(client, auth, db, redis):
    register(db)
    first = _send(client, auth)
    message_id = _message_id(first)
    assert "Idempotent-Replayed" not in first.headers
    queued = redis.llen("core.shard.0")

    again = _send(client, auth)
    assert again.status_code == 201
    assert again.get_json() == first.get_json() == {"messages": [{"id": message_id}], "meta": META}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.messages.count_documents({}) == 1
    assert db.messages.find_one({"_id": message_id})["seq"] == 1
    assert redis.llen("core.shard.0") == queued  # nothing rung twice
    record = db.idempotency_keys.find_one({"_id": record_id("admin", KEY)})
    assert record["message_id"] == message_id
    assert record["request_hash"] == request_hash(TEXT)


def test_the_same_body_reordered_is_the_same_request(client, auth, db):
    register(db)
    first = _message_id(_send(client, auth))
    reordered = {"text": {"body": "hello"}, "type": "text", "to": "16315551234"}
    assert _message_id(_send(client, auth, body=reordered)) == first


def test_without_a_key_every_request_is_a_new_message(client, auth, db):
    register(db)
    ids = {_message_id(client.post("/v1/messages", headers=auth, json=TEXT)) for _ in range(2)}
    assert len(ids) == 2


def test_different_keys_are_different_messages(client, auth, db):
    register(db)
    assert _message_id(_send(client, auth, key="a")) != _message_id(_send(client, auth, key="b"))
    assert db.messages.count_documents({}) == 2


def test_the_key_with_another_body_is_422_and_stores_nothing(client, auth, db):
    register(db)
    first = _message_id(_send(client, auth))
    other = {**TEXT, "text": {"body": "something else"}}
    assert_error(_send(client, auth, body=other), 422, 1009, KEY_REUSED)
    assert [doc["_id"] for doc in db.messages.find()] == [first]


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_a_malformed_key_is_1009_and_stores_nothing(client, auth, db, key):
    register(db)
    headers = {**auth, "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    assert_error(client.post("/v1/messages", headers=headers, json=TEXT), 400, 1009, INVALID_KEY)
    assert db.messages.count_documents({}) == 0
    assert db.idempotency_keys.count_documents({}) == 0


def test_a_refused_request_leaves_the_key_unused(client, auth, db):
    # Not registered yet: 1011, and the key is not remembered with that answer.
    assert_error(_send(client, auth), 500, 1011)
    assert_error(_send(client, auth, body={**TEXT, "to": ""}), 400, 1008)
    assert db.idempotency_keys.count_documents({}) == 0
    register(db)
    assert _message_id(_send(client, auth))
    assert db.messages.count_documents({}) == 1


def test_keys_belong_to_their_user(client, auth, db):
    register(db)
    token = issue_token(db, 3600, username="clerk", role=user_store.ROLE_USER)
    mine = _message_id(_send(client, auth))
    theirs = _message_id(_send(client, bearer(token)))
    assert mine != theirs
    assert db.messages.count_documents({}) == 2


def test_a_key_recorded_by_a_request_that_stopped_before_its_message_is_completed(client, auth, db, redis):
    # What a gateway killed between the two writes (or failed by MongoDB going away)
    # leaves: the record with the id the message was to have, and no message.
    register(db)
    db.idempotency_keys.insert_one({"_id": record_id("admin", KEY), "message_id": "gBEGinterruptedRequest0000",
                                    "request_hash": request_hash(TEXT), "created_at": utcnow()})
    response = _send(client, auth)
    assert _message_id(response) == "gBEGinterruptedRequest0000"
    assert "Idempotent-Replayed" not in response.headers
    assert db.messages.find_one({"_id": "gBEGinterruptedRequest0000"})["status"] == "accepted"
    assert redis.llen("core.shard.0") > 0  # this request rang, as the first could not
    assert _message_id(_send(client, auth)) == "gBEGinterruptedRequest0000"
    assert db.messages.count_documents({}) == 1


def test_concurrent_requests_with_one_key_store_one_message(app, auth, db):
    register(db)
    workers = 8
    barrier = threading.Barrier(workers)
    answers: list = [None] * workers

    def send(index: int) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        answers[index] = _send(client, auth, key="concurrent-key")

    threads = [threading.Thread(target=send, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert {_message_id(answer) for answer in answers} == {db.messages.find_one()["_id"]}
    assert db.messages.count_documents({}) == 1
    assert db.idempotency_keys.count_documents({}) == 1


def test_records_expire_after_24_hours(db):
    [index] = [index for index in db.idempotency_keys.list_indexes() if index["key"] == {"created_at": 1}]
    assert timedelta(seconds=index["expireAfterSeconds"]) == timedelta(hours=24)
