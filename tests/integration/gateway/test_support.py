"""``GET /v1/support`` (spec §11.4) through the gateway app against real MongoDB: the
registration without its credential, the nodes and their leases, queue depths, the GC
runs; keyed per node with several live core nodes; admin only."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.common.factories import issue_token
from tests.integration.gateway.conftest import META, assert_error, bearer, register
from tests.integration.gateway.test_health import hold, node


def support(client, auth) -> dict:
    answer = client.get("/v1/support", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["meta"] == META
    return body["support"]


def test_one_node_answers_the_single_shape_without_secrets(client, auth, db):
    register(db)
    token = "network-token-that-must-not-leak"
    db.account.update_one({"_id": "account"}, {"$set": {"vname": "Acme", "network_token_sealed": token}})
    node(db, "host:1")
    hold(db, "network", "host:1", kind="network", connected=True)
    hold(db, "shard:1/0", "host:1", kind="shard", shard=0)
    db.messages.insert_many([{"_id": "a", "direction": "outbound", "status": "accepted"},
                             {"_id": "b", "direction": "outbound", "status": "delivered"}])
    db.pending_callbacks.insert_one({"_id": "in:x", "payload": {}})
    db.dead_events.insert_one({"_id": "dead"})

    info = support(client, auth)

    assert info["registration"] == {"state": "registered", "cc": "1", "phone_number": "6315550000",
                                    "wa_id": "16315550000", "vname": "Acme"}
    assert info["gateway_status"] == "connected"
    assert info["node"]["id"] == "host:1" and info["node"]["shards"] == [0] and info["node"]["network_connection"]
    assert [found["id"] for found in info["nodes"]] == ["host:1"]
    assert info["leases"] == {"network": "host:1", "shard:1/0": "host:1"}
    assert info["queues"] == {"pending_outbound_messages": 1, "pending_callbacks": 1, "owed_receipts": 0,
                              "inbound_events": 0, "dead_events": 1}
    assert info["database"]["replica_set"] and info["database"]["members"][0]["state"] == "PRIMARY"
    assert info["version"] == META["version"]
    text = json.dumps(info)
    assert token not in text and "sealed" not in text and "password" not in text


def test_several_nodes_key_the_answer_per_node(client, auth, db):
    register(db)
    for node_id in ("host:1", "host:2"):
        node(db, node_id)
    hold(db, "network", "host:1", kind="network", connected=True)
    hold(db, "shard:2/1", "host:2", kind="shard", shard=1)
    info = support(client, auth)
    assert set(info) == {"host:1", "host:2"}
    assert info["host:2"]["node"]["shards"] == [1] and not info["host:2"]["node"]["network_connection"]
    assert info["host:1"]["node"]["network_connection"]
    assert len(info["host:1"]["nodes"]) == 2


def test_the_last_gc_runs_are_shown(client, auth, db):
    assert support(client, auth)["garbage_collection"] == {}
    client.put("/v1/services/message/gc", headers=auth)
    runs = support(client, auth)["garbage_collection"]
    assert runs["message_gc"]["status"] == "processing" and runs["message_gc"]["deleted"] == 0
    assert support(client, auth)["registration"] == {"state": "unregistered", "cc": None, "phone_number": None,
                                                     "wa_id": None, "vname": None}


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/support"), ("PUT", "/v1/services/message/gc"),
                                              ("PUT", "/v1/services/media/gc")])
def test_support_and_gc_are_for_the_admin_only(client, db, config, method, path):
    user = bearer(issue_token(db, config.token_ttl_seconds, username="alice", role="user"))
    assert_error(client.open(path, method=method, headers=user), 403, 1005)
    assert db.service_runs.count_documents({}) == 0


def test_the_message_gc_route_answers_processing_and_joins_a_run_under_way(client, auth, db):
    answer = client.put("/v1/services/message/gc", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json() == {"services": {"message": {"gc": {"status": "processing"}}}, "meta": META}
    first = db.service_runs.find_one({"_id": "message_gc"})
    client.put("/v1/services/message/gc", headers=auth)
    assert db.service_runs.find_one({"_id": "message_gc"})["run"] == first["run"]


def test_the_monitoring_apikey_does_not_open_support(config, db, redis):
    from services.api_gateway.app import create_app

    client = create_app(replace(config, api_key="monitoring-key-123")).test_client()
    assert_error(client.get("/v1/support", headers={"Authorization": "Apikey monitoring-key-123"}), 401, 1005)
