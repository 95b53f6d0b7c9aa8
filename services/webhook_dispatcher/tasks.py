"""Celery tasks ``dispatcher.deliver``, ``dispatcher.deliver_many`` and ``dispatcher.sweep`` (spec §15.1),
registered on the dispatcher's app by :func:`register_tasks`.

MongoDB's ``pending_callbacks`` is the source of truth; a Celery message is only a
kick. A kick may be duplicated (the sweep, a redelivered message) or lost (Redis, a
killed worker): claiming a due callback atomically makes duplicates harmless, and the
sweep re-kicks callbacks whose kick never came. Delivery is therefore at least once.

The sweep runs as a periodic job of the dispatcher process (services/common/periodic.py,
``app.create_dispatcher``); ``dispatcher.sweep`` stays a task so that a sweep queued by
an older version, or by an operator, is still served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Celery
from pymongo.database import Database

from services.callbacks import outbox
from services.common import kicks
from services.common.config import Config
from services.common.queues import DELIVER_CALLBACK, DELIVER_CALLBACKS, DISPATCHER_QUEUE, SWEEP_CALLBACKS
from services.settings import app_settings
from services.webhook_dispatcher import metrics, retry_policy
from services.webhook_dispatcher.delivery import Outcome, post_callback
from services.webhook_dispatcher.webhook_tls import WebhookTls

log = logging.getLogger(__name__)

# The lease outlives the request timeout so a slow but live attempt is not doubled.
LEASE_MARGIN_SECONDS = 10.0
SWEEP_BATCH = 1000
NO_URL_ERROR = "webhooks.url is not configured"

Schedule = Callable[[str, float], "bool | None"]
"""Kicks a callback's delivery after a delay; False when the broker could not be reached."""
Post = Callable[..., Outcome]


def kicker(app: Celery) -> Schedule:
    """The :data:`Schedule` that sends ``dispatcher.deliver`` through ``app``."""

    def kick(callback_id: str, delay_seconds: float) -> bool:
        # A kick the broker refuses is not an error of the task: the callback is in MongoDB
        # with its next attempt time, and the sweep re-kicks it once it is overdue.
        return kicks.send(app, DELIVER_CALLBACK, [callback_id], DISPATCHER_QUEUE, max(0.0, delay_seconds))

    return kick


def _retry_later(
    db: Database, doc: dict[str, Any], settings: dict[str, Any], outcome: Outcome | None, schedule: Schedule
) -> str:
    # outcome None: no URL to try, which is not an attempt (the backoff does not grow).
    step_ms, cap_ms = retry_policy.backoff_settings(settings)
    attempted = outcome is not None
    attempt = doc["attempts"] + 1
    delay_ms = retry_policy.backoff_delay_ms(attempt, step_ms, cap_ms)
    error = outcome.error if outcome else NO_URL_ERROR
    if outbox.postpone(db, doc["_id"], delay_ms, error or "failed", attempted=attempted):
        schedule(doc["_id"], delay_ms / 1000)
    if outcome is not None:
        metrics.attempt_failed(doc["_id"], outcome.status)
        log.warning(
            "callback %s attempt %d failed (status=%s, error=%s); retry in %d ms",
            doc["_id"],
            attempt,
            outcome.status,
            outcome.error,
            delay_ms,
        )
        return "retry"
    log.warning("callback %s kept pending: %s; retry in %d ms", doc["_id"], NO_URL_ERROR, delay_ms)
    return "no_url"


def deliver_once(
    db: Database,
    cfg: Config,
    callback_id: str,
    *,
    schedule: Schedule,
    post: Post = post_callback,
    settings: dict[str, Any] | None = None,
) -> str:
    """One delivery attempt; returns what happened (for logs and tests). ``settings``:
    the application settings, when the caller read them already."""
    doc = outbox.claim(db, callback_id, cfg.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
    if doc is None:
        return "skipped"
    if settings is None:
        settings = app_settings.load(db)
    url = retry_policy.webhook_url(settings)
    if url is None:
        return _retry_later(db, doc, settings, None, schedule)
    outcome = post(url, doc["payload"], callback_id=callback_id, timeout=cfg.webhook_timeout_seconds)
    if not outcome.ok:
        return _retry_later(db, doc, settings, outcome, schedule)
    outbox.remove_delivered(db, callback_id)
    metrics.delivered(callback_id)
    log.info("callback %s delivered on attempt %d (status=%s)", callback_id, doc["attempts"] + 1, outcome.status)
    return "delivered"


def sweep_once(db: Database, grace_seconds: float, *, schedule: Schedule, batch: int = SWEEP_BATCH) -> int:
    """Re-kick callbacks overdue by more than the grace; returns how many. Stops at the
    first kick the broker refuses: the rest waits for the next sweep instead of paying
    the publish retries once per callback while Redis is down."""
    kicked = 0
    for callback_id in outbox.rearm_overdue(db, timedelta(seconds=grace_seconds), batch):
        if schedule(callback_id, 0.0) is False:
            break
        kicked += 1
    if kicked:
        metrics.SWEPT.inc(kicked)
        log.warning("sweep re-kicked %d overdue callback(s)", kicked)
    return kicked


def register_tasks(app: Celery, config: Config, db: Database) -> None:
    """The dispatcher's tasks, on ``app``, delivering from ``db``. ``shared=False``: they belong to this app
    only (Celery's default also adds a decorated task to every app created after it)."""
    kick = kicker(app)
    # The webhook CA and the client certificate.
    tls = WebhookTls(db, config.dispatcher, base_bundle=config.tls_ca_bundle)

    @app.task(name=DELIVER_CALLBACK, shared=False)
    def deliver(callback_id: str) -> str:
        return deliver_once(db, config, callback_id, schedule=kick, post=tls.post)

    @app.task(name=DELIVER_CALLBACKS, shared=False)
    def deliver_many(callback_ids: list[str]) -> list[str]:
        """The callbacks of one kick, one after the other, with one read of the settings."""
        settings = app_settings.load(db)
        return [deliver_once(db, config, callback_id, schedule=kick, post=tls.post, settings=settings)
                for callback_id in callback_ids]

    @app.task(name=SWEEP_CALLBACKS, shared=False)
    def sweep() -> int:
        return sweep_once(db, config.dispatcher.sweep_grace_seconds, schedule=kick)
