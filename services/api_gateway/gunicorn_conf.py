"""gunicorn settings for the gateway, from the environment (``config.gateway``).

Run: ``gunicorn -c services/api_gateway/gunicorn_conf.py services.api_gateway.wsgi:app``
"""

from __future__ import annotations

from services.common.config import Config

_config = Config.from_env()  # gunicorn takes only the names it knows from this module
# HTTPS always; plain HTTP beside it only when WA_ALLOW_HTTP says so. The worker below
# decides per listener whether to wrap a connection in TLS.
bind = [f"{_config.gateway.host}:{_config.gateway.https_port}"]
if _config.gateway.allow_http:
    bind.append(f"{_config.gateway.host}:{_config.gateway.port}")
workers = _config.gateway.workers
# gunicorn's gthread worker, serving TLS from the stored certificate and answering what
# gunicorn refuses itself in the envelope.
worker_class = "services.api_gateway.gunicorn_worker.EnvelopeThreadWorker"
threads = 4
# Each worker builds its own app (Mongo, Redis and Celery clients are not fork-safe).
preload_app = False
timeout = 60  # longer than the 30 s registration RPC
graceful_timeout = 30
keepalive = 5

# What gunicorn refuses before the app (answered in the envelope by the worker above):
# a request line longer than this → 414; more header fields → 431; a longer header
# field → 431. gunicorn's defaults, stated here because they are part of the contract.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"
errorlog = "-"
# Client text in a log line is escaped (a %0a in a path cannot forge a line).
logger_class = "services.api_gateway.gunicorn_logging.EscapingLogger"
# Remote address, time, method, path without the query string, status, size, duration.
# No request headers at all, so Authorization (Basic passwords, tokens, API keys)
# never reaches the access log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# gunicorn's control socket defaults to one per-user path ($HOME/.gunicorn/gunicorn.ctl),
# which several gunicorn services on one host would fight over.
control_socket_disable = True


def post_fork(server, worker):  # noqa: ARG001 - gunicorn hook signature
    # The app's own loggers (tracebacks of 500s) go to stderr in the shared format,
    # whichever entry point is used (wsgi:app or "app:create_app()" as in the Procfile).
    from services.common.logging_setup import configure_logging

    configure_logging("gateway", _config.log_level)
