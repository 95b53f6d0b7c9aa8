"""Two-step verification turned on and off (the control RPCs behind
``/v1/settings/account/two-step``, spec §9.3).

The network is told first, then the account: the network is the one that enforces the
PIN, so MongoDB never says "on" for a PIN the network does not know. When the account's
write fails after the network took the change, the network is set back to what the
account holds, so the failure the client is answered is true: nothing changed. Answers are the
control RPC's plain dicts (docs/design.md, Gateway ↔ core).
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import PyMongoError

from services.account import store as account_store
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NetworkError, NetworkRejected

log = logging.getLogger(__name__)

NOT_REGISTERED = "Two-step verification needs a registered number: register it first"
NOT_STORED = "The change could not be stored; two-step verification is as it was"
NOT_SET_BACK = ("The change could not be stored nor undone at the network: the network may now hold the new "
                "setting; send the same request again")


def enable(ctx: CoreContext, *, pin: str) -> dict[str, Any]:
    return _change(ctx, pin, "enabled")


def disable(ctx: CoreContext) -> dict[str, Any]:
    return _change(ctx, None, "disabled")


def _tell(network: NetworkClient, pin: str | None) -> None:
    if pin is None:
        network.clear_two_step()
    else:
        network.set_two_step(pin)


def _record(ctx: CoreContext, pin: str | None) -> None:
    if pin is None:
        account_store.clear_two_step(ctx.db)
    else:
        account_store.record_two_step(ctx.db, ctx.master_key, pin)


def _change(ctx: CoreContext, pin: str | None, done: str) -> dict[str, Any]:
    """The network set to ``pin`` (None: off), then the account. A failed account write
    sets the network back to the PIN it had (one call, bounded by the client's
    timeouts), so a 1014 means the state is as it was."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return {"error": {"code": 1011, "details": NOT_REGISTERED}}
    previous = account_store.two_step_pin(ctx.db, ctx.master_key)
    network = ctx.network(account.network_token)
    try:
        _tell(network, pin)
    except NetworkRejected as error:
        return _unchanged(f"The network refused the change: {error.code}")
    except NetworkError as error:
        return _unchanged(f"The network is unreachable: {error}")
    try:
        _record(ctx, pin)
    except PyMongoError as error:
        log.warning("two-step verification %s at the network but not stored (%s); setting the network back",
                    done, error.__class__.__name__)
        return _set_back(network, previous)
    log.info("two-step verification %s", done)
    return {"http_status": 200, "payload": {}}


def _set_back(network: NetworkClient, previous: str | None) -> dict[str, Any]:
    try:
        _tell(network, previous)
    except (NetworkError, NetworkRejected) as error:
        log.error("two-step verification could not be set back at the network (%s)", error.__class__.__name__)
        return {"error": {"code": 1014, "details": NOT_SET_BACK}}
    return _unchanged(NOT_STORED)


def _unchanged(details: str) -> dict[str, Any]:
    return {"error": {"code": 1014, "details": details}}
