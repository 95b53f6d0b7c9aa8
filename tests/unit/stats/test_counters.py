import threading

import pytest

from services.stats.counters import Counters, merge
from services.stats.metrics import APP, BY_NAME, DB, DURATION_BUCKETS_MS, WEB, callback_type


def test_every_metric_is_declared_once_with_a_known_type_and_source():
    names = [metric.name for metric in APP + DB + WEB]
    assert len(names) == len(set(names)) == len(BY_NAME)
    assert {metric.kind for metric in BY_NAME.values()} <= {"counter", "gauge", "histogram"}
    assert {metric.source for metric in BY_NAME.values()} <= {"core", "gateway", "dispatcher", "queue", "db"}


def test_counts_by_labels_and_refuses_undeclared_metrics_or_labels():
    counters = Counters()
    counters.inc("messages_sent", {"type": "text"})
    counters.inc("messages_sent", {"type": "text"}, 2)
    counters.inc("messages_sent", {"type": "image"})
    counters.inc("network_connects")
    assert counters.snapshot()["messages_sent"] == [
        {"labels": {"type": "image"}, "value": 1}, {"labels": {"type": "text"}, "value": 3},
    ]
    assert counters.snapshot()["network_connects"] == [{"labels": {}, "value": 1}]
    with pytest.raises(KeyError):
        counters.inc("no_such_metric")
    with pytest.raises(ValueError):
        counters.inc("messages_sent", {"kind": "text"})
    with pytest.raises(ValueError):
        counters.inc("messages_sent")


def test_label_values_are_strings():
    counters = Counters()
    counters.inc("endpoint_requests", {"method": "POST_v1_messages", "status": 201})
    assert counters.snapshot()["endpoint_requests"][0]["labels"] == {"method": "POST_v1_messages", "status": "201"}


def test_snapshot_of_one_source_holds_only_its_metrics():
    counters = Counters()
    counters.inc("messages_sent", {"type": "text"})
    counters.inc("callback_requests", {"result": "success", "type": "status_change"})
    counters.inc("web_requests", {"state": "success"})
    assert set(counters.snapshot("core")) == {"messages_sent"}
    assert set(counters.snapshot("dispatcher")) == {"callback_requests"}
    assert set(counters.snapshot("gateway")) == {"web_requests"}
    assert set(counters.snapshot()) == {"messages_sent", "callback_requests", "web_requests"}


def test_histogram_buckets_are_le_bounds_plus_inf():
    counters = Counters()
    labels = {"method": "GET_v1_health", "result": "success"}
    for value in (1, 5, 5.5, 999999):
        counters.observe("api_requests_duration_ms", labels, value)
    [sample] = counters.snapshot()["api_requests_duration_ms"]
    assert len(sample["buckets"]) == len(DURATION_BUCKETS_MS) + 1
    assert sample["buckets"][0] == 2  # 1 and 5 are <= 5
    assert sample["buckets"][1] == 1  # 5.5 <= 10
    assert sample["buckets"][-1] == 1  # over the last bound: +Inf
    assert sample["count"] == 4 and sample["sum"] == pytest.approx(1000010.5)


def test_concurrent_increments_are_not_lost():
    counters = Counters()

    def work():
        for _ in range(2000):
            counters.inc("drains", {"direction": "outbound"})

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.snapshot()["drains"] == [{"labels": {"direction": "outbound"}, "value": 8000}]


def test_merge_adds_samples_of_the_same_labels_and_skips_what_it_does_not_know():
    one, two = Counters(), Counters()
    one.inc("messages_sent", {"type": "text"}, 2)
    two.inc("messages_sent", {"type": "text"}, 3)
    two.inc("messages_sent", {"type": "image"})
    one.observe("api_requests_duration_ms", {"method": "m", "result": "success"}, 3)
    two.observe("api_requests_duration_ms", {"method": "m", "result": "success"}, 3000)
    stranger = {"from_a_newer_peer": [{"labels": {}, "value": 1}],
                "messages_sent": [{"labels": {"type": "text", "extra": "x"}, "value": 100}]}
    merged = merge([one.snapshot(), two.snapshot(), None, stranger])
    assert merged["messages_sent"] == [{"labels": {"type": "image"}, "value": 1},
                                       {"labels": {"type": "text"}, "value": 5}]
    [histogram] = merged["api_requests_duration_ms"]
    assert histogram["count"] == 2 and histogram["sum"] == 3003
    assert histogram["buckets"][0] == 1 and histogram["buckets"][DURATION_BUCKETS_MS.index(5000)] == 1
    assert "from_a_newer_peer" not in merged


def test_callback_types_come_from_the_callback_id_prefix():
    assert callback_type("in:ABC") == "inbound_message"
    assert callback_type("system:ABC") == "inbound_message"
    assert callback_type("status:ABC:delivered") == "status_change"
    assert callback_type("contacts:check-1") == "contacts"
    assert callback_type("whatever") == "other"
