"""``/v1/users``: login and logout (spec §4.1, §4.2) and the users themselves (§4.4).

Roles: the built-in admin is ROLE_ADMIN, every created user ROLE_USER. Creating and
deleting users is the admin's; a user reads and changes only itself (403/1005 for
another, before anything about that user, so a user learns nothing of the others).
Creating a user and changing a password (by ``PUT`` or by a login's ``new_password``)
are limited per client address, caller and hour (services/users/throttle_rules.py): the
caller is the token's user, or for a login the user logging in.
"""

from __future__ import annotations

from flask import Blueprint, Response

from services.api_gateway import auth, state
from services.api_gateway.envelope import error_response, respond
from services.api_gateway.operations import Access, access, operation
from services.api_gateway.schemas.common import json_body, parse
from services.api_gateway.schemas.users import (
    CreateUserBody,
    LoginAnswer,
    LoginBody,
    LoginToken,
    UpdateUserBody,
    UserAnswer,
    UsersAnswer,
    UserWithRole,
    users_answer,
)
from services.common.errors import ApiError
from services.users import store as user_store
from services.users import throttle_rules, throttle_store, user_rules

bp = Blueprint("users", __name__, url_prefix="/v1/users")

RATE_LIMITED = "Rate limiting exceeded on bad login attempts"
USER_CHANGES_RATE_LIMITED = "Rate limiting exceeded on creating users and changing passwords"
USER_EXISTS = "Unable to create user. Already exist?"
NO_SUCH_USER = "User does not exist"
ADMIN_NOT_DELETABLE = "Admin user cannot be deleted"
NOT_YOURS = "Users may only read and change themselves"


def _too_many(details: str, key: str, limit: throttle_rules.Limit) -> Response:
    """429/1015 with ``Retry-After``: the seconds until the refusing window frees."""
    seconds = throttle_store.seconds_left(state.redis_client(), key, limit)
    return error_response(ApiError(1015, details), headers={"Retry-After": str(seconds)})


@bp.post("/login")
@operation("Log in", body=LoginBody, answers={200: LoginAnswer}, errors=(1005, 1009, 1015, 1024),
           description="Basic credentials; `new_password` changes the password first.")
@access(Access(basic=True))
def login():
    credentials = auth.basic_credentials()
    redis = state.redis_client()
    if credentials is None:
        keys = throttle_rules.keys_for("", auth.request_address())
        refusing = throttle_rules.exceeded(throttle_store.standing(redis, keys))
        if refusing is not None:
            return _too_many(RATE_LIMITED, throttle_rules.refusing_key(keys, refusing), refusing)
        raise auth.denied()
    username, password = credentials
    keys = throttle_rules.keys_for(username, auth.request_address())
    standing = throttle_store.reserve(redis, keys)  # a bad login until it succeeds
    refusing = throttle_rules.exceeded(standing)
    if refusing is not None:
        return _too_many(RATE_LIMITED, throttle_rules.refusing_key(keys, refusing), refusing)
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
    stamp = user.password_stamp
    if body.new_password is not None:
        refused = _user_changes_refused(username)
        if refused is not None:
            return refused
        stamp = user_store.change_password(db, username, body.new_password)
    elif user.must_change_password:
        raise ApiError(1024, "Log in again with 'new_password' in the body to set a new password")

    issued = user_store.issue_token_if_current(db, username, user.role, stamp, state.config().token_ttl_seconds)
    if issued is None:
        raise auth.denied()  # the password changed, or the user was deleted, while it was checked
    token, expires_at = issued
    answer = LoginAnswer(users=[LoginToken(token=token, expires_after=auth.format_expires_after(expires_at))])
    return respond(answer.model_dump(mode="json"))


@bp.post("/logout")
@operation("Log out", answers={200: None}, description="Revokes the token of the request.")
@auth.require_auth()
def logout():
    hashed = auth.principal().token_hash
    if hashed is not None:
        user_store.revoke_token(state.db(), hashed)
    return respond()


@bp.post("")
@operation("Create a user", body=CreateUserBody, answers={201: UsersAnswer}, errors=(1008, 1009, 1014, 1015))
@auth.require_auth(admin=True)
def create_user():
    refused = _user_changes_refused(auth.principal().username)
    if refused is not None:
        return refused
    body = parse(CreateUserBody, json_body())
    try:
        user_store.create_user(state.db(), body.username, body.password)
    except user_store.UserExists:
        raise ApiError(1014, USER_EXISTS) from None
    return respond(users_answer(body.username), status=201)


@bp.get("/<username>")
@operation("Get a user and its role", answers={200: UserAnswer}, errors=(1005, 1006),
           description="The admin may read any user; a user only itself.")
@auth.require_auth()
def get_user(username: str):
    _require_manageable(username)
    role = user_store.role_of(state.db(), username)
    if role is None:
        raise ApiError(1006, NO_SUCH_USER)
    wire_role = user_rules.role_on_wire(role, user_store.ROLE_ADMIN)
    answer = UserAnswer(users=[UserWithRole(username=username, ROLES=wire_role)])
    return respond(answer.model_dump(mode="json"))


@bp.put("/<username>")
@operation("Change a user's password", body=UpdateUserBody, answers={200: UsersAnswer},
           errors=(1005, 1006, 1008, 1009, 1015),
           description="The admin may change any user's; a user only its own. Revokes all of the user's tokens.")
@auth.require_auth()
def update_user(username: str):
    _require_manageable(username)
    refused = _user_changes_refused(auth.principal().username)
    if refused is not None:
        return refused
    body = parse(UpdateUserBody, json_body())
    if user_store.change_password(state.db(), username, body.password) is None:
        raise ApiError(1006, NO_SUCH_USER)
    return respond(users_answer(username))


@bp.delete("/<username>")
@operation("Delete a user", answers={200: UsersAnswer}, errors=(1006, 1009),
           description="Deletes all of the user's tokens; the admin cannot be deleted.")
@auth.require_auth(admin=True)
def delete_user(username: str):
    if username == user_store.ADMIN:
        raise ApiError(1009, ADMIN_NOT_DELETABLE)
    if not user_store.delete_user(state.db(), username):
        raise ApiError(1006, NO_SUCH_USER)
    return respond(users_answer(username))


def _require_manageable(username: str) -> None:
    caller = auth.principal()
    if not user_rules.may_manage(caller.username, caller.is_admin, username):
        raise ApiError(1005, NOT_YOURS)


def _user_changes_refused(caller: str) -> Response | None:
    """Count this creation or password change against the client's address and
    ``caller``; the 429 answer once the hour's limit is reached."""
    limit = throttle_rules.user_changes_limit(state.config().gateway.user_changes_per_hour)
    key = throttle_rules.user_changes_key(auth.request_address(), caller)
    if throttle_store.count(state.redis_client(), key, limit) <= limit.failures:
        return None
    return _too_many(USER_CHANGES_RATE_LIMITED, key, limit)
