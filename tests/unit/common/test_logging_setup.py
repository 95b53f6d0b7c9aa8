import logging
import sys

from services.common.logging_setup import SafeFormatter, log_format


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("services.api_gateway.app", logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_message_stays_on_one_line():
    formatter = SafeFormatter(log_format("gateway"))
    line = formatter.format(record("unhandled error on %s %s", "GET", "/v1/x\n2030-01-01 gateway INFO forged\x1b[2K"))
    assert "\n" not in line and "\x1b" not in line
    assert line.endswith("unhandled error on GET /v1/x\\x0a2030-01-01 gateway INFO forged\\x1b[2K")


def test_only_the_first_line_of_a_record_starts_at_the_margin():
    formatter = SafeFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("bad value\nERROR forged line\r")
    except ValueError:
        text = formatter.format(record("failed", exc_info=sys.exc_info()))
    first, *rest = text.split("\n")
    assert first == "ERROR failed"
    assert rest and all(line.startswith("  ") for line in rest)
    assert "  ERROR forged line\\x0d" in rest
    assert "\r" not in text
