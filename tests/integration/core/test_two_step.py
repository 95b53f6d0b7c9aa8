"""The core's two-step RPCs on the real MongoDB: the network is told first, so a
network that cannot be reached leaves two-step verification as it was."""

import dataclasses

from infra.process_stack import free_port
from services.account import store as account_store
from services.common.celery_app import make_celery
from services.core_worker import two_step
from services.core_worker.context import CoreContext


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
