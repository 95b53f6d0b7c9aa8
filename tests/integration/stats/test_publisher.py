"""A process's counters published into service_stats on the real MongoDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.common.periodic import Periodic
from services.stats import publisher as stats_publisher
from services.stats.counters import Counters
from services.stats.publisher import SERVICE_STATS, live, process_key, publish
from tests.common.waiting import wait_for


def test_publish_writes_one_document_per_process_with_only_its_services_metrics(db):
    counters = Counters()
    counters.inc("callback_requests", {"result": "success", "type": "inbound_message"}, 3)
    counters.inc("messages_sent", {"type": "text"})  # the core's, not the dispatcher's
    publish(db, "dispatcher", counters)
    publish(db, "dispatcher", counters)
    [doc] = live(db, "dispatcher")
    assert doc["_id"] == process_key("dispatcher")
    assert doc["stats"] == {"callback_requests": [
        {"labels": {"result": "success", "type": "inbound_message"}, "value": 3}]}
    assert doc["expires_at"] > doc["published_at"]
    assert live(db, "gateway") == []


def test_an_expired_document_is_not_live(db):
    publish(db, "gateway", Counters())
    expired = datetime.now(UTC) - timedelta(seconds=1)
    db[SERVICE_STATS].update_one({"_id": process_key("gateway")}, {"$set": {"expires_at": expired}})
    assert live(db, "gateway") == []


def test_the_publisher_thread_keeps_publishing_and_creates_the_ttl_index(db):
    counters = Counters()
    publisher = Periodic([stats_publisher.job(db, "gateway", counters, interval=0.1)])
    publisher.start()
    try:
        counters.inc("web_requests", {"state": "success"})
        wait_for(lambda: (docs := live(db, "gateway")) and docs[0]["stats"].get("web_requests"), timeout=5,
                 message="the counter published")
        assert live(db, "gateway")[0]["stats"]["web_requests"][0]["value"] == 1
        indexes = db[SERVICE_STATS].index_information()
        assert any(index.get("expireAfterSeconds") == 0 for index in indexes.values())
    finally:
        publisher.stop()


def test_ensure_publishing_starts_one_publisher_per_process_and_service(db, monkeypatch):
    monkeypatch.setattr(stats_publisher, "_running", {})
    stats_publisher.ensure_publishing(db, "dispatcher")
    first = stats_publisher._running["dispatcher"][1]
    stats_publisher.ensure_publishing(db, "dispatcher")
    assert stats_publisher._running["dispatcher"][1] is first
    first.stop(timeout=5)
