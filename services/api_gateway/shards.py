"""``/v1/account/shards``: the shard count of the running system (spec §9.5, §16.2).

The count is one document in MongoDB (services/cluster/shard_shape.py). Setting it is all
the gateway does: the core nodes hand the shards of the old count over and take the new
ones within a few seconds (docs/design.md "Changing the shard count"), and since rows
carry their server shard, nothing in flight moves, is lost or is reordered. With two-step
verification enabled the change needs its PIN (§9.3), checked against the sealed one.
"""

from __future__ import annotations

import logging

from flask import Blueprint

from services.account import store as account_store
from services.account import two_step_rules
from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.messages import require_registered
from services.api_gateway.operations import operation
from services.api_gateway.schemas.account import ShardCount, ShardsAnswer, ShardsBody, validate_shards
from services.api_gateway.schemas.common import json_body
from services.api_gateway.settling import settled
from services.cluster import shard_shape
from services.common.errors import ApiError

log = logging.getLogger(__name__)

bp = Blueprint("shards", __name__, url_prefix="/v1/account/shards")


@bp.post("")
@operation("Set the shard count", body=ShardsBody, answers={201: None}, errors=(1005, 1008, 1009, 1011),
           description="With two-step verification enabled, 'pin' is required (1008) and must be its PIN (1005).")
@auth.require_auth(admin=True)
def set_shards():
    wanted = validate_shards(json_body())
    account = require_registered()
    if (account.cc, account.phone_number) != (wanted.cc, wanted.phone_number):
        raise ApiError(1009, "Parameters 'cc' and 'phone_number' must be those of the registered number")
    db, initial = state.db(), state.config().shards
    two_step_rules.check_pin(account_store.two_step_pin(db, state.master_key()), wanted.pin)
    # Setting a count is idempotent: repeated after a lost answer, it changes nothing more.
    shape = settled(lambda: shard_shape.change(db, wanted.shards, initial))
    log.info("shard count set to %s (generation %s)", shape.shards, shape.generation)
    return respond(status=201)


@bp.get("")
@operation("The shard count", answers={200: ShardsAnswer})
@auth.require_auth(admin=True)  # registration's, like setting it (docs/compatibility.md "Who may call what")
def get_shards():
    shape = shard_shape.read(state.db(), state.config().shards)
    return respond(ShardsAnswer(account=ShardCount(shards=shape.shards)).model_dump(mode="json"))
