"""The bucket rule and which limit each endpoint counts against (rate_limit_rules.py)."""

from __future__ import annotations

import pytest

from services.api_gateway.rate_limit_rules import (
    MICROS,
    Bucket,
    admit,
    bucket_key,
    bucket_of,
    limited_class,
    retry_after_seconds,
)
from services.settings import app_settings

T0 = 1_765_000_000 * MICROS  # microseconds since 1970, as Redis's TIME gives them


def run(bucket: Bucket, times_us: list[int], tat: int | None = None) -> list[bool]:
    """Whether each request at ``times_us`` passes, the state carried from one to the next."""
    passed = []
    for now in times_us:
        decision = admit(bucket, tat, now)
        tat = decision.tat_us
        passed.append(decision.allowed)
    return passed


def test_a_full_bucket_lets_the_burst_through_at_once_and_no_more():
    bucket = Bucket(rate=20, burst=60)
    assert run(bucket, [T0] * 61) == [True] * 60 + [False]


def test_an_empty_bucket_refills_at_the_rate():
    bucket = Bucket(rate=20, burst=60)
    tat = admit(bucket, None, T0).tat_us
    for _ in range(59):
        tat = admit(bucket, tat, T0).tat_us
    # One token every 50 ms: just before it, refused; at it, one passes and the next not.
    assert not admit(bucket, tat, T0 + 49_999).allowed
    assert run(bucket, [T0 + 50_000, T0 + 50_000], tat) == [True, False]


def test_a_steady_stream_at_the_rate_never_runs_dry():
    bucket = Bucket(rate=50, burst=150)
    assert all(run(bucket, [T0 + n * 20_000 for n in range(1000)]))


def test_twice_the_rate_passes_the_burst_then_half():
    bucket = Bucket(rate=10, burst=30)
    passed = run(bucket, [T0 + n * 50_000 for n in range(200)])  # 20/s for 10 s
    assert passed[:30] == [True] * 30
    # 10 s at 10/s refills 100 tokens, plus the 30 of the full bucket: 130 in all (give or take the last).
    assert 129 <= sum(passed) <= 131


def test_a_refusal_says_how_long_until_a_request_would_pass_and_changes_nothing():
    bucket = Bucket(rate=20, burst=60)
    tat = None
    for _ in range(60):
        tat = admit(bucket, tat, T0).tat_us
    refused = admit(bucket, tat, T0 + 10_000)
    assert not refused.allowed and refused.tat_us == tat
    assert refused.retry_after_us == 40_000
    assert admit(bucket, tat, T0 + 10_000 + refused.retry_after_us).allowed


def test_an_idle_bucket_is_full_again_not_fuller():
    bucket = Bucket(rate=20, burst=60)
    tat = admit(bucket, None, T0).tat_us
    assert run(bucket, [T0 + 3600 * MICROS] * 61, tat) == [True] * 60 + [False]


@pytest.mark.parametrize(("wait_us", "seconds"), [(1, 1), (40_000, 1), (MICROS, 1), (MICROS + 1, 2), (0, 1)])
def test_retry_after_is_whole_seconds_rounded_up_never_zero(wait_us, seconds):
    assert retry_after_seconds(wait_us) == seconds


def test_the_burst_is_three_seconds_of_the_rate_and_zero_is_no_limit():
    assert Bucket.from_setting(50) == Bucket(50, 150)
    assert Bucket.from_setting(20) == Bucket(20, 60)
    assert Bucket.from_setting(0) is None


def test_a_rate_above_a_million_a_second_still_moves_the_bucket():
    assert Bucket(rate=1_000_000, burst=3_000_000).interval_us == 1


@pytest.mark.parametrize(("endpoint", "expected"), [
    ("messages.send", "messaging"),
    ("messages.mark_read", "messaging"),
    ("contacts.check_contacts", "contacts"),
    ("health.health", "healthcheck"),
    ("stats.metrics", "healthcheck"),
    ("stats.app_stats", "healthcheck"),
    ("settings.patch_application", "control"),
    ("users.login", "control"),
    ("media.upload", "control"),
    ("certificates.upload_external", "control"),
    (None, None),  # no route: a 404 counts against nothing
    ("static", None),
])
def test_each_endpoint_counts_against_its_class(endpoint, expected):
    assert limited_class(endpoint) == expected


def test_the_defaults_are_the_originals_but_sends_are_not_limited():
    defaults = app_settings.DEFAULTS
    assert bucket_of(defaults, "messaging") is None
    assert bucket_of(defaults, "contacts") == Bucket(20, 60)
    assert bucket_of(defaults, "control") == Bucket(20, 60)
    assert bucket_of(defaults, "healthcheck") == Bucket(20, 60)


def test_authenticated_requests_share_the_class_bucket_and_the_others_have_their_address_one():
    assert bucket_key("control", None) == "control"
    assert bucket_key("control", "192.0.2.1") not in ("control", bucket_key("control", "192.0.2.2"))
    assert bucket_key("control", "192.0.2.1") != bucket_key("messaging", "192.0.2.1")
    # An IPv6 host holds a /64: its addresses share one bucket.
    assert bucket_key("control", "2001:db8::1") == bucket_key("control", "2001:db8::2")
