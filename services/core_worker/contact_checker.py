"""Contact checks (spec §7.1): asking the network which numbers are WhatsApp users.

Every answer is cached for 7 days (``services.contacts.checks``). Two ways in:

- ``answer(numbers)``, the ``core.check_contacts`` RPC of a blocking (``wait``) check:
  ``{"http_status": 200, "payload": {"results": {number: wa_id | None}}}``, or
  ``{"payload": {"failed": [numbers]}}`` when the network could not be asked (the gateway
  answers those ``failed``), or ``{"error": {...}}``.
- ``run_request(check_id)``, the ``core.check_contacts_later`` task of a non-blocking
  (``no_wait``) check stored by the gateway: it checks, queues the §15.4 callback under
  a deterministic id and deletes the request. A network outage is retried with backoff
  (``retry_delay``), up to ``MAX_ATTEMPTS``, then the callback reports ``failed``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from services.account import store as account_store
from services.callbacks.outbox import enqueue_callback
from services.common import kicks
from services.common.clock import utcnow
from services.common.queues import CHECK_CONTACTS_LATER, CONTROL_QUEUE
from services.contacts import checks as contact_checks
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkError, NetworkRejected

log = logging.getLogger(__name__)

NETWORK_BATCH = 1000  # the network's bound per request
MAX_ATTEMPTS = 10
MAX_RETRY_SECONDS = 60
STALE_AFTER = timedelta(seconds=30)


class NotRegistered(Exception):
    pass


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones: 2, 4, 8, … capped at 60."""
    return min(2 ** max(attempts, 1), MAX_RETRY_SECONDS)


def callback_id(check_id: str) -> str:
    return f"contacts:{check_id}"


def check(ctx: CoreContext, numbers: list[str]) -> dict[str, str | None]:
    """Ask the network about ``numbers`` and cache the answers: number -> wa_id | None.
    Raises NetworkError / NetworkRejected when the network cannot answer."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        raise NotRegistered()
    network = ctx.network(account.network_token)
    unique = list(dict.fromkeys(numbers))
    results: dict[str, str | None] = {}
    for start in range(0, len(unique), NETWORK_BATCH):
        results.update(network.check_contacts(unique[start:start + NETWORK_BATCH]))
    contact_checks.store(ctx.db, results)
    return results


def answer(ctx: CoreContext, numbers: list[str]) -> dict[str, Any]:
    try:
        results = check(ctx, numbers)
    except NotRegistered:
        return {"error": {"code": 1011, "details": "The client is not registered: use /v1/account first"}}
    except (NetworkError, NetworkRejected) as error:
        log.warning("contacts check of %d number(s) failed: %s", len(numbers), error.__class__.__name__)
        return {"http_status": 200, "payload": {"failed": list(numbers)}}
    return {"http_status": 200, "payload": {"results": results}}


def run_request(ctx: CoreContext, check_id: str) -> None:
    items = contact_checks.load_request(ctx.db, check_id)
    if items is None:
        return  # done already (a duplicate kick)
    try:
        results: dict[str, str | None] | None = check(ctx, [number for _, number in items])
    except NetworkError as error:
        if not _retry_later(ctx, check_id):
            log.warning("contacts check %s gave up: %s", check_id, error.__class__.__name__)
            _finish(ctx, check_id, items, None)
        return
    except (NetworkRejected, NotRegistered) as error:
        log.warning("contacts check %s failed: %s", check_id, error.__class__.__name__)
        results = None
    _finish(ctx, check_id, items, results)


def _finish(ctx: CoreContext, check_id: str, items: list[tuple[str, str]],
            results: dict[str, str | None] | None) -> None:
    # Queued before the request is deleted, under an id of the check: a crash in
    # between runs it again and queues nothing twice.
    enqueue_callback(ctx.db, ctx.celery, callback_id(check_id), contact_checks.callback_payload(items, results))
    contact_checks.delete_request(ctx.db, check_id)


def _retry_later(ctx: CoreContext, check_id: str) -> bool:
    attempts = contact_checks.count_attempt(ctx.db, check_id)
    if attempts is None:
        return True  # finished by another run meanwhile
    if attempts >= MAX_ATTEMPTS:
        return False
    delay = retry_delay(attempts)
    contact_checks.postpone_request(ctx.db, check_id, utcnow() + timedelta(seconds=delay))
    kick(ctx, check_id, countdown=delay)
    return True


def kick(ctx: CoreContext, check_id: str, countdown: float = 0) -> None:
    # Stored already: a kick the broker refuses is re-sent by the recovery sweep (kick_stale).
    kicks.send(ctx.celery, CHECK_CONTACTS_LATER, [check_id], CONTROL_QUEUE, countdown)


def kick_stale(ctx: CoreContext, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-kick stored checks whose kick was lost (overdue by ``stale_after``). Claimed by
    moving ``next_attempt_at``, so several sweeping cores kick each once."""
    now = utcnow()
    kicked = 0
    for check_id in contact_checks.claim_overdue_requests(ctx.db, now - stale_after, now):
        kick(ctx, check_id)
        kicked += 1
    return kicked
