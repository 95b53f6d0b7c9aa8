"""The core Celery app and its tasks: thin wrappers around the drain and control logic."""

from __future__ import annotations

import logging

from celery import Task

from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.kicks import clear_flag, kick, kick_inbound, kick_outbound
from services.common.queues import (
    CHECK_CONTACTS,
    CHECK_CONTACTS_LATER,
    CONTROL_QUEUE,
    DRAIN_INBOUND,
    DRAIN_OUTBOUND,
    REQUEST_CODE,
    SYNC_TEMPLATES,
    VERIFY_CODE,
    shard_queue,
)
from services.core_worker import contact_checker, inbound, outbound, registration, shard_consumers, template_cache
from services.core_worker.context import CoreContext
from services.core_worker.failures import LeaseLost
from services.core_worker.network_client import NetworkError
from services.stats import counters as stats_counters

log = logging.getLogger(__name__)

config = Config.from_env()
celery = make_celery(config, "core")
celery.conf.task_routes = {
    name: {"queue": CONTROL_QUEUE}
    for name in (REQUEST_CODE, VERIFY_CODE, SYNC_TEMPLATES, CHECK_CONTACTS, CHECK_CONTACTS_LATER)
}
context = CoreContext(config, celery)
shard_consumers.install(celery, context)

NETWORK_RETRY_SECONDS = 2


def _drain_fenced(task: Task, shard: int, drain) -> int:
    """Run ``drain`` under this node's lease on ``shard`` (services/core_worker/leases.py)."""
    leases = context.leases
    fence = leases.fence(shard) if leases is not None else None
    if leases is not None and fence is None:
        # Not ours (a kick queued while the shard moved): a no-op here; the kick goes
        # back to the shard's queue, which only its holder consumes.
        log.info("shard %s is not held here; kick passed on", shard)
        celery.send_task(task.name, args=[shard], queue=shard_queue(shard))
        return 0
    clear_flag(context.redis, task.name, shard)
    stats_counters.inc("drains", {"direction": task.name.rpartition("_")[2]})  # core.drain_<direction>
    try:
        if fence is not None:
            fence.confirm()  # owner and epoch in MongoDB: one round trip per drain
        with context.one_task(fence):  # one read of the settings for the whole drain
            return drain(context, shard)
    except LeaseLost:
        log.warning("shard %s: lease lost during the drain; stopped without writing", shard)
        return 0
    except NetworkError as error:
        log.warning("shard %s: network unavailable (%s); retrying", shard, error)
        _try_again_later(task.name, shard)
        return 0


def _try_again_later(task_name: str, shard: int) -> None:
    # Through the kick flag, like any kick: during an outage the API's kicks and this
    # retry collapse into one pending drain instead of piling up retry loops.
    kick(celery, context.redis, task_name, shard, countdown=NETWORK_RETRY_SECONDS)


@celery.task(name=DRAIN_OUTBOUND, bind=True)
def drain_outbound(self: Task, shard: int) -> int:
    handled = _drain_fenced(self, shard, outbound.drain)
    if handled >= outbound.BATCH:
        # More may wait: queue behind whatever inbound work arrived meanwhile.
        kick_outbound(celery, shard, context.redis)
    return handled


@celery.task(name=DRAIN_INBOUND, bind=True)
def drain_inbound(self: Task, shard: int) -> int:
    handled = _drain_fenced(self, shard, inbound.drain)
    if handled >= inbound.BATCH:
        kick_inbound(celery, shard, context.redis)
    if handled:
        try:
            registration.replenish_one_time_prekeys(context)
        except NetworkError as error:
            log.warning("could not replenish one-time prekeys: %s", error)
    return handled


@celery.task(name=REQUEST_CODE)
def request_code(cc: str, phone_number: str, method: str, cert: str, pin: str | None = None) -> dict:
    return registration.request_code(context, cc=cc, phone_number=phone_number, method=method, cert=cert)


@celery.task(name=VERIFY_CODE)
def verify_code(code: str) -> dict:
    return registration.verify_code(context, code=code)


@celery.task(name=SYNC_TEMPLATES)
def sync_templates() -> dict:
    return template_cache.sync_rpc(context)


@celery.task(name=CHECK_CONTACTS)
def check_contacts(numbers: list[str]) -> dict:
    return contact_checker.answer(context, numbers)


@celery.task(name=CHECK_CONTACTS_LATER)
def check_contacts_later(check_id: str) -> None:
    contact_checker.run_request(context, check_id)
