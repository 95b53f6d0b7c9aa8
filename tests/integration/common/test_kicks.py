"""Kicks and their flags on a private real Redis that is stopped and restarted."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import redis

from services.common import kicks, redis_client
from services.common.celery_app import make_celery
from services.common.queues import DRAIN_OUTBOUND, shard_queue
from tests.integration.common.test_celery_app import _closed_port

SHARD = 3


@pytest.fixture
def broker(config, own_redis):
    app = make_celery(replace(config, redis_url=own_redis.url), "kicks-test")
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def dead_broker(config):
    app = make_celery(replace(config, redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), "kicks-test-dead")
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def flags(own_redis) -> redis.Redis:
    return redis_client.connect(own_redis.url)


def _queued(flags: redis.Redis) -> int:
    return flags.llen(shard_queue(SHARD))


def test_kicks_with_redis_down_answer_false_quickly_instead_of_raising(dead_broker):
    dead_flags = redis_client.connect(f"redis://127.0.0.1:{_closed_port()}/0")
    started = time.monotonic()
    assert kicks.kick_outbound(dead_broker, SHARD, dead_flags) is False
    assert kicks.kick_inbound(dead_broker, SHARD) is False
    assert kicks.send(dead_broker, "dispatcher.deliver", ["cb"], "dispatcher") is False
    kicks.clear_flag(dead_flags, DRAIN_OUTBOUND, SHARD)  # does not raise either
    assert time.monotonic() - started < 10  # bounded: publish retries and connect timeouts


def test_a_failed_send_leaves_no_flag_behind(dead_broker, broker, flags):
    # The flag's Redis answers but the broker does not: the flag is set, the send fails.
    assert kicks.kick_outbound(dead_broker, SHARD, flags) is False
    assert flags.exists(f"kick:{DRAIN_OUTBOUND}:{SHARD}") == 0

    # So the next kick is not taken for "one is already pending": it is sent.
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    assert _queued(flags) == 1


def test_one_pending_kick_per_shard_and_a_flag_never_outlives_its_bound(broker, flags):
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    assert kicks.kick_outbound(broker, SHARD, flags) is True  # pending already: not sent again
    assert _queued(flags) == 1
    # Were that kick lost with its flag still set, the flag would block kicks this long at most.
    assert 0 < flags.ttl(f"kick:{DRAIN_OUTBOUND}:{SHARD}") <= kicks.FLAG_TTL_SECONDS

    kicks.clear_flag(flags, DRAIN_OUTBOUND, SHARD)  # the drain started
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    assert _queued(flags) == 2


def test_kicks_resume_on_a_restarted_empty_redis(broker, flags, own_redis):
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    own_redis.restart()  # without persistence: the kick and its flag are gone

    # The same producer and flag client reconnect by themselves.
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    assert _queued(flags) == 1


def test_kicks_during_an_outage_do_not_raise_and_work_again_after_it(broker, flags, own_redis):
    own_redis.stop()
    assert kicks.kick_outbound(broker, SHARD, flags) is False
    own_redis.start()
    assert kicks.kick_outbound(broker, SHARD, flags) is True
    assert _queued(flags) == 1
