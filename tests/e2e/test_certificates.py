"""HTTPS and certificates through the real processes (spec §10.2; issue 12): the gateway
serves TLS with the certificate stored in MongoDB, an operator's bundle replaces it
without a restart, a broken one is refused, and the dispatcher trusts a webhook server
of a private CA once that CA is uploaded, and not before."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from services.api_gateway.tls_listener import RECHECK_SECONDS
from services.certificates.bundle_rules import TOO_FEW_SECTIONS
from tests.common.openapi_check import checked_request
from tests.common.pki import bundle, make_ca, make_leaf
from tests.common.waiting import wait_for
from tests.e2e.conftest import NEW_PASSWORD
from tests.e2e.webhook_receiver import WebhookReceiver

# Longer than a gateway worker's recheck of the stored certificate (tls_listener.py).
PROPAGATION = 15.0


def served_certificate(stack, cafile: Path | None = None) -> bytes:
    """The DER certificate the HTTPS port serves on a new connection; verified against
    ``cafile`` when given (an untrusted certificate raises ``ssl.SSLError``)."""
    address = urlsplit(stack.https_url)
    context = ssl.create_default_context(cafile=str(cafile)) if cafile else ssl._create_unverified_context()
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname=address.hostname) as secure:
        certificate = secure.getpeercert(binary_form=True)
    assert certificate is not None
    return certificate


def der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem)


def trusted(path: Path, pem: str) -> Path:
    path.write_text(pem)
    return path


def install(api, text: str) -> requests.Response:
    return api("POST", "/v1/certificates/external", data=text.encode(), headers={"Content-Type": "text/plain"})


def settle() -> None:
    """Once one worker serves a new certificate, the others do after their next check:
    one that checked just before the install keeps the old one until then (the accepting
    worker is the kernel's choice, so no request can be aimed at a given worker)."""
    time.sleep(RECHECK_SECONDS + 0.5)


def trusting_client(stack, api, tmp_path: Path) -> requests.Session:
    """A client that trusts what ``GET /v1/certificates/external/ca`` answers, once the
    HTTPS port serves a certificate of that CA (one installed by another test a moment
    ago may still be reaching a worker)."""
    answer = api("GET", "/v1/certificates/external/ca")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    client = requests.Session()
    client.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise win over the session's verify
    client.verify = str(trusted(tmp_path / f"ca-{uuid.uuid4()}.pem", answer.text))
    client.headers["Connection"] = "close"

    def handshake_ok() -> bool:
        try:
            client.get(f"{stack.https_url}/v1/health", timeout=10)
        except requests.exceptions.SSLError:
            return False
        return True

    wait_for(handshake_ok, timeout=PROPAGATION, interval=0.2, message="a handshake trusting the CA")
    settle()
    return client


def wait_until_served(stack, leaf_pem: str, cafile: Path) -> None:
    """Every gateway worker serves ``leaf_pem``: several new connections in a row do."""
    def a_new_connection_serves_it() -> bool:
        try:
            return served_certificate(stack, cafile) == der(leaf_pem)
        except (ssl.SSLError, OSError):
            return False  # a worker still serving the certificate before

    wait_for(a_new_connection_serves_it, timeout=PROPAGATION, interval=0.2,
             message=lambda: f"the new certificate served\n{stack.logs()}")
    settle()
    assert all(served_certificate(stack, cafile) == der(leaf_pem) for _ in range(8))


def test_a_client_trusting_the_ca_logs_in_and_sends_over_tls(stack, api, network, new_phone, customer_writes,
                                                             tmp_path):
    with pytest.raises(requests.exceptions.SSLError):  # not trusted by default: it is self-signed
        requests.get(f"{stack.https_url}/v1/health", timeout=10)
    client = trusting_client(stack, api, tmp_path)
    login = client.post(f"{stack.https_url}/v1/users/login", auth=("admin", NEW_PASSWORD), timeout=10)
    assert login.status_code == 200, login.text
    token = login.json()["users"][0]["token"]

    phone = new_phone("Tess")
    customer_writes(phone)
    body = f"over tls {uuid.uuid4()}"
    sent = client.post(f"{stack.https_url}/v1/messages", headers={"Authorization": f"Bearer {token}"},
                       json={"to": phone, "type": "text", "text": {"body": body}}, timeout=30)
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["messages"][0]["id"]
    received = wait_for(lambda: [m for m in network("GET", f"/sandbox/v1/phones/{phone}/messages").json()["messages"]
                                 if m["id"] == message_id], timeout=30, interval=0.2, message="the phone got it")
    assert received[0]["text"]["body"] == body

    # Kept alive: several requests on one TLS connection (back in gunicorn's poller between them).
    address = urlsplit(stack.https_url)
    connection = http.client.HTTPSConnection(address.hostname, address.port, timeout=10,
                                             context=ssl.create_default_context(cafile=client.verify))
    try:
        for _ in range(3):
            connection.request("GET", "/v1/health", headers={"Authorization": f"Bearer {token}"})
            answer = connection.getresponse()
            assert answer.status == 200 and b'"health"' in answer.read()
            assert answer.getheader("Connection") != "close"
    finally:
        connection.close()


def test_bad_clients_on_the_https_port_cost_no_worker_and_no_traceback(stack, api, tmp_path):
    log_file = stack.run_dir / "gateway.log"
    log_before = log_file.stat().st_size
    address = urlsplit(stack.https_url)
    # Plain HTTP on the TLS port, a truncated ClientHello, a connection closed at once.
    for garbage in (b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x00\x05hello", b""):
        with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
            answer = b""
            with contextlib.suppress(OSError):  # the server may close (or reset) first
                raw.sendall(garbage)
                raw.shutdown(socket.SHUT_WR)
                while chunk := raw.recv(1024):
                    answer += chunk
            assert not answer.startswith(b"HTTP")  # at most a TLS alert, then closed
    client = trusting_client(stack, api, tmp_path)
    # gunicorn's own refusals are still answered in the envelope over TLS (gunicorn_worker.py).
    too_long = client.get(f"{stack.https_url}/v1/{'x' * 5000}", timeout=10)
    assert too_long.status_code == 414
    assert too_long.json()["errors"][0]["code"] == 1025 and "meta" in too_long.json()
    assert client.get(f"{stack.https_url}/v1/health", timeout=10).status_code == 401
    stack.check_alive()
    with log_file.open("rb") as log:
        log.seek(log_before)
        written = log.read().decode(errors="replace")
    assert "Traceback" not in written and "[ERROR]" not in written, written
    assert "Booting worker" not in written, written  # no worker died and was replaced


def test_an_installed_bundle_is_served_on_new_connections_without_a_restart(stack, api, tmp_path):
    gateway_pid = stack.processes["gateway"].pid
    ca = make_ca("Operator CA")
    leaf = make_leaf(ca)
    answer = install(api, bundle(leaf, ca))
    assert answer.status_code == 201, answer.text
    assert set(answer.json()) == {"meta"}

    wait_until_served(stack, leaf.cert_pem, trusted(tmp_path / "operator-ca.pem", ca.cert_pem))
    assert api("GET", "/v1/certificates/external/ca").text == ca.cert_pem
    assert stack.processes["gateway"].pid == gateway_pid
    stack.check_alive()


def test_a_broken_bundle_is_refused_and_the_certificate_in_use_stays(stack, api, tmp_path):
    ca = make_ca("Operator CA")
    leaf = make_leaf(ca)
    assert install(api, bundle(leaf, ca)).status_code == 201
    cafile = trusted(tmp_path / "operator-ca.pem", ca.cert_pem)
    wait_until_served(stack, leaf.cert_pem, cafile)

    other_ca = make_ca("Another CA")
    broken = {
        "two sections": leaf.key_pem + leaf.cert_pem,
        "another key": make_leaf(ca).key_pem + leaf.cert_pem + ca.cert_pem,
        "another CA": bundle(leaf, other_ca),
        "expired": bundle(make_leaf(ca, not_before=_days(-30), not_after=_days(-1)), ca),
        "not PEM": "\u00e9t\u00e9",
    }
    for name, text in broken.items():
        refused = install(api, text)
        assert refused.status_code == 400, (name, refused.text)
        assert refused.json()["errors"][0]["code"] == 1009, (name, refused.text)
    assert install(api, broken["two sections"]).json()["errors"][0]["details"] == TOO_FEW_SECTIONS

    assert api("GET", "/v1/certificates/external/ca").text == ca.cert_pem
    # Past the workers' recheck, new connections still get the certificate in use.
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        assert served_certificate(stack, cafile) == der(leaf.cert_pem)
        time.sleep(0.5)


def test_certificates_are_for_admins_only(stack, api, tmp_path):
    for method, path in (("GET", "/v1/certificates/external/ca"), ("POST", "/v1/certificates/external"),
                         ("GET", "/v1/certificates/webhooks/ca"), ("DELETE", "/v1/certificates/webhooks/ca")):
        answer = checked_request(method, f"{stack.api_url}{path}", timeout=10)
        assert answer.status_code == 401, (method, path, answer.text)


def test_the_dispatcher_trusts_a_private_webhook_ca_once_uploaded(stack, api, webhook, new_phone, customer_writes,
                                                                  tmp_path):
    private_ca = make_ca("Webhook CA")
    cert_file, key_file = make_leaf(private_ca).write(tmp_path, "webhook")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    receiver = WebhookReceiver(stack.egress.take(), tls=server_context)
    api("DELETE", "/v1/certificates/webhooks/ca")  # none, whatever ran before
    assert api("GET", "/v1/certificates/webhooks/ca").json()["errors"][0]["code"] == 1006
    phone = new_phone("Wanda")
    customer_writes(phone)  # to the plain webhook, before it moves
    try:
        assert api("PATCH", "/v1/settings/application", json={"webhooks": {"url": receiver.url}}).status_code == 200
        sent = api("POST", "/v1/messages", json={"to": phone, "type": "text", "text": {"body": "private ca"}})
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["messages"][0]["id"]
        # Attempts come and are refused at the handshake: the dispatcher does not trust the server.
        wait_for(lambda: receiver.refused_handshakes >= 2, timeout=30, interval=0.2,
                 message=lambda: f"refused handshakes\n{stack.logs()}")
        assert receiver.bodies() == []

        refused = api("POST", "/v1/certificates/webhooks/ca", data=b"not a certificate",
                      headers={"Content-Type": "text/plain"})
        assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == 1009
        uploaded = api("POST", "/v1/certificates/webhooks/ca", data=private_ca.cert_pem.encode(),
                       headers={"Content-Type": "text/plain"})
        assert uploaded.status_code == 201, uploaded.text
        assert api("GET", "/v1/certificates/webhooks/ca").text == private_ca.cert_pem

        receiver.wait_for(lambda: receiver.statuses(message_id), timeout=60)
    finally:
        api("PATCH", "/v1/settings/application", json={"webhooks": {"url": webhook.url}})
        receiver.close()
    assert api("DELETE", "/v1/certificates/webhooks/ca").status_code == 200
    assert api("GET", "/v1/certificates/webhooks/ca").status_code == 404


def _days(count: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=count)
