"""What must fail at send time instead of being sent: a template message whose template
was paused or disabled after the API accepted it (2061/2062, spec §3.1; an asynchronous
``failed`` status, as the original reports them)."""

from __future__ import annotations

import logging
import time
from typing import Any

from services.core_worker import status_updates
from services.core_worker.context import CoreContext
from services.core_worker.template_cache import template_key
from services.message_types import templates

log = logging.getLogger(__name__)


def _accepted_template(message: dict[str, Any]) -> dict[str, Any] | None:
    template = (message.get("content", {}).get("resolved") or {}).get("template")
    return template if isinstance(template, dict) else None


def _key(template: dict[str, Any]) -> str:
    return template_key(template["namespace"], template["name"], template["language"])


def fail_unsendable(ctx: CoreContext, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record ``failed`` for the messages that must not go out; returns the others, in order."""
    accepted = {message["_id"]: t for message in batch if (t := _accepted_template(message))}
    if not accepted:
        return batch
    keys = list({_key(t) for t in accepted.values()})
    status_now = {doc["_id"]: doc.get("status") for doc in ctx.db.templates.find({"_id": {"$in": keys}}, {"status": 1})}
    sendable: list[dict[str, Any]] = []
    failing: dict[tuple[Any, ...], tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for message in batch:
        template = accepted.get(message["_id"])
        error = templates.send_failure(template, status_now.get(_key(template))) if template else None
        if error is None:
            sendable.append(message)
        else:
            failing.setdefault(tuple(sorted(error.items())), (error, []))[1].append(message)
    now = int(time.time())
    for error, messages in failing.values():
        log.info("%d template message(s) failed: error %d", len(messages), error["code"])
        status_updates.record_many(ctx, [(message, now) for message in messages], "failed", errors=[error])
    return sendable
