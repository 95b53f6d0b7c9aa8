"""``/v1/stats/app``, ``/v1/stats/db`` and ``/metrics`` (spec §11.2, §11.3): the query and
the answers, built from the metric declarations of services/stats/metrics.py (each
metric a key of its own, with its type, its label names and its kind of value)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from services.stats.metrics import APP, DB, HISTOGRAM, WEB, Metric
from services.stats.render import PROMETHEUS_CONTENT_TYPE

PROMETHEUS_TEXT = PROMETHEUS_CONTENT_TYPE


class StatsQuery(BaseModel):
    # Other query parameters are ignored, as they always were.
    format: Literal["prometheus"] | None = Field(default=None, description="prometheus: the text exposition format")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistogramValue(_Closed):
    buckets: dict[str, int] = Field(description="Upper bound (le) → cumulative count; the last is +Inf")
    sum: int | float
    count: int | float


def _labels(metric: Metric) -> Any:
    if not metric.labels:
        return Annotated[dict[str, str], Field(max_length=0)]
    return dict[Literal[metric.labels], str]  # type: ignore[name-defined]


def _metric_model(metric: Metric) -> type[BaseModel]:
    value: Any = HistogramValue if metric.kind == HISTOGRAM else int | float
    sample = create_model(f"Sample_{metric.name}", __base__=_Closed, labels=(_labels(metric), ...), value=(value, ...))
    fields: dict[str, Any] = {"type": (Literal[metric.kind], ...), "help": (str, ...), "data": (list[sample], ...)}  # type: ignore[valid-type]
    return create_model(f"Metric_{metric.name}", __base__=_Closed, **fields)


def metrics_model(name: str, metrics: tuple[Metric, ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {metric.name: (_metric_model(metric), ...) for metric in metrics}
    return create_model(name, __base__=_Closed, **fields)


AppMetrics = metrics_model("AppMetrics", APP)
DbMetrics = metrics_model("DbMetrics", DB)
WebMetrics = metrics_model("WebMetrics", WEB)
"""``/metrics``: these keys sit beside ``meta`` (spec §11.2)."""


class AppStats(_Closed):
    app: AppMetrics  # type: ignore[valid-type]


class DbStats(_Closed):
    db: DbMetrics  # type: ignore[valid-type]


_PER_NODE = 'One core node (or none): its stats; several: keyed by node ("<hostname>:<pid>")'


class AppStatsAnswer(BaseModel):
    stats: AppStats | dict[str, AppStats] = Field(description=_PER_NODE)


class DbStatsAnswer(BaseModel):
    stats: DbStats | dict[str, DbStats] = Field(description=_PER_NODE)
