"""Publishing the business's profile to the network (docs/design.md "Profile").

MongoDB holds the profile and its ``revision`` (services/profile/store.py); the
network gets the whole of it, with that revision: the photo's bytes first (a blob of
the network's media store, uploaded only when the photo changed since the last
publish), then ``PUT /network/v1/profile``. The network keeps the highest revision it
was sent, so publishes that cross cannot leave an older profile there.

Two things publish: the ``core.publish_profile`` kick the gateway sends after each
change, and the periodic job of the node holding the network lease, which publishes a
revision still unpublished once its retry time has come. A publish that fails (network
or object store unreachable) records when to try again, twice as long each time
(``store.publish_failed``); so a kick lost with Redis, a core killed mid-publish or a
network outage delays a publish, never loses it.
"""

from __future__ import annotations

import logging

from services.account import store as account_store
from services.cluster.nodes import NETWORK_LEASE
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkError, NetworkRejected
from services.media.network_media import MediaNotFound, MediaTransferError, NetworkMedia
from services.media.object_store import REQUEST_TIMEOUTS, ObjectStore, StoreUnavailable
from services.profile import store as profile_store
from services.profile.store import Photo, Profile

log = logging.getLogger(__name__)

PUBLISH_INTERVAL = 5.0
FAILURES = (NetworkError, NetworkRejected, MediaTransferError, MediaNotFound, StoreUnavailable)


class PhotoMissing(Exception):
    """The document names a photo the object store no longer has (replaced meanwhile)."""


def publish(ctx: CoreContext) -> bool:
    """Publish the profile if it has an unpublished change; True once the network holds
    the current revision (or there is nothing to publish), False after a failure (its
    retry time recorded)."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    profile = profile_store.load(ctx.db)
    if account is None or not profile.unpublished_for(account.wa_id):
        return True
    try:
        photo_id = _send(ctx, account.network_token, account.wa_id, profile)
    except (*FAILURES, PhotoMissing) as error:
        retry_at = profile_store.publish_failed(ctx.db, profile.revision)
        log.warning("profile revision %d not published (%s); next attempt at %s",
                    profile.revision, error.__class__.__name__, retry_at.isoformat())
        return False
    profile_store.mark_published(ctx.db, profile.revision, account.wa_id,
                                 profile.photo.sha256 if profile.photo else None, photo_id)
    log.info("profile revision %d published", profile.revision)
    return True


def publish_if_due(ctx: CoreContext) -> None:
    """The periodic job: only the network lease's holder publishes, once a failed
    publish's retry time has come."""
    if ctx.leases is not None and not ctx.leases.holds(NETWORK_LEASE):
        return
    if profile_store.due_for_publishing(ctx.db, account_store.registered_wa_id(ctx.db)):
        publish(ctx)


def _send(ctx: CoreContext, token: str, wa_id: str, profile: Profile) -> str | None:
    """The photo (unless the network has it for ``wa_id``), then the profile; the photo's blob id."""
    photo_id = profile.photo_network_id_for(wa_id) or _photo_on_network(ctx, token, profile)
    try:
        ctx.network(token).put_profile(_body(profile, photo_id))
    except NetworkRejected as error:
        if error.code != "media_not_found" or profile.photo is None:
            raise
        # The blob published earlier is gone from the network (its media store was
        # reset): upload the photo again rather than retry the same id forever.
        photo_id = _photo_on_network(ctx, token, profile)
        ctx.network(token).put_profile(_body(profile, photo_id))
    return photo_id


def _photo_on_network(ctx: CoreContext, token: str, profile: Profile) -> str | None:
    """The current photo uploaded to the network now; its blob id."""
    return None if profile.photo is None else _upload(ctx, token, profile.photo)


def _upload(ctx: CoreContext, token: str, photo: Photo) -> str:
    # The gateway's bounds: this runs on the control queue, ahead of registration RPCs,
    # and a failure is retried with the backoff anyway.
    stored = ObjectStore.from_config(ctx.config, REQUEST_TIMEOUTS).get(photo.object_key)
    if stored is None:
        raise PhotoMissing(photo.object_key)
    media = NetworkMedia(ctx.config.network_url, token)
    try:
        return media.upload([stored.data], len(stored.data))
    finally:
        media.close()


def _body(profile: Profile, photo_id: str | None) -> dict:
    photo = profile.photo
    return {
        "revision": profile.revision,
        "epoch": profile.epoch,
        "about": profile.about,
        "business_profile": profile.business,
        "photo": ({"id": photo_id, "mime_type": photo.mime_type, "size": photo.size, "sha256": photo.sha256}
                  if photo is not None and photo_id is not None else None),
    }
