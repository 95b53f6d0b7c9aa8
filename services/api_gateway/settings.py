"""``/v1/settings/application`` (admin; spec §14)."""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.schemas.common import json_body
from services.common import app_settings

bp = Blueprint("settings", __name__, url_prefix="/v1/settings")


@bp.get("/application")
@auth.require_auth(admin=True)
def get_application():
    db = state.db()
    effective = app_settings.load(db)
    account = db.account.find_one({"_id": "account"}, {"wa_id": 1, "state": 1})
    if account and account.get("state") == "registered" and account.get("wa_id"):
        effective["wa_id"] = account["wa_id"]
    return respond({"settings": {"application": effective}})


@bp.patch("/application")
@auth.require_auth(admin=True)
def patch_application():
    updates = app_settings.validate_patch(
        json_body(), allow_http_webhooks=state.config().allow_http_webhooks
    )
    app_settings.apply_patch(state.db(), updates)
    return respond()


@bp.delete("/application")
@auth.require_auth(admin=True)
def reset_application():
    app_settings.reset(state.db())
    return respond()
