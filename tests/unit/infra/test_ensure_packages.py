"""The install-time check: what fails ``make install`` and what is only warned about."""

from __future__ import annotations

import subprocess

import pytest

from infra import ensure_packages


@pytest.fixture
def everything_present(monkeypatch):
    monkeypatch.setattr(ensure_packages, "ensure_redis", lambda: True)
    monkeypatch.setattr(ensure_packages, "ensure_chromium", lambda: True)
    monkeypatch.setattr(ensure_packages, "ensure_mongod_libraries", lambda: None)
    monkeypatch.setattr(ensure_packages, "mongod_problem", lambda: None)
    monkeypatch.setattr(ensure_packages, "weed_path", lambda: "/usr/local/bin/weed")


def test_a_missing_chromium_is_a_warning_not_a_failure(everything_present, monkeypatch, capsys):
    monkeypatch.setattr(ensure_packages, "ensure_chromium", lambda: False)
    assert ensure_packages.main() == 0
    assert "warning" in capsys.readouterr().err


def test_a_missing_redis_fails_the_install(everything_present, monkeypatch):
    monkeypatch.setattr(ensure_packages, "ensure_redis", lambda: False)
    assert ensure_packages.main() == 1


def test_apt_is_bounded_in_time_and_a_stuck_apt_is_a_failure(monkeypatch, capsys):
    timeouts = []

    def stuck(command, **kwargs):
        timeouts.append(kwargs.get("timeout"))
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(ensure_packages.subprocess, "run", stuck)
    assert ensure_packages._apt("install", "-y", "chromium") is False
    assert timeouts == [ensure_packages.APT_TIMEOUT]
    assert "no answer" in capsys.readouterr().err
