"""Prometheus counters for callback delivery.

Exposed on ``WA_DISPATCHER_METRICS_PORT`` when it is set (see ``__main__``); the
counters exist either way so the task code does not need to care.
"""

from __future__ import annotations

from prometheus_client import Counter

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
