import pytest

from services.common import app_settings
from services.common.errors import ApiError


def test_patch_flattens_to_dotted_updates():
    updates = app_settings.validate_patch(
        {"webhooks": {"url": "https://example.com/hook", "message": {"read": False}},
         "callback_backoff_delay_ms": "500"},
        allow_http_webhooks=False,
    )
    assert updates == {"webhooks.url": "https://example.com/hook", "webhooks.message.read": False,
                       "callback_backoff_delay_ms": 500}


@pytest.mark.parametrize("body", [{}, [], {"sent_status": "true"}, {"nope": 1},
                                  {"callback_backoff_delay_ms": "fast"},
                                  {"webhooks": {"max_concurrent_requests": 7}},
                                  {"media": {"auto_download": ["pdf"]}}])
def test_bad_patches_are_1009(body):
    with pytest.raises(ApiError) as caught:
        app_settings.validate_patch(body, allow_http_webhooks=False)
    assert caught.value.code == 1009


def test_http_webhooks_only_on_loopback_and_only_when_allowed():
    body = {"webhooks": {"url": "http://127.0.0.1:8080/hook"}}
    with pytest.raises(ApiError):
        app_settings.validate_patch(body, allow_http_webhooks=False)
    assert app_settings.validate_patch(body, allow_http_webhooks=True)
    with pytest.raises(ApiError):
        app_settings.validate_patch({"webhooks": {"url": "http://example.com/hook"}}, allow_http_webhooks=True)


def test_status_switches():
    settings = app_settings._merge(app_settings.DEFAULTS, {})
    assert not app_settings.status_callback_enabled(settings, "sent")
    assert app_settings.status_callback_enabled(settings, "delivered")
    settings = app_settings._merge(app_settings.DEFAULTS, {"sent_status": True})
    assert app_settings.status_callback_enabled(settings, "sent")
    settings = app_settings._merge(app_settings.DEFAULTS, {"webhooks.message.read": False})
    assert not app_settings.status_callback_enabled(settings, "read")
    assert app_settings.status_callback_enabled(settings, "failed")
