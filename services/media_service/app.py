"""The media Celery app: the worker that owns the object store."""

from __future__ import annotations

from functools import cache

from pymongo.database import Database

from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.mongo import ensure_indexes, get_db
from services.common.queues import MEDIA_GC, MEDIA_QUEUE, SWEEP_OUTBOUND_MEDIA
from services.media_service import gc
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


@celery.task(name=MEDIA_GC)
def media_gc(run_id: str) -> None:
    """One run of the media garbage collection (services/media_service/gc.py)."""
    gc.run(database(), object_store(), celery, run_id)


@cache
def database() -> Database:
    db = get_db(config)
    ensure_indexes(db)
    return db
