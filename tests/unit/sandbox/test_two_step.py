from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sandbox.app import create_app
from sandbox.errors import ApiError
from sandbox.network import two_step
from sandbox.network.registration import TWO_STEP, Registry
from sandbox.network.service import CodeRequest, Network
from sandbox.state import SandboxState

CC, NUMBER, WA_ID = "1", "5550100", "15550100"


def test_the_verifier_is_salted_and_holds_no_pin():
    first, second = two_step.make_verifier("123456", iterations=1000), two_step.make_verifier("123456", iterations=1000)
    assert first["salt"] != second["salt"] and first["hash"] != second["hash"]
    assert "123456" not in str(first)
    assert two_step.matches(first, "123456") and two_step.matches(second, "123456")
    assert not two_step.matches(first, "123457")
    assert not two_step.matches(first, None)


def registered(network: Network) -> str:
    cert = network.ca.issue(CC, NUMBER, "Acme")
    network.request_code({"cc": CC, "phone_number": NUMBER, "cert": cert})
    network.verify_code({"cc": CC, "phone_number": NUMBER, "code": network.verification_code(WA_ID)})
    return cert


def refusal(network: Network, body: dict) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        network.request_code(body)
    return caught.value.status, caught.value.code


def test_a_registration_needs_the_pin_while_two_step_is_on():
    network = Network()
    cert = registered(network)
    network.set_two_step(WA_ID, {"pin": "123456"})
    body = {"cc": CC, "phone_number": NUMBER, "cert": cert}
    assert refusal(network, body) == (403, "two_step_required")
    assert refusal(network, {**body, "pin": "654321"}) == (403, "wrong_pin")
    assert network.request_code({**body, "pin": "123456"}) == {"vname": "Acme"}

    network.clear_two_step(WA_ID)
    assert network.request_code(body) == {"vname": "Acme"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"reset": "all"}, "'reset' must be 'wipe'"),
    ({"reset": "wipe", "pin": "123456"}, "'pin' is not allowed with 'reset': 'wipe'"),
    ({"pin": 123456}, "'pin' must be 6 digits"),
])
def test_malformed_requests(changes, message):
    network = Network()
    cert = network.ca.issue(CC, NUMBER, "Acme")
    with pytest.raises(ApiError) as caught:
        network.request_code({"cc": CC, "phone_number": NUMBER, "cert": cert, **changes})
    assert (caught.value.status, caught.value.message) == (400, message)


def test_a_wipe_removes_two_step_once_its_code_is_verified():
    network = Network()
    cert = registered(network)
    network.set_two_step(WA_ID, {"pin": "123456"})
    network.request_code({"cc": CC, "phone_number": NUMBER, "cert": cert, "reset": "wipe"})
    assert network.registry.has_two_step(WA_ID)  # asking is not owning the number
    network.verify_code({"cc": CC, "phone_number": NUMBER, "code": network.verification_code(WA_ID)})
    assert not network.registry.has_two_step(WA_ID)
    assert network.request_code({"cc": CC, "phone_number": NUMBER, "cert": cert}) == {"vname": "Acme"}


def test_set_two_step_wants_six_digits():
    network = Network()
    for body in ({}, {"pin": "12345"}, {"pin": 123456}, []):
        with pytest.raises(ApiError) as caught:
            network.set_two_step(WA_ID, body)
        assert caught.value.status == 400
    assert not network.registry.has_two_step(WA_ID)


def test_the_verifier_survives_the_state_file_and_the_journal():
    registry = Registry()
    registry.set_two_step(WA_ID, "123456")
    loaded = Registry()
    loaded.load(registry.to_dict())
    assert loaded.two_step_matches(WA_ID, "123456")

    replayed = Registry()
    replayed.apply_record((TWO_STEP, WA_ID), registry.dump_record((TWO_STEP, WA_ID)))
    assert replayed.two_step_matches(WA_ID, "123456") and not replayed.two_step_matches(WA_ID, "000000")
    registry.clear_two_step(WA_ID)
    replayed.apply_record((TWO_STEP, WA_ID), registry.dump_record((TWO_STEP, WA_ID)))
    assert not replayed.has_two_step(WA_ID)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def locked_network() -> tuple[Network, dict, Clock]:
    network = Network()
    clock = Clock()
    network.pin_guesses = two_step.PinGuesses(clock)
    cert = registered(network)
    network.set_two_step(WA_ID, {"pin": "123456"})
    return network, {"cc": CC, "phone_number": NUMBER, "cert": cert}, clock


def test_wrong_pins_lock_the_number_out_even_for_the_right_one():
    network, body, clock = locked_network()
    for _ in range(two_step.MAX_GUESSES):
        assert refusal(network, {**body, "pin": "000000"}) == (403, "wrong_pin")
    assert refusal(network, {**body, "pin": "123456"}) == (429, "too_many_guesses")
    clock.now += two_step.LOCKOUT_SECONDS - 1
    assert refusal(network, {**body, "pin": "123456"}) == (429, "too_many_guesses")
    clock.now += 1
    assert network.request_code({**body, "pin": "123456"}) == {"vname": "Acme"}


def test_the_right_pin_starts_the_count_again():
    network, body, _ = locked_network()
    for _ in range(two_step.MAX_GUESSES - 1):
        assert refusal(network, {**body, "pin": "000000"}) == (403, "wrong_pin")
    assert network.request_code({**body, "pin": "123456"}) == {"vname": "Acme"}
    for _ in range(two_step.MAX_GUESSES - 1):
        assert refusal(network, {**body, "pin": "000000"}) == (403, "wrong_pin")
    assert network.request_code({**body, "pin": "123456"}) == {"vname": "Acme"}


def test_guesses_started_at_once_count_before_they_are_judged():
    network, body, _ = locked_network()
    started = [network.begin_code_request({**body, "pin": "000000"}) for _ in range(two_step.MAX_GUESSES)]
    assert refusal(network, {**body, "pin": "123456"}) == (429, "too_many_guesses")
    assert all(not request.pin_matches() for request in started)


def test_a_request_without_two_step_costs_no_guess():
    network = Network()
    network.pin_guesses = two_step.PinGuesses(Clock())
    cert = registered(network)
    for _ in range(two_step.MAX_GUESSES + 1):
        assert network.request_code({"cc": CC, "phone_number": NUMBER, "cert": cert}) == {"vname": "Acme"}


def test_the_route_checks_the_pin_off_the_event_loop(monkeypatch):
    state = SandboxState()
    cert = registered(state.network)
    state.network.set_two_step(WA_ID, {"pin": "123456"})
    checked_on: list[int] = []
    real = CodeRequest.pin_matches

    def recording(self):
        checked_on.append(threading.get_ident())
        return real(self)

    monkeypatch.setattr(CodeRequest, "pin_matches", recording)

    async def ask(pin: str) -> int:
        async with TestClient(TestServer(create_app(state))) as client:
            answer = await client.post("/network/v1/registration/code",
                                       json={"cc": CC, "phone_number": NUMBER, "cert": cert, "pin": pin})
            return answer.status

    assert asyncio.run(ask("000000")) == 403
    assert asyncio.run(ask("123456")) == 200
    assert len(checked_on) == 2 and threading.get_ident() not in checked_on
