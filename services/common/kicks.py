"""Kicks: the Celery messages that tell a shard's consumer it has work in MongoDB.

A kick is only needed when none is already waiting: a flag in Redis, set when a kick
is sent and cleared by the drain as it starts, keeps the queue to at most one pending
kick per shard and direction instead of one per message. Work stored before the flag
was seen is picked up by the pending drain; work stored after the drain cleared the
flag sends a new kick. A kick lost with its flag still set is covered by the core's
recovery sweep, which kicks without the flag.
"""

from __future__ import annotations

import redis
from celery import Celery

from services.common.queues import DRAIN_INBOUND, DRAIN_OUTBOUND, shard_queue

# Long enough to cover a queue backlog, short enough that a lost kick costs little.
FLAG_TTL_SECONDS = 60


def _flag(task: str, shard: int) -> str:
    return f"kick:{task}:{shard}"


def kick(celery: Celery, flags: redis.Redis | None, task: str, shard: int, countdown: float = 0) -> None:
    """Queue ``task`` for ``shard`` unless a kick is already pending (``countdown``: later)."""
    if flags is not None and not flags.set(_flag(task, shard), 1, nx=True, ex=FLAG_TTL_SECONDS):
        return
    celery.send_task(task, args=[shard], queue=shard_queue(shard), countdown=countdown or None)


def kick_outbound(celery: Celery, shard: int, flags: redis.Redis | None = None) -> None:
    kick(celery, flags, DRAIN_OUTBOUND, shard)


def kick_inbound(celery: Celery, shard: int, flags: redis.Redis | None = None) -> None:
    kick(celery, flags, DRAIN_INBOUND, shard)


def clear_flag(flags: redis.Redis, task: str, shard: int) -> None:
    """Called by a drain before it reads MongoDB, so later work kicks again."""
    flags.delete(_flag(task, shard))
