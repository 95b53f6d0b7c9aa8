"""Every metric of ``/v1/stats/app``, ``/v1/stats/db`` and ``/metrics``, declared once.

A declaration is the metric's name, type, help and label names; the in-memory counters
(services/stats/counters.py), the JSON rendering of spec §11.2 and the
Prometheus text (services/stats/render.py) all read it from here, so a metric
cannot be counted under one shape and shown under another.

``source`` says who produces the values:
- ``core``: each core process counts in memory and publishes on its lease heartbeat
  (its ``core_nodes`` document, field ``stats``);
- ``dispatcher`` / ``gateway``: each process publishes a ``service_stats`` document
  (services/stats/publisher.py), merged by the reader;
- ``queue`` / ``db``: counted in MongoDB when asked (services/api_gateway/stats_db.py).
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER, GAUGE, HISTOGRAM = "counter", "gauge", "histogram"


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    help: str
    labels: tuple[str, ...] = ()
    source: str = "core"


# Milliseconds: a request answered from MongoDB takes a few; a control RPC up to 30 s.
DURATION_BUCKETS_MS: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)

APP: tuple[Metric, ...] = (
    Metric("messages_sent", COUNTER, "Outbound messages the network accepted (status sent)", ("type",)),
    Metric("messages_failed", COUNTER, "Outbound messages that failed (status failed)", ("type",)),
    Metric("messages_received", COUNTER, "Inbound messages stored", ("type",)),
    Metric("receipts_received", COUNTER, "Delivered and read receipts recorded for outbound messages",
           ("status",)),
    Metric("receipts_sent", COUNTER, "Delivered and read receipts sent to contacts", ("status",)),
    Metric("network_connects", COUNTER, "Connections opened to the network (the first one and every reconnect)"),
    Metric("drains", COUNTER, "Shard drains run", ("direction",)),
    Metric("callback_queue_size", GAUGE, "Callbacks waiting in MongoDB for the webhook to accept them",
           ("type",), source="queue"),
    Metric("callback_requests", COUNTER, "Callback POSTs to the webhook", ("result", "type"), source="dispatcher"),
    Metric("endpoint_requests", COUNTER, "API requests answered", ("method", "status"), source="gateway"),
)

DB: tuple[Metric, ...] = (
    Metric("db_contacts", GAUGE, "Known numbers: contacts and checked numbers", ("type",), source="db"),
    Metric("db_messages", GAUGE, "Stored messages", ("type", "direction"), source="db"),
    Metric("db_message_receipts", GAUGE, "Outbound messages with a delivered or read receipt", ("status",),
           source="db"),
    Metric("db_pending_callbacks", GAUGE, "Callbacks not yet accepted by the webhook", source="db"),
    Metric("db_pending_messages", GAUGE, "Outbound messages accepted and not yet sent", source="db"),
)

WEB: tuple[Metric, ...] = (
    Metric("web_uptime", GAUGE, "Seconds since the oldest live gateway worker started", source="gateway"),
    Metric("web_requests", COUNTER, "API requests answered, by outcome", ("state",), source="gateway"),
    Metric("api_requests_duration_ms", HISTOGRAM, "API request duration in milliseconds", ("method", "result"),
           source="gateway"),
)

BY_NAME: dict[str, Metric] = {metric.name: metric for metric in APP + DB + WEB}

# Callback ids start with what they report (services/callbacks/outbox.py callers):
# the prefix is the `type` label of callback_queue_size and callback_requests.
CALLBACK_TYPES: dict[str, str] = {
    "in": "inbound_message",
    "system": "inbound_message",
    "status": "status_change",
    "contacts": "contacts",
}
OTHER_CALLBACK = "other"


def callback_type(callback_id: str) -> str:
    return CALLBACK_TYPES.get(callback_id.partition(":")[0], OTHER_CALLBACK)
