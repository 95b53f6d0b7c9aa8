import logging
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from services.api_gateway.gunicorn_logging import EscapingLogger
from services.common.logging_setup import SafeFormatter

FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def logger() -> EscapingLogger:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", FORMAT)
    return EscapingLogger(cfg)


def test_access_atoms_are_escaped():
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": '/v1/x\n1.2.3.4 - "GET /forged" 200', "RAW_URI": "/v1/x",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "QUERY_STRING": ""}
    response = SimpleNamespace(status="404 NOT FOUND", headers=[], sent=10)
    atoms = logger().atoms(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    assert atoms["U"] == "/v1/x\\x0a1.2.3.4 - \\x22GET /forged\\x22 200"
    assert atoms["m"] == "GET" and atoms["s"] == "404" and atoms["B"] == 10


def test_gunicorn_handlers_use_the_safe_formatter():
    log = logger()
    handlers = log.error_log.handlers + log.access_log.handlers
    assert handlers and all(isinstance(handler.formatter, SafeFormatter) for handler in handlers)
    line = log.error_log.handlers[0].formatter.format(
        logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, "Invalid request: %s", ("a\nb",), None))
    assert "\n" not in line and line.endswith("Invalid request: a\\x0ab")
