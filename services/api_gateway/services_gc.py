"""``/v1/services/*/gc``: garbage collection on request (spec §12). Each answers
``processing`` at once; the worker that collects reports by callback
(services/callbacks/service_runs.py). A run whose kick cannot be sent (Redis down) is
not recorded: 503/1016 with ``Retry-After``, so the client retries instead of waiting
for a callback that would never come."""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery
from flask import Blueprint, Response
from pymongo.database import Database

from services.api_gateway import auth, state
from services.api_gateway.envelope import error_response, respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.services import MediaGcAnswer, MessageGcAnswer
from services.callbacks import service_runs
from services.common.errors import ApiError
from services.media import gc as media_gc
from services.messages import gc as message_gc

bp = Blueprint("services", __name__, url_prefix="/v1/services")

RETRY_AFTER_SECONDS = 5
NOT_STARTED = "The worker could not be reached: the run was not started, retry later"


def _requested(request_run: Callable[[Database, Celery], str]) -> Response | None:
    """None once the run is under way; the 503 answer when it could not be started."""
    try:
        request_run(state.db(), state.celery())
    except service_runs.NotStarted:
        return error_response(ApiError(1016, NOT_STARTED), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return None


@bp.put("/media/gc")
@operation("Collect unused media", answers={200: MediaGcAnswer}, tags=("Services",), errors=(1016,),
           description="Deletes the media unused for 30 days and the dead uploads; the result comes by "
                       "callback (`items_deleted`).")
@auth.require_auth(admin=True)
def collect_media():
    """200 at once; the result comes by callback when the media worker is done."""
    refused = _requested(media_gc.request)
    if refused is not None:
        return refused
    return respond(MediaGcAnswer().model_dump(mode="json"))


@bp.put("/message/gc")
@operation("Collect finished messages", answers={200: MessageGcAnswer}, tags=("Services",), errors=(1016,),
           description="Deletes the finished messages older than 30 days (docs/design.md \"Message GC\"); "
                       "the result comes by callback (`messages_deleted`).")
@auth.require_auth(admin=True)
def collect_messages():
    """200 at once; the result comes by callback when the core is done."""
    refused = _requested(message_gc.request)
    if refused is not None:
        return refused
    return respond(MessageGcAnswer().model_dump(mode="json"))
