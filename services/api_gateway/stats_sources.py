"""Where the numbers of ``/v1/stats/app``, ``/v1/stats/db`` and ``/metrics`` come from.

Everything is read from MongoDB (never Redis): the core nodes' counters from their
``core_nodes`` documents (published on each lease heartbeat), the gateway workers' and
dispatchers' from ``service_stats`` (services/stats/publisher.py), and the
queue and database counts, when asked, from the packages that own those collections
(services/callbacks/outbox.py, services/messages/counts.py, services/contacts/counts.py).

Per node (more than one live core node, the rule of ``/v1/health``): each node shows
its own counters and the rows of the shards it holds. What belongs to no shard (the
callback queue, the dispatcher's and the gateway's counters, contacts, pending
callbacks) is shown once, under the *reporting node*: the holder of the network
connection (the one node that connects, like the original's primary), else the first
node; so that summing a metric over the ``node`` label counts everything once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pymongo
from pymongo.database import Database
from pymongo.errors import ExecutionTimeout

from services.api_gateway.health import multi_node
from services.callbacks import outbox
from services.cluster import shard_shape
from services.cluster.nodes import NETWORK_LEASE, Lease, live_leases, live_nodes
from services.common.clock import utcnow
from services.common.errors import ApiError
from services.contacts import counts as contact_counts
from services.messages import counts as message_counting
from services.messages.counts import rows_of_shards
from services.stats import publisher as stats_publisher
from services.stats.counters import Snapshot, merge
from services.stats.metrics import CALLBACK_TYPES

GATEWAY, DISPATCHER = "gateway", "dispatcher"

DB_STATS_SECONDS = 5.0
"""The bound of one stats request's MongoDB work (spec §11.3: expensive on big
databases). pymongo gives every operation inside it the rest of the budget as its
``maxTimeMS``, so the server stops a count that would run longer."""

ByNode = dict[str | None, Snapshot]  # None: the single-instance shape


@dataclass(frozen=True)
class Layout:
    """Who reports what: the live core nodes, their shards, the reporting node."""

    nodes: dict[str, dict[str, Any]]  # live core node id -> its core_nodes document
    shards: dict[str, list[int]]
    reporting: str | None
    multi: bool


def layout(nodes: list[dict[str, Any]], leases: dict[str, Lease]) -> Layout:
    """Pure: the layout of these live nodes and held leases."""
    by_id = {node["_id"]: node for node in nodes}
    shards: dict[str, list[int]] = {node_id: [] for node_id in by_id}
    for lease in leases.values():
        if lease.shard is not None and lease.owner in shards:
            shards[lease.owner].append(lease.shard)
    network = leases.get(NETWORK_LEASE)
    if network is not None and network.owner in by_id:
        reporting: str | None = network.owner
    else:
        reporting = min(by_id) if by_id else None
    return Layout(by_id, {node: sorted(held) for node, held in shards.items()}, reporting, multi_node(nodes))


def read_layout(db: Database) -> Layout:
    return layout(live_nodes(db), live_leases(db))


def per_node(view: Layout, own: dict[str, Snapshot], shared: Snapshot) -> ByNode:
    """Pure: each node's own numbers, with the shared ones under the reporting node;
    one node or none: everything merged under ``None``."""
    if not view.multi:
        return {None: merge([*own.values(), shared])}
    return {node: merge([own.get(node, {}), shared if node == view.reporting else {}]) for node in view.nodes}


# --- /v1/stats/app -------------------------------------------------------------------


def service_snapshot(db: Database, service: str) -> Snapshot:
    return merge(doc.get("stats") for doc in stats_publisher.live(db, service))


def callback_queue(db: Database) -> Snapshot:
    """Pending callbacks by type: index-only counts on the ``_id`` prefix."""
    sizes: dict[str, int] = {}
    for prefix, kind in CALLBACK_TYPES.items():
        sizes[kind] = sizes.get(kind, 0) + outbox.pending_with_prefix(db, prefix)
    return {"callback_queue_size": [{"labels": {"type": kind}, "value": n} for kind, n in sorted(sizes.items())]}


def app_stats(db: Database) -> ByNode:
    stats_publisher.publish(db, GATEWAY)  # this worker's own counts, up to this request
    view = read_layout(db)
    shared = merge([service_snapshot(db, GATEWAY), service_snapshot(db, DISPATCHER), callback_queue(db)])
    return per_node(view, {node: doc.get("stats") or {} for node, doc in view.nodes.items()}, shared)


# --- /v1/stats/db --------------------------------------------------------------------


def message_counts(db: Database, rows: dict[str, Any] | None) -> Snapshot:
    """db_messages, db_pending_messages and db_message_receipts of ``rows`` (None:
    every message)."""
    groups = message_counting.count_messages(db, rows)
    return {
        "db_messages": [{"labels": {"type": group.type, "direction": group.direction}, "value": group.count}
                        for group in groups],
        "db_pending_messages": [{"labels": {}, "value": sum(group.pending for group in groups)}],
        "db_message_receipts": [{"labels": {"status": "delivered"}, "value": sum(group.delivered for group in groups)},
                                {"labels": {"status": "read"}, "value": sum(group.read for group in groups)}],
    }


def cluster_counts(db: Database) -> Snapshot:
    """What belongs to no shard: contacts and pending callbacks (the rows of no shard
    are counted by :func:`db_stats`)."""
    return {
        "db_contacts": [
            {"labels": {"type": "whatsapp_user"}, "value": contact_counts.whatsapp_users(db)},
            {"labels": {"type": "non_whatsapp_user"}, "value": contact_counts.non_whatsapp_users(db)},
        ],
        "db_pending_callbacks": [{"labels": {}, "value": outbox.pending_estimate(db)}],
    }


def db_stats(db: Database, initial_shards: int) -> ByNode:
    """``initial_shards``: ``WA_SHARDS``, the shard count of a database that has none yet."""
    try:
        with pymongo.timeout(DB_STATS_SECONDS):
            view = read_layout(db)
            shared = cluster_counts(db)
            if not view.multi:
                return per_node(view, {"all": message_counts(db, None)}, shared)
            count = shard_shape.read(db, initial_shards).shards
            own = {node: message_counts(db, rows_of_shards(shards, count))
                   for node, shards in view.shards.items() if shards}
            return per_node(view, own, merge([shared, message_counts(db, rows_of_shards(None))]))
    except ExecutionTimeout as error:  # the server stopped a count at the bound
        raise ApiError(1016, f"Database statistics took longer than {DB_STATS_SECONDS:g} s: "
                             "the database is too large or too busy") from error


# --- /metrics ------------------------------------------------------------------------


def web_metrics(db: Database, now: datetime | None = None) -> Snapshot:
    stats_publisher.publish(db, GATEWAY)
    docs = stats_publisher.live(db, GATEWAY)
    started = [doc["started_at"] for doc in docs if doc.get("started_at") is not None]
    uptime = ((now or utcnow()) - min(started)).total_seconds() if started else 0.0
    return merge([*(doc.get("stats") for doc in docs), {"web_uptime": [{"labels": {}, "value": round(uptime, 3)}]}])
