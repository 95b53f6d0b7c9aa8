"""``GET /v1/support`` through the real processes (spec §11.4): the running core node,
the registered number, the gateway workers and dispatcher, the replica set; no secret;
admin only."""

from __future__ import annotations

import json

import pymongo

from tests.common.factories import issue_token
from tests.e2e.conftest import BUSINESS


def test_support_describes_the_running_stack_without_secrets(stack, api, registration, token):
    answer = api("GET", "/v1/support")
    assert answer.status_code == 200, answer.text
    info = answer.json()["support"]
    if "version" not in info:  # several core nodes: keyed per node, each the whole information
        info = next(iter(info.values()))

    assert info["registration"]["state"] == "registered"
    assert info["registration"]["wa_id"] == registration["wa_id"]
    assert info["gateway_status"] == "connected"
    assert info["nodes"] and all(node["gateway_status"] == "connected" for node in info["nodes"])
    assert any(node["network_connection"] for node in info["nodes"])
    assert info["leases"]["network"] in {node["id"] for node in info["nodes"]}
    services = {process["service"] for process in info["processes"]}
    assert "gateway" in services
    assert info["database"]["members"] and info["database"]["members"][0]["state"] == "PRIMARY"
    assert set(info["queues"]) == {"pending_outbound_messages", "pending_callbacks", "owed_receipts",
                                   "inbound_events", "dead_events"}
    text = json.dumps(answer.json())
    assert token not in text and "sealed" not in text
    assert info["registration"]["vname"] == BUSINESS["vname"]
    assert "network_token" not in text and "password" not in text


def test_a_user_may_not_read_support(stack, api):
    db = pymongo.MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)[stack.env["WA_MONGO_DB"]]
    user = issue_token(db, 3600, username="support-user", role="user")
    answer = api("GET", "/v1/support", headers={"Authorization": f"Bearer {user}"})
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == 1005
