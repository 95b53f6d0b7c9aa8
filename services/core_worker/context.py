"""What every core task needs, built once per process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis
from celery import Celery
from pymongo.database import Database

from services.cluster import shard_shape, sharding
from services.common import redis_client
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import get_db
from services.core_worker.network_client import NetworkClient
from services.messages import statuses
from services.migrations import prepare_once
from services.protocol.keyring import Keyring
from services.settings import app_settings

if TYPE_CHECKING:
    from services.core_worker.leases import Fence, LeaseKeeper


@dataclass
class CoreContext:
    config: Config
    celery: Celery
    _task: threading.local = field(default_factory=threading.local, init=False, repr=False)
    # This process's node in the shard and network leases (set by ``__main__``; None in
    # tests that drive a drain without a worker).
    leases: LeaseKeeper | None = field(default=None, init=False)

    def settings(self) -> dict[str, Any]:
        """Application settings as they are now. Inside :meth:`one_task` they are read
        once and the whole task sees the same values, so a change made through the API
        applies from the next task on; outside one, every call reads them."""
        memo = getattr(self._task, "settings", None)
        if memo is not None:
            return memo
        settings = app_settings.load(self.db)
        if getattr(self._task, "open", False):
            self._task.settings = settings
        return settings

    @contextmanager
    def one_task(self, fence: Fence | None = None) -> Iterator[None]:
        """The scope of one task (a drain, an RPC) on this thread; ``fence``: the
        shard lease a drain runs under, checked by :meth:`check_fence`."""
        self._task.open, self._task.settings, self._task.fence = True, None, fence
        try:
            yield
        finally:
            self._task.open, self._task.settings, self._task.fence = False, None, None

    def record_statuses(self, items: list[tuple[dict[str, Any], int]], status: str, **options: Any) -> list[str]:
        """``statuses.record_many`` with this task's database, broker and settings."""
        return statuses.record_many(self.db, self.celery, self.settings(), items, status, **options)

    def check_fence(self) -> None:
        """Before an externally visible step (a network send, the writes of its results):
        raises LeaseLost when the running drain's shard lease may no longer be ours.
        Costs no round trip; a no-op outside a fenced drain."""
        fence = getattr(self._task, "fence", None)
        if fence is not None:
            fence.check()

    def shard_count(self) -> int:
        """How many shards there are now: the one place the core asks (the lease keeper
        reads it from MongoDB at each heartbeat; services/cluster/shard_shape.py)."""
        if self.leases is not None:
            return self.leases.shape.shards
        return self._shape.shards()

    def _count_serving(self, shard: int) -> int:
        """The shard count ``shard`` is held under: during a change of the count, the
        old one until the shard is handed over (services/core_worker/leases.py)."""
        fence = getattr(self._task, "fence", None)
        if fence is not None and fence.shard == shard:
            return fence.shards
        held = self.leases.shards_of(shard) if self.leases is not None else None
        return held or self.shard_count()

    def shard_range(self, shard: int) -> tuple[int, int]:
        """The server shards ``shard`` serves."""
        return sharding.server_range(shard, self._count_serving(shard))

    def shard_rows(self, shard: int) -> dict[str, Any]:
        """The filter of the rows ``shard`` serves (messages, events, receipts)."""
        return sharding.row_filter(shard, self._count_serving(shard))

    @cached_property
    def _shape(self) -> shard_shape.CachedShape:
        return shard_shape.CachedShape(self.db, self.config.shards)

    @cached_property
    def db(self) -> Database:
        database = get_db(self.config)
        prepare_once(database)  # indexes, then any pending migration, before anything drains
        return database

    @cached_property
    def redis(self) -> redis.Redis:
        return redis_client.connect(self.config.redis_url)

    @cached_property
    def master_key(self) -> Keyring:
        return load_master_key(self.config)

    def network(self, token: str | None = None) -> NetworkClient:
        return NetworkClient(self.config.network_url, token)
