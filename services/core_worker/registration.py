"""Registration of the business number with the network (the control RPCs).

Answers are plain dicts for the gateway: ``{"http_status", "payload"}`` or
``{"error": {"code", "details"}}`` (docs/design.md, Gateway ↔ core).
"""

from __future__ import annotations

import logging
from typing import Any

from services.account import store as account_store
from services.account import two_step_rules
from services.core_worker import template_cache
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NetworkError, NetworkRejected
from services.sessions import key_store, session_store

log = logging.getLogger(__name__)


def error_answer(code: int, details: str) -> dict[str, Any]:
    return {"error": {"code": code, "details": details}}


_TWO_STEP_REFUSALS = {"two_step_required": two_step_rules.pin_required(), "wrong_pin": two_step_rules.wrong_pin()}


def request_code(ctx: CoreContext, *, cc: str, phone_number: str, method: str, cert: str,
                 pin: str | None = None, wipe: bool = False) -> dict[str, Any]:
    """201 when this number is registered already with this certificate (a new
    certificate, e.g. after a display name change, registers again), else a code is
    requested from the network, which checks the two-step PIN (docs/design.md
    "Two-step verification")."""
    current = account_store.load_raw(ctx.db) or {}
    if not wipe and _registered_as(current, cc, phone_number, cert):
        return {"http_status": 201, "payload": {}}
    try:
        answer = ctx.network().request_code(cc, phone_number, method, cert, pin=pin, wipe=wipe)
    except NetworkRejected as error:
        refusal = _TWO_STEP_REFUSALS.get(error.code)
        if refusal is not None:
            return error_answer(refusal.code, refusal.details or "")
        return error_answer(1009, f"The network refused the registration: {error.code}")
    except NetworkError as error:
        return error_answer(1014, f"The network is unreachable: {error}")
    vname = str(answer.get("vname", ""))
    account_store.record_code_requested(ctx.db, cc=cc, phone_number=phone_number, cert=cert, vname=vname,
                                        wipe=wipe)
    return {"http_status": 202, "payload": {"account": [{"vname": vname}]}}


def _registered_as(current: dict[str, Any], cc: str, phone_number: str, cert: str) -> bool:
    return current.get("state") == account_store.REGISTERED and (
        current.get("cc"), current.get("phone_number"), current.get("cert")) == (cc, phone_number, cert)


def verify_code(ctx: CoreContext, *, code: str) -> dict[str, Any]:
    pending = (account_store.load_raw(ctx.db) or {}).get("pending")
    if not pending:
        return error_answer(1005, "No registration code was requested")
    try:
        answer = ctx.network().verify(pending["cc"], pending["phone_number"], code)
        token = str(answer["auth_token"])
        publish_new_identity(ctx, token)
    except NetworkRejected as error:
        return error_answer(1009, f"Parameter 'code' has invalid value '{code}'" if error.code == "invalid_code"
                      else f"The network refused the verification: {error.code}")
    except NetworkError as error:
        return error_answer(1014, f"The network is unreachable: {error}")
    session_store.delete_all(ctx.db)
    account_store.record_registered(ctx.db, ctx.master_key, wa_id=str(answer["wa_id"]), token=token)
    log.info("registered as %s", answer["wa_id"])
    prime_template_cache(ctx)
    return {"http_status": 201, "payload": {}}


def publish_new_identity(ctx: CoreContext, network_token: str) -> None:
    """A fresh identity and prekeys (older keys dropped), published for the number."""
    keys = key_store.create_keys(ctx.db, ctx.master_key)
    NetworkClient(ctx.config.network_url, network_token).publish_keys(
        keys.identity.public.to_dict(),
        keys.signed_prekey.to_public_dict(),
        [key.to_public_dict() for key in keys.one_time_prekeys],
    )


def prime_template_cache(ctx: CoreContext) -> None:
    # Cheap and best effort: a send that misses the cache syncs it anyway.
    try:
        template_cache.sync(ctx)
    except (NetworkError, NetworkRejected) as error:
        log.warning("could not fetch the templates after registering: %s", error.__class__.__name__)


def replenish_one_time_prekeys(ctx: CoreContext) -> None:
    if key_store.one_time_prekey_count(ctx.db) >= key_store.REPLENISH_BELOW:
        return
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return
    batch = key_store.generate_one_time_prekeys(ctx.db, ctx.master_key, key_store.ONE_TIME_BATCH)
    ctx.network(account.network_token).add_one_time_prekeys([key.to_public_dict() for key in batch])
