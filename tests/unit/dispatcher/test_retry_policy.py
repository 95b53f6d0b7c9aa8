from __future__ import annotations

import pytest

from services.settings import app_settings
from services.webhook_dispatcher.retry_policy import (
    backoff_delay_ms,
    backoff_settings,
    is_success,
    webhook_url,
)


def test_backoff_is_linear_in_the_attempt_number():
    assert [backoff_delay_ms(n, 3000, 900000) for n in range(1, 5)] == [3000, 6000, 9000, 12000]


def test_backoff_is_capped():
    assert backoff_delay_ms(300, 3000, 900000) == 900000
    assert backoff_delay_ms(301, 3000, 900000) == 900000


def test_backoff_stays_at_the_cap_forever():
    delays = [backoff_delay_ms(n, 3000, 900000) for n in range(300, 100_000, 997)]
    assert set(delays) == {900000}


def test_backoff_reaches_the_cap_exactly_at_the_crossing_attempt():
    assert backoff_delay_ms(4, 250, 1000) == 1000
    assert backoff_delay_ms(3, 250, 1000) == 750


def test_cap_below_the_step_wins():
    assert backoff_delay_ms(1, 3000, 1000) == 1000


@pytest.mark.parametrize("attempt", [0, -1])
def test_non_positive_attempt_is_treated_as_the_first(attempt):
    assert backoff_delay_ms(attempt, 3000, 900000) == 3000


def test_only_200_is_success():
    assert is_success(200)
    for status in (None, 201, 202, 204, 301, 302, 400, 404, 429, 500, 503):
        assert not is_success(status)


def test_backoff_settings_default():
    assert backoff_settings(app_settings.DEFAULTS) == (3000, 900000)


def test_backoff_settings_accept_strings():
    settings = {"callback_backoff_delay_ms": "500", "max_callback_backoff_delay_ms": "20000"}
    assert backoff_settings(settings) == (500, 20000)


def test_backoff_settings_fall_back_on_damaged_values():
    settings = {"callback_backoff_delay_ms": "soon", "max_callback_backoff_delay_ms": 0}
    assert backoff_settings(settings) == (3000, 900000)


def test_webhook_url_empty_means_not_configured():
    assert webhook_url(app_settings.DEFAULTS) is None
    assert webhook_url({"webhooks": {"url": "https://hook.example/cb"}}) == "https://hook.example/cb"
