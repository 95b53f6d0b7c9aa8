"""The egress policy through the real processes (issue 12): every server-side request
forgery route a token holder has is refused with nothing fetched (a listener on the
target counts the connections it is offered: zero), a media provider's credentials reach
only the hosts it names, and a link that trickles is cut at the download deadline.

The stack's ``WA_EGRESS_ALLOW`` names only its reserved ports (infra/process_stack.py
``ReservedPorts``): the webhook's and the allowed link servers' here. Every target below
is on loopback, on a port it does not name.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.common.link_server import LinkServer, Served
from tests.common.listeners import CountingListener, TricklingServer
from tests.e2e.test_messaging import _phone_messages

PNG = b"\x89PNG\r\n\x1a\n" + bytes(2000)
POLICY = "which the server does not connect to unless WA_EGRESS_ALLOW allows it"
DEADLINE_SECONDS = 3


@pytest.fixture(scope="module")
def allowed_links(stack):
    """A link server the egress policy allows (the business's own CDN, say)."""
    server = LinkServer(stack.egress.take())
    yield server
    server.close()


@pytest.fixture(scope="module")
def other_links(stack):
    """Another allowed host, which no provider names."""
    server = LinkServer(stack.egress.take())
    yield server
    server.close()


@pytest.fixture
def loopback():
    listener = CountingListener("127.0.0.1")
    yield listener
    listener.close()


@pytest.fixture
def other_loopback():
    listener = CountingListener("127.0.0.2")
    yield listener
    listener.close()


@pytest.fixture
def ipv6_loopback():
    listener = CountingListener("::1")
    yield listener
    listener.close()


@pytest.fixture
def phone(new_phone, customer_writes) -> str:
    wa_id = new_phone("Egress")
    customer_writes(wa_id)
    return wa_id


def _send(api, to: str, obj: dict[str, Any], kind: str = "image"):
    return api("POST", "/v1/messages", json={"to": to, "type": kind, kind: obj})


def _accepted(api, to: str, obj: dict[str, Any]) -> str:
    answer = _send(api, to, obj)
    assert answer.status_code == 201, answer.text
    return answer.json()["messages"][0]["id"]


def _refused_at_send(answer, field: str = "image.link") -> str:
    assert answer.status_code == 400, answer.text
    [error] = answer.json()["errors"]
    assert error["code"] == 1009 and error["details"].startswith(f"Parameter '{field}' has invalid value"), error
    return error["details"]


def _failed(webhook, message_id: str, timeout: float = 30.0) -> dict[str, Any]:
    [status] = webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "failed"],
                                timeout=timeout)
    return status["errors"][0]


def _nothing_reached(*listeners: CountingListener) -> None:
    time.sleep(0.3)  # a connection on its way would have been accepted by now
    assert [listener.connections for listener in listeners] == [0] * len(listeners)


def test_links_to_literal_refused_addresses_are_refused_when_sent(api, phone, loopback, other_loopback,
                                                                   ipv6_loopback):
    """Known at send time (no resolution needed): a 400 at once, nothing stored or fetched."""
    cases = {
        loopback.url(): "127.0.0.1 is a loopback address",
        other_loopback.url(): "127.0.0.2 is a loopback address",
        ipv6_loopback.url(): "::1 is a loopback address",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/": "169.254.169.254 is a link-local address",
        "http://[::ffff:169.254.169.254]/latest/meta-data/": "carries 169.254.169.254, a link-local address",
        "http://10.0.0.1/a.png": "10.0.0.1 is a private address",
        "https://192.168.1.1/a.png": "192.168.1.1 is a private address",
        "http://100.100.100.200/latest/meta-data/": "100.100.100.200 is a shared (CGNAT) address",
        f"http://2130706433:{loopback.port}/a.png": "127.0.0.1 is a loopback address",
        "http://[fd00::1]/a.png": "fd00::1 is a unique-local address",
    }
    for link, reason in cases.items():
        details = _refused_at_send(_send(api, phone, {"link": link}))
        assert reason in details and details.endswith(POLICY), (link, details)
        assert link not in details  # a link may carry a token: never echoed
    answer = _send(api, phone, {"link": "gopher://127.0.0.1:6379/_INFO"})
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == 1009
    _nothing_reached(loopback, other_loopback, ipv6_loopback)


def test_a_name_that_resolves_to_loopback_fails_the_message_with_nothing_fetched(api, webhook, network, phone,
                                                                                  loopback):
    """A name needs resolving, which the media service does: the send is accepted and the
    message fails with the media download error, naming what the name resolved to."""
    message_id = _accepted(api, phone, {"link": loopback.url(host="localhost")})
    error = _failed(webhook, message_id)
    assert error["code"] == 400 and error["title"] == "Media download error"
    assert error["details"] == ("The media link was refused: localhost resolves to 127.0.0.1, a loopback address, "
                                + POLICY)
    _nothing_reached(loopback)
    # The contact is released: the next message goes on.
    text = api("POST", "/v1/messages", json={"to": phone, "type": "text", "text": {"body": "after"}})
    webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in")
                              if m["id"] == text.json()["messages"][0]["id"]])


@pytest.mark.parametrize("target", ["127.0.0.1", "localhost", "127.0.0.2", "[::1]"])
def test_an_allowed_link_that_redirects_to_loopback_fetches_nothing_there(api, webhook, phone, allowed_links,
                                                                            loopback, other_loopback, ipv6_loopback,
                                                                            target):
    listener = {"127.0.0.2": other_loopback, "[::1]": ipv6_loopback}.get(target, loopback)
    hidden = f"http://{target}:{listener.port}/latest/meta-data/"
    link = allowed_links.serve(f"/{uuid.uuid4().hex}/photo.png", Served(b"", status=302, location=hidden))
    message_id = _accepted(api, phone, {"link": link})
    error = _failed(webhook, message_id)
    assert error["code"] == 400
    assert error["details"].startswith("The media link's redirect was refused: ") and "loopback address" in error[
        "details"], error
    assert any(path.endswith("/photo.png") for path, _ in allowed_links.requests)  # the allowed hop was fetched
    _nothing_reached(listener)


def test_a_providers_credentials_reach_only_the_hosts_it_names(api, webhook, network, phone, allowed_links,
                                                               other_links):
    token = "tok-" + uuid.uuid4().hex
    named = f"127.0.0.1:{allowed_links.port}"
    provider = f"cdn{uuid.uuid4().hex[:6]}"
    answer = api("POST", "/v1/settings/application/media/providers",
                 json=[{"name": provider, "type": "www", "config": {"bearer": token}, "hosts": [named]}])
    assert answer.status_code == 200, answer.text
    shown = api("GET", "/v1/settings/application/media/providers").json()["settings"]["application"]["media"]
    assert {"name": provider, "type": "www", "config": {"bearer": "********"}, "hosts": [named]} in shown["providers"]

    # A link on a host it does not name (allowed by the egress policy all the same): refused at send time.
    elsewhere = other_links.serve(f"/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    details = _refused_at_send(_send(api, phone, {"link": elsewhere, "provider": {"name": provider}}),
                               "image.provider.name")
    assert f"the link's host 127.0.0.1:{other_links.port} is not one of the provider's 'hosts'" in details

    # Its own host redirects to the other one (a pre-signed URL, say): followed, without the credentials.
    target = other_links.serve(f"/signed/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    start = allowed_links.serve(f"/{uuid.uuid4().hex}.png",
                                Served(b"", status=302, location=target, authorization=f"Bearer {token}"))
    message_id = _accepted(api, phone, {"link": start, "provider": {"name": provider}})
    webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id], timeout=60)
    assert [auth for path, auth in allowed_links.requests if start.endswith(path)] == [f"Bearer {token}"]
    assert [auth for path, auth in other_links.requests if target.endswith(path)] == [None]
    assert all(token not in (auth or "") for _, auth in other_links.requests)


def test_a_provider_created_without_hosts_is_stored_but_its_credentials_go_nowhere(api, phone, allowed_links):
    token = "tok-" + uuid.uuid4().hex
    provider = f"legacy{uuid.uuid4().hex[:6]}"
    answer = api("POST", "/v1/settings/application/media/providers",
                 json=[{"name": provider, "type": "www", "config": {"bearer": token}}])
    assert answer.status_code == 200, answer.text
    link = allowed_links.serve(f"/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    details = _refused_at_send(_send(api, phone, {"link": link, "provider": {"name": provider}}),
                               "image.provider.name")
    assert "add 'hosts' to it" in details
    assert all(token not in (auth or "") for _, auth in allowed_links.requests)


def test_a_webhook_on_a_refused_literal_address_is_refused(api):
    for url in ("http://127.0.0.1:1/hook", "https://169.254.169.254/hook", "https://[::1]:8443/hook"):
        answer = api("PATCH", "/v1/settings/application", json={"webhooks": {"url": url}})
        assert answer.status_code == 400, answer.text
        [error] = answer.json()["errors"]
        assert error["code"] == 1009 and error["details"].endswith(POLICY)


@pytest.fixture
def short_deadline(stack):
    """The media service restarted with a download deadline of a few seconds (and put
    back as it was afterwards), so that cutting a trickle takes seconds, not ten minutes."""
    def restart(deadline: str | None) -> None:
        stack.stop("media")
        if deadline is None:
            stack.env.pop("WA_MEDIA_DOWNLOAD_DEADLINE_SECONDS", None)
        else:
            stack.env["WA_MEDIA_DOWNLOAD_DEADLINE_SECONDS"] = deadline
        stack.start("media")

    restart(str(DEADLINE_SECONDS))
    try:
        yield DEADLINE_SECONDS
    finally:
        restart(None)


def test_a_link_that_trickles_one_byte_every_second_is_cut_at_the_deadline(stack, api, webhook, phone,
                                                                          short_deadline):
    trickle = TricklingServer(stack.egress.take(), length=100_000, interval=1.0)
    try:
        sent_at = time.monotonic()
        message_id = _accepted(api, phone, {"link": trickle.url})
        error = _failed(webhook, message_id, timeout=short_deadline + 20)
        failed_at = time.monotonic()
        assert error == {"code": 400, "title": "Media download error",
                         "details": f"The media link took longer to download than the {short_deadline} s a download "
                                    "may take"}
        [session] = trickle.sessions  # one attempt: a cut at the deadline is not tried again
        began = float(session["began"])
        assert began - sent_at < 5
        # Cut at the deadline: the failure follows it closely, and the trickle sent about as
        # many bytes as the deadline has seconds (a read timeout of 30 s never fired).
        assert failed_at - began < short_deadline + 5, failed_at - began
        # (a byte or two more: a closed peer is seen by the second write after the close)
        assert int(session["sent"]) <= short_deadline + 2
        trickle_ended = lambda: session["ended"] is not None  # noqa: E731
        webhook.wait_for(trickle_ended, timeout=5)  # the connection is gone, not left hanging
    finally:
        trickle.close()
