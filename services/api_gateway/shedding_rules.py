"""Load shedding (spec §17.1 "concurrency limiting", 503/1016; docs/design.md
"Request-rate limits and load shedding"): when a send is refused because the work
queued behind the gateway passed its bound. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHED_ENDPOINTS = frozenset({"messages.send"})
"""What adds work to the backlogs: a send queues a message for the core and, later,
its status callbacks. Media uploads queue nothing (the bytes are stored at once)."""

RETRY_AFTER_SECONDS = 5
"""A backlog drains over seconds, not at once: clients asked to come back sooner would
only be refused again."""


@dataclass(frozen=True)
class Bounds:
    max_pending_callbacks: int
    max_pending_messages: int


@dataclass(frozen=True)
class Backlog:
    pending_callbacks: int  # in the outbox, not yet accepted by the webhook
    pending_messages: int  # accepted, not yet handled by the core


def overload(backlog: Backlog, bounds: Bounds) -> str | None:
    """Why a send is refused now (the 1016's details), or None when it may go on. A
    backlog *at* its bound still accepts: the bound is what may wait."""
    if backlog.pending_callbacks > bounds.max_pending_callbacks:
        return (f"More than {bounds.max_pending_callbacks} callbacks wait for the webhook: "
                "retry once it has caught up")
    if backlog.pending_messages > bounds.max_pending_messages:
        return (f"More than {bounds.max_pending_messages} accepted messages wait to be sent: "
                "retry once they have gone out")
    return None


def bounds_of(settings: dict[str, Any]) -> Bounds:
    """The bounds in the effective application settings (``load_shedding.*``)."""
    shedding = settings["load_shedding"]
    return Bounds(max_pending_callbacks=int(shedding["max_pending_callbacks"]),
                  max_pending_messages=int(shedding["max_pending_messages"]))
