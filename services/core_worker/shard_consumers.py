"""Consumption follows the leases: a Celery consumer step that makes the worker consume
the queues of exactly the shards its node holds.

It runs on the consumer's own timer, in the thread that also runs the tasks (solo pool),
so it only ever acts between two tasks: a shard to hand over is released after its
current drain, and its queue consumer is cancelled *before* the lease is released, so
no kick for it reaches this worker afterwards (short of a lease lost by a pause, where
the drain's fence catches it). A shard just taken is kicked at once, without the kick
flag: the previous owner may have died with a kick reserved.
"""

from __future__ import annotations

import logging

from celery import Celery, bootsteps

from services.common.config import ALLOWED_SHARD_COUNTS
from services.common.queues import shard_queue
from services.core_worker.context import CoreContext
from services.core_worker.recovery import kick_all

log = logging.getLogger(__name__)


def install(celery: Celery, ctx: CoreContext) -> None:
    """Add the step to ``celery``'s worker; ``ctx.leases`` must be set before it starts."""

    class ShardConsumers(bootsteps.StartStopStep):
        requires = {"celery.worker.consumer.tasks:Tasks"}

        def __init__(self, c, **kwargs) -> None:
            super().__init__(c, **kwargs)
            self.consuming: set[int] = set()
            self.tref = None

        def start(self, c) -> None:
            # The consumer restarts its task consumer after a broker error, from the
            # selected queues, which add_task_queue / cancel_task_queue keep up to date.
            selected = c.app.amqp.queues.consume_from or {}
            self.consuming = {shard for shard in range(max(ALLOWED_SHARD_COUNTS)) if shard_queue(shard) in selected}
            self.reconcile(c)
            interval = ctx.leases.timings.renew_seconds if ctx.leases else 1.0
            self.tref = c.timer.call_repeatedly(interval, self.reconcile, (c,), priority=10)

        def stop(self, c) -> None:
            if self.tref is not None:
                self.tref.cancel()
                self.tref = None

        shutdown = stop

        def reconcile(self, c) -> None:
            keeper = ctx.leases
            if keeper is None:
                return
            try:
                wanted = keeper.consumable_shards()
                for shard in sorted(self.consuming - wanted):
                    c.cancel_task_queue(shard_queue(shard))
                    self.consuming.discard(shard)
                for shard in keeper.releasing():
                    keeper.release_shard(shard)
                taken = sorted(wanted - self.consuming)
                for shard in taken:
                    c.add_task_queue(shard_queue(shard))
                    self.consuming.add(shard)
                if taken:
                    kick_all(ctx, taken)
            except Exception:  # retried at the next tick; the timer must keep running
                log.exception("could not follow the shard leases")

    celery.steps["consumer"].add(ShardConsumers)
