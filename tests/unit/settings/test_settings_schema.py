"""The settings models (what the OpenAPI document shows) agree with the declarations
that validate a PATCH and build a GET."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from services.common.errors import ApiError
from services.settings import app_settings
from services.settings.settings_schema import ApplicationSettings, ApplicationSettingsPatch


def validate(model: type[BaseModel], body: object) -> BaseModel:
    return model.model_validate_json(json.dumps(body))


def leaves(model: type[BaseModel], prefix: str = "") -> list[str]:
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type)
                  and issubclass(a, BaseModel)]
        found += leaves(nested[0], f"{prefix}{name}.") if nested else [f"{prefix}{name}"]
    return found


def test_both_models_hold_every_declared_setting():
    declared = [setting.path for setting in app_settings.SETTINGS] + ["wa_id"]
    assert sorted(leaves(ApplicationSettings)) == sorted(declared)
    assert sorted(leaves(ApplicationSettingsPatch)) == sorted(declared)
    dumped = validate(ApplicationSettings, app_settings.DEFAULTS).model_dump(mode="json", exclude_none=True)
    assert json.dumps(dumped) == json.dumps(app_settings.DEFAULTS)


@pytest.mark.parametrize("body", [
    {"webhooks": {"url": "https://example.com/hook", "message": {"sent": True}}},
    {"heartbeat_interval": 10, "unhealthy_interval": "60"},
    {"webhooks": {"max_concurrent_requests": "12"}},
    {"log_level": "INFO"},
    {"media": {"auto_download": ["image", "voice"]}},
    {"webcallbacks": {"0": "https://example.com/cb", "1": ""}},
    {"tcp_listen_address": "0.0.0.0:6250", "on_call_pager": "+16315551019"},
    {"wa_id": 42, "sent_status": True},
    {"sent_status": True, "pass_through": None},
])
def test_what_a_patch_takes_the_model_takes(body):
    assert app_settings.validate_patch(body, allow_http_webhooks=False)
    validate(ApplicationSettingsPatch, body)


@pytest.mark.parametrize("body", [
    {"nope": 1},
    {"webhooks": {"nope": 1}},
    {"webhooks.url": "https://example.com/hook"},
    {"sent_status": "true"},
    {"heartbeat_interval": 0},
    {"heartbeat_interval": True},
    {"unhealthy_interval": "30s"},
    {"webhooks": {"max_concurrent_requests": 7}},
    {"media": {"auto_download": ["pdf"]}},
    {"webcallbacks": {"first": "https://example.com/cb"}},
    {"tcp_listen_address": "0.0.0.0 6250"},
    {"on_call_pager": "ops team"},
])
def test_what_a_patch_refuses_for_its_shape_the_model_refuses(body):
    with pytest.raises(ApiError):
        app_settings.validate_patch(body, allow_http_webhooks=False)
    with pytest.raises(ValidationError):
        validate(ApplicationSettingsPatch, body)
