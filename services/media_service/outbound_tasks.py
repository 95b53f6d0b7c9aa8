"""The media service's tasks for outbound media messages (queue ``media``):
``media.prepare_outbound(message_id)``, kicked by the gateway once it stored the message
(and by a retry's countdown), and ``media.sweep_outbound()``, the beat's sweep that
re-kicks preparations whose kick was lost (Redis is only a doorbell)."""

from __future__ import annotations

import logging
from functools import cache

from services.cluster.shard_shape import CachedShape
from services.common import kicks, redis_client
from services.common.clock import utcnow
from services.common.master_key import load_master_key
from services.common.queues import PREPARE_OUTBOUND_MEDIA, SWEEP_OUTBOUND_MEDIA
from services.media import outbound_media
from services.media_service.app import celery, config, database, object_store
from services.media_service.outbound import SWEEP_GRACE, Preparer

log = logging.getLogger(__name__)


@cache
def preparer() -> Preparer:
    db = database()
    return Preparer(db=db, store=object_store(), master_key=load_master_key(config), network_url=config.network_url,
                    celery=celery, flags=redis_client.connect(config.redis_url), shape=CachedShape(db, config.shards))


@celery.task(name=PREPARE_OUTBOUND_MEDIA, ignore_result=True)
def prepare_outbound(message_id: str) -> str:
    return preparer().prepare(message_id)


@celery.task(name=SWEEP_OUTBOUND_MEDIA, ignore_result=True)
def sweep_outbound() -> int:
    found = outbound_media.overdue(preparer().db, now=utcnow(), grace=SWEEP_GRACE)
    for message_id in found:
        kicks.kick_media_preparation(celery, message_id)
    if found:
        log.info("re-kicked %d media preparation(s) whose kick was lost", len(found))
    return len(found)
