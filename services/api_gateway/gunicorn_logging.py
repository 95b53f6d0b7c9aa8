"""gunicorn's logger, with every client-supplied part of a line escaped.

gunicorn's ``%(U)s`` is the *decoded* path: ``/v1/x%0a127.0.0.1 - ...`` would write a
line break and a forged access-log line. Here every atom of the access log is escaped
for a quoted field (``services.common.escaping.escape_for_quoted_field``, as Apache and
nginx log), and the error log's lines (gunicorn's own warnings quote the request line
it refused) go through the same ``SafeFormatter`` as the app's logs.
"""

from __future__ import annotations

import logging

from gunicorn.glogging import Logger

from services.common.escaping import escape_for_quoted_field
from services.common.logging_setup import SafeFormatter


class EscapingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                formatter = handler.formatter or logging.Formatter()
                handler.setFormatter(SafeFormatter(formatter._fmt, formatter.datefmt))

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: escape_for_quoted_field(value) if isinstance(value, str) else value
                for name, value in atoms.items()}
