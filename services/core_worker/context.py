"""What every core task needs, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import redis
from celery import Celery
from pymongo.database import Database

from services.common import app_settings
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import ensure_indexes, get_db
from services.core_worker.network_client import NetworkClient


@dataclass
class CoreContext:
    config: Config
    celery: Celery

    def settings(self) -> dict[str, Any]:
        """Application settings as they are now: callers read them once per batch, so a
        change made through the API applies from the next batch on."""
        return app_settings.load(self.db)

    @cached_property
    def db(self) -> Database:
        database = get_db(self.config)
        ensure_indexes(database)
        return database

    @cached_property
    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.config.redis_url)

    @cached_property
    def master_key(self) -> bytes:
        return load_master_key(self.config)

    def network(self, token: str | None = None) -> NetworkClient:
        return NetworkClient(self.config.network_url, token)
