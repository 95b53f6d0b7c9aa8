"""``GET /v1/support`` (admin; spec §11.4): debug information for a support request.

Read from MongoDB only, like ``/v1/health``: the registration (never its credential),
every live core node with the leases it holds, the gateway workers and dispatchers that
publish themselves, queue depths, the replica set's members and the last GC runs. With
several live core nodes the answer is keyed per node (the rule of ``/v1/health``), each
entry the whole information with that node's own ``node`` and ``gateway_status``.
Bounded by :data:`SUPPORT_SECONDS`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pymongo
from flask import Blueprint
from pymongo.database import Database
from pymongo.errors import ExecutionTimeout, PyMongoError

from services.account import store as account_store
from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.health import health_body, multi_node, node_statuses
from services.api_gateway.operations import operation
from services.api_gateway.schemas.support import (
    SupportAnswer,
    SupportDatabase,
    SupportGcRun,
    SupportInfo,
    SupportMember,
    SupportNode,
    SupportProcess,
    SupportQueues,
    SupportRegistration,
)
from services.callbacks import outbox, service_runs
from services.cluster.nodes import NETWORK_LEASE, Lease, live_leases, live_nodes
from services.common.clock import utcnow
from services.common.errors import ApiError
from services.messages import counts as message_counts
from services.stats import publisher as stats_publisher

bp = Blueprint("support", __name__, url_prefix="/v1")

SUPPORT_SECONDS = 5.0
PUBLISHING = ("gateway", "dispatcher")
_STARTED = time.monotonic()  # this gateway worker's start, near enough: the module loads with the app


def registration(db: Database) -> SupportRegistration:
    found = account_store.load_registration(db)
    if found is None:
        return SupportRegistration(state="unregistered")
    return SupportRegistration(state=found.state or "unregistered", cc=found.cc, phone_number=found.phone_number,
                               wa_id=found.wa_id, vname=found.vname)


def _uptime(started: datetime | None, now: datetime) -> int | None:
    return int((now - started).total_seconds()) if started is not None else None


def nodes(registered: bool, found: list[dict[str, Any]], leases: dict[str, Lease], now: datetime) -> list[SupportNode]:
    """Pure: each live node with its status (services/api_gateway/health.py) and leases."""
    statuses = node_statuses(registered, found, leases)
    network = leases.get(NETWORK_LEASE)
    return [SupportNode(id=doc["_id"], host=doc.get("host"), gateway_status=statuses[doc["_id"]]["gateway_status"],
                        shards=statuses[doc["_id"]]["shards"], pinned=doc.get("pinned"),
                        network_connection=network is not None and network.owner == doc["_id"],
                        started_at=doc.get("started_at"), heartbeat_at=doc.get("heartbeat_at"),
                        uptime_seconds=_uptime(doc.get("started_at"), now))
            for doc in found]


def processes(db: Database) -> list[SupportProcess]:
    return [SupportProcess(service=doc.get("service", service), host=doc.get("host"), pid=doc.get("pid"),
                           started_at=doc.get("started_at"), published_at=doc.get("published_at"))
            for service in PUBLISHING for doc in stats_publisher.live(db, service)]


def queues(db: Database) -> SupportQueues:
    depths = message_counts.queue_depths(db)
    return SupportQueues(pending_outbound_messages=depths.pending_outbound_messages,
                         pending_callbacks=outbox.pending_estimate(db), owed_receipts=depths.owed_receipts,
                         inbound_events=depths.inbound_events, dead_events=depths.dead_events)


def database(db: Database) -> SupportDatabase:
    """The replica set's members as the server sees them; a server that is no member
    (or refuses the command) is reported, not raised: support is asked when things break."""
    try:
        status = db.client.admin.command("replSetGetStatus")
    except ExecutionTimeout:
        raise
    except PyMongoError as error:
        return SupportDatabase(error=f"{error.__class__.__name__}: replica set state unavailable")
    return SupportDatabase(replica_set=status.get("set"),
                           members=[SupportMember(name=str(member.get("name")), state=str(member.get("stateStr")),
                                                  health=member.get("health"))
                                    for member in status.get("members", [])])


def gc_runs(db: Database) -> dict[str, SupportGcRun]:
    return {kind: SupportGcRun(status=run.get("status", "unknown"), started_at=run.get("started_at"),
                               finished_at=run.get("finished_at"),
                               deleted=run.get("items_deleted", run.get("messages_deleted")))
            for kind, run in service_runs.last_runs(db).items()}


def support_body(db: Database, version: str) -> SupportAnswer:
    now = utcnow()
    found, leases = live_nodes(db), live_leases(db)
    account = registration(db)
    every_node = nodes(account.state == account_store.REGISTERED, found, leases, now)
    shared = SupportInfo(
        version=version, generated_at=now, gateway_uptime_seconds=int(time.monotonic() - _STARTED),
        gateway_status="unregistered", registration=account, node=None, nodes=every_node,
        leases={lease_id: lease.owner for lease_id, lease in sorted(leases.items())},
        processes=processes(db), queues=queues(db), database=database(db), garbage_collection=gc_runs(db))
    if multi_node(found):
        return SupportAnswer(support={node.id: shared.model_copy(update={"node": node,
                                                                          "gateway_status": node.gateway_status})
                                      for node in every_node})
    status = health_body()["gateway_status"]
    return SupportAnswer(support=shared.model_copy(update={"node": every_node[0] if every_node else None,
                                                           "gateway_status": status}))


@bp.get("/support")
@operation("Get support information", answers={200: SupportAnswer}, errors=(1016,), tags=("Health",),
           description="Admin only: it names hosts, processes and the registered number (never a secret); the "
                       "monitoring Apikey is not accepted.")
@auth.require_auth(admin=True)
def support():
    try:
        with pymongo.timeout(SUPPORT_SECONDS):
            answer = support_body(state.db(), state.config().api_version)
    except ExecutionTimeout as error:
        raise ApiError(1016, f"Support information took longer than {SUPPORT_SECONDS:g} s") from error
    return respond(answer.model_dump(mode="json"))
