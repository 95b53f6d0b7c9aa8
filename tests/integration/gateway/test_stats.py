"""/v1/stats/app, /v1/stats/db and /metrics through the real app on real MongoDB (spec §11.2, §11.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.api_gateway import stats_sources
from services.cluster import shard_shape
from services.stats import counters as stats_counters
from services.stats.counters import Counters
from tests.integration.gateway.conftest import META, assert_error
from tests.integration.gateway.test_health import hold


@pytest.fixture(autouse=True)
def fresh_counters():
    # The counters are this process's; other suites in the same run count into them too.
    stats_counters.COUNTERS.reset()
    yield
    stats_counters.COUNTERS.reset()


def core_node(db, node_id, stats=None, seconds=10):
    """A core node's document as its lease heartbeat writes it, with its counters."""
    db.core_nodes.replace_one({"_id": node_id}, {
        "pinned": None, "expires_at": datetime.now(UTC) + timedelta(seconds=seconds), "stats": stats or {},
    }, upsert=True)


def service(db, key, name, stats, seconds=10):
    db.service_stats.replace_one({"_id": key}, {
        "service": name, "started_at": datetime.now(UTC) - timedelta(seconds=30),
        "expires_at": datetime.now(UTC) + timedelta(seconds=seconds), "stats": stats,
    }, upsert=True)


def counts(**by_type) -> dict:
    counters = Counters()
    for message_type, n in by_type.items():
        counters.inc("messages_sent", {"type": message_type}, n)
    return counters.snapshot()


def values(metric: dict) -> dict:
    return {tuple(sorted(item["labels"].items())): item["value"] for item in metric["data"]}


def get(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["meta"] == META
    return body


def test_needs_a_token_or_the_api_key(config, db, redis):
    from services.api_gateway.app import create_app

    client = create_app(replace(config, api_key="monitoring-key-123")).test_client()
    for path in ("/v1/stats/app", "/v1/stats/db", "/metrics"):
        assert_error(client.get(path), 401, 1005)
        assert_error(client.get(path, headers={"Authorization": "Apikey wrong-key"}), 401, 1005)
        assert client.get(path, headers={"Authorization": "Apikey monitoring-key-123"}).status_code == 200


@pytest.mark.parametrize("path", ["/v1/stats/app", "/v1/stats/db", "/metrics"])
@pytest.mark.parametrize("value", ["xml", "", "PROMETHEUS"])
def test_a_bad_format_is_1009(client, auth, path, value):
    assert_error(client.get(f"{path}?format={value}", headers=auth), 400, 1009,
                 f"Parameter 'format' has invalid value '{value}'")


@pytest.mark.parametrize("path", ["/v1/stats/app/internal", "/v1/stats/db/internal"])
def test_the_internal_variants_are_not_served(client, auth, path):
    assert_error(client.get(path, headers=auth), 404, 1006)


def test_app_single_node_merges_the_core_the_dispatchers_the_gateway_and_the_queue(client, login_auth, db):
    # A real login made the token: it is one of the requests this worker counts.
    core_node(db, "host:1", counts(text=3, image=1))
    dispatcher = Counters()
    dispatcher.inc("callback_requests", {"result": "success", "type": "status_change"}, 4)
    service(db, "dispatcher:host:10", "dispatcher", dispatcher.snapshot())
    service(db, "dispatcher:host:11", "dispatcher", dispatcher.snapshot())
    service(db, "dispatcher:host:12", "dispatcher", dispatcher.snapshot(), seconds=-1)  # died: not counted
    db.pending_callbacks.insert_many([{"_id": "in:A"}, {"_id": "system:B"}, {"_id": "status:C:sent"},
                                      {"_id": "status:C:delivered"}, {"_id": "contacts:D"}])

    app = get(client, "/v1/stats/app", login_auth)["stats"]["app"]
    assert values(app["messages_sent"]) == {(("type", "image"),): 1, (("type", "text"),): 3}
    assert values(app["callback_requests"]) == {(("result", "success"), ("type", "status_change")): 8}
    assert values(app["callback_queue_size"]) == {
        (("type", "contacts"),): 1, (("type", "inbound_message"),): 2, (("type", "status_change"),): 2}
    assert app["callback_queue_size"]["type"] == "gauge"
    # This worker's own requests, counted up to this one (which is counted after it answered).
    assert values(app["endpoint_requests"])[(("method", "POST_v1_users_login"), ("status", "200"))] == 1
    again = get(client, "/v1/stats/app", login_auth)["stats"]["app"]
    assert values(again["endpoint_requests"])[(("method", "GET_v1_stats_app"), ("status", "200"))] == 1


def test_app_several_nodes_are_keyed_per_node_with_shared_numbers_once(client, auth, db):
    core_node(db, "host:1", counts(text=2))
    core_node(db, "host:2", counts(text=5))
    hold(db, "network", "host:2", kind="network", connected=True)
    db.pending_callbacks.insert_one({"_id": "status:X:sent"})

    stats = get(client, "/v1/stats/app", auth)["stats"]
    assert set(stats) == {"host:1", "host:2"}
    assert values(stats["host:1"]["app"]["messages_sent"]) == {(("type", "text"),): 2}
    assert values(stats["host:2"]["app"]["messages_sent"]) == {(("type", "text"),): 5}
    assert values(stats["host:2"]["app"]["callback_queue_size"])[(("type", "status_change"),)] == 1
    assert stats["host:1"]["app"]["callback_queue_size"]["data"] == []  # reported by the network holder only

    text = client.get("/v1/stats/app?format=prometheus", headers=auth)
    assert text.status_code == 200
    assert text.content_type.startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(text.data.decode())}
    sent = {sample.labels["node"]: sample.value for sample in families["messages_sent"].samples}
    assert sent == {"host:1": 2, "host:2": 5}


# A server shard of each of two shards: 0..511 and 512..1023.
SERVER_SHARD_OF = {0: 5, 1: 600}


def outbound(message_id, shard, status, message_type="text", **timestamps):
    return {"_id": message_id, "direction": "outbound", "wa_id": "15550001111", "server_shard": SERVER_SHARD_OF[shard],
            "seq": 1,
            "type": message_type, "status": status, "status_timestamps": timestamps}


def fill_database(db):
    db.messages.insert_many([
        outbound("m1", 0, "accepted"),
        outbound("m2", 0, "delivered", sent=1, delivered=2),
        outbound("m3", 1, "read", "image", sent=1, delivered=2, read=3),
        outbound("m4", 1, "read", sent=1, read=3),  # read without delivered
        {"_id": "i1", "direction": "inbound", "wa_id": "15550001111", "server_shard": 600, "type": "text",
         "status": "received", "status_timestamps": {}},
        # stored without a server shard (as rows of an older version are)
        {"_id": "i2", "direction": "inbound", "wa_id": "15550002222", "type": "text", "status": "received"},
    ])
    db.contacts.insert_many([{"_id": "15550001111"}, {"_id": "15550002222"}])
    now = datetime.now(UTC)
    db.contact_checks.insert_many([
        {"_id": "15550002222", "wa_id": "15550002222", "checked_at": now},  # a contact too: counted once
        {"_id": "15550003333", "wa_id": "15550003333", "checked_at": now},
        {"_id": "15550009999", "wa_id": None, "checked_at": now},
    ])
    db.pending_callbacks.insert_many([{"_id": "in:i1"}, {"_id": "status:m2:delivered"}])


def test_db_single_node_counts_everything(client, auth, db):
    fill_database(db)
    found = get(client, "/v1/stats/db", auth)["stats"]["db"]
    assert values(found["db_messages"]) == {
        (("direction", "outbound"), ("type", "text")): 3, (("direction", "outbound"), ("type", "image")): 1,
        (("direction", "inbound"), ("type", "text")): 2}
    assert values(found["db_pending_messages"]) == {(): 1}
    assert values(found["db_message_receipts"]) == {(("status", "delivered"),): 2, (("status", "read"),): 2}
    assert values(found["db_contacts"]) == {(("type", "whatsapp_user"),): 3, (("type", "non_whatsapp_user"),): 1}
    assert values(found["db_pending_callbacks"]) == {(): 2}


def test_db_several_nodes_count_their_own_shards(client, auth, db):
    fill_database(db)
    shard_shape.change(db, 2, initial=1)
    core_node(db, "host:1")
    core_node(db, "host:2")
    hold(db, "shard:0", "host:1", kind="shard", shard=0)
    hold(db, "shard:1", "host:2", kind="shard", shard=1)
    hold(db, "network", "host:1", kind="network", connected=True)
    stats = get(client, "/v1/stats/db", auth)["stats"]
    assert set(stats) == {"host:1", "host:2"}
    one, two = stats["host:1"]["db"], stats["host:2"]["db"]
    # host:1 reports what belongs to no shard: the inbound message stored without a server shard.
    assert values(one["db_messages"]) == {(("direction", "outbound"), ("type", "text")): 2,
                                          (("direction", "inbound"), ("type", "text")): 1}
    assert values(two["db_messages"]) == {(("direction", "outbound"), ("type", "text")): 1,
                                          (("direction", "outbound"), ("type", "image")): 1,
                                          (("direction", "inbound"), ("type", "text")): 1}
    assert values(one["db_pending_messages"]) == {(): 1} and values(two["db_pending_messages"]) == {(): 0}
    assert values(two["db_message_receipts"]) == {(("status", "delivered"),): 1, (("status", "read"),): 2}
    # What belongs to no shard: under the network holder only.
    assert values(one["db_pending_callbacks"]) == {(): 2}
    assert values(one["db_contacts"])[(("type", "whatsapp_user"),)] == 3
    assert two["db_contacts"]["data"] == []
    assert values(two["db_pending_callbacks"]) == {(): 0}


def test_db_stats_over_their_time_bound_answer_1016(client, auth, db, monkeypatch):
    fill_database(db)
    monkeypatch.setattr(stats_sources, "DB_STATS_SECONDS", 0.00001)
    response = client.get("/v1/stats/db", headers=auth)
    assert_error(response, 503, 1016)
    assert "took longer than" in response.get_json()["errors"][0]["details"]


def test_metrics_count_requests_and_durations_of_every_gateway_worker(client, login_auth, db):
    # A real login made the token: it is one of the requests this worker counts.
    other = Counters()
    other.inc("web_requests", {"state": "success"}, 10)
    other.observe("api_requests_duration_ms", {"method": "POST_v1_messages", "result": "success"}, 40)
    service(db, "gateway:otherhost:7", "gateway", other.snapshot())
    client.get("/v1/nowhere", headers=login_auth)  # 404, client_error

    body = get(client, "/metrics", login_auth)
    assert set(body) == {"web_uptime", "web_requests", "api_requests_duration_ms", "meta"}
    assert body["web_uptime"]["data"][0]["value"] >= 30  # the oldest live worker started 30 s ago
    requests_by_state = values(body["web_requests"])
    assert requests_by_state[(("state", "success"),)] == 11  # the login here and 10 elsewhere
    assert requests_by_state[(("state", "client_error"),)] == 1
    durations = values(body["api_requests_duration_ms"])
    assert durations[(("method", "POST_v1_messages"), ("result", "success"))]["count"] == 1
    assert durations[(("method", "GET_unknown"), ("result", "client_error"))]["count"] == 1

    text = client.get("/metrics?format=prometheus", headers=login_auth).data.decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["api_requests_duration_ms"].type == "histogram"
    assert "web_uptime" in families
