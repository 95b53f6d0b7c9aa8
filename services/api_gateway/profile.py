"""``/v1/settings/profile/*`` and ``/v1/settings/business/profile`` (admin; spec §9.1, §9.2).

Each change is stored (services/profile/), then the core is kicked to publish the
profile to the network (``core.publish_profile``); the gateway never talks to the
network. A lost kick loses nothing: the core also publishes what is still unpublished
from its periodic job and when it connects (docs/design.md "Profile").
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, request, url_for
from pydantic import BaseModel
from werkzeug.formparser import parse_form_data
from werkzeug.wsgi import get_input_stream

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.media import UNRENDERED, store, store_unavailable
from services.api_gateway.operations import Access, access, operation
from services.api_gateway.schemas.common import json_body, parse
from services.api_gateway.schemas.profile import (
    AboutAnswer,
    AboutBody,
    BusinessProfileAnswer,
    BusinessProfileBody,
    PhotoLinkAnswer,
    PhotoLinkQuery,
    PhotoQuery,
    parse_business_profile,
)
from services.common import kicks
from services.common.errors import ApiError, missing
from services.common.queues import CONTROL_QUEUE, PUBLISH_PROFILE
from services.media.object_store import StoreUnavailable
from services.profile import photo_rules, photos
from services.profile import store as profile_store

bp = Blueprint("profile", __name__, url_prefix="/v1/settings")
bp.register_error_handler(StoreUnavailable, store_unavailable)

PHOTO_FIELD = "File"  # the Postman collection's multipart field
PHOTO_TYPES = "image/*"  # image/jpeg, the original's, or image/png: the photo is served as the type it is
NO_PHOTO = "No profile photo is set"
EMPTY_PHOTO = "Request body is empty: the image is the body"
NOT_AN_IMAGE = "The profile photo must be a JPEG or PNG image"
PHOTO_TOO_LARGE = f"The profile photo may be at most {photo_rules.MAX_PHOTO_BYTES // (1024 * 1024)} MB"
LINK_EXTENSION = ("?format=link answers a link the gateway serves itself: an unguessable token, valid for "
                  "an hour, that fetches the photo without a login")


def _answer(model: type[BaseModel], payload: dict[str, Any]) -> Response:
    """The answer built from its declared model, so the document cannot drift from it."""
    return respond(model.model_validate(payload).model_dump(mode="json"))


def _publish() -> None:
    """The change is stored; ring the core. False from the broker is no failure: the
    core's periodic job finds the unpublished revision."""
    kicks.send(state.celery(), PUBLISH_PROFILE, [], CONTROL_QUEUE)


# -- about ----------------------------------------------------------------------

@bp.get("/profile/about")
@operation("Get the profile's about text", answers={200: AboutAnswer}, tags=("Profile",))
@auth.require_auth(admin=True)
def get_about():
    text = profile_store.load(state.db()).about
    return _answer(AboutAnswer, {"settings": {"profile": {"about": {"text": text}}}})


@bp.patch("/profile/about")
@operation("Set the profile's about text", body=AboutBody, answers={200: None}, errors=(1008, 1009),
           tags=("Profile",))
@auth.require_auth(admin=True)
def patch_about():
    body = parse(AboutBody, json_body())
    profile_store.set_about(state.db(), body.text)
    _publish()
    return respond()


# -- photo ----------------------------------------------------------------------

def _bounded_body(limit: int) -> bytes:
    """The raw body (past the app's 1 MB limit for JSON bodies), at most ``limit``
    bytes: refused from Content-Length before reading, or as soon as a chunked body
    goes beyond it."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(1009, PHOTO_TOO_LARGE)
    stream = get_input_stream(request.environ, max_content_length=None)
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(64 * 1024, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ApiError(1009, PHOTO_TOO_LARGE)
    return b"".join(chunks)


def _multipart_photo(raw: bytes) -> bytes:
    environ = {"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw)), "REQUEST_METHOD": "POST",
               "CONTENT_TYPE": request.headers.get("Content-Type", "")}
    _, _, files = parse_form_data(environ, max_content_length=None)
    upload = files.get(PHOTO_FIELD)
    if upload is None:
        raise missing(PHOTO_FIELD)
    return upload.read(photo_rules.MAX_PHOTO_BYTES + 1)


def _uploaded_photo() -> bytes:
    multipart = request.mimetype == "multipart/form-data"
    limit = photo_rules.MAX_PHOTO_BYTES + (photo_rules.MULTIPART_OVERHEAD if multipart else 0)
    raw = _bounded_body(limit)
    data = _multipart_photo(raw) if multipart and raw else raw
    if not data:
        raise ApiError(1008, EMPTY_PHOTO)
    if len(data) > photo_rules.MAX_PHOTO_BYTES:
        raise ApiError(1009, PHOTO_TOO_LARGE)
    return data


@bp.post("/profile/photo")
@operation("Set the profile photo", raw_body=PHOTO_TYPES, answers={201: None}, errors=(1008, 1009),
           description="The image is the raw body (or the multipart/form-data field `File`): JPEG or PNG, "
                       "recognised by its bytes, at most 5 MiB.",
           extension="PNG is accepted besides JPEG; the 5 MiB bound is this server's", tags=("Profile",))
@auth.require_auth(admin=True)
def post_photo():
    data = _uploaded_photo()
    mime_type = photo_rules.sniff(data[:photo_rules.SNIFF_BYTES])
    if mime_type is None:
        raise ApiError(1009, NOT_AN_IMAGE)
    photos.save(state.db(), store(), data, mime_type)
    _publish()
    return respond(status=201)


def _photo_response() -> Response:
    opened = photos.open_current(state.db(), store())
    if opened is None:
        raise ApiError(1006, NO_PHOTO)
    photo, reader = opened
    response = Response(
        reader.chunks(), status=200, direct_passthrough=True,
        headers={"Content-Type": photo.mime_type, "Content-Length": str(reader.size),
                 "Content-Disposition": f'attachment; filename="{photo_rules.filename(photo.mime_type)}"',
                 **UNRENDERED},
    )
    response.call_on_close(reader.close)
    return response


@bp.get("/profile/photo")
@operation("Get the profile photo", query=PhotoQuery, answers={200: PhotoLinkAnswer},
           text_answers={200: PHOTO_TYPES}, errors=(1006, 1009),
           description="The image's bytes (image/jpeg, or image/png for a PNG); with `?format=link`, a link "
                       "to them.",
           extension=LINK_EXTENSION, tags=("Profile",))
@auth.require_auth(admin=True)
def get_photo():
    query = parse(PhotoQuery, request.args.to_dict())
    if query.format != "link":
        return _photo_response()
    db = state.db()
    if profile_store.load(db).photo is None:
        raise ApiError(1006, NO_PHOTO)
    link = url_for("profile.photo_by_link", token=photos.new_link_token(db), _external=True)  # ?token=…
    return _answer(PhotoLinkAnswer, {"settings": {"profile": {"photo": {"link": link}}}})


@bp.get("/profile/photo/link")
@operation("Get the profile photo by its link", query=PhotoLinkQuery, answers={200: PHOTO_TYPES},
           errors=(1006, 1008, 1009), extension=LINK_EXTENSION, tags=("Profile",))
@access(Access(anonymous=True))  # no login: the link's token authorises it
def photo_by_link():
    # The token rides in the query string, which the access log leaves out (it logs the
    # path only: services/api_gateway/gunicorn_conf.py), as it leaves out every credential.
    query = parse(PhotoLinkQuery, request.args.to_dict())
    if not photos.link_valid(state.db(), query.token):
        raise ApiError(1006, "This link is not valid or has expired")
    return _photo_response()


@bp.delete("/profile/photo")
@operation("Remove the profile photo", answers={200: None}, tags=("Profile",))
@auth.require_auth(admin=True)
def delete_photo():
    photos.remove(state.db(), store())
    _publish()
    return respond()


# -- business profile -------------------------------------------------------------

@bp.get("/business/profile")
@operation("Get the business profile", answers={200: BusinessProfileAnswer}, tags=("Business Profile",))
@auth.require_auth(admin=True)
def get_business_profile():
    business = profile_store.load(state.db()).business
    return _answer(BusinessProfileAnswer, {"settings": {"business": {"profile": business}}})


@bp.post("/business/profile")
@operation("Update the business profile", body=BusinessProfileBody, answers={200: None}, errors=(1009,),
           tags=("Business Profile",))
@auth.require_auth(admin=True)
def post_business_profile():
    body = parse_business_profile(json_body())
    profile_store.update_business(state.db(), body.given())
    _publish()
    return respond()
