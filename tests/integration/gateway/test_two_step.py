"""Two-step verification's routes, registration's new parameters and the shard
change's PIN, through the real app on the real MongoDB (the core's answers scripted)."""

import pytest

from services.account import store as account_store
from services.account.two_step_rules import PIN_REQUIRED, WRONG_PIN
from services.common.master_key import load_master_key
from services.common.queues import CONTROL_QUEUE, DISABLE_TWO_STEP, ENABLE_TWO_STEP, REQUEST_CODE
from tests.common.factories import issue_token
from tests.integration.gateway.conftest import META, assert_error, bearer

PATH = "/v1/settings/account/two-step"
CERT = "Q2VydGlmaWNhdGU="
NUMBER = {"cc": "1", "phone_number": "6315550000"}
DONE = {"http_status": 200, "payload": {}}


def test_enable(client, auth, core):
    core.answer = DONE
    response = client.post(PATH, headers=auth, json={"pin": "012345"})
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    assert core.calls == [(ENABLE_TWO_STEP, {"pin": "012345"}, CONTROL_QUEUE)]


def test_disable(client, auth, core):
    core.answer = DONE
    response = client.delete(PATH, headers=auth)
    assert (response.status_code, response.get_json()) == (200, {"meta": META})
    assert core.calls == [(DISABLE_TWO_STEP, {}, CONTROL_QUEUE)]


@pytest.mark.parametrize(("body", "code", "details"), [
    ({}, 1008, "Missing mandatory parameter 'pin'"),
    ({"pin": ""}, 1009, "Pin must not be empty"),
    ({"pin": "12345"}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
    ({"pin": 123456}, 1009, "Parameter 'pin' has invalid value: it must be 6 digits"),
])
def test_bad_pins_reach_no_core(client, auth, core, body, code, details):
    assert_error(client.post(PATH, headers=auth, json=body), 400, code, details)
    assert core.calls == []


def test_the_core_refusal_is_passed_on(client, auth, core):
    core.answer = {"error": {"code": 1011, "details": "Two-step verification needs a registered number"}}
    assert_error(client.post(PATH, headers=auth, json={"pin": "123456"}), 500, 1011)
    core.answer = RuntimeError("core bug")
    assert_error(client.delete(PATH, headers=auth), 500, 1014)


def test_admin_only(client, db, config, core):
    user = bearer(issue_token(db, config.token_ttl_seconds, username="operator", role="user"))
    assert_error(client.post(PATH, headers=user, json={"pin": "123456"}), 403, 1005)
    assert_error(client.delete(PATH, headers=user), 403, 1005)
    assert_error(client.post("/v1/account", headers=user, json={**NUMBER, "cert": CERT}), 403, 1005)
    assert_error(client.post("/v1/account/shards", headers=user, json={**NUMBER, "shards": 2}), 403, 1005)
    assert core.calls == []


def test_registration_with_vname_cert_pin_or_wipe(client, auth, core):
    core.answer = {"http_status": 202, "payload": {"account": [{"vname": "Acme"}]}}
    response = client.post("/v1/account", headers=auth, json={**NUMBER, "vname_cert": CERT, "pin": "123456"})
    assert (response.status_code, response.get_json()) == (202, {"account": [{"vname": "Acme"}], "meta": META})
    client.post("/v1/account", headers=auth, json={**NUMBER, "cert": CERT, "reset": "wipe"})
    assert [kwargs for _, kwargs, _ in core.calls] == [
        {**NUMBER, "method": "sms", "cert": CERT, "pin": "123456", "wipe": False},
        {**NUMBER, "method": "sms", "cert": CERT, "pin": None, "wipe": True},
    ]
    assert {name for name, _, _ in core.calls} == {REQUEST_CODE}


@pytest.mark.parametrize(("body", "code", "details"), [
    ({"cert": CERT, "vname_cert": CERT}, 1010,
     "Exactly one of the following parameters must be present: 'cert', 'vname_cert'"),
    ({"cert": CERT, "reset": "wipe", "pin": "123456"}, 1010, "Parameter 'pin' is not required when 'reset' is 'wipe'"),
    ({"cert": CERT, "reset": "everything"}, 1009, "Parameter 'reset' has invalid value 'everything'"),
    ({"vname_cert": CERT, "pin": ""}, 1009, "Pin must not be empty"),
])
def test_registration_refusals_reach_no_core(client, auth, core, body, code, details):
    assert_error(client.post("/v1/account", headers=auth, json={**NUMBER, **body}), 400, code, details)
    assert core.calls == []


@pytest.mark.parametrize(("answer", "status"), [((1008, PIN_REQUIRED), 400), ((1005, WRONG_PIN), 403)])
def test_registration_refused_for_its_pin(client, auth, core, answer, status):
    code, details = answer
    core.answer = {"error": {"code": code, "details": details}}
    assert_error(client.post("/v1/account", headers=auth, json={**NUMBER, "cert": CERT}), status, code, details)


def test_a_malformed_core_answer_is_no_500(client, auth, core):
    core.answer = {"http_status": 202, "payload": {"account": "Acme"}}
    assert_error(client.post("/v1/account", headers=auth, json={**NUMBER, "cert": CERT}), 500, 1014,
                 "The core service returned a malformed answer")


def test_already_registered_answers_meta_only(client, auth, core):
    core.answer = {"http_status": 201, "payload": {"ignored": True}}
    response = client.post("/v1/account", headers=auth, json={**NUMBER, "cert": CERT})
    assert (response.status_code, response.get_json()) == (201, {"meta": META})


@pytest.fixture
def registered(db, config):
    account_store.record_code_requested(db, **NUMBER, cert=CERT, vname="Acme")
    keys = load_master_key(config)
    account_store.record_registered(db, keys, wa_id="16315550000", token="network-token")
    return keys


def test_shards_need_the_pin_while_two_step_is_on(client, auth, db, registered):
    shards = {**NUMBER, "shards": 2}
    account_store.record_two_step(db, registered, "123456")
    assert "123456" not in str(db.account.find_one())  # sealed at rest
    assert_error(client.post("/v1/account/shards", headers=auth, json=shards), 400, 1008, PIN_REQUIRED)
    assert_error(client.post("/v1/account/shards", headers=auth, json={**shards, "pin": "654321"}), 403, 1005,
                 WRONG_PIN)
    assert client.get("/v1/account/shards", headers=auth).get_json()["account"] == {"shards": 1}

    assert client.post("/v1/account/shards", headers=auth, json={**shards, "pin": "123456"}).status_code == 201
    assert client.get("/v1/account/shards", headers=auth).get_json() == {"account": {"shards": 2}, "meta": META}


def test_shards_without_two_step_need_no_pin(client, auth, db, registered):
    account_store.record_two_step(db, registered, "123456")
    account_store.clear_two_step(db)
    assert client.post("/v1/account/shards", headers=auth, json={**NUMBER, "shards": 4}).status_code == 201
