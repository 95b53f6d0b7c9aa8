"""``/v1/contacts`` through the real app and MongoDB (no core running: the RPC times out)."""

from __future__ import annotations

import json
from datetime import timedelta

from services.common.clock import utcnow
from services.contacts import checks as contact_checks
from tests.integration.gateway.conftest import META, assert_error, register


def _check(client, auth, **body):
    response = client.post("/v1/contacts", headers=auth, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["meta"] == META
    return response.get_json()["contacts"]


def test_bad_bodies_change_nothing(client, auth, db, redis):
    register(db)
    assert_error(client.post("/v1/contacts", headers=auth, json={}), 400, 1008,
                 "Missing mandatory parameter 'contacts'")
    assert_error(client.post("/v1/contacts", headers=auth, json={"contacts": ["1"], "blocking": "now"}), 400, 1009)
    assert_error(client.post("/v1/contacts", headers=auth, json={"contacts": ["1"], "other": 1}), 400, 1010)
    assert_error(client.post("/v1/contacts", headers=auth, data="[1"), 400, 1025)
    assert db.contact_check_requests.count_documents({}) == 0 and redis.llen("core.control") == 0


def test_needs_a_token_and_a_registration(client, auth, db):
    assert client.post("/v1/contacts", json={"contacts": ["16315551000"]}).status_code == 401
    assert_error(client.post("/v1/contacts", headers=auth, json={"contacts": ["16315551000"]}), 500, 1011)


def test_cached_results_are_answered_without_the_core(client, auth, db, redis):
    register(db)
    contact_checks.store(db, {"16315551000": "16315551000", "16315551002": None})
    contacts = _check(client, auth, blocking="wait",
                      contacts=["+1 631 555 1000", "(631) 555-1002", "not a number", "16315551000"])
    assert contacts == [
        {"input": "+1 631 555 1000", "status": "valid", "wa_id": "16315551000"},
        {"input": "(631) 555-1002", "status": "invalid"},
        {"input": "not a number", "status": "invalid"},
        {"input": "16315551000", "status": "valid", "wa_id": "16315551000"},
    ]
    assert redis.llen("core.control") == 0


def test_no_wait_answers_processing_and_stores_the_check(client, auth, db, redis):
    register(db)
    contact_checks.store(db, {"16315551000": "16315551000"})
    contacts = _check(client, auth, contacts=["16315551000", "+1 631 555 1001", "1-631-555-1001", "x"])
    assert contacts == [
        {"input": "16315551000", "status": "valid", "wa_id": "16315551000"},
        {"input": "+1 631 555 1001", "status": "processing"},
        {"input": "1-631-555-1001", "status": "processing"},
        {"input": "x", "status": "invalid"},
    ]
    [request] = db.contact_check_requests.find()
    assert request["items"] == [["+1 631 555 1001", "16315551001"], ["1-631-555-1001", "16315551001"]]
    [kick] = [json.loads(raw) for raw in redis.lrange("core.control", 0, -1)]
    assert kick["headers"]["task"] == "core.check_contacts_later" and request["_id"] in kick["headers"]["argsrepr"]


def test_expired_results_and_force_check_ask_again(client, auth, db):
    register(db)
    contact_checks.store(db, {"16315551000": None}, now=utcnow() - timedelta(days=8))
    contact_checks.store(db, {"16315551001": None})
    assert _check(client, auth, contacts=["16315551000", "16315551001"]) == [
        {"input": "16315551000", "status": "processing"}, {"input": "16315551001", "status": "invalid"},
    ]
    assert _check(client, auth, contacts=["16315551001"], force_check=True) == [
        {"input": "16315551001", "status": "processing"},
    ]


def test_wait_without_a_core_answers_1014(client, auth, db):
    register(db)
    assert_error(client.post("/v1/contacts", headers=auth, json={"contacts": ["16315551009"], "blocking": "wait"}),
                 500, 1014)


def test_identity_of_an_unknown_contact(client, auth, db):
    register(db)
    assert_error(client.get("/v1/contacts/16315551000/identity", headers=auth), 404, 1006)
    assert_error(client.put("/v1/contacts/16315551000/identity", headers=auth, json={"hash": "UKD6Y/5SqDU="}),
                 404, 1006)
    assert_error(client.get("/v1/contacts/abc/identity", headers=auth), 400, 1009)


def test_identity_from_the_session_and_from_a_change(client, auth, db):
    register(db)
    since = utcnow().replace(microsecond=0) - timedelta(days=1)
    db.sessions.insert_one({"_id": "16315551000", "sealed": b"x", "remote_identity": "AAAAAAAAAAA=",
                            "remote_identity_since": since, "updated_at": utcnow()})
    response = client.get("/v1/contacts/16315551000/identity", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"contacts": {"hash": "AAAAAAAAAAA=", "created_timestamp":
                                                int(since.timestamp() * 1000), "acknowledged": True},
                                   "meta": META}

    changed = utcnow().replace(microsecond=0)
    db.contacts.insert_one({"_id": "16315551000", "identity_hash": "UKD6Y/5SqDU=", "identity_created_at": changed,
                            "identity_acknowledged": False})
    identity = client.get("/v1/contacts/16315551000/identity", headers=auth).get_json()["contacts"]
    assert identity == {"hash": "UKD6Y/5SqDU=", "created_timestamp": int(changed.timestamp() * 1000),
                        "acknowledged": False}

    assert_error(client.put("/v1/contacts/16315551000/identity", headers=auth, json={"hash": "AAAAAAAAAAA="}),
                 400, 1009)
    assert_error(client.put("/v1/contacts/16315551000/identity", headers=auth, json={}), 400, 1008)
    assert db.contacts.find_one({"_id": "16315551000"})["identity_acknowledged"] is False
    response = client.put("/v1/contacts/16315551000/identity", headers=auth, json={"hash": "UKD6Y/5SqDU="})
    assert response.status_code == 200 and response.get_json() == {"meta": META}
    assert db.contacts.find_one({"_id": "16315551000"})["identity_acknowledged"] is True
    assert client.get("/v1/contacts/16315551000/identity", headers=auth).get_json()["contacts"]["acknowledged"]
