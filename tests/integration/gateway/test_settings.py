import pytest

from services.common.app_settings import DEFAULTS
from tests.integration.gateway.conftest import META, assert_error, register

PATH = "/v1/settings/application"


def current(client, auth):
    response = client.get(PATH, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["meta"] == META
    return response.get_json()["settings"]["application"]


def test_defaults_without_wa_id(client, auth):
    assert current(client, auth) == DEFAULTS


def test_wa_id_when_registered(client, auth, db):
    register(db, "16315551019")
    assert current(client, auth)["wa_id"] == "16315551019"


def test_patch_and_reset_round_trip(client, auth, db):
    patch = {"sent_status": True, "webhooks": {"url": "https://example.com/hook", "message": {"read": False}}}
    response = client.patch(PATH, headers=auth, json=patch)
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    settings = current(client, auth)
    assert settings["sent_status"] is True
    assert settings["webhooks"]["url"] == "https://example.com/hook"
    assert settings["webhooks"]["message"] == {"sent": False, "delivered": True, "read": False}
    assert settings["callback_persist"] is True  # untouched

    response = client.delete(PATH, headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    assert current(client, auth) == DEFAULTS


@pytest.mark.parametrize(
    ("body", "details_start"),
    [
        ({"sent_status": "true"}, "Parameter 'sent_status' has invalid value 'true'"),
        ({"callback_persist": 1}, "Parameter 'callback_persist' has invalid value '1'"),
        ({"no_such_setting": True}, "Unknown parameter 'no_such_setting'"),
        ({}, "No valid parameters provided"),
        (None, "No valid parameters provided"),
        ({"webhooks": {"url": "http://127.0.0.1:8000/hook"}}, "Parameter 'webhooks.url' has invalid value"),
    ],
)
def test_patch_validation(client, auth, body, details_start):
    kwargs = {"json": body} if body is not None else {}
    response = client.patch(PATH, headers=auth, **kwargs)
    assert_error(response, 400, 1009)
    assert response.get_json()["errors"][0]["details"].startswith(details_start)
    assert current(client, auth) == DEFAULTS


def test_http_webhook_allowed_when_configured(config, db, redis):
    from dataclasses import replace

    from services.api_gateway.app import create_app
    from tests.integration.gateway.conftest import NEW_PASSWORD, basic, bearer

    client = create_app(replace(config, allow_http_webhooks=True)).test_client()
    token = client.post(
        "/v1/users/login", headers=basic("admin", "secret"), json={"new_password": NEW_PASSWORD}
    ).get_json()["users"][0]["token"]
    response = client.patch(PATH, headers=bearer(token), json={"webhooks": {"url": "http://127.0.0.1:8000/hook"}})
    assert response.status_code == 200
    assert current(client, bearer(token))["webhooks"]["url"] == "http://127.0.0.1:8000/hook"


def test_settings_need_admin(client, db, token):
    from services.api_gateway.auth import token_hash

    db.users.insert_one({"_id": "user1", "password_hash": "x", "role": "user", "must_change_password": False})
    db.tokens.update_one({"_id": token_hash(token)}, {"$set": {"username": "user1", "role": "user"}})
    headers = {"Authorization": f"Bearer {token}"}
    assert_error(client.get(PATH, headers=headers), 403, 1005)
    assert_error(client.patch(PATH, headers=headers, json={"sent_status": True}), 403, 1005)
    assert_error(client.post("/v1/account/verify", headers=headers, json={"code": "123456"}), 403, 1005)
    assert client.get("/v1/health", headers=headers).status_code == 200


def test_settings_need_token(client):
    assert_error(client.get(PATH), 401, 1005)
