"""In-memory counters of one process, and the merge of several processes' counts. Pure.

Counting costs no I/O: a process increments :data:`COUNTERS` where things happen and
publishes :meth:`Counters.snapshot` on a heartbeat it already has (the core's lease
heartbeat) or on its own publisher thread (services/stats/publisher.py). Counts
are since the process started, as the original's in-memory Coreapp stats were.

A snapshot is what MongoDB stores and what :func:`merge` adds up:
``{metric name: [{"labels": {...}, "value": n}]}``, and for a histogram
``[{"labels", "buckets": [count per bucket of DURATION_BUCKETS_MS, then +Inf], "sum", "count"}]``.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from services.stats.metrics import BY_NAME, DURATION_BUCKETS_MS, HISTOGRAM

Snapshot = dict[str, list[dict[str, Any]]]
_Key = tuple[str, tuple[tuple[str, str], ...]]


def _key(name: str, labels: Mapping[str, object] | None) -> _Key:
    metric = BY_NAME[name]  # an undeclared metric is a programming error
    labels = labels or {}
    if set(labels) != set(metric.labels):
        raise ValueError(f"{name} takes labels {metric.labels}, not {tuple(labels)}")
    return name, tuple(sorted((label, str(value)) for label, value in labels.items()))


def _from(key: _Key, source: str | None) -> bool:
    return source is None or BY_NAME[key[0]].source == source


class Counters:
    """Thread-safe counters and histograms of the metrics in stats_metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[_Key, float] = {}
        self._histograms: dict[_Key, list[Any]] = {}  # [bucket counts, sum, count]

    def inc(self, name: str, labels: Mapping[str, object] | None = None, amount: float = 1) -> None:
        key = _key(name, labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def observe(self, name: str, labels: Mapping[str, object] | None, value: float) -> None:
        key = _key(name, labels)
        bucket = bisect.bisect_left(DURATION_BUCKETS_MS, value)  # le: value <= bound
        with self._lock:
            histogram = self._histograms.setdefault(key, [[0] * (len(DURATION_BUCKETS_MS) + 1), 0.0, 0])
            histogram[0][bucket] += 1
            histogram[1] += value
            histogram[2] += 1

    def snapshot(self, source: str | None = None) -> Snapshot:
        """The counts so far; ``source``: only the metrics that source produces (what a
        process publishes is what it is responsible for, stats_metrics ``source``)."""
        with self._lock:
            values = {key: value for key, value in self._values.items() if _from(key, source)}
            histograms = {key: [list(h[0]), h[1], h[2]] for key, h in self._histograms.items() if _from(key, source)}
        return _as_snapshot(values, histograms)

    def reset(self) -> None:
        with self._lock:
            self._values.clear()
            self._histograms.clear()


COUNTERS = Counters()
"""This process's counters: the one instance every hook increments."""


def inc(name: str, labels: Mapping[str, object] | None = None, amount: float = 1) -> None:
    COUNTERS.inc(name, labels, amount)


def observe(name: str, labels: Mapping[str, object] | None, value: float) -> None:
    COUNTERS.observe(name, labels, value)


def merge(snapshots: Iterable[Mapping[str, list[dict[str, Any]]] | None]) -> Snapshot:
    """Several processes' snapshots added up, sample by sample (same metric and labels).
    Metrics this process does not declare (a newer or older peer) are left out."""
    values: dict[_Key, float] = {}
    histograms: dict[_Key, list[Any]] = {}
    for snapshot in snapshots:
        for name, samples in (snapshot or {}).items():
            metric = BY_NAME.get(name)
            if metric is None:
                continue
            for sample in samples:
                labels = {label: str(value) for label, value in (sample.get("labels") or {}).items()}
                if set(labels) != set(metric.labels):
                    continue
                key = (name, tuple(sorted(labels.items())))
                if metric.kind == HISTOGRAM:
                    buckets = list(sample.get("buckets") or [])
                    if len(buckets) != len(DURATION_BUCKETS_MS) + 1:
                        continue
                    into = histograms.setdefault(key, [[0] * len(buckets), 0.0, 0])
                    into[0] = [a + b for a, b in zip(into[0], buckets, strict=True)]
                    into[1] += sample.get("sum", 0)
                    into[2] += sample.get("count", 0)
                else:
                    values[key] = values.get(key, 0) + sample.get("value", 0)
    return _as_snapshot(values, histograms)


def _as_snapshot(values: dict[_Key, float], histograms: dict[_Key, list[Any]]) -> Snapshot:
    found: Snapshot = {}
    for (name, labels), value in sorted(values.items()):
        found.setdefault(name, []).append({"labels": dict(labels), "value": value})
    for (name, labels), (buckets, total, count) in sorted(histograms.items()):
        found.setdefault(name, []).append({"labels": dict(labels), "buckets": buckets, "sum": total, "count": count})
    return found


_STATUS_METRICS = {"sent": "messages_sent", "failed": "messages_failed"}
_RECEIPTS = ("delivered", "read")


def statuses_recorded(status: str, message_types: Iterable[str]) -> None:
    """The core recorded ``status`` for outbound messages of these types (each once)."""
    if status in _RECEIPTS:
        COUNTERS.inc("receipts_received", {"status": status}, sum(1 for _ in message_types))
    elif status in _STATUS_METRICS:
        for message_type in message_types:
            COUNTERS.inc(_STATUS_METRICS[status], {"type": message_type})
