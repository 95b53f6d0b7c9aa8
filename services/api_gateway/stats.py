"""``GET /v1/stats/app``, ``GET /v1/stats/db`` and ``GET /metrics`` (spec §11.2, §11.3),
each also as Prometheus text with ``?format=prometheus``; Bearer or Apikey (§4.3).

JSON: ``{"stats": {"app": {<metric>: {"type", "help", "data"}}}}`` with one node (or
none); with several live core nodes ``{"stats": {"<hostname>:<pid>": {"app": {...}}}}``
(same for ``db``); ``/metrics`` answers the metrics object itself (§11.2). Where the
numbers come from: services/api_gateway/stats_sources.py; the metrics themselves:
services/stats/metrics.py.

This blueprint also counts every request the worker answers (``endpoint_requests``,
``web_requests``, ``api_requests_duration_ms``), in memory, published into MongoDB every
few seconds by the worker's publisher thread.
"""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from services.api_gateway import auth, state, stats_sources
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.stats import PROMETHEUS_TEXT, AppStatsAnswer, DbStatsAnswer, StatsQuery, WebMetrics
from services.common.errors import invalid
from services.common.escaping import shown
from services.stats import counters as stats_counters
from services.stats import publisher as stats_publisher
from services.stats.metrics import APP, DB, WEB
from services.stats.render import PROMETHEUS_CONTENT_TYPE, to_json, to_prometheus

bp = Blueprint("stats", __name__)

PROMETHEUS = "prometheus"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
_PARAMETER = re.compile(r"<(?:[^:>]*:)?([^>]+)>")


def _format() -> str | None:
    """None (JSON) or ``prometheus``; anything else is refused before any work."""
    try:
        return StatsQuery.model_validate(request.args.to_dict()).format
    except ValidationError:
        raise invalid("format", shown(request.args.get("format", ""))) from None


def _answer(kind: str, metrics, by_node: stats_sources.ByNode, wanted: str | None,
            answer: type[BaseModel]) -> Response:
    if wanted == PROMETHEUS:
        return Response(to_prometheus(metrics, by_node), content_type=PROMETHEUS_CONTENT_TYPE)
    stats: dict[str | None, Any]
    if list(by_node) == [None]:
        stats = {kind: to_json(metrics, by_node[None])}
    else:
        stats = {node: {kind: to_json(metrics, snapshot)} for node, snapshot in by_node.items()}
    return respond(answer.model_validate({"stats": stats}).model_dump(mode="json"))


def _stats_operation(summary: str, answer: type[BaseModel]):
    return operation(summary, query=StatsQuery, answers={200: answer}, text_answers={200: PROMETHEUS_TEXT},
                     errors=(1009,), tags=("Health",))


@bp.get("/v1/stats/app")
@_stats_operation("Read the application stats", AppStatsAnswer)
@auth.require_auth(allow_apikey=True)
def app_stats():
    wanted = _format()
    return _answer("app", APP, stats_sources.app_stats(state.db()), wanted, AppStatsAnswer)


@bp.get("/v1/stats/db")
@_stats_operation("Read the database stats", DbStatsAnswer)
@auth.require_auth(allow_apikey=True)
def db_stats():
    wanted = _format()
    return _answer("db", DB, stats_sources.db_stats(state.db(), state.config().shards), wanted, DbStatsAnswer)


@bp.get("/metrics")
@_stats_operation("Read the gateway's metrics", WebMetrics)
@auth.require_auth(allow_apikey=True)
def metrics():
    wanted = _format()
    snapshot = stats_sources.web_metrics(state.db())
    if wanted == PROMETHEUS:
        return Response(to_prometheus(WEB, {None: snapshot}), content_type=PROMETHEUS_CONTENT_TYPE)
    return respond(WebMetrics.model_validate(to_json(WEB, snapshot)).model_dump(mode="json"))


# --- counting the requests -----------------------------------------------------------


def endpoint_label(method: str, rule: str | None) -> str:
    """``POST_v1_messages``, ``PUT_v1_messages_message_id``: the route, never the raw
    path (bounded label values); an unknown path or method is ``unknown`` / ``OTHER``."""
    method = method if method in METHODS else "OTHER"
    if rule is None:
        return f"{method}_unknown"
    path = _PARAMETER.sub(r"\1", rule).strip("/").replace("/", "_")
    return f"{method}_{path}"


def request_state(status: int) -> str:
    if status < 400:
        return "success"
    return "client_error" if status < 500 else "server_error"


@bp.before_app_request
def _start_clock() -> None:
    g.stats_started = time.monotonic()
    stats_publisher.ensure_publishing(state.db(), stats_sources.GATEWAY)


@bp.after_app_request
def _count(response: Response) -> Response:
    started = g.get("stats_started")
    rule = request.url_rule.rule if request.url_rule is not None else None
    method = endpoint_label(request.method, rule)
    status = response.status_code
    stats_counters.inc("endpoint_requests", {"method": method, "status": status})
    stats_counters.inc("web_requests", {"state": request_state(status)})
    if started is not None:
        stats_counters.observe("api_requests_duration_ms", {"method": method, "result": request_state(status)},
                               (time.monotonic() - started) * 1000)
    return response
