from services.api_gateway.stats import endpoint_label, request_state
from services.api_gateway.stats_sources import layout, per_node
from services.cluster.nodes import Lease


def lease(lease_id, owner, shard=None):
    return Lease(lease_id, owner, 1, shard, connected=True)


def nodes(*ids):
    return [{"_id": node_id} for node_id in ids]


def test_layout_gives_each_node_its_shards_and_the_network_holder_reports():
    leases = {"shard:0": lease("shard:0", "b:2", 0), "shard:1": lease("shard:1", "a:1", 1),
              "shard:2": lease("shard:2", "b:2", 2), "shard:3": lease("shard:3", "dead:9", 3),
              "network": lease("network", "b:2")}
    view = layout(nodes("a:1", "b:2", "c:3"), leases)
    assert view.multi
    assert view.shards == {"a:1": [1], "b:2": [0, 2], "c:3": []}
    assert view.reporting == "b:2"


def test_without_a_live_network_holder_the_first_node_reports():
    view = layout(nodes("b:2", "a:1"), {"network": lease("network", "dead:9")})
    assert view.reporting == "a:1"
    assert layout([], {}).reporting is None
    assert not layout(nodes("a:1"), {}).multi


def test_per_node_puts_shared_numbers_under_the_reporting_node_only():
    view = layout(nodes("a:1", "b:2"), {"network": lease("network", "b:2")})
    own = {"a:1": {"drains": [{"labels": {"direction": "inbound"}, "value": 1}]},
           "b:2": {"drains": [{"labels": {"direction": "inbound"}, "value": 2}]}}
    shared = {"callback_queue_size": [{"labels": {"type": "status_change"}, "value": 5}]}
    found = per_node(view, own, shared)
    assert set(found) == {"a:1", "b:2"}
    assert "callback_queue_size" not in found["a:1"]
    assert found["b:2"]["callback_queue_size"][0]["value"] == 5
    assert found["a:1"]["drains"][0]["value"] == 1


def test_one_node_merges_everything_under_none():
    view = layout(nodes("a:1"), {})
    found = per_node(view, {"a:1": {"drains": [{"labels": {"direction": "inbound"}, "value": 1}]}},
                     {"drains": [{"labels": {"direction": "inbound"}, "value": 2}]})
    assert found == {None: {"drains": [{"labels": {"direction": "inbound"}, "value": 3}]}}


def test_endpoint_labels_name_the_route_not_the_path():
    assert endpoint_label("POST", "/v1/messages") == "POST_v1_messages"
    assert endpoint_label("PUT", "/v1/messages/<message_id>") == "PUT_v1_messages_message_id"
    assert endpoint_label("GET", "/v1/contacts/<string:wa_id>/identity") == "GET_v1_contacts_wa_id_identity"
    assert endpoint_label("GET", None) == "GET_unknown"
    assert endpoint_label("BREW", "/v1/health") == "OTHER_v1_health"


def test_request_state():
    assert [request_state(s) for s in (200, 201, 404, 401, 500, 503)] == [
        "success", "success", "client_error", "client_error", "server_error", "server_error"]
