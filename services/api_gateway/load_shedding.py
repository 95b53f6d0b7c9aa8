"""Load shedding on sends (spec §17.1: 503/1016 with ``Retry-After``; docs/design.md
"Request-rate limits and load shedding"): a ``before_request`` hook refuses a send,
before anything of it is stored or its ``Idempotency-Key`` recorded, while the callbacks
waiting for the webhook or the accepted messages waiting for the core pass their bounds.

The backlog is read by a background thread of each worker once a second (the outbox's
size from collection metadata, the accepted messages by an index count that stops past
the bound), so no send waits for it; the price is a second of slack per worker.

Only authenticated sends are shed: a request without a valid token goes on to its 401
(its lookup is kept for the guard, ``auth.resolve``), so an anonymous caller learns
nothing of the backlog.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.api_gateway import auth, live_settings
from services.api_gateway.envelope import error_response
from services.api_gateway.shedding_rules import RETRY_AFTER_SECONDS, SHED_ENDPOINTS, Backlog, bounds_of, overload
from services.api_gateway.state import GatewayState
from services.callbacks import outbox
from services.common.errors import ApiError
from services.common.refreshed import Refreshed
from services.messages import outbound_queue

EXTENSION = "wa_load_shedding"
MAX_AGE_SECONDS = 1.0


def read_backlog(db: Database, settings: Refreshed[dict]) -> Backlog:
    """Both backlogs; the messages counted only as far as their bound needs."""
    at_most = bounds_of(settings.get()).max_pending_messages + 1
    return Backlog(pending_callbacks=outbox.pending_estimate(db),
                   pending_messages=outbound_queue.accepted_count(db, at_most))


def install(app: Flask, gateway: GatewayState) -> None:
    settings = live_settings.install(app, gateway.db)

    def backlog() -> Backlog:
        return read_backlog(gateway.db, settings)

    app.extensions[EXTENSION] = Refreshed(backlog, fallback=Backlog(0, 0), max_age=MAX_AGE_SECONDS,
                                          tolerated=(PyMongoError,), idle_after=live_settings.IDLE_SECONDS)
    app.before_request(shed_when_overloaded)


def shed_when_overloaded() -> Response | None:
    if request.endpoint not in SHED_ENDPOINTS:
        return None
    reason = overload(current_app.extensions[EXTENSION].get(), bounds_of(live_settings.current()))
    if reason is None or auth.authenticated_caller() is None:
        return None
    return error_response(ApiError(1016, reason), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
