"""The application settings as the gateway's per-request checks see them (rate limits,
load shedding): read from MongoDB by a background thread of each worker once a second
(services/common/refreshed.py), so a PATCH takes effect within about a second
everywhere and no request waits for a read of them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.common.refreshed import Refreshed
from services.settings import app_settings

EXTENSION = "wa_live_settings"
MAX_AGE_SECONDS = 1.0
IDLE_SECONDS = 10.0
"""A worker without requests for this long stops reading (its next request restarts it)."""


def install(app: Flask, db: Database) -> Refreshed[dict[str, Any]]:
    """The app's cached settings, made on the first call (both checks share them)."""
    if EXTENSION not in app.extensions:
        def application_settings() -> dict[str, Any]:
            return app_settings.load(db)

        # Until MongoDB first answers, the defaults: the limits they set are the original's.
        app.extensions[EXTENSION] = Refreshed(application_settings, fallback=app_settings.DEFAULTS,
                                              max_age=MAX_AGE_SECONDS, tolerated=(PyMongoError,),
                                              idle_after=IDLE_SECONDS)
    return app.extensions[EXTENSION]


def current() -> dict[str, Any]:
    return current_app.extensions[EXTENSION].get()
