"""``GET /v1/health`` (Bearer or Apikey; spec §11.1, docs/design.md "Health")."""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond

bp = Blueprint("health", __name__, url_prefix="/v1")

CONNECTION_KEY = "network:connection"


def gateway_status() -> str:
    account = state.db().account.find_one({"_id": "account"}, {"state": 1})
    if account is None or account.get("state") != "registered":
        return "unregistered"
    value = state.redis_client().get(CONNECTION_KEY)
    return "connected" if value == b"connected" else "disconnected"


@bp.get("/health")
@auth.require_auth(allow_apikey=True)
def health():
    return respond({"health": {"gateway_status": gateway_status()}})
