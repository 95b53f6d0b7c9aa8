"""The gateway's Flask app factory.

One ``create_app`` call builds one app with its own Mongo database handle, Redis
client and Celery producer (``app.extensions``); gunicorn calls it once per worker.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, Response, request
from gunicorn.http.errors import NoMoreData, ParseException
from pymongo.database import Database
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from services.api_gateway import (
    account,
    api_docs,
    backup,
    certificates,
    contacts,
    health,
    load_shedding,
    media,
    messages,
    outages,
    profile,
    rate_limits,
    services_gc,
    settings,
    shards,
    stats,
    support,
    two_step,
    users,
)
from services.api_gateway.envelope import error_response, respond
from services.api_gateway.state import connect, install
from services.common.config import Config
from services.common.errors import ApiError
from services.common.escaping import escape_unprintable
from services.migrations import prepare_once

log = logging.getLogger(__name__)

# Bodies are small JSON documents, except media uploads: /v1/media streams its body to
# the object store under the limits of services/message_types/media_types.py (media.py).
MAX_CONTENT_LENGTH = 1024 * 1024

BLUEPRINTS = (users.bp, messages.bp, contacts.bp, settings.bp, account.bp, shards.bp, health.bp, stats.bp,
              media.bp, services_gc.bp, certificates.bp, two_step.bp, support.bp, backup.bp,
              profile.bp, api_docs.bp)


class GatewayFlask(Flask):
    def make_default_options_response(self):
        """``OPTIONS`` on any path of the API: 200 ``{"meta"}`` with ``Allow``, like every
        other answer in the envelope (CORS is not a feature: no ``Access-Control-*``)."""
        response = respond()
        response.headers["Allow"] = super().make_default_options_response().headers["Allow"]
        return response


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = GatewayFlask(__name__)
    # werkzeug answers a path with "//" (a name with an encoded "/" in it) with a 308
    # redirect outside the envelope: such a path is simply unknown (404/1006).
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.json.sort_keys = False  # type: ignore[attr-defined]

    gateway = connect(config)
    install(app, gateway)
    _prepare_before_serving(app, gateway.db)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    _register_error_handlers(app)
    app.after_request(_no_sniffing)
    # After the blueprints' hooks, so that refused requests are counted and timed too.
    load_shedding.install(app, gateway)
    rate_limits.install(app, gateway)
    return app


def _no_sniffing(response: Response) -> Response:
    # Every answer says what it is (JSON, or a medium's declared type): a browser must
    # not guess another one from the bytes.
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _prepare_before_serving(app: Flask, db: Database) -> None:
    """Prepare the database (indexes, pending migrations: services/migrations/) now, or
    before the first request that finds MongoDB reachable.

    A worker that starts while MongoDB is down (gunicorn replaced a killed one) must
    still start: gunicorn stops the whole gateway when a worker fails to boot. Until
    the indexes exist its requests answer 503 like any request during the outage.
    """
    done = threading.Event()  # spares each request prepare_once's lock once it is done

    def ensure() -> None:
        prepare_once(db)  # one thread prepares, the others wait for it
        done.set()

    try:
        ensure()
    except PyMongoError as error:
        if not outages.database_unreachable(error):
            raise
        log.warning("MongoDB unreachable at start-up (%s): database preparation deferred to the first request",
                    error.__class__.__name__)

    @app.before_request
    def prepared_first() -> None:
        if not done.is_set():
            ensure()


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        headers = {}
        if error.status == 401:
            scheme = "Basic" if request.path.endswith("/users/login") else "Bearer"
            headers["WWW-Authenticate"] = f'{scheme} realm="WhatsApp Business API"'
        return error_response(error, headers=headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_response(*http_exception_errors(error), headers=_allow_header(error))

    @app.errorhandler(ParseException)
    @app.errorhandler(NoMoreData)
    def unreadable_body(error: Exception):
        # gunicorn reads a chunked body as the app asks for it, so a bad chunk (or a
        # client that stops sending) surfaces here, not before the app.
        return error_response(ApiError(1025, "Request body could not be read"))

    @app.errorhandler(PyMongoError)
    def database_error(error: PyMongoError):
        if outages.database_unreachable(error):
            # The class only: pymongo's messages name hosts and its topology.
            log.warning("MongoDB unreachable during %s %s (%s)", request.method, request.endpoint,
                        error.__class__.__name__)
            return error_response(outages.unavailable(outages.DATABASE_UNREACHABLE),
                                  headers=outages.retry_after_headers())
        log.exception("database error on %s %s", request.method, escape_unprintable(request.path))
        return error_response(ApiError(1023, "Database error occurred"))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if outages.broker_unreachable(error):
            # The class only: kombu's messages may quote the broker URL and its password.
            log.warning("Redis unreachable during %s %s (%s)", request.method, request.endpoint,
                        error.__class__.__name__)
            return error_response(outages.unavailable(outages.BROKER_UNREACHABLE),
                                  headers=outages.retry_after_headers())
        # Method and path only: bodies, passwords and tokens never reach the log.
        log.exception("unhandled error on %s %s", request.method, escape_unprintable(request.path))
        return error_response(ApiError(1014, "Internal error"))


def http_exception_errors(error: HTTPException) -> list[ApiError]:
    """Werkzeug's routing and protocol errors in the On-Prem envelope."""
    status = error.code or 500
    if status == 404:
        return [ApiError(1006, "Unknown path")]
    if status == 405:
        return [ApiError(1025, f"Method {request.method} is not allowed on this path", http_status=405)]
    if status == 413:
        return [ApiError(1025, "Request body is too large", http_status=413)]
    if 400 <= status < 500:
        return [ApiError(1025, "Request is not valid", http_status=status)]
    return [ApiError(1014, "Internal error", http_status=status)]


def _allow_header(error: HTTPException) -> dict[str, str]:
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        return {"Allow": ", ".join(sorted(error.valid_methods))}
    return {}
