"""The media service's Celery tasks (queue ``media``), registered on its app by
:func:`register_tasks`: thin wrappers around services/media_service/inbound.py,
outbound.py and services/media/gc.py.

``media.prepare_outbound(message_id)`` is kicked by the gateway once it stored the
message (and by a retry's countdown); ``media.sweep_outbound()`` is no longer scheduled
(the sweep is a periodic job of the process, ``app.create_media_worker``) but stays a
task so that a sweep queued by an older version is still served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import Celery

from services.common.queues import FETCH_INBOUND_MEDIA, MEDIA_GC, PREPARE_OUTBOUND_MEDIA, SWEEP_OUTBOUND_MEDIA
from services.media import gc
from services.media_service import inbound, outbound

if TYPE_CHECKING:
    from services.media_service.app import MediaDeps


def register_tasks(app: Celery, deps: MediaDeps) -> None:
    """The media tasks, on ``app``, working through ``deps``. ``shared=False``: they belong to this app
    only (Celery's default also adds a decorated task to every app created after it)."""

    @app.task(name="media.check_store", shared=False)
    def check_store() -> dict:
        """Round-trips a probe object: lets operators and health checks see the store work."""
        store = deps.store
        store.ensure_bucket()
        store.put(".probe", b"ok", "text/plain")
        stored = store.get(".probe")
        store.delete(".probe")
        return {"bucket": store.bucket, "ok": stored is not None and stored.data == b"ok"}

    @app.task(name=MEDIA_GC, shared=False)
    def media_gc(run_id: str) -> None:
        """One run of the media garbage collection (services/media/gc.py)."""
        gc.run(deps.db, deps.store, app, run_id)

    @app.task(name=FETCH_INBOUND_MEDIA, shared=False)
    def fetch_inbound(media_id: str, wait_seconds: float = 0.0) -> dict:
        """A contact's medium, by media id: a kick (the core, a retry, the sweep) or the RPC
        of a ``GET /v1/media/{id}`` (``wait_seconds``: how long it may wait for a fetch
        already running). Answers ``{"http_status": 200, "payload": {"outcome": stored | failed
        | retry | busy | missing}}`` (services/media_service/inbound.py)."""
        fetching = deps.fetching
        if wait_seconds:
            outcome = inbound.wait_for(fetching, media_id, wait_seconds)
        else:
            outcome = inbound.fetch(fetching, media_id)
        return {"http_status": 200, "payload": {"outcome": outcome}}

    @app.task(name=PREPARE_OUTBOUND_MEDIA, ignore_result=True, shared=False)
    def prepare_outbound(message_id: str) -> str:
        return deps.preparer.prepare(message_id)

    @app.task(name=SWEEP_OUTBOUND_MEDIA, ignore_result=True, shared=False)
    def sweep_outbound() -> int:
        return outbound.sweep(deps.preparer)
