"""``GET /v1/health`` (Bearer or Apikey; spec §11.1, docs/design.md "Health").

Read from MongoDB only (services/cluster/nodes.py), so it stays right while Redis is
down: the network connection is ``connected`` when its lease is held by a live node that
recorded itself connected. With one core node (or none) the answer has the
single-instance shape; with several, the multi-node shape keyed ``"<hostname>:<pid>"``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from services.account import store as account_store
from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.health import HealthAnswer
from services.cluster.nodes import NETWORK_LEASE, Lease, live_leases, live_nodes

bp = Blueprint("health", __name__, url_prefix="/v1")


def multi_node(nodes: list[dict[str, Any]]) -> bool:
    """Whether answers keyed per node are due (health, stats): more than one live core node."""
    return len(nodes) > 1


def node_statuses(registered: bool, nodes: list[dict[str, Any]], leases: dict[str, Lease]) -> dict[str, dict]:
    """Per live node: its status, its role and (an extension) the shards it holds.

    The node holding the network connection is ``connected`` while it is; a node that
    holds shards sends through the network's API and gets its inbound work through that
    connection, so it is ``connected`` too while the connection is up; a node holding no
    shard is a spare, ``disconnected`` like an unpromoted Coreapp (spec §16.1)."""
    network = leases.get(NETWORK_LEASE)
    up = network is not None and network.connected
    holder = network.owner if network is not None else None
    shards: dict[str, list[int]] = {}
    for lease in leases.values():
        if lease.shard is not None:
            shards.setdefault(lease.owner, []).append(lease.shard)
    health = {}
    for node in nodes:
        held = sorted(shards.get(node["_id"], []))
        if not registered:
            status = "unregistered"
        elif up and (held or holder == node["_id"]):
            status = "connected"
        else:
            status = "disconnected"
        health[node["_id"]] = {"gateway_status": status, "role": "coreapp", "shards": held}
    return health


def health_body() -> dict[str, Any]:
    db = state.db()
    registered = account_store.is_registered(db)
    nodes = live_nodes(db)
    leases = live_leases(db)
    if multi_node(nodes):
        return node_statuses(registered, nodes, leases)
    if not registered:
        return {"gateway_status": "unregistered"}
    network = leases.get(NETWORK_LEASE)
    return {"gateway_status": "connected" if network is not None and network.connected else "disconnected"}


@bp.get("/health")
@operation("Read the gateway's health", answers={200: HealthAnswer}, tags=("Health",))
@auth.require_auth(allow_apikey=True)
def health():
    return respond(HealthAnswer.model_validate({"health": health_body()}).model_dump(mode="json"))
