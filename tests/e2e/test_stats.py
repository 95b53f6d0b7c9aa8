"""Stats per node through the real processes: two core processes on two shards, one
gateway, one dispatcher. ``/v1/stats/app`` and ``/v1/stats/db`` are keyed per node, and a
message sent to a contact of one shard moves that shard's holder's counts only.
The stack is this module's own (its database, its Redis database, WA_SHARDS=2).
"""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.common.waiting import wait_for
from tests.e2e.conftest import own_cluster
from tests.e2e.test_messaging import _send_text
from tests.e2e.test_scale_out import customer_writes, node_of, phone_on_shard, shards_by_node

SHARDS = 2


@pytest.fixture(scope="module")
def cluster(servers_env, tmp_path_factory):
    with own_cluster(servers_env, tmp_path_factory, "stats", redis_db=4, shards=SHARDS,
                     cores=2) as running:
        yield running


def metric(stats: dict, node: str, kind: str, name: str, **labels: str) -> float:
    data = stats[node][kind][name]["data"]
    return sum(item["value"] for item in data if all(item["labels"].get(k) == v for k, v in labels.items()))


def stats(api, kind: str) -> dict:
    answer = api("GET", f"/v1/stats/{kind}")
    assert answer.status_code == 200, answer.text
    return answer.json()["stats"]


def test_stats_are_per_node_and_move_on_the_node_that_sent(cluster):
    stack, api, network, webhook = cluster["stack"], cluster["api"], cluster["network"], cluster["webhook"]
    nodes = {node_of(stack, "core.1"), node_of(stack, "core.2")}
    held = wait_for(lambda: (found := shards_by_node(api)) and set(found) == nodes
                    and all(len(shards) == 1 for shards in found.values()) and found,
                    timeout=30, interval=0.1, message="one shard per node")
    sender = next(node for node, shards in held.items() if shards == [0])
    other = (nodes - {sender}).pop()
    phone = phone_on_shard(network, 0, "Stella")

    before = stats(api, "app")
    assert set(before) == nodes
    assert all(set(value) == {"app"} for value in before.values())
    customer_writes(cluster, phone)
    message_id = _send_text(api, phone, f"counted {uuid.uuid4()}")
    webhook.wait_for(lambda: any(s["status"] == "delivered" for s in webhook.statuses(message_id)), timeout=30)

    # The counters reach MongoDB on the node's next lease heartbeat (every second).
    def moved() -> dict | None:
        now = stats(api, "app")
        sent = metric(now, sender, "app", "messages_sent", type="text") - metric(before, sender, "app",
                                                                                  "messages_sent", type="text")
        received = metric(now, sender, "app", "messages_received", type="text") - metric(
            before, sender, "app", "messages_received", type="text")
        return now if sent == 1 and received == 1 else None

    after = wait_for(moved, timeout=10, interval=0.1, message="the sender's counts moved")
    assert metric(after, sender, "app", "receipts_received", status="delivered") >= 1
    assert metric(after, other, "app", "messages_sent") == metric(before, other, "app", "messages_sent")

    database = stats(api, "db")
    assert set(database) == nodes
    assert metric(database, sender, "db", "db_messages", type="text", direction="outbound") == 1
    assert metric(database, other, "db", "db_messages", direction="outbound") == 0
    # Inbound messages are stored without a shard: the network holder reports them.
    assert sum(metric(database, node, "db", "db_messages", type="text", direction="inbound") for node in nodes) == 1

    text = api("GET", "/v1/stats/app?format=prometheus")
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(text.text)}
    sent_by_node = {s.labels["node"]: s.value for s in families["messages_sent"].samples if s.labels["type"] == "text"}
    assert sent_by_node[sender] >= 1
