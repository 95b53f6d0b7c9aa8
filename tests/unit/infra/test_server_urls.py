from pathlib import Path

from infra.credentials import Credentials
from infra.mongo_server import replica_set
from infra.redis_server import RedisServer, with_db
from infra.tls import ServerTls

CREDENTIALS = Credentials("wa", "p@ss/word", "r:edis", Path("/run/key"))
TLS = ServerTls(Path("/t/server.pem"), Path("/t/server.key"), Path("/t/ca.pem"))


def test_a_single_member_is_reached_directly_with_its_credentials():
    (member,) = replica_set(Path("/run"), 27117, 1, CREDENTIALS)
    assert member.url() == "mongodb://wa:p%40ss%2Fword@127.0.0.1:27117/?directConnection=true&authSource=admin"


def test_a_set_url_names_every_member_and_tls():
    members = replica_set(Path("/run"), 30000, 3, CREDENTIALS, tls=TLS)
    assert [m.name for m in members] == ["mongod", "mongod-1", "mongod-2"]
    assert [m.data_subdir for m in members] == ["mongo", "mongo-1", "mongo-2"]
    assert members[2].url() == (
        "mongodb://wa:p%40ss%2Fword@127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002/"
        "?replicaSet=rs0&authSource=admin&tls=true&tlsCAFile=%2Ft%2Fca.pem")
    assert members[1].direct_url(anonymous=True) == (
        "mongodb://127.0.0.1:30001/?directConnection=true&tls=true&tlsCAFile=%2Ft%2Fca.pem")


def test_redis_urls_carry_the_password_and_tls_options():
    assert RedisServer(Path("/run"), 6379, False).url() == "redis://127.0.0.1:6379/0"
    assert RedisServer(Path("/run"), 6379, False, password="r:edis").url(db=2) == "redis://:r%3Aedis@127.0.0.1:6379/2"
    assert RedisServer(Path("/run"), 6380, False, password="pw", tls=TLS).url() == (
        "rediss://:pw@127.0.0.1:6380/0?ssl_cert_reqs=required&ssl_ca_certs=%2Ft%2Fca.pem")


def test_changing_the_database_keeps_credentials_and_query():
    url = "rediss://:p%2Fw@redis.example:6380/0?ssl_ca_certs=/etc/wa/ca.pem&ssl_cert_reqs=required"
    assert with_db(url, 3) == "rediss://:p%2Fw@redis.example:6380/3?ssl_ca_certs=/etc/wa/ca.pem&ssl_cert_reqs=required"
    assert with_db("redis://:pw@127.0.0.1:16379/0", 1) == "redis://:pw@127.0.0.1:16379/1"
