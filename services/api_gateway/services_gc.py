"""``/v1/services/*/gc``: garbage collection on request (spec §12). Each answers
``processing`` at once; the worker that collects reports by callback
(services/callbacks/service_runs.py)."""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.services import MediaGcAnswer, MessageGcAnswer
from services.media import gc as media_gc
from services.messages import gc as message_gc

bp = Blueprint("services", __name__, url_prefix="/v1/services")


@bp.put("/media/gc")
@operation("Collect unused media", answers={200: MediaGcAnswer}, tags=("Services",),
           description="Deletes the media unused for 30 days and the dead uploads; the result comes by "
                       "callback (`items_deleted`).")
@auth.require_auth(admin=True)
def collect_media():
    """200 at once; the result comes by callback when the media worker is done."""
    media_gc.request(state.db(), state.celery())
    return respond(MediaGcAnswer().model_dump(mode="json"))


@bp.put("/message/gc")
@operation("Collect finished messages", answers={200: MessageGcAnswer}, tags=("Services",),
           description="Deletes the finished messages older than 30 days (docs/design.md \"Message GC\"); "
                       "the result comes by callback (`messages_deleted`).")
@auth.require_auth(admin=True)
def collect_messages():
    """200 at once; the result comes by callback when the core is done."""
    message_gc.request(state.db(), state.celery())
    return respond(MessageGcAnswer().model_dump(mode="json"))
