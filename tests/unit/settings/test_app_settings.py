from pathlib import Path

import pytest

from services.common.egress_rules import parse_allow
from services.common.errors import ApiError
from services.settings import app_settings

COMPATIBILITY = Path(__file__).resolve().parents[3] / "docs" / "compatibility.md"


def patch(body, *, allow_http=False, egress=""):
    return app_settings.validate_patch(body, allow_http_webhooks=allow_http, egress_allow=parse_allow(egress))


def rejected(body) -> str:
    with pytest.raises(ApiError) as caught:
        patch(body)
    assert caught.value.code == 1009
    return caught.value.details


def test_patch_flattens_to_dotted_updates():
    updates = patch(
        {"webhooks": {"url": "https://example.com/hook", "message": {"read": False}},
         "callback_backoff_delay_ms": "500"},
    )
    assert updates == {"webhooks.url": "https://example.com/hook", "webhooks.message.read": False,
                       "callback_backoff_delay_ms": 500}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"on_call_pager": "16315551019"}, {"on_call_pager": "16315551019"}),
        ({"on_call_pager": "447900000000-1530000000"}, {"on_call_pager": "447900000000-1530000000"}),
        ({"on_call_pager": ""}, {"on_call_pager": ""}),
        ({"garbagecollector_enable": {"media": True, "messages": False}},
         {"garbagecollector_enable.media": True, "garbagecollector_enable.messages": False}),
        ({"db_garbagecollector_enable": False}, {"db_garbagecollector_enable": False}),
        ({"axolotl_context_striping_disabled": True}, {"axolotl_context_striping_disabled": True}),
        ({"axolotl_context_striping_logical_core_multiplier": "4"},
         {"axolotl_context_striping_logical_core_multiplier": 4}),
        ({"skip_referral_media_download": True}, {"skip_referral_media_download": True}),
        ({"webhook_payload_conversation_pricingmodel_disabled": True},
         {"webhook_payload_conversation_pricingmodel_disabled": True}),
        ({"pass_through": True}, {"pass_through": True}),
        ({"heartbeat_interval": 10, "unhealthy_interval": "60"}, {"heartbeat_interval": 10, "unhealthy_interval": 60}),
        ({"notify_user_change_number": False}, {"notify_user_change_number": False}),
        ({"webcallbacks": {"0": "https://example.com/cb", "1": "", "2": ""}},
         {"webcallbacks": {"0": "https://example.com/cb", "1": "", "2": ""}}),
        ({"allow_nonexistent_users": True}, {"allow_nonexistent_users": True}),
        ({"dogfood_user_limit": 100}, {"dogfood_user_limit": 100}),
        ({"template_send_side_validation_disabled": True}, {"template_send_side_validation_disabled": True}),
        ({"messaging_api_rate_limit": 50, "contacts_api_rate_limit": "20", "control_api_rate_limit": 20,
          "healthcheck_api_rate_limit": 20, "contacts_scrape_rate_limit": 0, "unique_message_sends_rate_limit": 5},
         {"messaging_api_rate_limit": 50, "contacts_api_rate_limit": 20, "control_api_rate_limit": 20,
          "healthcheck_api_rate_limit": 20, "contacts_scrape_rate_limit": 0, "unique_message_sends_rate_limit": 5}),
        ({"tcp_listen_address": "0.0.0.0:6250"}, {"tcp_listen_address": "0.0.0.0:6250"}),
        ({"webhooks": {"max_concurrent_requests": "12"}}, {"webhooks.max_concurrent_requests": 12}),
        ({"log_level": "INFO"}, {"log_level": "info"}),
    ],
)
def test_legacy_and_hidden_keys_are_accepted_with_their_type(body, expected):
    assert patch(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"on_call_pager": 16315551019},
        {"on_call_pager": "ops team"},
        {"garbagecollector_enable": True},
        {"garbagecollector_enable": {"media": "false"}},
        {"db_garbagecollector_enable": 1},
        {"axolotl_context_striping_disabled": "true"},
        {"axolotl_context_striping_logical_core_multiplier": 0},
        {"skip_referral_media_download": None, "pass_through": "false"},
        {"webhook_payload_conversation_pricingmodel_disabled": 0},
        {"heartbeat_interval": 5.5},
        {"heartbeat_interval": True},
        {"unhealthy_interval": -1},
        {"unhealthy_interval": "30s"},
        {"webcallbacks": "https://example.com/cb"},
        {"webcallbacks": {"0": "http://example.com/cb"}},
        {"webcallbacks": {"first": "https://example.com/cb"}},
        {"dogfood_user_limit": [1]},
        {"messaging_api_rate_limit": "fast"},
        {"tcp_listen_address": "0.0.0.0 6250"},
        {"tcp_listen_address": 6250},
        {"sent_status": "true"},
        {"callback_persist": 1},
        {"callback_backoff_delay_ms": "fast"},
        {"webhooks": {"max_concurrent_requests": 7}},
        {"webhooks": "https://example.com/hook"},
        {"media": {"auto_download": ["pdf"]}},
        {"media": {"auto_download": "image"}},
        {"log_level": "loud"},
    ],
)
def test_wrong_types_are_1009(body):
    assert rejected(body).startswith("Parameter '")


@pytest.mark.parametrize(
    "value", ["５００", "٣٠٠٠", "३०००", "3０00", "²", " 500", "+500", "-500", "5_000", "", "1e3"]
)
def test_numbers_are_ascii_digits_only(value):
    assert "has invalid value" in rejected({"callback_backoff_delay_ms": value})
    assert "has invalid value" in rejected({"heartbeat_interval": value})


@pytest.mark.parametrize("value", [10**40, "9" * 11, "9" * 5000])
def test_huge_numbers_are_bounded(value):
    details = rejected({"max_callback_backoff_delay_ms": value})
    assert len(details) < 200  # the echo is cut short too


def test_unknown_keys_stay_1009_and_dotted_spellings_are_unknown():
    assert rejected({"nope": 1}) == "Unknown parameter 'nope'"
    assert rejected({"webhooks": {"nope": 1}}) == "Unknown parameter 'webhooks.nope'"
    assert rejected({"garbagecollector_enable": {"blobs": True}}) == "Unknown parameter 'garbagecollector_enable.blobs'"
    assert rejected({"webhooks.url": "https://example.com/hook"}) == "Unknown parameter 'webhooks.url'"
    # The whole PATCH fails: nothing of it is applied.
    assert rejected({"sent_status": True, "nope": 1}) == "Unknown parameter 'nope'"


def test_wa_id_is_read_only_and_ignored():
    assert patch({"wa_id": "16315551019", "sent_status": True}) == {"sent_status": True}
    assert patch({"wa_id": 42, "sent_status": True}) == {"sent_status": True}
    # Only read-only or null keys: nothing to set, as the original answers.
    assert rejected({"wa_id": "16315551019"}) == "No valid parameters provided"
    assert rejected({"sent_status": None}) == "No valid parameters provided"


@pytest.mark.parametrize("body", [{}, [], "sent_status", None, 5])
def test_empty_or_non_object_bodies_are_1009(body):
    assert rejected(body) == "No valid parameters provided"


def test_the_get_body_round_trips_as_a_patch():
    # Clients read the settings, change one and send everything back.
    body = {**app_settings.DEFAULTS, "wa_id": "16315551019", "sent_status": True}
    updates = patch(body)
    assert set(updates) == {setting.path for setting in app_settings.SETTINGS}
    assert app_settings._nest(updates) == {**app_settings.DEFAULTS, "sent_status": True}


def test_defaults_hold_every_declared_setting_and_pass_their_own_validation():
    flat = {}
    for setting in app_settings.SETTINGS:
        node = app_settings.DEFAULTS
        for part in setting.path.split("."):
            node = node[part]
        flat[setting.path] = node
        assert node == setting.default
    assert patch(app_settings._nest(flat)) == flat
    assert "wa_id" not in app_settings.DEFAULTS  # only a registered account has one


def test_every_key_of_spec_14_is_declared():
    spec_keys = {
        "webhooks.url", "webhooks.max_concurrent_requests", "webhooks.message.sent", "webhooks.message.delivered",
        "webhooks.message.read", "callback_persist", "callback_backoff_delay_ms", "max_callback_backoff_delay_ms",
        "sent_status", "pass_through", "media.auto_download", "heartbeat_interval", "unhealthy_interval",
        "on_call_pager", "notify_user_change_number", "show_security_notifications", "db_garbagecollector_enable",
        "garbagecollector_enable.media", "garbagecollector_enable.messages", "axolotl_context_striping_disabled",
        "skip_referral_media_download", "webhook_payload_conversation_pricingmodel_disabled", "verbose_logging",
        "log_level", "webcallbacks", "allow_nonexistent_users", "dogfood_user_limit",
        "template_send_side_validation_disabled", "axolotl_context_striping_logical_core_multiplier",
        "messaging_api_rate_limit", "contacts_api_rate_limit", "control_api_rate_limit",
        "healthcheck_api_rate_limit", "contacts_scrape_rate_limit", "unique_message_sends_rate_limit",
    }
    assert spec_keys <= set(app_settings.BY_PATH)
    assert "wa_id" in app_settings.READ_ONLY


def test_http_webhooks_only_on_loopback_and_only_when_allowed():
    body = {"webhooks": {"url": "http://127.0.0.1:8080/hook"}}
    with pytest.raises(ApiError):
        patch(body, egress="127.0.0.1:8080")
    assert patch(body, allow_http=True, egress="127.0.0.1:8080")
    with pytest.raises(ApiError):
        patch({"webhooks": {"url": "http://example.com/hook"}}, allow_http=True)
    assert patch({"webhooks": {"url": ""}}) == {"webhooks.url": ""}


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://169.254.169.254/",
    "https://[::1]:8443/hook", "https://[fd00::1]/hook", "https://[::ffff:192.168.1.1]/hook", "https://100.64.0.1/",
    "https://0.0.0.0/", "https://2130706433/hook",
])
def test_a_webhook_on_a_literal_address_the_egress_policy_refuses_is_refused(url):
    with pytest.raises(ApiError) as caught:
        patch({"webhooks": {"url": url}}, allow_http=True)
    assert caught.value.code == 1009
    assert "which the server does not connect to unless WA_EGRESS_ALLOW allows it" in caught.value.details


def test_a_webhook_the_operator_allows_and_a_public_or_named_one_are_accepted():
    assert patch({"webhooks": {"url": "https://10.1.2.3/hook"}}, egress="10.0.0.0/8")
    assert patch({"webhooks": {"url": "https://[::1]:8443/hook"}}, egress="[::1]:8443")
    assert patch({"webhooks": {"url": "https://93.184.215.14/hook"}})
    # A name is judged where it is resolved, at each delivery (the dispatcher).
    assert patch({"webhooks": {"url": "https://hooks.internal/x"}})


def test_status_switches():
    settings = app_settings._nest({}, app_settings.DEFAULTS)
    assert not app_settings.status_callback_enabled(settings, "sent")
    assert app_settings.status_callback_enabled(settings, "delivered")
    settings = app_settings._nest({"sent_status": True}, app_settings.DEFAULTS)
    assert app_settings.status_callback_enabled(settings, "sent")
    settings = app_settings._nest({"webhooks.message.read": False}, app_settings.DEFAULTS)
    assert not app_settings.status_callback_enabled(settings, "read")
    assert app_settings.status_callback_enabled(settings, "failed")


def test_pricing_switch():
    assert app_settings.pricing_in_status_callbacks(app_settings.DEFAULTS)
    disabled = app_settings._nest({"webhook_payload_conversation_pricingmodel_disabled": True},
                                  app_settings.DEFAULTS)
    assert not app_settings.pricing_in_status_callbacks(disabled)


def test_the_docs_table_is_the_declaration():
    table = app_settings.markdown_table()
    assert table in COMPATIBILITY.read_text(encoding="utf-8"), (
        "docs/compatibility.md's settings table is stale: paste `python -m services.settings.app_settings`"
    )
    for setting in app_settings.SETTINGS:
        assert f"| `{setting.path}` |" in table


def test_the_request_limits_and_shedding_bounds_are_applied_settings():
    applied = {s.path for s in app_settings.SETTINGS if s.applied}
    assert {"messaging_api_rate_limit", "contacts_api_rate_limit", "control_api_rate_limit",
            "healthcheck_api_rate_limit", "load_shedding.max_pending_callbacks",
            "load_shedding.max_pending_messages"} <= applied
    assert patch({"load_shedding": {"max_pending_callbacks": "0", "max_pending_messages": 5}}) == {
        "load_shedding.max_pending_callbacks": 0, "load_shedding.max_pending_messages": 5}
    assert "between 0 and 1000000000" in rejected({"load_shedding": {"max_pending_messages": 10**10}})
