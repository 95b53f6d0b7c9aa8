"""Kicks sent by the request path, after the work is stored: they never fail a request.

What a request asks for (a message, a read receipt, a contacts check) is in MongoDB
before the kick, so a kick that cannot be queued (Redis down, restarting, not
answering) loses nothing: the core's recovery sweep finds the work within its
interval. Failing the request then would be a false failure: the client would retry
something that was accepted and will be done (docs/design.md "Gateway ↔ core").
"""

from __future__ import annotations

import logging
from typing import Any

from services.api_gateway import state
from services.api_gateway.outages import BROKER_ERRORS
from services.common import kicks

log = logging.getLogger(__name__)


def kick_outbound(shard: int) -> bool:
    """Ring the shard's outbound drain; False (logged) when Redis is unreachable."""
    try:
        kicks.kick_outbound(state.celery(), shard, state.redis_client())
    except BROKER_ERRORS as error:
        _log_lost("core.drain_outbound", error)
        return False
    return True


def send_task(task: str, args: list[Any], queue: str) -> bool:
    """Queue a task whose result nobody waits for; False (logged) when Redis is unreachable."""
    try:
        # ignore_result: no result is stored, and the producer does not subscribe to one.
        state.celery().send_task(task, args=args, queue=queue, ignore_result=True)
    except BROKER_ERRORS as error:
        _log_lost(task, error)
        return False
    return True


def _log_lost(task: str, error: Exception) -> None:
    # The class only: kombu's messages may quote the broker URL and its password.
    log.warning("could not queue %s (%s); the recovery sweep will pick the stored work up",
                task, error.__class__.__name__)
