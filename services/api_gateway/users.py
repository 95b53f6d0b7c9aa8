"""``/v1/users``: login and logout (spec §4.1, §4.2)."""

from __future__ import annotations

from flask import Blueprint, request

from services.api_gateway import auth, state
from services.api_gateway.client_address import client_address
from services.api_gateway.envelope import respond
from services.api_gateway.schemas.common import json_body, parse
from services.api_gateway.schemas.users import LoginBody
from services.common.errors import ApiError
from services.users import store as user_store
from services.users import throttle_rules, throttle_store

bp = Blueprint("users", __name__, url_prefix="/v1/users")

RATE_LIMITED = "Rate limiting exceeded on bad login attempts"


def _throttle_keys(username: str) -> throttle_rules.LoginKeys:
    address = client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"),
                             state.state().trusted_proxies)
    return throttle_rules.keys_for(username, address)


@bp.post("/login")
def login():
    credentials = auth.basic_credentials()
    redis = state.redis_client()
    if credentials is None:
        if throttle_rules.exceeded(throttle_store.standing(redis, _throttle_keys(""))) is not None:
            raise ApiError(1015, RATE_LIMITED)
        raise auth.denied()
    username, password = credentials
    keys = _throttle_keys(username)
    standing = throttle_store.reserve(redis, keys)  # a bad login until it succeeds
    if throttle_rules.exceeded(standing) is not None:
        raise ApiError(1015, RATE_LIMITED)
    db = state.db()
    try:
        user_store.ensure_admin(db)
        user = user_store.authenticate(db, username, password)
    except Exception:
        throttle_store.release(redis, keys, logged_in_before=None)  # the server failed, not the password
        raise
    if user is None:
        raise auth.denied()
    throttle_store.release(redis, keys, logged_in_before=standing)

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
