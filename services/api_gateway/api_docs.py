"""``GET /v1/openapi.json`` (the generated OpenAPI 3.1 document) and ``GET /docs`` (Swagger
UI on it), both anonymous: extensions of the original (issue 13).

The document is built once per worker, at its first request, from the app's routes
(services/api_gateway/openapi_document.py). Swagger UI's files come with the
``flask-swagger-ui`` wheel (its ``dist``) and are served from here: the page loads
nothing from another origin, and its Content-Security-Policy says so.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from services.api_gateway import state
from services.api_gateway.openapi_document import build_document, routes_of
from services.api_gateway.operations import Access, access, operation
from services.common.errors import ApiError

bp = Blueprint("docs", __name__)

EXTENSION = "wa_openapi_document"
SWAGGER_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
OWN_FILES = Path(__file__).resolve().parent / "docs_page"
# The files the page loads, and where each one lives: nothing else is served.
ASSETS = {
    "swagger-ui.css": SWAGGER_DIST,
    "swagger-ui-bundle.js": SWAGGER_DIST,
    "index.css": SWAGGER_DIST,
    "favicon-32x32.png": SWAGGER_DIST,
    "docs.js": OWN_FILES,
}
# Swagger UI sets style attributes from its scripts, so inline styles stay allowed;
# scripts, fetches and images come from this origin only.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
ANONYMOUS = Access(anonymous=True)
_building = threading.Lock()


def served_document() -> dict[str, Any]:
    """This app's document, built at the first call (the routes do not change after)."""
    cached = current_app.extensions.get(EXTENSION)
    if cached is None:
        with _building:
            cached = current_app.extensions.get(EXTENSION)
            if cached is None:
                routes = routes_of(current_app.url_map.iter_rules(), current_app.view_functions)
                cached = build_document(routes, version=state.config().api_version)
                current_app.extensions[EXTENSION] = cached
    return cached


@bp.get("/v1/openapi.json")
@operation("The OpenAPI 3.1 document of this API", answers={200: "application/json"},
           extension="the project's own generated OpenAPI document (issue 13)")
@access(ANONYMOUS)
def openapi_json() -> Response:
    return jsonify(served_document())


@bp.get("/docs")
@operation("The API reference page (Swagger UI)", answers={200: "text/html"},
           extension="browsable API reference (issue 13)")
@access(ANONYMOUS)
def docs_page() -> Response:
    return _with_policy(send_from_directory(OWN_FILES, "index.html", mimetype="text/html", max_age=0))


@bp.get("/docs/assets/<name>")
@operation("A file of the API reference page", answers={200: "*/*"}, errors=(1006,),
           extension="browsable API reference (issue 13)")
@access(ANONYMOUS)
def docs_asset(name: str) -> Response:
    folder = ASSETS.get(name)
    if folder is None:
        raise ApiError(1006, "Unknown file")
    return _with_policy(send_from_directory(folder, name, max_age=3600))


def _with_policy(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
