from dataclasses import replace
from datetime import UTC, datetime, timedelta

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


def hold(db, lease_id, owner, seconds=10, **fields):
    """A lease as a core node's keeper writes it (services/core_worker/leases.py)."""
    db.leases.replace_one({"_id": lease_id}, {
        "owner": owner, "epoch": 1, "expires_at": datetime.now(UTC) + timedelta(seconds=seconds), **fields,
    }, upsert=True)


def node(db, node_id, seconds=10):
    db.core_nodes.replace_one({"_id": node_id}, {
        "pinned": None, "expires_at": datetime.now(UTC) + timedelta(seconds=seconds),
    }, upsert=True)


def test_registered_connected_and_disconnected(client, auth, db):
    register(db)
    assert status(client, auth) == "disconnected"
    hold(db, "network", "host:1", kind="network", connected=False)
    assert status(client, auth) == "disconnected"  # held, not connected yet
    hold(db, "network", "host:1", kind="network", connected=True)
    assert status(client, auth) == "connected"
    hold(db, "network", "host:1", seconds=-1, kind="network", connected=True)
    assert status(client, auth) == "disconnected"  # its holder died: the lease ran out


def test_several_nodes_answer_the_multi_node_shape(client, auth, db):
    register(db)
    for number, owner in enumerate(("host:1", "host:2", "host:2")):
        hold(db, f"shard:{number}", owner, kind="shard", shard=number)
    hold(db, "network", "host:1", kind="network", connected=True)
    for node_id in ("host:1", "host:2", "host:3"):
        node(db, node_id)
    node(db, "host:4", seconds=-1)  # dead: not shown
    health = client.get("/v1/health", headers=auth).get_json()["health"]
    assert health == {
        "host:1": {"gateway_status": "connected", "role": "coreapp", "shards": [0]},
        "host:2": {"gateway_status": "connected", "role": "coreapp", "shards": [1, 2]},
        "host:3": {"gateway_status": "disconnected", "role": "coreapp", "shards": []},  # a spare
    }
    hold(db, "network", "host:1", kind="network", connected=False)
    health = client.get("/v1/health", headers=auth).get_json()["health"]
    assert {key: value["gateway_status"] for key, value in health.items()} == dict.fromkeys(health, "disconnected")


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
