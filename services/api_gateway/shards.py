"""``/v1/account/shards``: the shard count of the running system (spec §9.5, §16.2).

The count is one document in MongoDB (services/cluster/shard_shape.py). Setting it is all
the gateway does: the core nodes hand the shards of the old count over and take the new
ones within a few seconds (docs/design.md "Changing the shard count"), and since rows
carry their server shard, nothing in flight moves, is lost or is reordered.
"""

from __future__ import annotations

import logging

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.messages import require_registered
from services.api_gateway.schemas.account import validate_shards
from services.api_gateway.schemas.common import json_body
from services.api_gateway.settling import settled
from services.cluster import shard_shape
from services.common.errors import ApiError

log = logging.getLogger(__name__)

bp = Blueprint("shards", __name__, url_prefix="/v1/account/shards")


@bp.post("")
@auth.require_auth(admin=True)
def set_shards():
    wanted = validate_shards(json_body())
    account = require_registered()
    if (account.cc, account.phone_number) != (wanted.cc, wanted.phone_number):
        raise ApiError(1009, "Parameters 'cc' and 'phone_number' must be those of the registered number")
    db, initial = state.db(), state.config().shards
    # Setting a count is idempotent: repeated after a lost answer, it changes nothing more.
    shape = settled(lambda: shard_shape.change(db, wanted.shards, initial))
    log.info("shard count set to %s (generation %s)", shape.shards, shape.generation)
    return respond(status=201)


@bp.get("")
@auth.require_auth(admin=True)  # registration's, like setting it (docs/compatibility.md "Who may call what")
def get_shards():
    shape = shard_shape.read(state.db(), state.config().shards)
    return respond({"account": {"shards": shape.shards}})
