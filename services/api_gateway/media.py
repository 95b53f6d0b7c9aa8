"""``/v1/media``: upload, download and delete media (spec §8.1, §8.2).

The bytes go straight between the request and the object store, in parts
(``services/media/object_store.py``): an upload of 100 MB is never held in the
worker's memory and never passes through Redis (a Celery RPC would carry it there).
The gateway's 1 MB limit on bodies (``app.MAX_CONTENT_LENGTH``) stays for every other
route: this one reads the raw input stream and holds it to the limit of the media's
kind itself (``services/message_types/media_types.py``), from ``Content-Length`` before
reading anything, and while reading a chunked body.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from werkzeug.wsgi import get_input_stream

from services.api_gateway import auth, outages, state
from services.api_gateway.account import control_rpc, rpc_timeout
from services.api_gateway.envelope import error_response, respond
from services.api_gateway.operations import operation
from services.api_gateway.schemas.media import ANY_MEDIUM, UPLOAD_DESCRIPTION, MediaAnswer, MediaId
from services.common.errors import ApiError, invalid
from services.common.escaping import shown
from services.common.queues import FETCH_INBOUND_MEDIA, MEDIA_QUEUE
from services.media import catalogue, inbound_media, library
from services.media.measured import MeasuredReader, TooLarge, Truncated
from services.media.object_store import REQUEST_TIMEOUTS, ObjectStore, StoreUnavailable
from services.message_types import media_types

log = logging.getLogger(__name__)

bp = Blueprint("media", __name__, url_prefix="/v1/media")

STORE_EXTENSION = "wa_media_store"
STORE_UNREACHABLE = "The media store is unreachable: retry later"
CONTENT_TYPE_MISSING = "Content-Type missing"
EMPTY_BODY = "Request body is empty: the media file is the body"
TRUNCATED = "Request body ended before its Content-Length"
DOWNLOAD_FAILED = "the sender's media could not be downloaded (Media download error)"
NETWORK_UNREACHABLE = "The network's media store is unreachable: retry later"
FETCH_TIMED_OUT = "The media service did not fetch the file in time: check that it is running, or retry later"


def store() -> ObjectStore:
    """This app's object store client (bounded for requests), made on first use."""
    found = current_app.extensions.get(STORE_EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(
            STORE_EXTENSION, ObjectStore.from_config(state.config(), REQUEST_TIMEOUTS))
    return found


@bp.errorhandler(StoreUnavailable)
def store_unavailable(error: StoreUnavailable):
    log.warning("media store unreachable during %s %s (%s)", request.method, request.endpoint, error)
    return error_response(outages.unavailable(STORE_UNREACHABLE), headers=outages.retry_after_headers())


class NetworkMediaUnreachable(Exception):
    """The media service could not reach the network's media store for a fetch."""


@bp.errorhandler(NetworkMediaUnreachable)
def network_media_unreachable(error: NetworkMediaUnreachable):
    return error_response(outages.unavailable(NETWORK_UNREACHABLE), headers=outages.retry_after_headers())


def too_large(limit: int, mime_type: str) -> ApiError:
    details = f"Request content exceeds size of {media_types.shown_size(limit)}"
    if limit != media_types.UPLOAD_LIMIT:
        details += f" (the limit of {shown(mime_type)})"
    return ApiError(1009, details)


def classify(header: str | None) -> media_types.Classified:
    if header is None or not header.strip():
        raise ApiError(1008, CONTENT_TYPE_MISSING)
    parsed = media_types.parse(header)
    if parsed is None:
        raise invalid("Content-Type", shown(header))
    classified = media_types.classify(parsed)
    if classified is None:
        raise ApiError(1009, f"Parameter 'Content-Type' has invalid value '{shown(header)}': "
                             "not a supported media type")
    return classified


@bp.post("")
@operation("Upload a medium", raw_body=ANY_MEDIUM, answers={201: MediaAnswer}, errors=(1008, 1009, 1016, 1025),
           description=UPLOAD_DESCRIPTION, tags=("Media",))
@auth.require_auth()
def upload():
    classified = classify(request.headers.get("Content-Type"))
    kind, mime_type = classified.kind, classified.mime_type
    declared = request.content_length  # None: chunked
    if declared is not None and declared > kind.largest:
        raise too_large(kind.largest, mime_type)  # before reading a byte of it
    # The raw stream, bounded by Content-Length when there is one; not request.stream,
    # which holds every route to MAX_CONTENT_LENGTH.
    body = MeasuredReader(get_input_stream(request.environ, max_content_length=None), kind.largest, declared)
    head = body.peek(max(1, kind.probe_bytes))
    if not head:
        raise ApiError(1008, EMPTY_BODY)
    body.limit = kind.limit_for(head)
    if declared is not None and declared > body.limit:
        raise too_large(body.limit, mime_type)
    try:
        medium = library.save(state.db(), store(), body, mime_type=mime_type, owner=auth.principal().username)
    except TooLarge as error:
        raise too_large(error.limit, mime_type) from None
    except Truncated:
        raise ApiError(1025, TRUNCATED) from None
    return respond(MediaAnswer(media=[MediaId(id=medium.id)]).model_dump(mode="json"), status=201)


UNRENDERED = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
"""An uploaded file is anyone's content served from the API's origin: never sniffed
into another type, and, should a browser render it anyway (an uploaded ``text/html``
opened in a tab), with no scripts, no requests and a unique origin (sandbox)."""


def not_found(media_id: str) -> ApiError:
    return ApiError(1006, f"File with id {shown(media_id)} not found")


@bp.get("/<media_id>")
@operation("Download a medium", answers={200: ANY_MEDIUM}, errors=(1006, 1014, 1016), tags=("Media",))
@auth.require_auth()
def download(media_id: str):
    parsed = catalogue.parse_id(media_id)
    opened = library.open_medium(state.db(), store(), parsed) if parsed is not None else None
    if opened is None and parsed is not None and _fetch_received(parsed):
        opened = library.open_medium(state.db(), store(), parsed)
    if opened is None:
        raise not_found(media_id)
    medium, reader = opened.medium, opened.reader
    filename = medium.id + media_types.extension(medium.mime_type)
    response = Response(
        reader.chunks(),
        status=200,
        headers={
            "Content-Type": medium.mime_type,
            "Content-Length": str(reader.size),
            "Content-Disposition": f'attachment; filename="{filename}"',
            **UNRENDERED,
        },
        direct_passthrough=True,
    )
    # Also when the body is never read (HEAD, a client gone): the store's connection
    # goes back to its pool.
    response.call_on_close(reader.close)
    return response


def _fetch_received(media_id: str) -> bool:
    """A contact's medium not stored yet (a type not in ``media.auto_download``, or an
    auto-download still running): the media service fetches it into the object store,
    and the gateway then streams it from there, as any medium; the bytes never pass
    through Redis. True once stored; False when no inbound message names ``media_id``;
    otherwise raises the error to answer, within the control RPC's bounded wait."""
    download = inbound_media.download_state(state.db(), media_id)
    if download is None or download == inbound_media.DONE:  # none, or stored once and since deleted
        return False
    if download == inbound_media.FAILED:
        raise ApiError(1006, f"File with id {shown(media_id)} not found: {DOWNLOAD_FAILED}")
    timeout = rpc_timeout()
    payload, _ = control_rpc(FETCH_INBOUND_MEDIA, {"media_id": media_id, "wait_seconds": max(0.0, timeout - 2)},
                             queue=MEDIA_QUEUE, down=FETCH_TIMED_OUT)
    outcome = payload.get("outcome")
    if outcome == "stored":
        return True
    if outcome == "failed":
        raise ApiError(1006, f"File with id {shown(media_id)} not found: {DOWNLOAD_FAILED}")
    if outcome == "retry":
        raise NetworkMediaUnreachable()
    if outcome == "busy":
        raise ApiError(1014, FETCH_TIMED_OUT)
    return False


@bp.delete("/<media_id>")
@operation("Delete a medium", answers={200: None}, errors=(1006, 1016), tags=("Media",))
@auth.require_auth()
def delete(media_id: str):
    parsed = catalogue.parse_id(media_id)
    if parsed is None or not library.remove(state.db(), store(), parsed):
        raise not_found(media_id)
    return respond()
