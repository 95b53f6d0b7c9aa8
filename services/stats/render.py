"""Merged stats as the JSON metric shape of spec §11.2 and as Prometheus text. Pure.

Both read the declarations of services/stats/metrics.py. Prometheus text is
written by prometheus_client (a collector over the merged data, ``generate_latest``),
not by hand: ``# HELP``, ``# TYPE``, one line per sample, counters as ``<name>_total``,
histograms as ``_bucket{le=…}``, ``_sum`` and ``_count``; with several nodes each
sample carries a ``node`` label.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.utils import floatToGoString

from services.stats.counters import Snapshot
from services.stats.metrics import COUNTER, DURATION_BUCKETS_MS, HISTOGRAM
from services.stats.metrics import Metric as Declared

PROMETHEUS_CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
NODE_LABEL = "node"
_BOUNDS = [floatToGoString(bound) for bound in DURATION_BUCKETS_MS] + ["+Inf"]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _samples(metric: Declared, snapshot: Snapshot) -> list[dict[str, Any]]:
    """The metric's samples; a metric without labels that nothing counted yet is 0."""
    samples = snapshot.get(metric.name, [])
    if not samples and not metric.labels and metric.kind != HISTOGRAM:
        return [{"labels": {}, "value": 0}]
    return samples


def cumulative(buckets: list[int]) -> list[int]:
    total, found = 0, []
    for count in buckets:
        total += count
        found.append(total)
    return found


def to_json(metrics: Iterable[Declared], snapshot: Snapshot) -> dict[str, Any]:
    """``{name: {"type", "help", "data": [{"labels", "value"}]}}``. A histogram's value is
    ``{"buckets": {le: cumulative count}, "sum", "count"}``."""
    body: dict[str, Any] = {}
    for metric in metrics:
        data = []
        for sample in _samples(metric, snapshot):
            if metric.kind == HISTOGRAM:
                value: Any = {
                    "buckets": dict(zip(_BOUNDS, cumulative(sample["buckets"]), strict=True)),
                    "sum": _number(sample["sum"]), "count": _number(sample["count"]),
                }
            else:
                value = _number(sample["value"])
            data.append({"labels": dict(sample["labels"]), "value": value})
        body[metric.name] = {"type": metric.kind, "help": metric.help, "data": data}
    return body


class _Collector:
    def __init__(self, metrics: tuple[Declared, ...], by_node: Mapping[str | None, Snapshot]) -> None:
        self.metrics, self.by_node = metrics, by_node

    def collect(self) -> Iterator[Metric]:
        for declared in self.metrics:
            family = Metric(declared.name, declared.help, declared.kind)
            for node, snapshot in self.by_node.items():
                extra = {} if node is None else {NODE_LABEL: node}
                for sample in _samples(declared, snapshot):
                    labels = {**sample["labels"], **extra}
                    if declared.kind == HISTOGRAM:
                        for bound, count in zip(_BOUNDS, cumulative(sample["buckets"]), strict=True):
                            family.add_sample(f"{declared.name}_bucket", {**labels, "le": bound}, count)
                        family.add_sample(f"{declared.name}_sum", labels, sample["sum"])
                        family.add_sample(f"{declared.name}_count", labels, sample["count"])
                    else:
                        name = f"{declared.name}_total" if declared.kind == COUNTER else declared.name
                        family.add_sample(name, labels, sample["value"])
            yield family


def to_prometheus(metrics: tuple[Declared, ...], by_node: Mapping[str | None, Snapshot]) -> bytes:
    """Text exposition; ``by_node``: ``{None: snapshot}`` for one node, else per node key."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(metrics, by_node))  # type: ignore[arg-type]
    return generate_latest(registry)
