"""The core's long-lived threads against a Redis that is down or restarted.

The network connection thread and the recovery sweeper run for the life of the process:
a broker error must cost them one iteration, never the thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from services.account import store as account_store
from services.cluster.nodes import NETWORK_LEASE
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.common.periodic import Job, Periodic
from services.common.queues import shard_queue
from services.core_worker import recovery
from services.core_worker.connection import NetworkConnection
from services.core_worker.context import CoreContext
from services.core_worker.leases import LeaseKeeper
from tests.common.waiting import wait_for
from tests.integration.common.test_celery_app import _closed_port


def _context(config, redis_url: str) -> CoreContext:
    # The network is a closed port too: the connection thread gets as far as dialling it.
    cfg = replace(config, redis_url=redis_url, network_url=f"http://127.0.0.1:{_closed_port()}")
    return CoreContext(cfg, make_celery(cfg, "core-redis-loss-test"))


def _register(ctx: CoreContext) -> None:
    account_store.record_code_requested(ctx.db, cc="1", phone_number="5550100", cert="cert", vname="Doorbell")
    account_store.record_registered(ctx.db, ctx.master_key, wa_id="15550100", token="network-token")


def _unsent_kicks(caplog) -> int:
    """Kicks the broker refused (services/common/kicks.py logs each and goes on)."""
    return sum(record.getMessage().startswith("could not queue ")
               for record in _records(caplog, "services.common.kicks"))


def _records(caplog, logger: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == logger]


@pytest.fixture
def stopped_threads():
    threads = []
    yield threads
    for thread in threads:
        if isinstance(thread, Periodic):
            thread.stop(timeout=10)
        else:
            thread.stopping.set()
            thread.join(timeout=10)


def _holding_the_network(ctx: CoreContext, stopped_threads) -> None:
    """A real lease keeper for this test's node, holding the network lease."""
    keeper = LeaseKeeper(ctx.db, 1, me="redis-loss-test")
    ctx.leases = keeper
    keeper.start()
    stopped_threads.append(keeper)
    wait_for(lambda: keeper.holds(NETWORK_LEASE), timeout=10, message="the network lease held")


def _dialled(caplog) -> int:
    """Attempts to reach the network (a closed port here): "connection lost", not "failed"."""
    return sum(record.getMessage() == "network connection lost: ConnectionRefusedError"
               for record in _records(caplog, "services.core_worker.connection"))


def test_connection_thread_does_not_need_redis(config, db, caplog, stopped_threads):
    """Its lease and its state live in MongoDB: with Redis unreachable it goes on
    dialling the network, attempt after attempt, and never fails on Redis."""
    caplog.set_level(logging.WARNING, logger="services.core_worker.connection")
    ctx = _context(config, f"redis://127.0.0.1:{_closed_port()}/0")
    _register(ctx)
    _holding_the_network(ctx, stopped_threads)
    connection = NetworkConnection(ctx, "redis-loss-test")
    stopped_threads.append(connection)
    connection.start()

    wait_for(lambda: _dialled(caplog) >= 3, timeout=20, message="three dials of the network")
    assert connection.is_alive()
    assert not [r for r in _records(caplog, "services.core_worker.connection") if "failed" in r.getMessage()]


def test_connection_thread_goes_on_while_redis_restarts(config, db, own_redis, caplog, stopped_threads):
    caplog.set_level(logging.WARNING, logger="services.core_worker.connection")
    ctx = _context(config, own_redis.url)
    _register(ctx)
    _holding_the_network(ctx, stopped_threads)
    own_redis.stop()
    connection = NetworkConnection(ctx, "redis-loss-test")
    stopped_threads.append(connection)
    connection.start()
    wait_for(lambda: _dialled(caplog) >= 2, timeout=20, message="two dials with Redis down")
    own_redis.start()
    before = _dialled(caplog)
    wait_for(lambda: _dialled(caplog) > before, timeout=20, message="a dial after Redis is back")
    assert connection.is_alive()


def test_sweeper_survives_redis_down_and_kicks_once_it_is_back(
    config, db, own_redis, caplog, stopped_threads,
):
    caplog.set_level(logging.WARNING, logger="services.common.kicks")
    ctx = _context(config, own_redis.url)
    old = utcnow() - timedelta(minutes=1)
    db.messages.insert_one({"_id": "m-stale", "direction": "outbound", "status": "accepted", "server_shard": 0,
                            "seq": 1, "created_at": old})
    own_redis.stop()
    sweeper = Periodic([Job("recovery-sweep", 0.2, lambda: recovery.sweep(ctx, [0]))])
    stopped_threads.append(sweeper)
    sweeper.start()
    wait_for(lambda: _unsent_kicks(caplog) >= 3, timeout=20, message="several sweeps whose kicks cannot be sent")
    assert sweeper.is_alive()

    own_redis.start()
    wait_for(lambda: ctx.redis.llen(shard_queue(0)) > 0, timeout=15, message="a kick once Redis is back")
    assert sweeper.is_alive()
