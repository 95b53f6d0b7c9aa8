"""Two-step verification turned on and off (the control RPCs behind
``/v1/settings/account/two-step``, spec §9.3).

The network is told first, then the account: the network is the one that enforces the
PIN, so MongoDB never says "on" for a PIN the network does not know. Answers are the
control RPC's plain dicts (docs/design.md, Gateway ↔ core).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from services.account import store as account_store
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NetworkError, NetworkRejected

log = logging.getLogger(__name__)

NOT_REGISTERED = "Two-step verification needs a registered number: register it first"


def enable(ctx: CoreContext, *, pin: str) -> dict[str, Any]:
    def tell(network: NetworkClient) -> None:
        network.set_two_step(pin)
        account_store.record_two_step(ctx.db, ctx.master_key, pin)

    return _at_network(ctx, tell, "enabled")


def disable(ctx: CoreContext) -> dict[str, Any]:
    def tell(network: NetworkClient) -> None:
        network.clear_two_step()
        account_store.clear_two_step(ctx.db)

    return _at_network(ctx, tell, "disabled")


def _at_network(ctx: CoreContext, tell: Callable[[NetworkClient], None], done: str) -> dict[str, Any]:
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return {"error": {"code": 1011, "details": NOT_REGISTERED}}
    try:
        tell(ctx.network(account.network_token))
    except NetworkRejected as error:
        return {"error": {"code": 1014, "details": f"The network refused the change: {error.code}"}}
    except NetworkError as error:
        return {"error": {"code": 1014, "details": f"The network is unreachable: {error}"}}
    log.info("two-step verification %s", done)
    return {"http_status": 200, "payload": {}}
