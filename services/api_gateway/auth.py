"""Who is calling: the decorators that guard endpoints and the headers they read
(spec §4). The users, their passwords and tokens are services/users/.

- Bad or expired tokens: 401 with error 1005 "Access denied" ([unverified] body,
  our documented choice); non-admin on an admin endpoint: 403 1005.
- The caller is resolved once per request (:func:`resolve`, cached on ``g``): the
  request-rate limits and the load shedding, which run before the view, need to know
  whether the request is authenticated, and the guard then reuses the answer instead
  of looking the token up a second time.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import current_app, g, request

from services.api_gateway import state
from services.api_gateway.client_address import client_address
from services.api_gateway.operations import Access, declared_access
from services.common.errors import ApiError
from services.users import store as user_store
from services.users.user_rules import APIKEY_USERNAME

INVALID_CREDENTIALS = "Invalid credentials."
TOKEN_EXPIRED = "Token expired"

F = TypeVar("F", bound=Callable[..., Any])


def format_expires_after(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS+00:00`` in UTC (PHP ``Y-m-d H:i:sP``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    token_hash: str | None  # None for the monitoring API key

    @property
    def is_admin(self) -> bool:
        return self.role == user_store.ROLE_ADMIN


def denied(details: str = INVALID_CREDENTIALS) -> ApiError:
    return ApiError(1005, details, http_status=401)


def _authorization() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()


def bearer_principal(token: str) -> Principal:
    if not token:
        raise denied()
    try:
        holder = user_store.token_holder(state.db(), token)
    except user_store.TokenExpired:
        raise denied(TOKEN_EXPIRED) from None
    if holder is None:
        raise denied()
    return Principal(username=holder.username, role=holder.role, token_hash=holder.token_hash)


def current_principal(*, allow_apikey: bool = False) -> Principal:
    scheme, value = _authorization()
    if scheme == "bearer":
        return bearer_principal(value)
    api_key = state.config().api_key
    if allow_apikey and scheme == "apikey" and api_key:
        if hmac.compare_digest(value.encode("utf-8"), api_key.encode("utf-8")):
            return Principal(username=APIKEY_USERNAME, role=APIKEY_USERNAME, token_hash=None)
    raise denied()


def resolve(*, allow_apikey: bool) -> Principal | ApiError:
    """The request's caller, or the error that refuses it; looked up once per request."""
    cached = g.get("resolved_principal")
    if cached is not None and cached[0] == allow_apikey:
        return cached[1]
    try:
        resolved: Principal | ApiError = current_principal(allow_apikey=allow_apikey)
    except ApiError as error:
        resolved = error
    g.resolved_principal = (allow_apikey, resolved)
    return resolved


def authenticated_caller() -> Principal | None:
    """For the hooks that run before the view: the caller when the route takes a token
    (or the API key) and the request's is good; None for a request without a route, a
    login (Basic), a route open to anyone, or a missing or bad token."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    access = declared_access(view) if view is not None else None
    if access is None or access.basic or access.anonymous:
        return None
    resolved = resolve(allow_apikey=access.apikey)
    return resolved if isinstance(resolved, Principal) else None


def request_address() -> str:
    """The client's address (``WA_TRUSTED_PROXIES`` decides how far ``X-Forwarded-For``
    is believed: client_address.py)."""
    return client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"),
                          state.state().trusted_proxies)


def require_auth(*, admin: bool = False, allow_apikey: bool = False) -> Callable[[F], F]:
    """Guard an endpoint: Bearer token (or the monitoring API key), optionally admin."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = resolve(allow_apikey=allow_apikey)
            if isinstance(principal, ApiError):
                raise principal
            if admin and not principal.is_admin:
                raise ApiError(1005, "Admin access required")
            g.principal = principal
            return view(*args, **kwargs)

        wrapper.access = Access(admin=admin, apikey=allow_apikey)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def principal() -> Principal:
    return g.principal


def basic_credentials() -> tuple[str, str] | None:
    scheme, value = _authorization()
    if scheme != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None
