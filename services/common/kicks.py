"""Kicks: the Celery messages that tell a consumer it has work in MongoDB.

Redis is only a doorbell. The work is stored in MongoDB before anyone rings, so a kick
that cannot be sent (Redis down, restarted, failed over) loses nothing: the sweeps find
the work (the core's recovery sweep, the dispatcher's callback sweep). That is why every
function here swallows broker errors, logs them and answers False instead of raising:
the caller's work is already durable, and failing it would only make a client retry
something that was accepted.

A shard's kick is only needed when none is already waiting: a flag in Redis, set just
before a kick is sent and cleared by the drain as it starts, keeps the queue to at most
one pending kick per shard and direction instead of one per message. Work stored before
the flag was seen is picked up by the pending drain; work stored after the drain cleared
the flag sends a new kick. The flag cannot wedge a shard: it is deleted when the send
fails, and a flag whose kick was lost anyway (Redis restarted between the two, a worker
killed) expires after ``FLAG_TTL_SECONDS``; the recovery sweep, which kicks without the
flag, covers the same case within its own bound.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery import Celery
from kombu.exceptions import KombuError

from services.common.queues import DRAIN_INBOUND, DRAIN_OUTBOUND, MEDIA_QUEUE, PREPARE_OUTBOUND_MEDIA, shard_queue

log = logging.getLogger(__name__)

# As long as the recovery sweep's staleness bound (core_worker/recovery.py STALE_AFTER):
# a flag left behind costs no more than the sweep would, and a queue backlog longer than
# this only means a second, harmless kick (a drain that finds nothing is cheap).
FLAG_TTL_SECONDS = 10

BROKER_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, KombuError, OSError)
"""What a lost, restarting or unreachable Redis raises through redis-py or kombu."""


def _flag(task: str, shard: int) -> str:
    return f"kick:{task}:{shard}"


def send(celery: Celery, task: str, args: list[Any], queue: str, countdown: float = 0) -> bool:
    """Queue one task by name; False (logged, not raised) when the broker is unreachable."""
    try:
        # ignore_result: nobody waits for a kick's result, so none is stored, and the
        # producer does not subscribe to one (which would retry for 20 s with Redis down).
        celery.send_task(task, args=args, queue=queue, countdown=countdown or None, ignore_result=True)
    except BROKER_ERRORS as error:
        # Class name only: kombu's messages may quote the broker URL and its password.
        log.warning("could not queue %s on %s (%s); the sweep will pick the work up",
                    task, queue, error.__class__.__name__)
        return False
    return True


def kick(celery: Celery, flags: redis.Redis | None, task: str, shard: int, countdown: float = 0) -> bool:
    """Queue ``task`` for ``shard`` unless a kick is already pending (``countdown``: later).

    True when a kick is pending (sent now or already waiting), False when the broker could
    not be reached; never raises a broker error.
    """
    flag = _flag(task, shard)
    if flags is not None:
        try:
            if not flags.set(flag, 1, nx=True, ex=FLAG_TTL_SECONDS):
                return True
        except BROKER_ERRORS as error:
            log.warning("could not set the kick flag of %s for shard %s (%s)",
                        task, shard, error.__class__.__name__)
            return False
    if send(celery, task, [shard], shard_queue(shard), countdown):
        return True
    if flags is not None:
        # No kick is waiting: the flag must not make the next caller believe one is.
        try:
            flags.delete(flag)
        except BROKER_ERRORS:
            pass  # Redis is down; the flag dies with it or expires after its TTL
    return False


def kick_outbound(celery: Celery, shard: int, flags: redis.Redis | None = None) -> bool:
    """Ring ``core.drain_outbound`` of ``shard``; False when the broker is unreachable."""
    return kick(celery, flags, DRAIN_OUTBOUND, shard)


def kick_inbound(celery: Celery, shard: int, flags: redis.Redis | None = None) -> bool:
    """Ring ``core.drain_inbound`` of ``shard``; False when the broker is unreachable."""
    return kick(celery, flags, DRAIN_INBOUND, shard)


def kick_media_preparation(celery: Celery, message_id: str, countdown: float = 0) -> bool:
    """Ask the media service to prepare an accepted media message (its transfer); False
    when the broker is unreachable (the media service's sweep finds the message)."""
    return send(celery, PREPARE_OUTBOUND_MEDIA, [message_id], MEDIA_QUEUE, countdown)


def clear_flag(flags: redis.Redis, task: str, shard: int) -> None:
    """Called by a drain before it reads MongoDB, so later work kicks again.

    A Redis error is not the drain's concern: with Redis gone the flag is gone too, and
    a flag that could not be cleared expires after its TTL.
    """
    try:
        flags.delete(_flag(task, shard))
    except BROKER_ERRORS as error:
        log.warning("could not clear the kick flag of %s for shard %s (%s)",
                    task, shard, error.__class__.__name__)
