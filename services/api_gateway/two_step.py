"""``/v1/settings/account/two-step``: two-step verification on and off (admin; spec §9.3).

The core holds the network connection, so both go through its control RPC
(services/core_worker/two_step.py): the network keeps the PIN's verifier and enforces
it at registration; the account keeps the PIN sealed (docs/design.md "Two-step
verification").
"""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth
from services.api_gateway.account import control_rpc
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.two_step import TwoStepBody, validate_two_step
from services.common.queues import DISABLE_TWO_STEP, ENABLE_TWO_STEP

bp = Blueprint("two_step", __name__, url_prefix="/v1/settings/account/two-step")


@bp.post("")
@operation("Enable two-step verification", body=TwoStepBody, answers={200: None},
           errors=(1008, 1009, 1011, 1014),
           description="Setting it again replaces the PIN (a forgotten PIN: disable, then enable).")
@auth.require_auth(admin=True)
def enable():
    body = validate_two_step(json_body())
    control_rpc(ENABLE_TWO_STEP, {"pin": body.pin})
    return respond()


@bp.delete("")
@operation("Disable two-step verification", answers={200: None}, errors=(1011, 1014))
@auth.require_auth(admin=True)
def disable():
    control_rpc(DISABLE_TWO_STEP, {})
    return respond()
