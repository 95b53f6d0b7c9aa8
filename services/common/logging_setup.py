"""One log format for every process."""

from __future__ import annotations

import logging
import os


def configure_logging(service: str) -> None:
    level = os.environ.get("WA_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
    )
