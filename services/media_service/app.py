"""The media Celery app: the worker that owns the object store."""

from __future__ import annotations

from functools import cache

from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.queues import MEDIA_QUEUE, SWEEP_OUTBOUND_MEDIA
from services.media_service.object_store import ObjectStore

config = Config.from_env()
celery = make_celery(config, "media")
celery.conf.task_routes = {"media.*": {"queue": MEDIA_QUEUE}}
celery.conf.imports = ("services.media_service.outbound_tasks",)

SWEEP_SECONDS = 5.0
celery.conf.beat_schedule = {
    # Outbound media messages whose preparation kick was lost (outbound_tasks.py).
    "sweep-outbound-media": {
        "task": SWEEP_OUTBOUND_MEDIA,
        "schedule": SWEEP_SECONDS,
        # A sweep that waited longer than two periods is superseded by the next one.
        "options": {"queue": MEDIA_QUEUE, "expires": SWEEP_SECONDS * 2},
    },
}


@cache
def object_store() -> ObjectStore:
    return ObjectStore.from_config(config)


@celery.task(name="media.check_store")
def check_store() -> dict:
    """Round-trips a probe object: lets operators and health checks see the store work."""
    store = object_store()
    store.ensure_bucket()
    store.put(".probe", b"ok", "text/plain")
    stored = store.get(".probe")
    store.delete(".probe")
    return {"bucket": store.bucket, "ok": stored is not None and stored.data == b"ok"}
