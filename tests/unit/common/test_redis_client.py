import ssl

import pytest

from services.common.redis_client import tls_options


def test_a_plain_url_has_no_tls_options():
    assert tls_options("redis://:secret@127.0.0.1:6379/0") is None


def test_rediss_verifies_the_server_unless_told_otherwise():
    assert tls_options("rediss://:secret@redis.example:6380/0") == {"ssl_cert_reqs": ssl.CERT_REQUIRED}


def test_the_query_names_the_ca_and_the_client_certificate():
    url = ("rediss://redis.example:6380/1?ssl_cert_reqs=CERT_OPTIONAL&ssl_ca_certs=%2Fetc%2Fca.pem"
           "&ssl_certfile=/c.pem&ssl_keyfile=/k.pem")
    assert tls_options(url) == {"ssl_cert_reqs": ssl.CERT_OPTIONAL, "ssl_ca_certs": "/etc/ca.pem",
                                "ssl_certfile": "/c.pem", "ssl_keyfile": "/k.pem"}


def test_an_unknown_verification_mode_is_refused():
    with pytest.raises(ValueError, match="ssl_cert_reqs"):
        tls_options("rediss://redis.example:6380/0?ssl_cert_reqs=sometimes")
