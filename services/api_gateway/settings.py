"""``/v1/settings/application`` (admin; spec §14)."""

from __future__ import annotations

from flask import Blueprint

from services.account import store as account_store
from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.media_providers import MediaProvidersAnswer, ProvidersBody, parse_provider
from services.api_gateway.schemas.settings import ApplicationSettingsAnswer
from services.common.errors import ApiError
from services.common.escaping import shown
from services.media import providers as media_providers
from services.settings import app_settings
from services.settings.settings_schema import ApplicationSettingsPatch

bp = Blueprint("settings", __name__, url_prefix="/v1/settings")


@bp.get("/application")
@operation("Read the application settings", answers={200: ApplicationSettingsAnswer}, tags=("Application",))
@auth.require_auth(admin=True)
def get_application():
    db = state.db()
    effective = app_settings.load(db)
    wa_id = account_store.registered_wa_id(db)
    if wa_id is not None:
        effective["wa_id"] = wa_id
    return respond(ApplicationSettingsAnswer.of(effective).model_dump(mode="json", exclude_none=True))


@bp.patch("/application")
@operation("Change application settings", body=ApplicationSettingsPatch, answers={200: None}, errors=(1009,),
           tags=("Application",))
@auth.require_auth(admin=True)
def patch_application():
    config = state.config()
    updates = app_settings.validate_patch(
        json_body(), allow_http_webhooks=config.allow_http_webhooks, egress_allow=config.egress_allow
    )
    app_settings.apply_patch(state.db(), updates)
    return respond()


@bp.delete("/application")
@operation("Reset the application settings to their defaults", answers={200: None}, tags=("Application",))
@auth.require_auth(admin=True)
def reset_application():
    app_settings.reset(state.db())
    return respond()


# Media providers (spec §8.3): credentials for downloading the links of media messages.

@bp.get("/application/media/providers")
@operation("Read the media providers", answers={200: MediaProvidersAnswer}, tags=("Application",))
@auth.require_auth(admin=True)
def get_media_providers():
    providers = media_providers.listed(state.db())
    return respond(MediaProvidersAnswer.of(providers).model_dump(mode="json", exclude_none=True))


@bp.post("/application/media/providers")
@operation("Create or replace a media provider", body=ProvidersBody, answers={200: None}, errors=(1008, 1009, 1010),
           tags=("Application",))
@auth.require_auth(admin=True)
def post_media_provider():
    provider = parse_provider(json_body())
    media_providers.save(state.db(), state.master_key(), provider)
    return respond()


@bp.delete("/application/media/providers/<name>")
@operation("Delete a media provider", answers={200: None}, errors=(1006,), tags=("Application",))
@auth.require_auth(admin=True)
def delete_media_provider(name: str):
    if not media_providers.delete(state.db(), name):
        raise ApiError(1006, f"Media provider '{shown(name)}' not found")
    return respond()
