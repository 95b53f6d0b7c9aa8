"""What the network itself tells the business (``notification`` items: a template
changed, a contact changed their number, ...), one handler per ``kind``.

A notification is journaled like an envelope (``inbound_events`` kind
``notification``, on the shard of its ``from`` contact, so it stays in order with that
contact's messages) and handled by the inbound drain. A kind nobody handles is logged
and dropped: the network may know more than this client does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from services.core_worker.context import CoreContext

log = logging.getLogger(__name__)

Handler = Callable[[CoreContext, dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of notifications of ``kind``."""

    def register(handler: Handler) -> Handler:
        if kind in _HANDLERS:
            raise RuntimeError(f"two handlers for notification kind {kind!r}")
        _HANDLERS[kind] = handler
        return handler

    return register


def handle(ctx: CoreContext, notification: dict[str, Any]) -> None:
    kind = notification.get("kind")
    handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        log.info("ignoring a network notification of an unknown kind")
        return
    handler(ctx, notification)
