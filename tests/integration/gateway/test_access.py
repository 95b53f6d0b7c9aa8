"""Who may call what (docs/compatibility.md "Who may call what"): the table there is
checked against every route the gateway serves, by what each route declares and by
what it answers to a ROLE_USER and to the monitoring API key."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from services.api_gateway.operations import declared_access
from tests.common.factories import issue_token
from tests.integration.gateway.conftest import assert_error, bearer

DOC = Path(__file__).resolve().parents[3] / "docs" / "compatibility.md"
API_KEY = "monitoring-key-123"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([^|]+?) \|", re.MULTILINE)


def _shape(path: str) -> str:
    """A path with its parameters blanked: Flask's ``<name>`` and the table's ``{name}``."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path)


def documented() -> dict[tuple[str, str], str]:
    section = DOC.read_text().split("\n## Who may call what\n", 1)[1].split("\n## ", 1)[0]
    return {(method, _shape(path)): who for method, path, who in ROW.findall(section)}


def _declared_who(view: Callable[..., Any]) -> str | None:
    access = declared_access(view)
    if access is None:
        return None
    if access.basic:
        return "Basic"
    if access.anonymous:
        return "anyone"
    if access.admin:
        return "admin"
    return "user or Apikey" if access.apikey else "user"


def served(app) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule, app.view_functions[rule.endpoint]


@pytest.fixture
def keyed_app(config, db, redis):
    from services.api_gateway.app import create_app

    return create_app(dataclasses.replace(config, api_key=API_KEY))


def _concrete(path: str) -> str:
    return re.sub(r"<[^>]*>", "someone", path)


def test_every_served_route_is_in_the_table_as_it_declares(keyed_app):
    table = documented()
    assert len(table) >= 40, "the table was not found or not read"
    for method, path, view in served(keyed_app):
        listed = table.get((method, _shape(path)))
        assert listed is not None, f"{method} {path} is served but not in docs/compatibility.md"
        assert _declared_who(view) == listed.removesuffix(" (itself)"), f"{method} {path}"


def test_a_role_user_is_refused_on_every_admin_route(keyed_app, db, config):
    client = keyed_app.test_client()
    user = bearer(issue_token(db, config.token_ttl_seconds, username="clerk", role="user"))
    table = documented()
    admin_routes = [(method, path) for method, path, _ in served(keyed_app)
                    if table[(method, _shape(path))] == "admin"]
    assert ("GET", "/v1/account/shards") in admin_routes  # the route issue 13 found open
    for method, path in admin_routes:
        response = client.open(_concrete(path), method=method, headers=user, json={})
        assert_error(response, 403, 1005)


def test_the_api_key_opens_only_the_monitoring_routes(keyed_app):
    client = keyed_app.test_client()
    key = {"Authorization": f"Apikey {API_KEY}"}
    table = documented()
    for method, path, _ in served(keyed_app):
        who = table[(method, _shape(path))]
        response = client.open(_concrete(path), method=method, headers=key, json={})
        if who == "user or Apikey":
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:200])
        elif who not in ("anyone", "Basic"):
            assert_error(response, 401, 1005)


def test_a_role_user_reads_the_shard_count_no_more(keyed_app, db, config):
    client = keyed_app.test_client()
    user = bearer(issue_token(db, config.token_ttl_seconds, username="clerk", role="user"))
    admin = bearer(issue_token(db, config.token_ttl_seconds))
    assert_error(client.get("/v1/account/shards", headers=user), 403, 1005, "Admin access required")
    assert client.get("/v1/account/shards", headers=admin).get_json()["account"] == {"shards": config.shards}
