"""``/v1/settings/application`` (admin; spec §14)."""

from __future__ import annotations

from flask import Blueprint

from services.account import store as account_store
from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.media_providers import parse_provider
from services.common.errors import ApiError
from services.common.escaping import shown
from services.media import providers as media_providers
from services.settings import app_settings

bp = Blueprint("settings", __name__, url_prefix="/v1/settings")


@bp.get("/application")
@auth.require_auth(admin=True)
def get_application():
    db = state.db()
    effective = app_settings.load(db)
    wa_id = account_store.registered_wa_id(db)
    if wa_id is not None:
        effective["wa_id"] = wa_id
    return respond({"settings": {"application": effective}})


@bp.patch("/application")
@auth.require_auth(admin=True)
def patch_application():
    config = state.config()
    updates = app_settings.validate_patch(
        json_body(), allow_http_webhooks=config.allow_http_webhooks, egress_allow=config.egress_allow
    )
    app_settings.apply_patch(state.db(), updates)
    return respond()


@bp.delete("/application")
@auth.require_auth(admin=True)
def reset_application():
    app_settings.reset(state.db())
    return respond()


# Media providers (spec §8.3): credentials for downloading the links of media messages.

@bp.get("/application/media/providers")
@auth.require_auth(admin=True)
def get_media_providers():
    providers = media_providers.listed(state.db())
    return respond({"settings": {"application": {"media": {"providers": providers}}}})


@bp.post("/application/media/providers")
@auth.require_auth(admin=True)
def post_media_provider():
    provider = parse_provider(json_body())
    media_providers.save(state.db(), state.master_key(), provider)
    return respond()


@bp.delete("/application/media/providers/<name>")
@auth.require_auth(admin=True)
def delete_media_provider(name: str):
    if not media_providers.delete(state.db(), name):
        raise ApiError(1006, f"Media provider '{shown(name)}' not found")
    return respond()
