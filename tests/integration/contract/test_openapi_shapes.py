"""The gateway's responses against the reference OpenAPI's response schemas.

Each case drives the real app (Flask test client, real MongoDB and Redis) and checks the
body against the schema the reference OpenAPI (`../shared/reference/onprem-openapi.yaml`,
community description of v2.21–2.23) gives for that path, method and status, with
`schema_check.SchemaChecker` (`$ref`, `allOf`, types, enums, `required`, nested objects
and arrays, and no keys the schema does not declare).

Where the OpenAPI and the wire contract (`shared/spec/onprem-api.md`) disagree, the spec
wins. Those places are not handled by loosening the checker but listed below, each with
its reason: `RESPONSE_DIFFERENCES` (a different status, or the OpenAPI's schema sitting
elsewhere in our body) and `DIFFERENCES` (single problems the checker reports, named per
case). A case must hit every difference it names, so a stale entry fails too.

General rules, from the spec, for what the OpenAPI leaves out:
- It declares no body for logout, mark-read, settings DELETE and health: spec §2.2 says
  every answer is the envelope, so those bodies are checked against its `Response`.
- It declares no error response at all: errors are checked against its `Response`
  (`meta` + `errors[{code, title, details, href}]`), with `errors` required.
- It marks nothing required in these bodies: `SPEC_REQUIRED` adds what the spec requires
  (`meta` always; the payload keys of each success answer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.users import throttle_rules
from tests.common.factories import logged_in_admin
from tests.integration.contract.schema_check import Problem, SchemaChecker
from tests.integration.gateway.conftest import NEW_PASSWORD, basic, bearer, insert_inbound_message, register

OPENAPI_PATH = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "onprem-openapi.yaml"

if not OPENAPI_PATH.is_file():
    pytest.skip(f"reference OpenAPI absent ({OPENAPI_PATH}); see shared/reference/README.md", allow_module_level=True)


def _load_openapi() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


OPENAPI = _load_openapi()
CHECKER = SchemaChecker(OPENAPI)


def component(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


ENVELOPE = component("Response")

# What the spec requires and the OpenAPI leaves optional (§2.2, §4.1, §6.1).
SPEC_REQUIRED: dict[str, dict[str, Any]] = {
    "meta": {"required": ["meta"], "properties": {"meta": {"required": ["api_status", "version"]}}},
    "errors": {"required": ["errors"], "properties": {"errors": {"items": {"required": ["code", "title"]}}}},
    "login": {"required": ["users"], "properties": {"users": {"items": {"required": ["token", "expires_after"]}}}},
    "messages": {"required": ["messages"], "properties": {"messages": {"items": {"required": ["id"]}}}},
    "contacts": {"required": ["contacts"], "properties": {"contacts": {"items": {"required": ["input", "status"]}}}},
    # §8.3: settings.application.media.providers[{name, type, config}]
    "media-providers": {"required": ["settings"], "properties": {"settings": {
        "required": ["application"], "properties": {"application": {
            "required": ["media"], "properties": {"media": {
                "required": ["providers"], "properties": {"providers": {
                    "items": {"required": ["name", "type", "config"]}}}}}}}}}},
}

# Spec §11.1, single instance: the OpenAPI has no schema for health at all.
SPEC_HEALTH = {
    "type": "object",
    "required": ["gateway_status"],
    "properties": {
        "gateway_status": {
            "type": "string",
            "enum": ["connected", "connecting", "disconnected", "uninitialized", "unregistered"],
        }
    },
}


@dataclass(frozen=True)
class ResponseDifference:
    openapi_status: str
    wrap: Callable[[dict[str, Any]], dict[str, Any]] | None
    reason: str


# (method, OpenAPI path, our status) -> where the OpenAPI's schema applies instead.
RESPONSE_DIFFERENCES: dict[tuple[str, str, int], ResponseDifference] = {
    ("POST", "/messages", 201): ResponseDifference(
        "200", None, "spec §2.4/§6.1: a send answers 201 Created; the OpenAPI lists only 200 (same body)"
    ),
    ("GET", "/settings/application", 200): ResponseDifference(
        "200",
        lambda schema: {
            "type": "object",
            "required": ["settings"],
            "properties": {
                "meta": component("Meta"),
                "settings": {"type": "object", "required": ["application"], "properties": {"application": schema}},
            },
        },
        "spec §14: GET answers {settings: {application: {…}}, meta}; the OpenAPI reuses its PATCH request "
        "body (Application-Settings) as the whole GET body",
    ),
    ("POST", "/settings/profile/photo", 201): ResponseDifference(
        "200", None, "spec §9.1: setting the photo answers 201; the OpenAPI lists only 200 (same body)"
    ),
    ("GET", "/health", 200): ResponseDifference(
        "200",
        lambda schema: {"allOf": [schema, {"required": ["health"], "properties": {"health": SPEC_HEALTH}}]},
        "the OpenAPI declares no health body; spec §11.1 gives {health: {gateway_status}}",
    ),
}


@dataclass(frozen=True)
class Difference:
    pattern: str  # Problem.pattern: the JSON path with array indices as [*]
    kind: str
    reason: str

    def covers(self, problem: Problem) -> bool:
        return problem.pattern == self.pattern and problem.kind == self.kind


_APP = "$.settings.application"
_SPEC14 = "spec §14 lists it"
# Single problems the checker reports where the spec, not the OpenAPI, is right.
DIFFERENCES: dict[str, Difference] = {
    "backoff-int": Difference(
        f"{_APP}.callback_backoff_delay_ms",
        "type",
        "spec §14: string/int, 3000 in its example; the OpenAPI says string (its own example is the int 3000)",
    ),
    "max-backoff-int": Difference(
        f"{_APP}.max_callback_backoff_delay_ms",
        "type",
        "spec §14: string/int, 900000 in its example; the OpenAPI says string (its own example is an int)",
    ),
    "auto-download-enum": Difference(
        f"{_APP}.media.auto_download[*]",
        "enum",
        "the OpenAPI's enum has the typo 'image.' and lacks 'sticker'; spec §14: audio, document, voice, video, "
        "image, sticker",
    ),
    "concurrency-enum": Difference(
        f"{_APP}.webhooks.max_concurrent_requests",
        "enum",
        "the OpenAPI contradicts itself (type integer, enum of strings '6'…'24'); spec §14: int 6, 12, 18 or 24",
    ),
    "webhooks-message": Difference(f"{_APP}.webhooks.message", "undeclared", f"{_SPEC14} (v2.41.2+)"),
    "notify-user-change-number": Difference(f"{_APP}.notify_user_change_number", "undeclared", _SPEC14),
    "show-security-notifications": Difference(f"{_APP}.show_security_notifications", "undeclared", _SPEC14),
    "verbose-logging": Difference(f"{_APP}.verbose_logging", "undeclared", _SPEC14),
    "log-level": Difference(f"{_APP}.log_level", "undeclared", _SPEC14),
    "wa-id": Difference(f"{_APP}.wa_id", "undeclared", f"{_SPEC14} (read-only, the registered number)"),
}
# Settings the older OpenAPI lacks: spec §14's later and legacy ones, the hidden ones of
# §14/§17.1, tcp_listen_address, which older clients still send (docs/compatibility.md),
# and load_shedding, ours.
_LATER_SETTINGS = {
    "db_garbagecollector_enable": _SPEC14,
    "garbagecollector_enable": _SPEC14,
    "axolotl_context_striping_disabled": _SPEC14,
    "skip_referral_media_download": _SPEC14,
    "webhook_payload_conversation_pricingmodel_disabled": _SPEC14,
    "webcallbacks": "spec §14: hidden setting",
    "allow_nonexistent_users": "spec §14: hidden setting",
    "dogfood_user_limit": "spec §14: hidden setting",
    "template_send_side_validation_disabled": "spec §14: hidden setting",
    "axolotl_context_striping_logical_core_multiplier": "spec §14: hidden setting",
    "messaging_api_rate_limit": "spec §17.1: hidden setting",
    "contacts_api_rate_limit": "spec §17.1: hidden setting",
    "control_api_rate_limit": "spec §17.1: hidden setting",
    "healthcheck_api_rate_limit": "spec §17.1: hidden setting",
    "contacts_scrape_rate_limit": "spec §17.1: hidden setting",
    "unique_message_sends_rate_limit": "spec §17.1: hidden setting",
    "tcp_listen_address": "a legacy key older clients still send",
    "load_shedding": "an extension: the bounds of load shedding (spec §17.1's 503/1016)",
}
DIFFERENCES.update(
    {key: Difference(f"{_APP}.{key}", "undeclared", reason) for key, reason in _LATER_SETTINGS.items()}
)
SETTINGS_DIFFERENCES = (
    "backoff-int",
    "max-backoff-int",
    "auto-download-enum",
    "concurrency-enum",
    "webhooks-message",
    "notify-user-change-number",
    "show-security-notifications",
    "verbose-logging",
    "log-level",
    *_LATER_SETTINGS,
)


def expected_schema(method: str, path: str | None, status: int, extra: tuple[str, ...]) -> dict[str, Any]:
    """The schema our whole body must match: the OpenAPI's, placed per RESPONSE_DIFFERENCES."""
    required = [SPEC_REQUIRED["meta"], *(SPEC_REQUIRED[name] for name in extra)]
    if path is None:  # no such operation (unknown path, wrong method): only the error envelope
        return {"allOf": [ENVELOPE, SPEC_REQUIRED["errors"], *required]}
    operation = OPENAPI["paths"][path][method.lower()]
    responses = operation["responses"]
    if status >= 400:
        documented = [key for key in responses if str(key)[0] in "45"]
        assert not documented, f"the OpenAPI now documents {documented} for {method} {path}: use them"
        return {"allOf": [ENVELOPE, SPEC_REQUIRED["errors"], *required]}
    difference = RESPONSE_DIFFERENCES.get((method, path, status))
    key = difference.openapi_status if difference else str(status)
    assert key in responses, f"the OpenAPI has no {key} response for {method} {path} (has {sorted(responses)})"
    schema = responses[key].get("content", {}).get("application/json", {}).get("schema", ENVELOPE)
    if difference and difference.wrap:
        schema = difference.wrap(schema)
    return {"allOf": [schema, *required]}


# -- cases --------------------------------------------------------------------------------


class Ctx:
    def __init__(self, client, db, redis, token_ttl_seconds: int) -> None:
        self.client = client
        self.db = db
        self.redis = redis
        self.token_ttl_seconds = token_ttl_seconds
        self._token: str | None = None

    def auth(self) -> dict[str, str]:
        if self._token is None:
            # What a first login leaves, written directly; the login cases log in for real.
            self._token = logged_in_admin(self.db, NEW_PASSWORD, self.token_ttl_seconds)
        return bearer(self._token)

    def inbound(self, message_id: str = "ABGGFlA5FpafAgo6tHcNmNjXmuSf") -> str:
        insert_inbound_message(self.db, message_id)
        return message_id

    def non_admin(self) -> dict[str, str]:
        from services.users.token_rules import token_hash

        headers = self.auth()
        assert self._token is not None
        # The token stays good for user1 only with the stamp it was issued under.
        stamp = self.db.tokens.find_one({"_id": token_hash(self._token)})["password_stamp"]
        self.db.users.insert_one({"_id": "user1", "password_hash": "x", "role": "user", "must_change_password": False,
                                  "password_stamp": stamp})
        self.db.tokens.update_one({"_id": token_hash(self._token)}, {"$set": {"username": "user1", "role": "user"}})
        return headers


TEXT = {"to": "16315551234", "type": "text", "text": {"body": "hello"}}
ADMIN_NEW = basic("admin", NEW_PASSWORD)


def _send(ctx: Ctx):
    register(ctx.db)
    return ctx.client.post("/v1/messages", headers=ctx.auth(), json=TEXT)


def _contacts_check(ctx: Ctx):
    from services.contacts import checks as contact_checks

    register(ctx.db)
    contact_checks.store(ctx.db, {"16315551000": "16315551000", "16315551002": None})
    return ctx.client.post("/v1/contacts", headers=ctx.auth(), json={
        "blocking": "no_wait", "contacts": ["+1 (631) 555-1000", "6315551002", "1-631-555-1003", "x"]})


def _settings_registered(ctx: Ctx):
    register(ctx.db, "16315551019")
    return ctx.client.get("/v1/settings/application", headers=ctx.auth())


def _health_connected(ctx: Ctx):
    register(ctx.db)
    # The network lease as the core's keeper writes it (services/cluster/nodes.py).
    ctx.db.leases.replace_one({"_id": "network"}, {
        "kind": "network", "owner": "host:1", "epoch": 1, "connected": True,
        "expires_at": datetime.now(UTC) + timedelta(seconds=15)}, upsert=True)
    return ctx.client.get("/v1/health", headers=ctx.auth())


PROVIDERS = "/v1/settings/application/media/providers"


def _providers_listed(ctx: Ctx):
    ctx.client.post(PROVIDERS, headers=ctx.auth(), json=[{"name": "first", "type": "www",
                                                          "config": {"basic": {"username": "u", "password": "p"}}}])
    ctx.client.post(PROVIDERS, headers=ctx.auth(), json=[{"name": "second", "type": "www",
                                                          "config": {"bearer": "t"}}])
    return ctx.client.get(PROVIDERS, headers=ctx.auth())


def _provider_deleted(ctx: Ctx):
    ctx.client.post(PROVIDERS, headers=ctx.auth(), json=[{"name": "gone", "type": "www", "config": {"bearer": "t"}}])
    return ctx.client.delete(f"{PROVIDERS}/gone", headers=ctx.auth())


def _rate_limited(ctx: Ctx):
    address_count = throttle_rules.keys_for("admin", "127.0.0.1").counts[0]
    ctx.redis.set(address_count, throttle_rules.PER_ADDRESS.failures, ex=60)  # the limit's failures already
    return ctx.client.post("/v1/users/login", headers=basic("admin", "secret"))


ABOUT = "/v1/settings/profile/about"
PHOTO = "/v1/settings/profile/photo"
BUSINESS_PROFILE = "/v1/settings/business/profile"
BUSINESS = {"address": "1 Main St", "description": "Shop", "email": "a@example.com", "vertical": "Other",
            "websites": ["https://example.com"]}
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)


def _about_set(ctx: Ctx):
    ctx.client.patch(ABOUT, headers=ctx.auth(), json={"text": "Open 9-5"})
    return ctx.client.get(ABOUT, headers=ctx.auth())


def _business_profile_set(ctx: Ctx):
    ctx.client.post(BUSINESS_PROFILE, headers=ctx.auth(), json=BUSINESS)
    return ctx.client.get(BUSINESS_PROFILE, headers=ctx.auth())


def _photo_link(ctx: Ctx):
    ctx.client.post(PHOTO, headers=ctx.auth(), data=JPEG)
    return ctx.client.get(PHOTO + "?format=link", headers=ctx.auth())


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str | None  # the OpenAPI path (no /v1), None for requests no operation covers
    status: int
    run: Callable[[Ctx], Any]
    code: int | None = None  # the last error's code, for error answers
    required: tuple[str, ...] = ()  # SPEC_REQUIRED entries beyond "meta"
    differences: tuple[str, ...] = field(default=())


CASES = [
    # Successes.
    Case(
        "login-first",
        "POST",
        "/users/login",
        200,
        lambda c: c.client.post(
            "/v1/users/login", headers=basic("admin", "secret"), json={"new_password": NEW_PASSWORD}
        ),
        required=("login",),
    ),
    Case(
        "login-again",
        "POST",
        "/users/login",
        200,
        lambda c: (c.auth(), c.client.post("/v1/users/login", headers=ADMIN_NEW))[1],
        required=("login",),
    ),
    Case("logout", "POST", "/users/logout", 200, lambda c: c.client.post("/v1/users/logout", headers=c.auth())),
    Case("send-text", "POST", "/messages", 201, _send, required=("messages",)),
    Case(
        "mark-read",
        "PUT",
        "/messages/{MessageID}",
        200,
        lambda c: c.client.put(f"/v1/messages/{c.inbound()}", headers=c.auth(), json={"status": "read"}),
    ),
    Case("contacts-check", "POST", "/contacts", 200, _contacts_check, required=("contacts",)),
    Case(
        "settings-get",
        "GET",
        "/settings/application",
        200,
        lambda c: c.client.get("/v1/settings/application", headers=c.auth()),
        differences=SETTINGS_DIFFERENCES,
    ),
    Case(
        "settings-get-registered",
        "GET",
        "/settings/application",
        200,
        _settings_registered,
        differences=(*SETTINGS_DIFFERENCES, "wa-id"),
    ),
    Case(
        "settings-patch",
        "PATCH",
        "/settings/application",
        200,
        lambda c: c.client.patch(
            "/v1/settings/application", headers=c.auth(), json={"webhooks": {"url": "https://example.com/hook"}}
        ),
    ),
    Case(
        "settings-delete",
        "DELETE",
        "/settings/application",
        200,
        lambda c: c.client.delete("/v1/settings/application", headers=c.auth()),
    ),
    Case("media-providers-get", "GET", "/settings/application/media/providers", 200, _providers_listed,
         required=("media-providers",)),
    Case("media-providers-post", "POST", "/settings/application/media/providers", 200,
         lambda c: c.client.post(PROVIDERS, headers=c.auth(), json=[{"name": "p", "type": "www",
                                                                     "config": {"bearer": "t"}}])),
    Case("media-providers-delete", "DELETE", "/settings/application/media/providers/{ProviderName}", 200,
         _provider_deleted),
    Case("health-unregistered", "GET", "/health", 200, lambda c: c.client.get("/v1/health", headers=c.auth())),
    Case("health-connected", "GET", "/health", 200, _health_connected),
    # Errors.
    Case(
        "login-bad-credentials",
        "POST",
        "/users/login",
        401,
        lambda c: c.client.post("/v1/users/login", headers=basic("admin", "wrong")),
        code=1005,
    ),
    Case(
        "login-password-change-required",
        "POST",
        "/users/login",
        401,
        lambda c: c.client.post("/v1/users/login", headers=basic("admin", "secret")),
        code=1024,
    ),
    Case(
        "login-password-policy",
        "POST",
        "/users/login",
        400,
        lambda c: c.client.post("/v1/users/login", headers=basic("admin", "secret"), json={"new_password": "short"}),
        code=1009,
    ),
    Case("login-rate-limited", "POST", "/users/login", 429, _rate_limited, code=1015),
    Case("logout-no-token", "POST", "/users/logout", 401, lambda c: c.client.post("/v1/users/logout"), code=1005),
    Case(
        "send-missing-to",
        "POST",
        "/messages",
        400,
        lambda c: c.client.post("/v1/messages", headers=c.auth(), json={"type": "text"}),
        code=1008,
    ),
    Case(
        "send-not-registered",
        "POST",
        "/messages",
        500,
        lambda c: c.client.post("/v1/messages", headers=c.auth(), json=TEXT),
        code=1011,
    ),
    Case(
        "send-invalid-json",
        "POST",
        "/messages",
        400,
        lambda c: c.client.post("/v1/messages", headers={**c.auth(), "Content-Type": "application/json"}, data="{"),
        code=1025,
    ),
    Case(
        "mark-read-unknown",
        "PUT",
        "/messages/{MessageID}",
        404,
        lambda c: c.client.put("/v1/messages/nope", headers=c.auth(), json={"status": "read"}),
        code=1006,
    ),
    Case(
        "mark-read-bad-status",
        "PUT",
        "/messages/{MessageID}",
        400,
        lambda c: c.client.put(f"/v1/messages/{c.inbound()}", headers=c.auth(), json={"status": "delivered"}),
        code=1009,
    ),
    Case(
        "settings-non-admin",
        "GET",
        "/settings/application",
        403,
        lambda c: c.client.get("/v1/settings/application", headers=c.non_admin()),
        code=1005,
    ),
    Case(
        "settings-patch-invalid",
        "PATCH",
        "/settings/application",
        400,
        lambda c: c.client.patch("/v1/settings/application", headers=c.auth(), json={"sent_status": "true"}),
        code=1009,
    ),
    Case(
        "health-bad-token",
        "GET",
        "/health",
        401,
        lambda c: c.client.get("/v1/health", headers=bearer("not-a-token")),
        code=1005,
    ),
    Case("unknown-path", "GET", None, 404, lambda c: c.client.get("/v1/nothing-here", headers=c.auth()), code=1006),
    Case("method-not-allowed", "GET", None, 405, lambda c: c.client.get("/v1/messages", headers=c.auth()), code=1025),
    # Profile (spec §9.1, §9.2).
    Case("about-patch", "PATCH", "/settings/profile/about", 200,
         lambda c: c.client.patch(ABOUT, headers=c.auth(), json={"text": "Open 9-5"})),
    Case("about-get", "GET", "/settings/profile/about", 200, _about_set),
    Case("about-too-long", "PATCH", "/settings/profile/about", 400,
         lambda c: c.client.patch(ABOUT, headers=c.auth(), json={"text": "x" * 140}), code=1009),
    Case("business-profile-post", "POST", "/settings/business/profile", 200,
         lambda c: c.client.post(BUSINESS_PROFILE, headers=c.auth(), json=BUSINESS)),
    Case("business-profile-get", "GET", "/settings/business/profile", 200, _business_profile_set),
    Case("business-profile-websites", "POST", "/settings/business/profile", 400,
         lambda c: c.client.post(BUSINESS_PROFILE, headers=c.auth(), json={"websites": ["a", "b", "c"]}), code=1009),
    Case("photo-post", "POST", "/settings/profile/photo", 201,
         lambda c: c.client.post(PHOTO, headers=c.auth(), data=JPEG)),
    Case("photo-link", "GET", "/settings/profile/photo", 200, _photo_link),
    Case("photo-none", "GET", "/settings/profile/photo", 404, lambda c: c.client.get(PHOTO, headers=c.auth()),
         code=1006),
    Case("photo-delete", "DELETE", "/settings/profile/photo", 200, lambda c: c.client.delete(PHOTO, headers=c.auth())),
]


def problems_for(case: Case, body: Any, status: int) -> list[Problem]:
    return CHECKER.check(body, expected_schema(case.method, case.path, status, case.required))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_response_matches_openapi(case: Case, client, db, redis, config):
    response = case.run(Ctx(client, db, redis, config.token_ttl_seconds))
    body = response.get_json(silent=True)
    assert response.mimetype == "application/json", (case.id, response.mimetype, response.data[:200])
    assert response.status_code == case.status, body

    problems = problems_for(case, body, response.status_code)
    named = {name: DIFFERENCES[name] for name in case.differences}
    unexplained = [str(p) for p in problems if not any(d.covers(p) for d in named.values())]
    unused = [name for name, d in named.items() if not any(d.covers(p) for p in problems)]
    assert not unexplained, f"{case.id}: body does not match the OpenAPI: {unexplained}\nbody: {body}"
    assert not unused, f"{case.id}: listed differences no longer occur (remove them): {unused}"
    if case.code is not None:  # the case really produced the error it is named after
        assert body["errors"] and body["errors"][-1]["code"] == case.code, body


def test_every_difference_is_used():
    listed = {name for case in CASES for name in case.differences}
    assert listed == set(DIFFERENCES)
    for (method, path, _status), difference in RESPONSE_DIFFERENCES.items():
        assert method.lower() in OPENAPI["paths"][path], (method, path)
        assert difference.reason


def test_checker_catches_broken_shapes():
    """The same machinery rejects bodies with renamed keys, wrong types or missing payloads."""
    login = next(case for case in CASES if case.id == "login-first")
    meta = {"api_status": "stable", "version": "v2.45.1"}
    good = {"users": [{"token": "t", "expires_after": "2018-03-01 15:29:26+00:00"}], "meta": meta}
    assert problems_for(login, good, 200) == []
    broken = {
        "user": [{"token": "t"}],
        "users": [{"token": 1, "expires_after": "tomorrow"}, {"token": "t"}],
        "meta": {"api_status": "ok"},
    }
    found = {(p.path, p.kind) for p in problems_for(login, broken, 200)}
    assert found == {
        ("$.user", "undeclared"),
        ("$.users[0].token", "type"),
        ("$.users[0].expires_after", "format"),
        ("$.users[1].expires_after", "required"),
        ("$.meta.api_status", "enum"),
        ("$.meta.version", "required"),
    }
    error = next(case for case in CASES if case.id == "login-bad-credentials")
    assert {(p.path, p.kind) for p in problems_for(error, {"meta": meta, "errors": [{"code": "1005"}]}, 401)} == {
        ("$.errors[0].code", "type"),
        ("$.errors[0].title", "required"),
    }
    assert {(p.path, p.kind) for p in problems_for(error, {"meta": meta}, 401)} == {("$.errors", "required")}
