"""``/v1/users``: login and logout (spec §4.1, §4.2)."""

from __future__ import annotations

from flask import Blueprint, request

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.schemas.common import json_body, parse
from services.api_gateway.schemas.users import LoginBody
from services.common.errors import ApiError
from services.users import store as user_store

bp = Blueprint("users", __name__, url_prefix="/v1/users")

BAD_LOGIN_LIMIT = 10
BAD_LOGIN_WINDOW_SECONDS = 60
RATE_LIMITED = "Rate limiting exceeded on bad login attempts"


def _bad_login_key() -> str:
    # Behind a reverse proxy this is the proxy's address unless ProxyFix is configured.
    return f"gateway:bad_login:{request.remote_addr or 'unknown'}"


def _check_rate_limit() -> None:
    count = state.redis_client().get(_bad_login_key())
    if count is not None and int(count) >= BAD_LOGIN_LIMIT:
        raise ApiError(1015, RATE_LIMITED)


def _record_bad_login() -> None:
    pipe = state.redis_client().pipeline()
    pipe.set(_bad_login_key(), 0, ex=BAD_LOGIN_WINDOW_SECONDS, nx=True)
    pipe.incr(_bad_login_key())
    pipe.execute()


@bp.post("/login")
def login():
    _check_rate_limit()
    credentials = auth.basic_credentials()
    if credentials is None:
        raise auth.denied()
    db = state.db()
    user_store.ensure_admin(db)
    username, password = credentials
    user = user_store.authenticate(db, username, password)
    if user is None:
        _record_bad_login()
        raise auth.denied()

    body = parse(LoginBody, json_body())
    if body.new_password is not None:
        auth.check_password_policy(body.new_password)
        user_store.change_password(db, username, body.new_password)
    elif user.must_change_password:
        raise ApiError(1024, "Log in again with 'new_password' in the body to set a new password")

    token, expires_at = user_store.issue_token(db, username, user.role, state.config().token_ttl_seconds)
    return respond(
        {"users": [{"token": token, "expires_after": auth.format_expires_after(expires_at)}]}
    )


@bp.post("/logout")
@auth.require_auth()
def logout():
    hashed = auth.principal().token_hash
    if hashed is not None:
        user_store.revoke_token(state.db(), hashed)
    return respond()
