"""``/v1/account``: registration through the core's control RPC (admin; spec §9.4).

The core answers ``{"http_status": 201|202, "payload": {...}}`` or
``{"error": {"code", "details"}}`` (docs/design.md "Gateway ↔ core").
"""

from __future__ import annotations

import logging
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from flask import Blueprint, current_app
from pydantic import ValidationError

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.outages import broker_unreachable
from services.api_gateway.schemas.account import (
    RegistrationAnswer,
    RegistrationBody,
    VerifyBody,
    validate_registration,
    validate_verify,
)
from services.api_gateway.schemas.common import json_body
from services.common.errors import ApiError
from services.common.queues import CONTROL_QUEUE, REQUEST_CODE, VERIFY_CODE

log = logging.getLogger(__name__)

bp = Blueprint("account", __name__, url_prefix="/v1/account")

CORE_DOWN = "Please check if the core service is running"
RPC_TIMEOUT_KEY = "WA_CONTROL_RPC_TIMEOUT"
DEFAULT_RPC_TIMEOUT = 30.0


def rpc_timeout(timeout: float | None = None) -> float:
    """How long a control RPC waits: the configured wait, or ``timeout`` if shorter."""
    configured = float(current_app.config.get(RPC_TIMEOUT_KEY, DEFAULT_RPC_TIMEOUT))
    return min(configured, timeout) if timeout is not None else configured


def control_rpc(task: str, kwargs: dict[str, Any], timeout: float | None = None, *,
                queue: str = CONTROL_QUEUE, down: str = CORE_DOWN) -> tuple[dict[str, Any], int]:
    """Call a control task (the core's unless ``queue`` says another service's) and
    return (payload, HTTP status), or raise ApiError (1014 ``down`` when no answer came).
    ``timeout`` may shorten (never lengthen) the configured wait."""
    timeout = rpc_timeout(timeout)
    # expires: a core that picks the task up after we gave up discards it. Redis being
    # unreachable (here or while waiting) is raised as it is: a 503 (app.py), not a 1014.
    result = state.celery().send_task(task, kwargs=kwargs, queue=queue, expires=timeout)
    try:
        answer = result.get(timeout=timeout, propagate=True)
    except CeleryTimeout:
        raise ApiError(1014, down) from None
    except Exception as error:
        if broker_unreachable(error):
            raise
        log.exception("control task %s failed in the core", task)  # kwargs hold secrets: not logged
        raise ApiError(1014, "The core service failed to process the request") from None
    finally:
        _forget(result)
    return _interpret(task, answer)


def _forget(result: Any) -> None:
    try:
        result.forget()
    except Exception:  # noqa: BLE001 - best effort cleanup of the result key
        pass


def _interpret(task: str, answer: Any) -> tuple[dict[str, Any], int]:
    if not isinstance(answer, dict):
        log.error("control task %s returned a malformed answer", task)
        raise ApiError(1014, "The core service returned a malformed answer")
    if "error" in answer:
        error = answer["error"] or {}
        raise ApiError(int(error.get("code", 1000)), error.get("details"))
    status = int(answer.get("http_status", 200))
    payload = answer.get("payload") or {}
    return payload, status


@bp.post("")
@operation("Register the business number (request a code)", body=RegistrationBody,
           answers={201: None, 202: RegistrationAnswer}, errors=(1005, 1008, 1009, 1010, 1014),
           description="201: this number is registered already with this certificate. 202: a code was sent. "
                       "With two-step verification enabled the network refuses a request without 'pin' "
                       "(1008) or with a wrong one (1005); 'reset': 'wipe' removes two-step verification "
                       "once the new code is verified.")
@auth.require_auth(admin=True)
def request_code():
    registration = validate_registration(json_body())
    payload, status = control_rpc(REQUEST_CODE, registration.rpc_kwargs())
    if status == 202:
        return respond(_code_sent(payload).model_dump(mode="json"), status=202)
    return respond(status=status)


def _code_sent(payload: dict[str, Any]) -> RegistrationAnswer:
    try:
        return RegistrationAnswer.model_validate(payload)
    except ValidationError:
        log.error("the core's registration answer is malformed")
        raise ApiError(1014, "The core service returned a malformed answer") from None


@bp.post("/verify")
@operation("Verify the registration code", body=VerifyBody, answers={201: None},
           errors=(1005, 1008, 1009, 1014))
@auth.require_auth(admin=True)
def verify_code():
    code = validate_verify(json_body())
    _, status = control_rpc(VERIFY_CODE, {"code": code})
    return respond(status=status)
