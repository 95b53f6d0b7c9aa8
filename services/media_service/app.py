"""The media process, built from a ``Config`` by :func:`create_media_worker`: the worker
that owns the object store, its Celery app with the media tasks, what they share
(:class:`MediaDeps`), and its periodic jobs (the sweeps of inbound downloads and of
outbound preparations whose kick was lost). Nothing here reads the environment or
connects anywhere until the factory is called, and the clients connect on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from celery import Celery
from pymongo.database import Database

from services.account import store as account_store
from services.cluster.shard_shape import CachedShape
from services.common import redis_client
from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import get_db
from services.common.periodic import Job, Periodic
from services.common.queues import MEDIA_QUEUE
from services.media.network_media import NetworkMedia
from services.media.object_store import ObjectStore
from services.media_service import inbound, link_download, outbound, tasks
from services.media_service.inbound import Fetching
from services.media_service.outbound import Preparer
from services.migrations import prepare_once
from services.protocol.keyring import Keyring

SWEEP_SECONDS = 5.0  # both sweeps; their graces are inbound.SWEEP_GRACE and outbound.SWEEP_GRACE


class MediaDeps:
    """What this process's tasks and sweeps share, each built on first use."""

    def __init__(self, config: Config, celery: Celery) -> None:
        self.config = config
        self.celery = celery

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore.from_config(self.config)

    @cached_property
    def db(self) -> Database:
        db = get_db(self.config)
        prepare_once(db)
        return db

    @cached_property
    def master_key(self) -> Keyring:
        return load_master_key(self.config)

    @cached_property
    def fetching(self) -> Fetching:
        """What this process's inbound-media fetches share."""
        db, master_key, network_url = self.db, self.master_key, self.config.network_url

        def source() -> NetworkMedia | None:
            account = account_store.load_registered(db, master_key)
            return NetworkMedia(network_url, account.network_token) if account is not None else None

        return Fetching(db=db, store=self.store, celery=self.celery, master_key=master_key, source=source)

    @cached_property
    def preparer(self) -> Preparer:
        """What this process's outbound preparations share."""
        config = self.config
        media = config.media
        limits = link_download.Limits(deadline_s=media.download_deadline_seconds,
                                      min_bytes_per_second=media.download_min_bytes_per_second,
                                      rate_window_s=media.download_rate_window_seconds)
        return Preparer(db=self.db, store=self.store, master_key=self.master_key, network_url=config.network_url,
                        celery=self.celery, flags=redis_client.connect(config.redis_url),
                        shape=CachedShape(self.db, config.shards), egress_allow=config.egress_allow,
                        download_limits=limits, tls_ca_bundle=config.tls_ca_bundle)


@dataclass
class MediaWorker:
    config: Config
    celery: Celery
    deps: MediaDeps
    periodic: Periodic  # not started: ``__main__`` starts it beside the worker


def create_media_worker(config: Config) -> MediaWorker:
    app = make_celery(config, "media")
    app.conf.task_routes = {"media.*": {"queue": MEDIA_QUEUE}}
    deps = MediaDeps(config, app)
    tasks.register_tasks(app, deps)
    periodic = Periodic([
        # Pending inbound auto-downloads whose kick was lost or whose fetch died.
        Job("media-inbound-sweep", SWEEP_SECONDS, lambda: inbound.sweep(deps.fetching)),
        # Outbound media messages whose preparation kick was lost.
        Job("media-outbound-sweep", SWEEP_SECONDS, lambda: outbound.sweep(deps.preparer)),
    ])
    return MediaWorker(config, app, deps, periodic)
