"""The On-Prem response envelope (spec §2.2, §19 item 1).

Every answer carries ``meta``; payload keys sit at the top level; errors are
``errors[{code, title, details}]`` and the HTTP status is the status of the *last*
error's code (original source).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, jsonify

from services.common.errors import ApiError

API_STATUS = "stable"


def meta(version: str) -> dict[str, str]:
    return {"api_status": API_STATUS, "version": version}


def build(
    version: str,
    payload: Mapping[str, Any] | None = None,
    errors: Iterable[ApiError] = (),
    status: int = 200,
) -> tuple[dict[str, Any], int]:
    """The body and HTTP status of one answer (pure: no Flask needed)."""
    body: dict[str, Any] = dict(payload or {})
    body["meta"] = meta(version)
    errors = list(errors)
    if errors:
        body["errors"] = [error.to_dict() for error in errors]
        status = errors[-1].status
    return body, status


def _version() -> str:
    from services.api_gateway.state import config

    return config().api_version


def respond(payload: Mapping[str, Any] | None = None, status: int = 200) -> Response:
    body, status = build(_version(), payload, status=status)
    response = jsonify(body)
    response.status_code = status
    return response


def error_response(*errors: ApiError, headers: Mapping[str, str] | None = None) -> Response:
    body, status = build(_version(), errors=errors)
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response

