"""Per-app shared clients, kept on ``app.extensions`` and reached through accessors.

Nothing here reads the configuration at import time: ``create_app`` builds one
``GatewayState`` per Flask app (per gunicorn worker) with :func:`connect`.

Every client is bounded so that a request never waits long on a server that is down or
not answering (docs/design.md "Timeouts"): MongoDB through ``REQUEST_TIMEOUTS``, Redis and
the Celery producer through the socket timeouts and retry policies below. A request then
answers 503 (services/api_gateway/outages.py) within 2 s instead of hanging.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import redis
from celery import Celery
from flask import Flask, current_app
from pymongo.database import Database
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.api_gateway.client_address import Network, trusted_networks
from services.cluster.shard_shape import CachedShape
from services.cluster.sharding import shard_for
from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.master_key import load_master_key
from services.common.mongo import REQUEST_TIMEOUTS, get_db
from services.protocol.keyring import Keyring

EXTENSION = "wa_gateway"

# Redis answers the gateway's commands (GET, SET NX, INCR, a publish) in well under a
# millisecond; a second without an answer means it is stuck, not busy.
REDIS_SOCKET_TIMEOUT = 0.75
REDIS_CONNECT_TIMEOUT = 0.5
# One immediate retry on a broken connection, which is what a pooled socket is after a
# Redis restart; a timeout is not retried (it would only double the wait).
REDIS_RETRY = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
BROKER_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
# The result backend's retries are reconnections after a failed command (which already
# waited its socket timeout): one reconnection, no retry of it.
RESULT_BACKEND_RETRY_POLICY = {"max_retries": 0, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}


def connect_redis(url: str, timeout: float | None = None) -> redis.Redis:
    """``timeout``: both socket timeouts, for a client whose commands are shorter still."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout or REDIS_SOCKET_TIMEOUT,
        socket_connect_timeout=timeout or REDIS_CONNECT_TIMEOUT,
        retry=REDIS_RETRY,
    )


def bounded_producer_options(celery: Celery) -> dict[str, Any]:
    """Celery settings that bound the gateway's publishes and its RPC result waits.

    Over the shared ``make_celery`` ones, for this producer only: the workers keep their
    own (they reconnect for ever, which a request must not).
    """
    return {
        "broker_connection_timeout": REDIS_CONNECT_TIMEOUT,
        "broker_transport_options": {
            **(celery.conf.broker_transport_options or {}),
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            "retry_on_timeout": False,
        },
        "task_publish_retry_policy": BROKER_RETRY_POLICY,
        # The result backend (control RPCs): subscribing to a result reconnects 20 times a
        # second apart by default; a result wait itself keeps the RPC's own timeout.
        "redis_socket_timeout": REDIS_SOCKET_TIMEOUT,
        "redis_socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "redis_retry_on_timeout": False,
        "result_backend_transport_options": {
            **(celery.conf.result_backend_transport_options or {}),
            "retry_policy": RESULT_BACKEND_RETRY_POLICY,
        },
    }


@dataclass
class GatewayState:
    config: Config
    db: Database
    redis: redis.Redis
    celery: Celery
    shape: CachedShape  # the shard count, which only routes kicks here
    trusted_proxies: tuple[Network, ...] = ()
    _master_key: Keyring | None = field(default=None, repr=False)
    _master_key_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def master_key(self) -> Keyring:
        """The key that seals secrets at rest (media providers' credentials), read on
        first use: most workers never need it."""
        with self._master_key_lock:
            if self._master_key is None:
                self._master_key = load_master_key(self.config)
            return self._master_key


def connect(config: Config) -> GatewayState:
    celery = make_celery(config, "gateway")
    celery.conf.update(bounded_producer_options(celery))
    db = get_db(config, REQUEST_TIMEOUTS)
    return GatewayState(
        config=config,
        db=db,
        redis=connect_redis(config.redis_url),
        celery=celery,
        shape=CachedShape(db, config.shards),
        trusted_proxies=trusted_networks(config.gateway.trusted_proxies),
    )


def install(app: Flask, state: GatewayState) -> None:
    app.extensions[EXTENSION] = state


def state() -> GatewayState:
    return current_app.extensions[EXTENSION]


def config() -> Config:
    return state().config


def db() -> Database:
    return state().db


def redis_client() -> redis.Redis:
    return state().redis


def celery() -> Celery:
    return state().celery


def master_key() -> Keyring:
    return state().master_key()


def shard_of(wa_id: str) -> int:
    """The shard that serves ``wa_id`` now: where its kicks go."""
    return shard_for(wa_id, state().shape.shards())
