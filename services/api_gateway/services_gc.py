"""``/v1/services/*/gc``: garbage collection on request (spec §12)."""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.media import gc as media_gc

bp = Blueprint("services", __name__, url_prefix="/v1/services")


@bp.put("/media/gc")
@auth.require_auth(admin=True)
def collect_media():
    """200 at once; the result comes by callback when the media worker is done."""
    media_gc.request(state.db(), state.celery())
    return respond({"services": {"media": {"gc": {"status": "processing"}}}})
