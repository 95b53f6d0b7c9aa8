"""The media Celery app: the worker that owns the object store."""

from __future__ import annotations

from functools import cache

from pymongo.database import Database

from services.account import store as account_store
from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import get_db
from services.common.queues import FETCH_INBOUND_MEDIA, MEDIA_GC, MEDIA_QUEUE, SWEEP_OUTBOUND_MEDIA
from services.media import gc
from services.media.network_media import NetworkMedia
from services.media.object_store import ObjectStore
from services.media_service import inbound
from services.media_service.inbound import Fetching
from services.migrations import prepare

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
    """One run of the media garbage collection (services/media/gc.py)."""
    gc.run(database(), object_store(), celery, run_id)


@cache
def database() -> Database:
    db = get_db(config)
    prepare(db)
    return db


@cache
def fetching() -> Fetching:
    """What this process's inbound-media fetches share."""
    db = database()
    master_key = load_master_key(config)

    def source() -> NetworkMedia | None:
        account = account_store.load_registered(db, master_key)
        return NetworkMedia(config.network_url, account.network_token) if account is not None else None

    return Fetching(db=db, store=object_store(), celery=celery, master_key=master_key, source=source)


@celery.task(name=FETCH_INBOUND_MEDIA)
def fetch_inbound(media_id: str, wait_seconds: float = 0.0) -> dict:
    """A contact's medium, by media id: a kick (the core, a retry, the sweep) or the RPC
    of a ``GET /v1/media/{id}`` (``wait_seconds``: how long it may wait for a fetch
    already running). Answers ``{"http_status": 200, "payload": {"outcome": stored | failed
    | retry | busy | missing}}`` (services/media_service/inbound.py)."""
    deps = fetching()
    outcome = inbound.wait_for(deps, media_id, wait_seconds) if wait_seconds else inbound.fetch(deps, media_id)
    return {"http_status": 200, "payload": {"outcome": outcome}}
