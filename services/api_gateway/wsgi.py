"""gunicorn entry point; `"services.api_gateway.app:create_app()"` (the Procfile's) works too."""

from __future__ import annotations

from services.api_gateway.app import create_app
from services.common.config import Config
from services.common.logging_setup import configure_logging

_config = Config.from_env()
configure_logging("gateway", _config.log_level)
app = create_app(_config)
