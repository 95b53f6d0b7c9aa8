"""End-to-end fixtures: the whole stack of real processes, a registered client, a webhook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from infra.process_stack import Stack
from infra.redis_server import with_db
from tests.common.health import is_connected
from tests.common.openapi_check import check_requests_response, checked_request
from tests.common.waiting import wait_for
from tests.e2e.webhook_receiver import WebhookReceiver

NEW_PASSWORD = "S3cure!Passw0rd"
BUSINESS = {"cc": "1", "phone_number": "5550100", "vname": "Acme Test"}


# Package scope, not session: the stack's processes (their heartbeats, sweeps and
# consumers on the session's Redis) stop when the last end-to-end test is done instead
# of sharing the CPU and the database with the integration tests for the rest of the run.
@pytest.fixture(scope="package")
def stack(servers_env, tmp_path_factory) -> Stack:
    running = Stack.create(tmp_path_factory.mktemp("stack"), servers_env)
    try:
        running.start()
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="package")
def first_logins(stack: Stack) -> dict[str, requests.Response]:
    return log_in_first(stack)


def log_in_first(stack: Stack) -> dict[str, requests.Response]:
    """The first two logins ever made on this stack, kept for the first-login test."""
    url = f"{stack.api_url}/v1/users/login"
    refused = checked_request("POST", url, auth=("admin", "secret"), timeout=10)
    accepted = checked_request("POST", url, auth=("admin", "secret"), json={"new_password": NEW_PASSWORD}, timeout=10)
    return {"without_new_password": refused, "with_new_password": accepted}


@pytest.fixture(scope="package")
def token(first_logins: dict[str, requests.Response]) -> str:
    return first_logins["with_new_password"].json()["users"][0]["token"]


def api_client(stack: Stack, token: str) -> Callable[..., requests.Response]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    # A connection left idle past gunicorn's keep-alive (5 s, e.g. between two tests)
    # can be closed by the server just as the next request goes out on it, which
    # requests reports as RemoteDisconnected and never retries for a POST: a new
    # connection per request takes that race out of the tests.
    session.headers["Connection"] = "close"
    # Every answer checked against the served OpenAPI document (tests/common/openapi_check.py).
    session.hooks["response"].append(check_requests_response)

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        return session.request(method, f"{stack.api_url}{path}", timeout=30, **kwargs)

    return call


def network_client(stack: Stack) -> Callable[..., requests.Response]:
    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{stack.network_url}{path}", timeout=30, **kwargs)

    return call


@pytest.fixture(scope="package")
def api(stack: Stack, token: str) -> Callable[..., requests.Response]:
    return api_client(stack, token)


@pytest.fixture(scope="package")
def network(stack: Stack) -> Callable[..., requests.Response]:
    return network_client(stack)


@pytest.fixture(scope="package")
def registration(api, network) -> dict[str, Any]:
    return register_business(api, network)


def register_business(api, network) -> dict[str, Any]:
    """Registers the business number through the sandbox, as an operator would."""
    cert = network("POST", "/sandbox/v1/certificates", json=BUSINESS).json()["cert"]
    before = api("GET", "/v1/health").json()
    requested = api("POST", "/v1/account", json={"cc": BUSINESS["cc"], "phone_number": BUSINESS["phone_number"],
                                                  "method": "sms", "cert": cert})
    code = network("GET", f"/sandbox/v1/verification-codes/{BUSINESS['cc']}{BUSINESS['phone_number']}").json()
    verified = api("POST", "/v1/account/verify", json={"code": code["code"]})
    after = wait_for(lambda: (health := api("GET", "/v1/health").json()) and is_connected(health["health"]) and health,
                     timeout=30, interval=0.2, message="the business connected to the network")
    return {"health_before": before, "requested": requested, "verified": verified, "health_after": after,
            "wa_id": BUSINESS["cc"] + BUSINESS["phone_number"]}


@pytest.fixture(scope="package")
def webhook(stack, api, registration) -> WebhookReceiver:
    receiver = listen_for_callbacks(api, stack)
    yield receiver
    receiver.close()


def listen_for_callbacks(api, stack: Stack) -> WebhookReceiver:
    """A webhook receiving every callback, set as the business's webhook URL, on a port
    the stack's egress policy allows."""
    receiver = WebhookReceiver(stack.egress.take())
    answer = api("PATCH", "/v1/settings/application", json={
        "webhooks": {"url": receiver.url, "message": {"sent": True, "delivered": True, "read": True}},
        "callback_backoff_delay_ms": 300, "max_callback_backoff_delay_ms": 2000,
    })
    assert answer.status_code == 200, answer.text
    return receiver


_phone_counter = iter(range(1, 10_000))


@pytest.fixture
def new_phone(network) -> Callable[..., str]:
    """Creates a virtual phone with a fresh number; returns its wa_id."""

    def create(name: str = "Alice", **behaviour: Any) -> str:
        wa_id = f"1555000{next(_phone_counter):04d}"
        body = {"wa_id": wa_id, "name": name, "auto_delivered": True, "auto_read": False, "auto_reply": None}
        body.update(behaviour)
        answer = network("POST", "/sandbox/v1/phones", json=body)
        assert answer.status_code == 201, answer.text
        return wa_id

    return create


@pytest.fixture
def customer_writes(network, webhook, registration) -> Callable[..., str]:
    """The phone writes to the business (opening the 24-hour customer-service window,
    spec §15.5) and the business has it; returns the inbound message id."""

    def write(phone: str, body: str = "hello") -> str:
        answer = network("POST", f"/sandbox/v1/phones/{phone}/messages",
                         json={"to": registration["wa_id"], "type": "text", "text": {"body": body}})
        assert answer.status_code == 201, answer.text
        message_id = answer.json()["id"]
        webhook.wait_for(lambda: [m for m, _ in webhook.messages() if m["id"] == message_id])
        return message_id

    return write


@contextmanager
def own_cluster(servers_env, tmp_path_factory, name: str, *, redis_db: int, shards: int,
                cores: int) -> Iterator[dict[str, Any]]:
    """A registered stack of a test module's own (its database ``whatsapp_<name>``, its
    Redis database ``redis_db``: one per module, so no kick of another module's stack
    is left in it), beside the session's one-core stack, with ``cores`` core processes
    on ``shards`` shards and a webhook receiving every callback."""
    running = Stack.create(tmp_path_factory.mktemp(name.replace("_", "-")), servers_env)
    running.env.update({
        "WA_MONGO_DB": f"whatsapp_{name}",
        "WA_REDIS_URL": with_db(servers_env["WA_REDIS_URL"], redis_db),
        "WA_SHARDS": str(shards),
    })
    try:
        running.start("sandbox", "gateway", "dispatcher")
        running.start("core", count=cores)
        api = api_client(running, log_in_first(running)["with_new_password"].json()["users"][0]["token"])
        network = network_client(running)
        registration = register_business(api, network)
        webhook = listen_for_callbacks(api, running)
        yield {"stack": running, "api": api, "network": network, "registration": registration, "webhook": webhook}
        webhook.close()
    finally:
        running.stop_all()
