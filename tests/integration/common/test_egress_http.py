"""The egress session (services/common/egress_http.py) against real sockets on loopback:
it connects to the address it checked and to no other (a rebinding resolver gains
nothing), refuses before any connection is made, judges each redirect, keeps TLS on the
host name, and cuts a transfer at its deadline or minimum rate at the socket."""

from __future__ import annotations

import datetime
import ssl
import time
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common.egress_http import Budget, EgressRefused, TransferCut, egress_session, transfer
from services.common.egress_rules import parse_allow
from tests.common.http_servers import start_server, stop_server
from tests.common.listeners import CountingListener, TricklingServer


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).hits.append(self.path)
        if self.path.startswith("/to/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/to"):].replace("/http/", "http://", 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hello():
    handler = type("Hello", (_Hello,), {"hits": []})
    server = start_server(handler)
    server.hits = handler.hits  # type: ignore[attr-defined]
    yield server
    stop_server(server)


@pytest.fixture
def forbidden():
    """Where a rebinding or a redirect would like to send us: must count zero."""
    listener = CountingListener("127.0.0.2")
    yield listener
    listener.close()


def resolver_of(*answers: list[str]):
    """A ``getaddrinfo`` answering each call with the next list of addresses (the last
    one for ever), and counting its calls."""
    calls: list[str] = []

    def resolve(host, port, family=0, kind=0, proto=0, flags=0):
        calls.append(host)
        addresses = answers[min(len(calls) - 1, len(answers) - 1)]
        import socket
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port) if ":" not in a else (a, port, 0, 0)) for a in addresses]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_a_refused_address_is_never_connected_to(forbidden):
    session = egress_session(parse_allow(""))
    with pytest.raises(EgressRefused) as refused:
        session.get(forbidden.url(), timeout=2)
    assert refused.value.reason == "127.0.0.2 is a loopback address"
    with pytest.raises(EgressRefused) as refused:
        session.get(f"http://localhost:{forbidden.port}/x", timeout=2)
    assert refused.value.reason.startswith("localhost resolves to ") and "a loopback address" in refused.value.reason
    time.sleep(0.2)
    assert forbidden.connections == 0


def test_it_connects_to_the_address_it_checked_and_resolves_once(hello, forbidden):
    port = hello.server_address[1]
    # A rebinding resolver: an allowed address first, then the forbidden one.
    resolve = resolver_of(["127.0.0.1"], ["127.0.0.2"])
    session = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolve)
    answer = session.get(f"http://media.test:{port}/one", timeout=2, headers={"Connection": "close"})
    assert answer.text == "hello" and len(resolve.calls) == 1
    # The next connection resolves again (once) and gets the forbidden address: refused.
    forbidden_port_session = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolve)
    with pytest.raises(EgressRefused):
        forbidden_port_session.get(f"http://media.test:{port}/two", timeout=2)
    assert len(resolve.calls) == 2
    time.sleep(0.2)
    assert forbidden.connections == 0 and hello.hits == ["/one"]


def test_only_the_addresses_that_pass_are_tried(hello, forbidden):
    port = hello.server_address[1]
    resolve = resolver_of(["127.0.0.2", "169.254.169.254", "127.0.0.1"])
    session = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolve)
    assert session.get(f"http://mixed.test:{port}/", timeout=2).text == "hello"
    assert forbidden.connections == 0
    resolve = resolver_of(["127.0.0.2", "169.254.169.254"])
    with pytest.raises(EgressRefused) as refused:
        egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolve).get(f"http://bad.test:{port}/", timeout=2)
    assert refused.value.reason == "bad.test resolves to 127.0.0.2, a loopback address"


def test_the_connection_goes_to_the_checked_address_whatever_the_system_resolver_says(hello, monkeypatch):
    port = hello.server_address[1]
    import socket

    def rebound(*args, **kwargs):  # what a rebinding DNS would answer on a second look
        raise AssertionError("a second resolution")

    session = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolver_of(["127.0.0.1"]))
    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    assert session.get(f"http://media.test:{port}/", timeout=2).text == "hello"


def test_every_redirect_is_judged(hello, forbidden):
    port = hello.server_address[1]
    session = egress_session(parse_allow(f"127.0.0.1:{port}"))
    with pytest.raises(EgressRefused):
        session.get(f"http://127.0.0.1:{port}/to/http/127.0.0.2:{forbidden.port}/x", timeout=2)
    with pytest.raises(EgressRefused):
        session.get(f"http://127.0.0.1:{port}/to/http/localhost:{forbidden.port}/x", timeout=2)
    # Followed when allowed.
    assert session.get(f"http://127.0.0.1:{port}/to/http/127.0.0.1:{port}/ok", timeout=2).text == "hello"
    time.sleep(0.2)
    assert forbidden.connections == 0


def test_other_schemes_and_proxies_are_not_used(hello, monkeypatch):
    port = hello.server_address[1]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.2:9/")
    session = egress_session(parse_allow(f"127.0.0.1:{port}"))
    assert session.get(f"http://127.0.0.1:{port}/", timeout=2).text == "hello"  # the environment's proxy unused
    with pytest.raises(requests.exceptions.InvalidSchema):
        session.get("file:///etc/passwd")
    with pytest.raises(EgressRefused):
        session.get(f"http://127.0.0.1:{port}/", timeout=2, proxies={"http": "http://127.0.0.1:1/"})


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_uses_the_host_name_while_connecting_to_the_checked_address(tmp_path, monkeypatch):
    cert_file, key_file = _certificate(tmp_path, "media.test")
    handler = type("Hello", (_Hello,), {"hits": []})
    server = start_server(handler)
    seen_names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: seen_names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        port = server.server_address[1]
        session = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolver_of(["127.0.0.1"]))
        assert session.get(f"https://media.test:{port}/", timeout=5, verify=str(cert_file)).text == "hello"
        assert seen_names == ["media.test"]
        # The configured CA bundle (Config.tls_ca_bundle), and no proxy of the environment.
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.2:9/")
        bundled = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolver_of(["127.0.0.1"]),
                                 ca_bundle=str(cert_file))
        assert bundled.get(f"https://media.test:{port}/", timeout=5).text == "hello"
        # The certificate is checked against the name: another name is refused.
        other = egress_session(parse_allow(f"127.0.0.1:{port}"), resolver=resolver_of(["127.0.0.1"]))
        with pytest.raises(requests.exceptions.SSLError):
            other.get(f"https://other.test:{port}/", timeout=5, verify=str(cert_file))
    finally:
        stop_server(server)


@pytest.fixture
def trickle():
    server = TricklingServer(length=1000, interval=0.3)
    yield server
    server.close()


def test_a_trickle_is_cut_at_the_deadline(trickle):
    session = egress_session(parse_allow(f"127.0.0.1:{trickle.port}"))
    budget = Budget.lasting(1.5)
    started = time.monotonic()
    with transfer(budget), pytest.raises(requests.RequestException):
        answer = session.get(trickle.url, timeout=(2, 30), stream=True)
        for _ in answer.iter_content(64 * 1024):
            pass
    took = time.monotonic() - started
    assert budget.cut == "deadline" and 1.4 < took < 2.0, took


def test_a_transfer_below_the_minimum_rate_is_cut_at_the_end_of_its_window(trickle):
    session = egress_session(parse_allow(f"127.0.0.1:{trickle.port}"))
    budget = Budget(min_rate=200, window=1.0)  # the headers (about 70 bytes) do not make 200 bytes
    started = time.monotonic()
    with transfer(budget), pytest.raises(requests.RequestException):
        answer = session.get(trickle.url, timeout=(2, 30), stream=True)
        for _ in answer.iter_content(64 * 1024):
            pass
    took = time.monotonic() - started
    assert budget.cut == "too slow" and took < 1.6, took


def test_a_total_timeout_session_bounds_the_whole_request(trickle):
    session = egress_session(parse_allow(f"127.0.0.1:{trickle.port}"), total_timeout=True)
    started = time.monotonic()
    with pytest.raises(requests.RequestException):
        answer = session.get(trickle.url, timeout=1.0, stream=True)
        for _ in answer.iter_content(8192):
            pass
    assert time.monotonic() - started < 1.5


def test_a_silent_server_is_cut_at_the_deadline_before_its_headers():
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        budget = Budget.lasting(0.8)
        started = time.monotonic()
        with transfer(budget), pytest.raises(requests.Timeout):
            egress_session(parse_allow(f"127.0.0.1:{port}")).get(f"http://127.0.0.1:{port}/", timeout=(2, 30))
        assert budget.cut == "deadline" and time.monotonic() - started < 1.3


def test_transfer_cut_is_a_socket_timeout():
    assert issubclass(TransferCut, TimeoutError)


def test_a_pooled_connection_reopened_after_the_server_closed_it_has_the_new_requests_budget(tmp_path):
    # The server drops idle keep-alive connections after 0.2 s; urllib3 then reopens the
    # pooled connection (HTTPS: before the request is made), which must obey the budget
    # of the request being sent, not the spent one of the request before.
    cert_file, key_file = _certificate(tmp_path, "hooks.test")
    handler = type("Hello", (_Hello,), {"hits": [], "timeout": 0.2})
    server = start_server(handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        port = server.server_address[1]
        session = egress_session(parse_allow(f"127.0.0.1:{port}"), total_timeout=True,
                                 resolver=resolver_of(["127.0.0.1"]), ca_bundle=str(cert_file))
        url = f"https://hooks.test:{port}/"
        assert session.get(url, timeout=0.5).text == "hello"
        time.sleep(0.8)  # the first request's budget is spent, and the server closed the connection
        assert session.get(url, timeout=0.5).text == "hello"
        assert len(handler.hits) == 2
    finally:
        stop_server(server)


def test_a_resolution_that_outlasts_the_deadline_connects_nowhere():
    listener = CountingListener("127.0.0.1")
    slow = resolver_of(["127.0.0.1"])

    def slow_resolver(*args, **kwargs):
        time.sleep(0.5)
        return slow(*args, **kwargs)

    try:
        session = egress_session(parse_allow(f"127.0.0.1:{listener.port}"), resolver=slow_resolver)
        budget = Budget.lasting(0.3)
        with transfer(budget), pytest.raises(requests.RequestException):
            session.get(listener.url(host="media.test"), timeout=(5, 5))
        assert budget.cut == "deadline"
        time.sleep(0.2)
        assert listener.connections == 0
    finally:
        listener.close()
