"""Real Redis, MongoDB and S3 started by infra.local_servers, with real client round trips."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
import redis
from minio import Minio
from minio.error import S3Error
from pymongo.errors import OperationFailure

from infra.errors import MissingDependencyError, PortBusyError
from infra.local_servers import LocalServers, Ports
from infra.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServers]:
    local = LocalServers(tmp_path_factory.mktemp("run"), Ports.free(), persistent=True, timeout=30)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def _gone(pid: int) -> bool:
    """Exited; a zombie waiting for init to reap it counts as exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def _mongo(local: LocalServers) -> pymongo.MongoClient:
    return pymongo.MongoClient(local.env()["WA_MONGO_URL"], serverSelectionTimeoutMS=5000)


def _minio(local: LocalServers, secret: str | None = None) -> Minio:
    env = local.env()
    return Minio(
        env["WA_S3_ENDPOINT"],
        env["WA_S3_ACCESS_KEY"],
        secret or env["WA_S3_SECRET_KEY"],
        secure=env["WA_S3_SECURE"] == "1",
    )


def test_env_names_our_ports_and_credentials(servers: LocalServers) -> None:
    env = servers.env()
    creds = servers.credentials
    assert env["WA_MONGO_URL"] == (f"mongodb://{creds.mongo_user}:{creds.mongo_password}@127.0.0.1:"
                                   f"{servers.ports.mongo}/?directConnection=true&authSource=admin")
    assert env["WA_REDIS_URL"] == f"redis://:{creds.redis_password}@127.0.0.1:{servers.ports.redis}/0"
    assert env["WA_S3_ENDPOINT"] == f"127.0.0.1:{servers.ports.s3}"
    assert env["WA_S3_SECURE"] == "0"


def test_mongo_insert_find_and_transaction(servers: LocalServers) -> None:
    with _mongo(servers) as client:
        coll = client.infra_test.docs
        coll.insert_one({"_id": "plain", "n": 1})
        assert coll.find_one({"_id": "plain"}) == {"_id": "plain", "n": 1}
        with client.start_session() as session, session.start_transaction():
            coll.insert_one({"_id": "tx", "n": 2}, session=session)
            coll.update_one({"_id": "plain"}, {"$inc": {"n": 1}}, session=session)
        assert coll.find_one({"_id": "plain"})["n"] == 2
        assert coll.find_one({"_id": "tx"}) is not None


def test_credentials_are_random_private_and_reused(servers: LocalServers) -> None:
    run_dir = servers.run_dir
    for name in ("credentials.json", "mongo-keyfile", "redis.conf"):
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o600, name
    again = LocalServers(run_dir, servers.ports, persistent=True)
    assert again.credentials == servers.credentials
    fresh = LocalServers(run_dir.parent / f"{run_dir.name}-other", servers.ports, persistent=True)
    assert fresh.credentials.mongo_password != servers.credentials.mongo_password
    assert fresh.credentials.redis_password != servers.credentials.redis_password


def test_servers_refuse_clients_without_the_credentials(servers: LocalServers) -> None:
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=servers.ports.redis, socket_timeout=5).ping()
    anonymous = pymongo.MongoClient(f"mongodb://127.0.0.1:{servers.ports.mongo}/?directConnection=true",
                                    serverSelectionTimeoutMS=5000)
    with anonymous, pytest.raises(OperationFailure, match="requires authentication"):
        anonymous.infra_test.docs.find_one()
    wrong = servers.env()["WA_MONGO_URL"].replace(servers.credentials.mongo_password, "wrong")
    with pymongo.MongoClient(wrong, serverSelectionTimeoutMS=5000) as client, pytest.raises(OperationFailure):
        client.admin.command("ping")


def test_no_password_on_a_command_line(servers: LocalServers) -> None:
    secrets = (servers.credentials.mongo_password, servers.credentials.redis_password)
    for pid in servers.pids().values():
        assert pid is not None
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert not any(secret in cmdline for secret in secrets)


def test_redis_set_get(servers: LocalServers) -> None:
    client = redis.Redis.from_url(servers.env()["WA_REDIS_URL"])
    client.set("infra-test", b"value")
    assert client.get("infra-test") == b"value"
    client.close()


def test_s3_put_get_and_sigv4_enforced(servers: LocalServers) -> None:
    client = _minio(servers)
    client.make_bucket("infra-test")
    client.put_object("infra-test", "hello.txt", io.BytesIO(b"hello"), 5)
    response = client.get_object("infra-test", "hello.txt")
    try:
        assert response.read() == b"hello"
    finally:
        response.close()
        response.release_conn()
    with pytest.raises(S3Error):
        _minio(servers, secret="wrong-secret").bucket_exists("infra-test")


def test_stop_kills_processes_and_persistent_restart_keeps_data(servers: LocalServers) -> None:
    with _mongo(servers) as client:
        client.infra_test.persist.insert_one({"_id": "kept"})
    pids = [pid for pid in servers.pids().values() if pid is not None]
    assert len(pids) == 3

    servers.stop()
    assert all(_gone(pid) for pid in pids)
    assert servers.pids() == {"weed": None, "redis": None, "mongod": None}

    servers.start()
    with _mongo(servers) as client:
        assert client.infra_test.persist.find_one({"_id": "kept"}) == {"_id": "kept"}


def test_start_is_idempotent(servers: LocalServers) -> None:
    before = servers.pids()
    servers.start()
    assert servers.pids() == before


def test_cli_run_passes_env_and_stops_servers(tmp_path: Path) -> None:
    script = "import os; print(os.environ['WA_REDIS_URL'])"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.local_servers",
            "run",
            "--dir",
            str(tmp_path / "run"),
            "--ports",
            "free",
            "--ephemeral",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("redis://:")
    assert not list((tmp_path / "run").glob("*.pid"))


def test_busy_port_is_reported(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = RedisServer(tmp_path, sock.getsockname()[1], persistent=False)
        with pytest.raises(PortBusyError, match="already in use"):
            server.launch()


def test_missing_redis_server_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="apt-get install -y redis-server"):
        RedisServer(tmp_path, 1, persistent=False).check_available()
    assert os.environ["PATH"] == str(tmp_path)
