from dataclasses import replace

from tests.integration.gateway.conftest import META, assert_error, register


def status(client, headers):
    response = client.get("/v1/health", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["meta"] == META
    return body["health"]["gateway_status"]


def test_unregistered(client, auth):
    assert status(client, auth) == "unregistered"


def test_code_requested_is_unregistered(client, auth, db):
    db.account.insert_one({"_id": "account", "state": "code_requested"})
    assert status(client, auth) == "unregistered"


def test_registered_connected_and_disconnected(client, auth, db, redis):
    register(db)
    assert status(client, auth) == "disconnected"
    redis.set("network:connection", "connected", ex=15)
    assert status(client, auth) == "connected"


def test_apikey(config, db, redis):
    from services.api_gateway.app import create_app

    client = create_app(replace(config, api_key="monitoring-key-123")).test_client()
    assert status(client, {"Authorization": "Apikey monitoring-key-123"}) == "unregistered"
    assert_error(client.get("/v1/health", headers={"Authorization": "Apikey wrong-key"}), 401, 1005)
    # The API key is for monitoring only.
    response = client.post("/v1/messages", headers={"Authorization": "Apikey monitoring-key-123"}, json={})
    assert_error(response, 401, 1005)


def test_apikey_refused_when_not_configured(client):
    assert_error(client.get("/v1/health", headers={"Authorization": "Apikey anything"}), 401, 1005)
