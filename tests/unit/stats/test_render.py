from prometheus_client.parser import text_string_to_metric_families

from services.stats.counters import Counters
from services.stats.metrics import APP, WEB
from services.stats.render import to_json, to_prometheus


def counted() -> Counters:
    counters = Counters()
    counters.inc("messages_sent", {"type": "text"}, 2)
    counters.inc("endpoint_requests", {"method": "POST_v1_messages", "status": "201"})
    return counters


def test_json_has_every_declared_metric_in_the_11_2_shape():
    body = to_json(APP, counted().snapshot())
    assert list(body) == [metric.name for metric in APP]
    assert body["messages_sent"] == {"type": "counter", "help": "Outbound messages the network accepted (status sent)",
                                     "data": [{"labels": {"type": "text"}, "value": 2}]}
    assert body["messages_failed"]["data"] == []  # labelled, nothing counted yet
    assert body["network_connects"]["data"] == [{"labels": {}, "value": 0}]  # unlabelled: 0


def test_json_histogram_value_is_cumulative_buckets_sum_count():
    counters = Counters()
    for value in (1, 20, 20):
        counters.observe("api_requests_duration_ms", {"method": "GET_metrics", "result": "success"}, value)
    [sample] = to_json(WEB, counters.snapshot())["api_requests_duration_ms"]["data"]
    assert sample["value"]["buckets"]["5.0"] == 1
    assert sample["value"]["buckets"]["25.0"] == 3
    assert sample["value"]["buckets"]["+Inf"] == 3
    assert sample["value"]["count"] == 3 and sample["value"]["sum"] == 41


def families(text: bytes) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text.decode())}


def test_prometheus_single_node_has_help_type_and_samples_without_node():
    text = to_prometheus(APP, {None: counted().snapshot()})
    assert b"# HELP messages_sent_total Outbound messages the network accepted (status sent)" in text
    assert b"# TYPE messages_sent_total counter" in text
    found = families(text)
    [sample] = found["messages_sent"].samples
    assert sample.name == "messages_sent_total" and sample.labels == {"type": "text"} and sample.value == 2
    assert found["network_connects"].samples[0].value == 0


def test_prometheus_several_nodes_add_a_node_label():
    one, two = Counters(), Counters()
    one.inc("messages_sent", {"type": "text"})
    two.inc("messages_sent", {"type": "text"}, 4)
    found = families(to_prometheus(APP, {"host:1": one.snapshot(), "host:2": two.snapshot()}))
    samples = {sample.labels["node"]: sample.value for sample in found["messages_sent"].samples}
    assert samples == {"host:1": 1, "host:2": 4}


def test_prometheus_histogram_has_buckets_sum_and_count():
    counters = Counters()
    counters.observe("api_requests_duration_ms", {"method": "GET_metrics", "result": "success"}, 7)
    found = families(to_prometheus(WEB, {None: counters.snapshot()}))
    samples = found["api_requests_duration_ms"].samples
    buckets = {s.labels["le"]: s.value for s in samples if s.name.endswith("_bucket")}
    assert buckets["5.0"] == 0 and buckets["10.0"] == 1 and buckets["+Inf"] == 1
    assert [s.value for s in samples if s.name.endswith("_sum")] == [7]
    assert [s.value for s in samples if s.name.endswith("_count")] == [1]
