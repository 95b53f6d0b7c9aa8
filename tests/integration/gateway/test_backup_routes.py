"""``POST /v1/settings/backup`` and ``/restore`` through the real app: admin only, a
backup only while registered and openable with its password alone, the restore handed
to the core's control RPC, and a password never repeated in an error."""

from __future__ import annotations

import pytest

from services.account import store as account_store
from services.api_gateway.state import EXTENSION
from services.backup import blob_rules
from services.common.queues import CONTROL_QUEUE, RESTORE_BACKUP
from tests.common.factories import issue_token
from tests.integration.gateway.conftest import META, assert_error, bearer

TOKEN = "network-token-of-the-number"


def _register(client, db) -> None:
    master_key = client.application.extensions[EXTENSION].master_key()
    account_store.record_code_requested(db, cc="1", phone_number="5550100", cert="Q0VSVA==", vname="Acme")
    account_store.record_registered(db, master_key, wa_id="15550100", token=TOKEN)


def test_no_backup_before_registering(client, auth):
    assert_error(client.post("/v1/settings/backup", headers=auth, json={"password": "pw"}), 500, 1011)


def test_a_backup_opens_with_its_password_and_holds_the_registration(client, auth, db):
    _register(client, db)
    response = client.post("/v1/settings/backup", headers=auth, json={"password": "long enough pw"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"settings", "meta"} and body["meta"] == META and set(body["settings"]) == {"data"}
    data = body["settings"]["data"]
    assert TOKEN not in data
    payload = blob_rules.open_blob("long enough pw", data)
    assert payload["registration"]["wa_id"] == "15550100" and payload["registration"]["network_token"] == TOKEN
    with pytest.raises(blob_rules.WrongPassword):
        blob_rules.open_blob("another pw", data)


@pytest.mark.parametrize(("body", "code"), [({}, 1008), ({"password": ""}, 1009), ({"password": 12345}, 1009)])
def test_a_backup_needs_a_password(client, auth, db, body, code):
    _register(client, db)
    response = client.post("/v1/settings/backup", headers=auth, json=body)
    assert_error(response, 400, code)
    assert "12345" not in response.get_data(as_text=True)


def test_a_restore_goes_to_the_core(client, auth, core):
    core.answer = {"http_status": 200, "payload": {}}
    response = client.post("/v1/settings/restore", headers=auth, json={"password": "pw", "data": "blob"})
    assert response.status_code == 200 and response.get_json() == {"meta": META}
    assert core.calls == [(RESTORE_BACKUP, {"password": "pw", "data": "blob"}, CONTROL_QUEUE)]


def test_the_core_s_refusal_is_the_answer(client, auth, core):
    core.answer = {"error": {"code": 1009, "details": "Parameter 'password' has invalid value: wrong"}}
    response = client.post("/v1/settings/restore", headers=auth, json={"password": "pw", "data": "blob"})
    assert_error(response, 400, 1009)


@pytest.mark.parametrize(("body", "code"), [({"data": "blob"}, 1008), ({"password": "pw"}, 1008),
                                            ({"password": ["secret-pw"], "data": "blob"}, 1009),
                                            ({"password": "secret-pw", "data": 7}, 1009)])
def test_a_restore_body_is_checked_before_the_core_is_asked(client, auth, core, body, code):
    response = client.post("/v1/settings/restore", headers=auth, json=body)
    assert_error(response, 400, code)
    assert "secret-pw" not in response.get_data(as_text=True)
    assert core.calls == []


@pytest.mark.parametrize("path", ["/v1/settings/backup", "/v1/settings/restore"])
def test_a_user_that_is_not_the_admin_is_refused(client, db, config, core, path):
    core.answer = {"http_status": 200, "payload": {}}
    user = bearer(issue_token(db, config.token_ttl_seconds, username="operator", role="user"))
    _register(client, db)
    response = client.post(path, headers=user, json={"password": "pw", "data": "blob"})
    assert_error(response, 403, 1005)
    assert core.calls == []
