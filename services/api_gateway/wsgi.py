"""gunicorn entry point; `"services.api_gateway.app:create_app()"` (the Procfile's) works too."""

from __future__ import annotations

from services.api_gateway.app import create_app
from services.common.logging_setup import configure_logging

configure_logging("gateway")
app = create_app()
