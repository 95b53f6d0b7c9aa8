"""TLS URLs work: a Redis and a MongoDB that accept TLS connections only (with passwords),
reached by the project's own clients (redis_client, Celery's broker and result backend,
services.common.mongo) through nothing but ``Config``'s URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest
import redis
from pymongo.errors import PyMongoError

from infra.credentials import Credentials
from infra.local_servers import Ports
from infra.mongo_server import MongoServer
from infra.redis_server import RedisServer
from infra.tls import ServerTls
from services.common import redis_client
from services.common.celery_app import make_celery
from services.common.config import Config
from services.common.mongo import accepted, get_db
from tests.common.tls_files import make_server_tls

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ServerTls:
    return make_server_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls-servers")


@pytest.fixture(scope="module")
def tls_redis(run_dir: Path, tls: ServerTls) -> Iterator[RedisServer]:
    server = RedisServer(run_dir, Ports.free().redis, persistent=False,
                         password=Credentials.load_or_create(run_dir).redis_password, tls=tls)
    server.launch()
    try:
        server.wait_ready(30)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_mongo(run_dir: Path, tls: ServerTls) -> Iterator[MongoServer]:
    server = MongoServer(run_dir, Ports.free().mongo, Credentials.load_or_create(run_dir), tls=tls)
    server.launch()
    try:
        server.wait_ready(60)
        yield server
    finally:
        server.stop()


def test_redis_urls_are_rediss_with_the_ca(tls_redis: RedisServer, tls: ServerTls) -> None:
    url = Config.from_env({"WA_REDIS_URL": tls_redis.url()}).redis_url
    assert url.startswith("rediss://:") and "ssl_cert_reqs=required" in url and "ssl_ca_certs=" in url


def test_the_plain_client_speaks_tls(tls_redis: RedisServer) -> None:
    client = redis_client.connect(Config.from_env({"WA_REDIS_URL": tls_redis.url(db=2)}).redis_url)
    client.set("over-tls", b"yes")
    assert client.get("over-tls") == b"yes"
    assert client.connection_pool.connection_class is redis.SSLConnection
    client.close()


def test_a_client_without_tls_is_refused(tls_redis: RedisServer) -> None:
    plain = redis.Redis(host="127.0.0.1", port=tls_redis.port, password=tls_redis.password,
                        socket_timeout=3, socket_connect_timeout=3)
    with pytest.raises(redis.RedisError):
        plain.ping()


def test_a_client_that_does_not_trust_the_ca_is_refused(tls_redis: RedisServer) -> None:
    untrusting = tls_redis.url().split("?", 1)[0]  # verification required, system CAs only
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        redis_client.connect(untrusting).ping()


def test_celery_publishes_and_stores_results_over_tls(tls_redis: RedisServer) -> None:
    config = Config.from_env({"WA_REDIS_URL": tls_redis.url(db=3)})
    app = make_celery(config, "tls-test")
    try:
        app.send_task("tls.kick", queue="tls-kicks")
        app.backend.set("tls-result", b"stored")
        probe = redis_client.connect(config.redis_url)
        assert probe.llen("tls-kicks") == 1
        assert app.backend.get("tls-result") == b"stored"
        # A consumer's side: the kick comes back through the broker's own connection.
        with app.connection_for_read() as connection:
            assert issubclass(connection.default_channel.client.connection_pool.connection_class,
                              redis.SSLConnection)
            kick = connection.SimpleQueue("tls-kicks").get(timeout=10)
            assert kick.headers["task"] == "tls.kick"
            kick.ack()
        assert probe.llen("tls-kicks") == 0
        probe.close()
    finally:
        app.close()


def test_mongo_over_tls_with_credentials(tls_mongo: MongoServer) -> None:
    config = Config.from_env({"WA_MONGO_URL": tls_mongo.url(), "WA_MONGO_DB": "tls_test"})
    assert "tls=true" in config.mongo_url and "@" in config.mongo_url
    db = get_db(config)
    accepted(db, "docs").insert_one({"_id": "over-tls"})
    assert db.docs.find_one({"_id": "over-tls"}) == {"_id": "over-tls"}


def test_mongo_refuses_a_client_without_tls(tls_mongo: MongoServer) -> None:
    plain_url = tls_mongo.url().split("&tls=", 1)[0]
    assert "tls" not in plain_url
    with pymongo.MongoClient(plain_url, serverSelectionTimeoutMS=2000) as client, pytest.raises(PyMongoError):
        client.admin.command("ping")
