"""When to try a callback again, and what counts as delivered (spec §15.1).

Pure functions only, so the policy can be tested without servers.
"""

from __future__ import annotations

from typing import Any

from services.settings import app_settings

SUCCESS_STATUS = 200


def backoff_delay_ms(attempt: int, step_ms: int, cap_ms: int) -> int:
    """Delay before the retry that follows failed attempt number `attempt` (1-based).

    Linear, not exponential: n × step, then the cap forever.
    """
    return max(0, min(max(attempt, 1) * step_ms, cap_ms))


def is_success(status_code: int | None) -> bool:
    # Only 200 acknowledges a callback; a 201/204 or a redirect is a failure in the original.
    return status_code == SUCCESS_STATUS


def _milliseconds(value: Any, default: int) -> int:
    # Stored as string or integer (spec §14); a damaged value must not stop delivery.
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def backoff_settings(settings: dict[str, Any]) -> tuple[int, int]:
    """(step_ms, cap_ms) from the effective application settings."""
    step = _milliseconds(settings.get("callback_backoff_delay_ms"), app_settings.DEFAULTS["callback_backoff_delay_ms"])
    cap = _milliseconds(
        settings.get("max_callback_backoff_delay_ms"),
        app_settings.DEFAULTS["max_callback_backoff_delay_ms"],
    )
    return step, cap


def webhook_url(settings: dict[str, Any]) -> str | None:
    url = (settings.get("webhooks") or {}).get("url")
    return url or None
