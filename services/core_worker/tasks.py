"""The core's Celery tasks: thin wrappers around the drain and control logic, registered
on the core's app by :func:`register_tasks`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Celery, Task

from services.common.kicks import clear_flag, kick, kick_inbound, kick_outbound
from services.common.queues import (
    CHECK_CONTACTS,
    CHECK_CONTACTS_LATER,
    DISABLE_TWO_STEP,
    DRAIN_INBOUND,
    DRAIN_OUTBOUND,
    ENABLE_TWO_STEP,
    MESSAGE_GC,
    PUBLISH_PROFILE,
    REQUEST_CODE,
    RESTORE_BACKUP,
    SYNC_TEMPLATES,
    VERIFY_CODE,
    shard_queue,
)
from services.core_worker import (
    contact_checker,
    inbound,
    outbound,
    profile_publisher,
    registration,
    restore,
    template_cache,
    two_step,
)
from services.core_worker.context import CoreContext
from services.core_worker.failures import LeaseLost
from services.core_worker.network_client import NetworkError
from services.messages import gc as message_gc
from services.stats import counters as stats_counters

log = logging.getLogger(__name__)

NETWORK_RETRY_SECONDS = 2

Drain = Callable[[CoreContext, int], int]


def drain_fenced(ctx: CoreContext, task: Task, shard: int, drain: Drain) -> int:
    """Run ``drain`` under this node's lease on ``shard`` (services/core_worker/leases.py)."""
    leases = ctx.leases
    fence = leases.fence(shard) if leases is not None else None
    if leases is not None and fence is None:
        # Not ours (a kick queued while the shard moved): a no-op here; the kick goes
        # back to the shard's queue, which only its holder consumes.
        log.info("shard %s is not held here; kick passed on", shard)
        ctx.celery.send_task(task.name, args=[shard], queue=shard_queue(shard))
        return 0
    clear_flag(ctx.redis, task.name, shard)
    stats_counters.inc("drains", {"direction": task.name.rpartition("_")[2]})  # core.drain_<direction>
    try:
        if fence is not None:
            fence.confirm()  # owner and epoch in MongoDB: one round trip per drain
        with ctx.one_task(fence):  # one read of the settings for the whole drain
            return drain(ctx, shard)
    except LeaseLost:
        log.warning("shard %s: lease lost during the drain; stopped without writing", shard)
        return 0
    except NetworkError as error:
        log.warning("shard %s: network unavailable (%s); retrying", shard, error)
        _try_again_later(ctx, task.name, shard)
        return 0


def _try_again_later(ctx: CoreContext, task_name: str, shard: int) -> None:
    # Through the kick flag, like any kick: during an outage the API's kicks and this
    # retry collapse into one pending drain instead of piling up retry loops.
    kick(ctx.celery, ctx.redis, task_name, shard, countdown=NETWORK_RETRY_SECONDS)


def register_tasks(app: Celery, ctx: CoreContext) -> None:
    """The core's tasks, on ``app``, working through ``ctx``. ``shared=False``: they belong to this app
    only (Celery's default also adds a decorated task to every app created after it)."""

    @app.task(name=DRAIN_OUTBOUND, bind=True, shared=False)
    def drain_outbound(self: Task, shard: int) -> int:
        handled = drain_fenced(ctx, self, shard, outbound.drain)
        if handled >= outbound.BATCH:
            # More may wait: queue behind whatever inbound work arrived meanwhile.
            kick_outbound(app, shard, ctx.redis)
        return handled

    @app.task(name=DRAIN_INBOUND, bind=True, shared=False)
    def drain_inbound(self: Task, shard: int) -> int:
        handled = drain_fenced(ctx, self, shard, inbound.drain)
        if handled >= inbound.BATCH:
            kick_inbound(app, shard, ctx.redis)
        if handled:
            try:
                registration.replenish_one_time_prekeys(ctx)
            except NetworkError as error:
                log.warning("could not replenish one-time prekeys: %s", error)
        return handled

    @app.task(name=REQUEST_CODE, shared=False)
    def request_code(cc: str, phone_number: str, method: str, cert: str, pin: str | None = None,
                     wipe: bool = False) -> dict:
        return registration.request_code(ctx, cc=cc, phone_number=phone_number, method=method, cert=cert,
                                         pin=pin, wipe=wipe)

    @app.task(name=VERIFY_CODE, shared=False)
    def verify_code(code: str) -> dict:
        return registration.verify_code(ctx, code=code)

    @app.task(name=SYNC_TEMPLATES, shared=False)
    def sync_templates() -> dict:
        return template_cache.sync_rpc(ctx)

    @app.task(name=CHECK_CONTACTS, shared=False)
    def check_contacts(numbers: list[str]) -> dict:
        return contact_checker.answer(ctx, numbers)

    @app.task(name=CHECK_CONTACTS_LATER, shared=False)
    def check_contacts_later(check_id: str) -> None:
        contact_checker.run_request(ctx, check_id)

    @app.task(name=ENABLE_TWO_STEP, shared=False)
    def enable_two_step(pin: str) -> dict:
        return two_step.enable(ctx, pin=pin)

    @app.task(name=DISABLE_TWO_STEP, shared=False)
    def disable_two_step() -> dict:
        return two_step.disable(ctx)

    @app.task(name=MESSAGE_GC, shared=False)
    def message_gc_step(run_id: str) -> None:
        """One slice of a message GC run (services/messages/gc.py)."""
        message_gc.run(ctx.db, app, run_id)

    @app.task(name=RESTORE_BACKUP, shared=False)
    def restore_backup(password: str, data: str) -> dict:
        return restore.restore(ctx, password=password, data=data)

    @app.task(name=PUBLISH_PROFILE, shared=False)
    def publish_profile() -> bool:
        return profile_publisher.publish(ctx)
