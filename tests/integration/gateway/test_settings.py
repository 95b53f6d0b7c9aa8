import pytest

from services.settings.app_settings import DEFAULTS
from tests.integration.gateway.conftest import META, assert_error, bearer, register

PATH = "/v1/settings/application"


def current(client, auth):
    response = client.get(PATH, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["meta"] == META
    return response.get_json()["settings"]["application"]


def test_defaults_without_wa_id(client, auth):
    assert current(client, auth) == DEFAULTS


def test_wa_id_when_registered(client, auth, db):
    register(db, "16315551019")
    assert current(client, auth)["wa_id"] == "16315551019"


def test_patch_and_reset_round_trip(client, auth, db):
    patch = {"sent_status": True, "webhooks": {"url": "https://example.com/hook", "message": {"read": False}}}
    response = client.patch(PATH, headers=auth, json=patch)
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    settings = current(client, auth)
    assert settings["sent_status"] is True
    assert settings["webhooks"]["url"] == "https://example.com/hook"
    assert settings["webhooks"]["message"] == {"sent": False, "delivered": True, "read": False}
    assert settings["callback_persist"] is True  # untouched

    response = client.delete(PATH, headers=auth)
    assert response.status_code == 200
    assert response.get_json() == {"meta": META}
    assert current(client, auth) == DEFAULTS


# What a legacy client sends in one PATCH: the Webapp's own keys, the PHP SDK's model and
# the GET answer sent back with one change (wa_id included).
LEGACY_BODY = {
    "callback_persist": True,
    "callback_backoff_delay_ms": "3000",
    "max_callback_backoff_delay_ms": "900000",
    "media": {"auto_download": ["image", "document", "audio"]},
    "webhooks": {"url": "https://example.com/hook", "max_concurrent_requests": "12",
                 "message": {"sent": True, "delivered": True, "read": False}},
    "on_call_pager": "447900000000-1530000000",
    "pass_through": False,
    "sent_status": True,
    "unhealthy_interval": 30,
    "heartbeat_interval": "5",
    "axolotl_context_striping_disabled": True,
    "notify_user_change_number": True,
    "show_security_notifications": False,
    "db_garbagecollector_enable": False,
    "garbagecollector_enable": {"media": False, "messages": False},
    "skip_referral_media_download": True,
    "webhook_payload_conversation_pricingmodel_disabled": True,
    "webcallbacks": {"0": "https://example.com/old-hook", "1": "", "2": ""},
    "messaging_api_rate_limit": 50,
    "tcp_listen_address": "0.0.0.0:6250",
    "verbose_logging": False,
    "log_level": "info",
    "wa_id": "16315551019",
}


def test_legacy_client_body_round_trip(client, auth, db):
    register(db, "16315551019")
    response = client.patch(PATH, headers=auth, json=LEGACY_BODY)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"meta": META}

    settings = current(client, auth)
    assert set(settings) == set(DEFAULTS) | {"wa_id"}
    expected = {
        **DEFAULTS,
        **{key: value for key, value in LEGACY_BODY.items() if key not in {"webhooks", "media"}},
        # Digit strings come back as the integers they are.
        "callback_backoff_delay_ms": 3000, "max_callback_backoff_delay_ms": 900000, "heartbeat_interval": 5,
        "media": {"auto_download": ["image", "document", "audio"]},
        "webhooks": {"url": "https://example.com/hook", "max_concurrent_requests": 12,
                     "message": {"sent": True, "delivered": True, "read": False}},
    }
    assert settings == expected
    # The hidden keys it did not send keep their defaults.
    assert settings["dogfood_user_limit"] == 0 and settings["allow_nonexistent_users"] is False

    # A partial object changes only what it names.
    assert client.patch(PATH, headers=auth, json={"garbagecollector_enable": {"media": True}}).status_code == 200
    assert current(client, auth)["garbagecollector_enable"] == {"media": True, "messages": False}

    assert client.delete(PATH, headers=auth).get_json() == {"meta": META}
    assert current(client, auth) == {**DEFAULTS, "wa_id": "16315551019"}


def test_wa_id_in_a_patch_is_ignored(client, auth, db):
    register(db, "16315551019")
    response = client.patch(PATH, headers=auth, json={"wa_id": "19995550000", "sent_status": True})
    assert response.status_code == 200
    settings = current(client, auth)
    assert settings["wa_id"] == "16315551019" and settings["sent_status"] is True
    assert "wa_id" not in (db.settings.find_one({"_id": "application"})["values"])
    assert_error(client.patch(PATH, headers=auth, json={"wa_id": "16315551019"}), 400, 1009)


@pytest.mark.parametrize(
    ("body", "details_start"),
    [
        ({"sent_status": "true"}, "Parameter 'sent_status' has invalid value 'true'"),
        ({"callback_persist": 1}, "Parameter 'callback_persist' has invalid value '1'"),
        ({"no_such_setting": True}, "Unknown parameter 'no_such_setting'"),
        ({}, "No valid parameters provided"),
        (None, "No valid parameters provided"),
        ({"webhooks": {"url": "http://127.0.0.1:8000/hook"}}, "Parameter 'webhooks.url' has invalid value"),
        ({"heartbeat_interval": "５"}, "Parameter 'heartbeat_interval' has invalid value '５'"),
        ({"max_callback_backoff_delay_ms": "900000０"}, "Parameter 'max_callback_backoff_delay_ms' has invalid"),
        ({"on_call_pager": True}, "Parameter 'on_call_pager' has invalid value 'true'"),
        ({"garbagecollector_enable": {"media": 1}}, "Parameter 'garbagecollector_enable.media' has invalid"),
        # All or nothing: the good key before the bad one is not applied either.
        ({"sent_status": True, "pass_through": "yes"}, "Parameter 'pass_through' has invalid value 'yes'"),
    ],
)
def test_patch_validation(client, auth, body, details_start):
    kwargs = {"json": body} if body is not None else {}
    response = client.patch(PATH, headers=auth, **kwargs)
    assert_error(response, 400, 1009)
    assert response.get_json()["errors"][0]["details"].startswith(details_start)
    assert current(client, auth) == DEFAULTS


def test_http_webhook_allowed_when_configured(config, db, redis):
    from dataclasses import replace

    from services.api_gateway.app import create_app
    from services.common.egress_rules import parse_allow
    from tests.common.factories import logged_in_admin
    from tests.integration.gateway.conftest import NEW_PASSWORD, bearer

    token = logged_in_admin(db, NEW_PASSWORD, config.token_ttl_seconds)
    # Loopback is an address the egress policy refuses: allowed HTTP is not enough.
    client = create_app(replace(config, allow_http_webhooks=True)).test_client()
    response = client.patch(PATH, headers=bearer(token), json={"webhooks": {"url": "http://127.0.0.1:8000/hook"}})
    assert_error(response, 400, 1009, "Parameter 'webhooks.url' has invalid value 'http://127.0.0.1:8000/hook': "
                                      "127.0.0.1 is a loopback address, which the server does not connect to "
                                      "unless WA_EGRESS_ALLOW allows it")
    client = create_app(replace(config, allow_http_webhooks=True,
                                egress_allow=parse_allow("127.0.0.1:8000"))).test_client()
    response = client.patch(PATH, headers=bearer(token), json={"webhooks": {"url": "http://127.0.0.1:8000/hook"}})
    assert response.status_code == 200
    assert current(client, bearer(token))["webhooks"]["url"] == "http://127.0.0.1:8000/hook"


def test_a_webhook_on_a_refused_literal_address_is_refused_at_patch_time(client, token):
    for url in ("https://169.254.169.254/latest", "https://10.0.0.8/hook", "https://[::1]:8443/hook",
                "https://[fd00::8]/hook", "https://[::ffff:127.0.0.1]/hook"):
        response = client.patch(PATH, headers=bearer(token), json={"webhooks": {"url": url}})
        assert_error(response, 400, 1009)
        assert "which the server does not connect to unless WA_EGRESS_ALLOW allows it" in response.get_json()[
            "errors"][0]["details"]


def test_settings_need_admin(client, db, config):
    from tests.common.factories import issue_token

    token = issue_token(db, config.token_ttl_seconds, username="user1", role="user")
    headers = {"Authorization": f"Bearer {token}"}
    assert_error(client.get(PATH, headers=headers), 403, 1005)
    assert_error(client.patch(PATH, headers=headers, json={"sent_status": True}), 403, 1005)
    assert_error(client.post("/v1/account/verify", headers=headers, json={"code": "123456"}), 403, 1005)
    assert client.get("/v1/health", headers=headers).status_code == 200


def test_settings_need_token(client):
    assert_error(client.get(PATH), 401, 1005)
