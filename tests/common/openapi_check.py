"""Every response the tests receive, checked against the served OpenAPI document.

The test clients (the Flask client of the integration tests, the ``requests`` sessions
of the end-to-end tests) call :meth:`OpenApiCheck.check` on each response: its status
must be one the operation declares, its content type one declared for that status, and
a JSON body must match the declared schema (Draft 2020-12, as OpenAPI 3.1 says), error
codes included. A request to a path or method the document does not know (a deliberate
404/405 probe, an ``OPTIONS``) is checked against the bare envelope only.

A failure names the operation, the status and the JSON path of the first problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

# An operation the document does not declare must not answer a success (every route is
# declared: tests/integration/contract/test_served_openapi.py). False only while routes
# are being declared, when their answers get the bare-envelope check alone.
REQUIRE_DECLARED = True

# Methods Flask answers on every path by itself, whose error answers are not the envelope.
IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_VARIABLE = re.compile(r"\{([^{}/]+)\}")
_BARE_ENVELOPE = {
    "type": "object",
    "required": ["meta"],
    "properties": {"meta": {"$ref": "#/components/schemas/Meta"}},
    "if": {"required": ["errors"]},
    "then": {"$ref": "#/components/schemas/ErrorEnvelope"},
}


class OpenApiMismatch(AssertionError):
    pass


@dataclass(frozen=True)
class _Template:
    path: str
    pattern: re.Pattern[str]
    variables: int


class OpenApiCheck:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document.get("components", {})
        templates = [_Template(path, _pattern(path), len(_VARIABLE.findall(path))) for path in document["paths"]]
        # A literal segment wins over a variable (/v1/account/shards before /v1/account/{x}).
        self.templates = sorted(templates, key=lambda template: template.variables)

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        method = "get" if method.upper() == "HEAD" else method.lower()
        for template in self.templates:
            if template.pattern.fullmatch(path):
                found = self.document["paths"][template.path].get(method)
                if found is not None:
                    return found
        return None

    def problems(self, method: str, path: str, status: int, content_type: str | None,
                 body: bytes | None) -> list[str]:
        """What is wrong with one response, each problem naming the operation, the status
        and the JSON path."""
        operation = self.operation(method, path)
        if operation is None:
            return self._unknown(method, path, status, content_type, body)
        name = f"{operation['operationId']} ({method.upper()} {path}) {status}"
        declared = operation["responses"].get(str(status))
        if declared is None:
            return [f"{name}: status {status} is not declared (declared: {sorted(operation['responses'])})"]
        media_type = _media_type(content_type)
        content = declared.get("content", {})
        if not content:
            return []
        matched = _declared_media_type(media_type, content)
        if matched is None:
            return [f"{name}: content type {media_type!r} is not declared (declared: {sorted(content)})"]
        if method.upper() == "HEAD" or not _is_json(media_type):
            return []
        return [f"{name}: {problem}" for problem in self._body_problems(content[matched].get("schema", {}), body)]

    def check(self, method: str, path: str, status: int, content_type: str | None, body: bytes | None) -> None:
        found = self.problems(method, path, status, content_type, body)
        if found:
            raise OpenApiMismatch("response breaks the served OpenAPI document:\n  " + "\n  ".join(found))

    def _unknown(self, method: str, path: str, status: int, content_type: str | None,
                 body: bytes | None) -> list[str]:
        name = f"{method.upper()} {path} (not in the document) {status}"
        implicit = method.upper() in IMPLICIT_METHODS
        if REQUIRE_DECLARED and status < 400 and method.upper() != "OPTIONS":
            return [f"{name}: an operation the document does not declare answered {status}"]
        if status >= 400 and not implicit:
            # The app's handlers answer every unknown path or method with the error envelope
            # (never werkzeug's HTML page).
            if not _is_json(_media_type(content_type)):
                return [f"{name}: content type {_media_type(content_type)!r} is not the JSON error envelope"]
            schema = {"$ref": "#/components/schemas/ErrorEnvelope"}
        elif implicit or not _is_json(_media_type(content_type)):
            return []
        else:
            schema = _BARE_ENVELOPE
        return [f"{name}: {problem}" for problem in self._body_problems(schema, body)]

    def _body_problems(self, schema: dict[str, Any], body: bytes | None) -> list[str]:
        try:
            instance = json.loads(body or b"")
        except ValueError:
            return ["$: the body is not JSON"]
        validator = Draft202012Validator({**schema, "components": self.components})
        return [f"{_json_path(error.absolute_path)}: {error.message}"
                for error in sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))]


def _pattern(template: str) -> re.Pattern[str]:
    parts = _VARIABLE.split(template)
    # split alternates literal text and variable names
    return re.compile("".join(re.escape(part) if index % 2 == 0 else "[^/]+" for index, part in enumerate(parts)))


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _declared_media_type(media_type: str, content: dict[str, Any]) -> str | None:
    """The key of ``content`` that declares ``media_type`` (a declared key may carry
    parameters, ``text/plain; version=0.0.4``, or be a range, ``image/*``)."""
    bare = {_media_type(declared): declared for declared in content}
    kind = media_type.split("/")[0]
    for wanted in (media_type, f"{kind}/*", "*/*"):
        if wanted in bare:
            return bare[wanted]
    return None


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


# -- the clients' hooks ---------------------------------------------------------------

_documents: dict[str, OpenApiCheck] = {}


def served_check(base_url: str) -> OpenApiCheck:
    """The check of the document served at ``base_url``, fetched once per address."""
    if base_url not in _documents:
        answer = requests.get(f"{base_url}/v1/openapi.json", timeout=30)
        answer.raise_for_status()
        _documents[base_url] = OpenApiCheck(answer.json())
    return _documents[base_url]


def check_requests_response(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A ``requests`` response hook (``session.hooks["response"]``)."""
    url = urlsplit(response.request.url or "")
    check = served_check(f"{url.scheme}://{url.netloc}")
    content_type = response.headers.get("Content-Type")
    body = response.content if _is_json(_media_type(content_type)) else None
    check.check(response.request.method or "GET", url.path, response.status_code, content_type, body)
    return response


def checked_session() -> requests.Session:
    session = requests.Session()
    session.hooks["response"].append(check_requests_response)
    return session


def checked_request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """``requests.request`` with the check; each call on a connection of its own."""
    with checked_session() as session:
        return session.request(method, url, **kwargs)


class CheckedFlaskClient(FlaskClient):
    """The Flask test client of the gateway, checking every answer (``app.test_client_class``)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        request = response.request
        content_type = response.headers.get("Content-Type")
        body = response.get_data() if _is_json(_media_type(content_type)) else None
        app_check(self.application).check(request.method, request.path, response.status_code, content_type, body)
        return response


def app_check(app: Flask) -> OpenApiCheck:
    """The check of the document ``app`` serves at ``/v1/openapi.json`` (built the same way,
    without a request: it must not depend on the database the test may have stopped)."""
    from services.api_gateway.api_docs import served_document

    if "openapi_check" not in app.extensions:
        with app.app_context():
            app.extensions["openapi_check"] = OpenApiCheck(served_document())
    return app.extensions["openapi_check"]
