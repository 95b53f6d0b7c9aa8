"""Fault injection of infra: servers restarted by pid on their ports, children found by /proc."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pymongo
import pytest
import redis

from infra import _process
from infra.errors import InfraError
from infra.faults import child_pids, parent_pid
from infra.local_servers import LocalServers, Ports

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    # As in the test runs: Redis without persistence.
    local = LocalServers(tmp_path_factory.mktemp("faults"), Ports.free(), persistent=False, timeout=30)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def test_redis_restarted_comes_back_empty_on_the_same_port(servers: LocalServers) -> None:
    client = redis.Redis.from_url(servers.redis.url(), socket_timeout=5)
    client.set("kept?", "no")
    before = servers.redis.pid()

    after = servers.redis.restart(signal.SIGKILL)

    assert after != before and not _process.is_alive(before)
    fresh = redis.Redis.from_url(servers.redis.url(), socket_timeout=5)
    assert int(fresh.info("server")["tcp_port"]) == servers.ports.redis
    assert fresh.get("kept?") is None


def test_mongo_killed_and_restarted_keeps_journaled_data(servers: LocalServers) -> None:
    url = servers.mongo.url()
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=5000) as client:
        client.faults.docs.with_options(write_concern=pymongo.WriteConcern(j=True)).insert_one({"_id": "journaled"})
    before = servers.mongo.pid()

    after = servers.mongo.restart(signal.SIGKILL)

    assert after != before and not _process.is_alive(before)
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=5000) as client:
        assert client.faults.docs.find_one({"_id": "journaled"}) == {"_id": "journaled"}
        assert client.admin.command("hello")["isWritablePrimary"]


def test_kill_refuses_a_server_that_is_not_running(tmp_path) -> None:
    idle = LocalServers(tmp_path, Ports.free(), persistent=False)
    with pytest.raises(InfraError, match="not running"):
        idle.redis.kill()


def test_children_are_found_through_proc() -> None:
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                               "'import time; time.sleep(30)']); time.sleep(30)"])
    try:
        assert _process.poll(lambda: len(child_pids(parent.pid)) == 1, 10)
        (child,) = child_pids(parent.pid)
        assert parent_pid(child) == parent.pid
    finally:
        for pid in child_pids(parent.pid):
            _process.send_signal(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
