"""One log format for every process, in which client data cannot forge a line.

A record's message is written with its unprintable characters escaped (a newline in a
path becomes ``\\x0a``), so each record starts on a line of its own with its timestamp;
the lines a traceback adds are indented, so that only a record's first line starts at
the left margin.
"""

from __future__ import annotations

import logging

from services.common.escaping import escape_unprintable

# Celery logs two lines per task at INFO; at thousands of kicks a second that is noise
# that costs throughput. WA_LOG_LEVEL=DEBUG brings them back.
_PER_TASK_LOGGERS = ("celery.app.trace", "celery.worker.strategy")
CONTINUATION = "  "


class SafeFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose lines client data cannot break or forge."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_unprintable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return _continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _continuation(super().formatStack(stack_info))


def _continuation(text: str) -> str:
    # An exception's message may carry client data too: each line is escaped, and every
    # line is indented (logging puts the first on a new line after the message).
    return "\n".join(CONTINUATION + escape_unprintable(line) for line in text.split("\n"))


def log_format(service: str) -> str:
    return f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"


def configure_logging(service: str, level: str = "INFO") -> None:
    """``level``: ``config.log_level`` (``WA_LOG_LEVEL``)."""
    level = level.upper()
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(log_format(service)))
    logging.basicConfig(level=level, handlers=[handler])
    if level != "DEBUG":
        for name in _PER_TASK_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
