from services.common.queues import CONTROL_QUEUE, REQUEST_CODE, VERIFY_CODE
from tests.integration.gateway.conftest import META, assert_error

CERT = "Q2VydGlmaWNhdGU="
REGISTRATION = {"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": CERT}


def test_request_code_sent(client, auth, core):
    core.answer = {"http_status": 202, "payload": {"account": [{"vname": "Acme"}]}}
    response = client.post("/v1/account", headers=auth, json=REGISTRATION)
    assert response.status_code == 202
    assert response.get_json() == {"account": [{"vname": "Acme"}], "meta": META}
    assert core.calls == [
        (REQUEST_CODE, {"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": CERT, "pin": None,
                       "wipe": False},
         CONTROL_QUEUE)
    ]


def test_request_code_already_registered(client, auth, core):
    core.answer = {"http_status": 201, "payload": {}}
    response = client.post("/v1/account", headers=auth, json=REGISTRATION)
    assert response.status_code == 201
    assert response.get_json() == {"meta": META}


def test_request_code_core_error(client, auth, core):
    core.answer = {"error": {"code": 1009, "details": "Invalid certificate"}}
    assert_error(client.post("/v1/account", headers=auth, json=REGISTRATION), 400, 1009, "Invalid certificate")


def test_request_code_core_crash(client, auth, core):
    core.answer = RuntimeError("core bug")
    assert_error(client.post("/v1/account", headers=auth, json=REGISTRATION), 500, 1014)


def test_validation_before_rpc(client, auth, core):
    body = {**REGISTRATION, "vname_cert": CERT}
    assert_error(
        client.post("/v1/account", headers=auth, json=body),
        400, 1010, "Exactly one of the following parameters must be present: 'cert', 'vname_cert'",
    )
    assert_error(client.post("/v1/account", headers=auth, json={"cc": "1"}), 400, 1008)
    assert core.calls == []


def test_verify(client, auth, core):
    core.answer = {"http_status": 201, "payload": {}}
    response = client.post("/v1/account/verify", headers=auth, json={"code": "123456"})
    assert response.status_code == 201
    assert response.get_json() == {"meta": META}
    assert core.calls == [(VERIFY_CODE, {"code": "123456"}, CONTROL_QUEUE)]
    response = client.post("/v1/account/verify", headers=auth, json={})
    assert_error(response, 400, 1008, "Missing mandatory parameter 'code'")


def test_no_core_answers(client, auth, redis):
    # Real Celery over the real Redis; no core consumes core.control, so the RPC times out.
    response = client.post("/v1/account/verify", headers=auth, json={"code": "123456"})
    assert_error(response, 500, 1014, "Please check if the core service is running")
    assert redis.llen(CONTROL_QUEUE) == 1
