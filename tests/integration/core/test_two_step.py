"""The core's two-step RPCs on the real MongoDB: the network is told first, so a
network that cannot be reached leaves two-step verification as it was."""

import dataclasses

import pytest
from pymongo.errors import AutoReconnect

from infra.process_stack import free_port
from services.account import store as account_store
from services.common.celery_app import make_celery
from services.core_worker import two_step
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NetworkError


def test_not_registered(ctx):
    assert two_step.enable(ctx, pin="123456") == {"error": {"code": 1011, "details": two_step.NOT_REGISTERED}}
    assert two_step.disable(ctx)["error"]["code"] == 1011


def test_an_unreachable_network_changes_nothing(config, db):
    unreachable = dataclasses.replace(config, network_url=f"http://127.0.0.1:{free_port()}")
    ctx = CoreContext(unreachable, make_celery(unreachable, "core-test"))
    account_store.record_code_requested(db, cc="1", phone_number="5550100", cert="c", vname="Acme")
    account_store.record_registered(db, ctx.master_key, wa_id="15550100", token="network-token")

    assert two_step.enable(ctx, pin="123456")["error"]["code"] == 1014
    assert account_store.two_step_pin(db, ctx.master_key) is None

    account_store.record_two_step(db, ctx.master_key, "123456")
    assert two_step.disable(ctx)["error"]["code"] == 1014
    assert account_store.two_step_pin(db, ctx.master_key) == "123456"


@pytest.fixture
def network(monkeypatch):
    """The network's two-step PIN, as the scripted network holds it."""
    held = {"pin": None, "fail_next_set_back": False, "calls": []}

    def tell(pin):
        held["calls"].append(pin)
        if held["fail_next_set_back"] and len(held["calls"]) == 2:
            raise NetworkError("down")
        held["pin"] = pin

    monkeypatch.setattr(NetworkClient, "set_two_step", lambda self, pin: tell(pin))
    monkeypatch.setattr(NetworkClient, "clear_two_step", lambda self: tell(None))
    return held


def _registered(ctx):
    account_store.record_code_requested(ctx.db, cc="1", phone_number="5550100", cert="c", vname="Acme")
    account_store.record_registered(ctx.db, ctx.master_key, wa_id="15550100", token="network-token")


def _failing_write(*args, **kwargs):
    raise AutoReconnect("primary stepped down")


@pytest.mark.parametrize("before", [None, "111111"])
def test_an_enable_that_cannot_be_stored_sets_the_network_back(ctx, network, monkeypatch, before):
    _registered(ctx)
    if before is not None:
        account_store.record_two_step(ctx.db, ctx.master_key, before)
        network["pin"] = before
    monkeypatch.setattr(account_store, "record_two_step", _failing_write)
    assert two_step.enable(ctx, pin="123456") == {"error": {"code": 1014, "details": two_step.NOT_STORED}}
    assert network["calls"] == ["123456", before] and network["pin"] == before
    assert account_store.two_step_pin(ctx.db, ctx.master_key) == before


def test_a_disable_that_cannot_be_stored_sets_the_pin_back_at_the_network(ctx, network, monkeypatch):
    _registered(ctx)
    account_store.record_two_step(ctx.db, ctx.master_key, "123456")
    network["pin"] = "123456"
    monkeypatch.setattr(account_store, "clear_two_step", _failing_write)
    assert two_step.disable(ctx)["error"] == {"code": 1014, "details": two_step.NOT_STORED}
    assert network["pin"] == "123456" == account_store.two_step_pin(ctx.db, ctx.master_key)


def test_a_change_neither_stored_nor_undone_is_not_called_unchanged(ctx, network, monkeypatch):
    _registered(ctx)
    network["fail_next_set_back"] = True
    monkeypatch.setattr(account_store, "record_two_step", _failing_write)
    assert two_step.enable(ctx, pin="123456")["error"] == {"code": 1014, "details": two_step.NOT_SET_BACK}


def test_a_stored_change_succeeds(ctx, network):
    _registered(ctx)
    assert two_step.enable(ctx, pin="123456") == {"http_status": 200, "payload": {}}
    assert network["pin"] == "123456" == account_store.two_step_pin(ctx.db, ctx.master_key)
