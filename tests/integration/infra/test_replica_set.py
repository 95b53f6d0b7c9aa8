"""A three-member replica set started by infra.local_servers (authenticated, as always):
every member in it, and the loss of its primary costs nothing that was accepted."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import pymongo
import pytest

from infra import _process
from infra.local_servers import LocalServers, Ports
from services.common.config import Config
from services.common.mongo import accepted, get_db

pytestmark = pytest.mark.timeout(180)

MEMBERS = 3


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    local = LocalServers(tmp_path_factory.mktemp("replset"), Ports.free(MEMBERS), persistent=False, timeout=60)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def test_the_url_names_every_member(servers: LocalServers) -> None:
    url = servers.env()["WA_MONGO_URL"]
    hosts = ",".join(f"127.0.0.1:{servers.ports.mongo + i}" for i in range(MEMBERS))
    assert f"@{hosts}/?replicaSet=rs0&authSource=admin" in url
    assert sorted(servers.pids()) == ["mongod", "mongod-1", "mongod-2", "redis", "weed"]


def test_every_member_is_in_the_set(servers: LocalServers) -> None:
    with pymongo.MongoClient(servers.env()["WA_MONGO_URL"], serverSelectionTimeoutMS=10_000) as client:
        status = client.admin.command("replSetGetStatus")
    states = sorted(member["stateStr"] for member in status["members"])
    assert states == ["PRIMARY", "SECONDARY", "SECONDARY"]


def test_accepted_writes_survive_the_loss_of_the_primary(servers: LocalServers) -> None:
    config = Config.from_env({"WA_MONGO_URL": servers.env()["WA_MONGO_URL"], "WA_MONGO_DB": "replset_test"})
    db = get_db(config)
    accepted(db, "docs").insert_one({"_id": "before"})
    primary = servers.mongo_primary()
    assert primary is not None

    killed = primary.kill(signal.SIGKILL)
    lost_at = time.monotonic()

    assert not _process.is_alive(killed)
    assert _process.poll(lambda: servers.mongo_primary() not in (None, primary), 60, interval=0.2)
    elected_in = time.monotonic() - lost_at
    # The same client (retryable writes, majority reads) goes on with the new primary.
    accepted(db, "docs").insert_one({"_id": "after"})
    assert {doc["_id"] for doc in db.docs.find()} == {"before", "after"}

    primary.launch()
    primary.wait_ready(60)  # back as a member, in sync
    with pymongo.MongoClient(primary.direct_url(), directConnection=True, readPreference="secondaryPreferred",
                             serverSelectionTimeoutMS=10_000) as client:
        assert _process.poll(lambda: client.replset_test.docs.count_documents({}) == 2, 30, interval=0.2)
    print(f"new primary elected {elected_in:.1f} s after the old one was killed")
