"""Media providers: the POST body, the credentials' header, what GET shows."""

import base64

import pytest

from services.api_gateway.schemas.media_providers import NOT_ONE, parse_provider
from services.common.errors import ApiError
from services.media.providers import MASK, Provider, public


def error_of(body):
    with pytest.raises(ApiError) as caught:
        parse_provider(body)
    return caught.value.code, caught.value.details


def test_bearer_and_basic_providers():
    bearer = parse_provider([{"name": "cdn", "type": "www", "config": {"bearer": "tok-1"}}])
    assert (bearer.name, bearer.type, bearer.auth, bearer.authorization()) == ("cdn", "www", "bearer", "Bearer tok-1")
    basic = parse_provider([{"name": "my.store", "type": "www",
                             "config": {"basic": {"username": "u", "password": "p ä:ss"}}}])
    assert basic.authorization() == "Basic " + base64.b64encode("u:p ä:ss".encode()).decode()
    assert basic.config() == {"basic": {"username": "u", "password": "p ä:ss"}}
    assert "tok-1" not in repr(bearer) and "ss" not in repr(basic)


@pytest.mark.parametrize(("body", "expected"), [
    ({"name": "a", "type": "www", "config": {"bearer": "t"}}, (1009, NOT_ONE)),
    ([], (1009, NOT_ONE)),
    ([{"name": "a", "type": "www", "config": {"bearer": "t"}}] * 2, (1009, NOT_ONE)),
    (["a"], (1009, NOT_ONE)),
    ([{"type": "www", "config": {"bearer": "t"}}], (1008, "Missing mandatory parameter 'name'")),
    ([{"name": "a/b", "type": "www", "config": {"bearer": "t"}}], (1009, "Parameter 'name' has invalid value 'a/b'")),
    ([{"name": "a", "type": "everstore", "config": {"bearer": "t"}}],
     (1009, "Parameter 'type' has invalid value 'everstore'")),
    ([{"name": "a", "type": "www", "config": {}}], (1009, "Parameter 'config' has invalid value '{}'")),
    ([{"name": "a", "type": "www", "config": {"bearer": "t", "basic": {"username": "u", "password": "p"}}}],
     (1009, "Parameter 'config' has invalid value")),
    ([{"name": "a", "type": "www", "config": {"bearer": "has space"}}],
     (1009, "Parameter 'config.bearer' has invalid value")),
    ([{"name": "a", "type": "www", "config": {"basic": {"username": "u", "password": ""}}}],
     (1009, "Parameter 'config.basic.password' has invalid value")),
    ([{"name": "a", "type": "www", "config": {"basic": {"username": "u:x", "password": "p"}}}],
     (1009, "Parameter 'config.basic.username' has invalid value 'u:x'")),
    ([{"name": "a", "type": "www", "config": {"bearer": "t"}, "extra": 1}],
     (1010, "Parameter 'extra' is not required")),
])
def test_refused_bodies(body, expected):
    code, details = error_of(body)
    assert code == expected[0]
    assert details.startswith(expected[1]), details


def test_a_refused_secret_is_not_echoed():
    _, details = error_of([{"name": "a", "type": "www", "config": {"bearer": "sec ret"}}])
    assert "sec" not in details


def test_get_masks_the_secrets():
    assert public({"_id": "cdn", "type": "www", "auth": "bearer"}) == {
        "name": "cdn", "type": "www", "config": {"bearer": MASK}}
    assert public({"_id": "s", "type": "www", "auth": "basic", "username": "u"}) == {
        "name": "s", "type": "www", "config": {"basic": {"username": "u", "password": MASK}}}


def test_a_provider_has_exactly_one_credential():
    with pytest.raises(ValueError):
        Provider("a", "www")
    with pytest.raises(ValueError):
        Provider("a", "www", bearer="t", username="u", password="p")


def test_hosts_are_parsed_normalised_and_kept():
    provider = parse_provider([{"name": "cdn", "type": "www", "config": {"bearer": "t"},
                                "hosts": ["CDN.Example.", "cdn.example", "files.example:8443", "[::1]:8080"]}])
    assert provider.hosts == ("cdn.example", "files.example:8443", "[::1]:8080")
    assert provider.sealed_fields() == {"bearer": "t", "hosts": ["cdn.example", "files.example:8443", "[::1]:8080"]}
    # Created as the original's clients create them: stored, with no hosts.
    legacy = parse_provider([{"name": "old", "type": "www", "config": {"bearer": "t"}}])
    assert legacy.hosts is None and legacy.sealed_fields() == {"bearer": "t"}


@pytest.mark.parametrize("hosts", [[], ["a b"], ["https://cdn.example"], ["cdn.example:0"], "cdn.example", [1],
                                   ["h"] * 33])
def test_invalid_hosts_are_refused(hosts):
    code, details = error_of([{"name": "a", "type": "www", "config": {"bearer": "t"}, "hosts": hosts}])
    assert code == 1009 and details.startswith("Parameter 'hosts"), details


def test_get_shows_the_hosts():
    assert public({"_id": "cdn", "type": "www", "auth": "bearer", "hosts": ["cdn.example"]}) == {
        "name": "cdn", "type": "www", "config": {"bearer": MASK}, "hosts": ["cdn.example"]}
