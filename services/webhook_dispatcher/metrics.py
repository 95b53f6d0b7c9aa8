"""Counters of callback delivery.

Two audiences:
- the Prometheus counters below, served on ``WA_DISPATCHER_METRICS_PORT`` when it is set
  (see ``__main__``; they exist either way so the task code does not need to care);
- ``callback_requests`` (result, type) of ``/v1/stats/app`` (declared in
  services/stats/metrics.py), counted in memory and published into MongoDB
  (``service_stats``, services/stats/publisher.py, a periodic job of the dispatcher:
  ``app.create_dispatcher``) for the gateway to merge.
The task code calls the functions here, which count both.
"""

from __future__ import annotations

from prometheus_client import Counter

from services.stats import counters as stats_counters
from services.stats.metrics import callback_type

SERVICE = "dispatcher"

DELIVERED = Counter(
    "wa_dispatcher_callbacks_delivered",
    "Callbacks acknowledged by the webhook with HTTP 200",
)
FAILED_ATTEMPTS = Counter(
    "wa_dispatcher_callback_attempts_failed",
    "Delivery attempts that did not get HTTP 200 (the callback stays pending)",
    ["reason"],
)
SWEPT = Counter(
    "wa_dispatcher_callbacks_swept",
    "Overdue callbacks re-kicked by the sweep (lost message or killed dispatcher)",
)


def failure_reason(status: int | None) -> str:
    # A label per status class, not per code, to keep the series count bounded.
    if status is None:
        return "network"
    return f"{status // 100}xx"


def delivered(callback_id: str) -> None:
    DELIVERED.inc()
    stats_counters.inc("callback_requests", {"result": "success", "type": callback_type(callback_id)})


def attempt_failed(callback_id: str, status: int | None) -> None:
    FAILED_ATTEMPTS.labels(failure_reason(status)).inc()
    stats_counters.inc("callback_requests", {"result": "failure", "type": callback_type(callback_id)})
