"""Re-kicking shards whose work sits in MongoDB without a queued kick.

Kicks live in Redis; if one is lost (Redis restarted, a worker killed mid-task) the
work is still in MongoDB, and this sweep finds it (and the stored non-blocking contact
checks, ``contact_checker.kick_stale``). It is what makes "accepted means never lost"
hold across any process dying. Each core process sweeps the shards it holds; a shard
it takes over is kicked at once (services/core_worker/shard_consumers.py). A failed
sweep is logged and tried again at the next interval (services/common/periodic.py).
"""

from __future__ import annotations

from datetime import timedelta

from services.common.clock import utcnow
from services.common.kicks import kick_inbound, kick_outbound
from services.core_worker import contact_checker
from services.core_worker.context import CoreContext
from services.messages import inbound_journal, outbound_queue

SWEEP_INTERVAL = 5.0
STALE_AFTER = timedelta(seconds=10)


def stale_shards(ctx: CoreContext, shards: list[int], stale_after: timedelta = STALE_AFTER):
    """(outbound shards, inbound shards) among ``shards`` with work older than ``stale_after``."""
    cutoff = utcnow() - stale_after
    outbound = outbound_queue.server_shards_waiting_since(ctx.db, cutoff)
    inbound = inbound_journal.server_shards_waiting_since(ctx.db, cutoff)
    return _serving(ctx, shards, outbound), _serving(ctx, shards, inbound)


def _serving(ctx: CoreContext, shards: list[int], server_shards: set[int]) -> list[int]:
    """The shards among ``shards`` whose range holds one of ``server_shards``."""
    found = []
    for shard in shards:
        low, high = ctx.shard_range(shard)
        if any(low <= server_shard < high for server_shard in server_shards):
            found.append(shard)
    return found


def kick_all(ctx: CoreContext, shards: list[int]) -> None:
    for shard in shards:
        kick_outbound(ctx.celery, shard)
        kick_inbound(ctx.celery, shard)


def sweep(ctx: CoreContext, shards: list[int] | None = None) -> None:
    """One recovery sweep (a periodic job of the core, ``app.create_core``): kicks the
    ``shards`` (default: those this node holds now, as they move with the leases) whose
    work is stale, and the stored contact checks whose kick was lost."""
    if shards is None:
        shards = ctx.leases.held_shards() if ctx.leases is not None else []
    outbound, inbound = stale_shards(ctx, shards) if shards else ([], [])
    for shard in outbound:
        kick_outbound(ctx.celery, shard)
    for shard in inbound:
        kick_inbound(ctx.celery, shard)
    contact_checker.kick_stale(ctx)
