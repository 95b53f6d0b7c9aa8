"""Kicks: the Celery messages that tell a shard's consumer it has work in MongoDB."""

from __future__ import annotations

from celery import Celery

from services.common.queues import DRAIN_INBOUND, DRAIN_OUTBOUND, shard_queue


def kick_outbound(celery: Celery, shard: int) -> None:
    celery.send_task(DRAIN_OUTBOUND, args=[shard], queue=shard_queue(shard))


def kick_inbound(celery: Celery, shard: int) -> None:
    celery.send_task(DRAIN_INBOUND, args=[shard], queue=shard_queue(shard))
