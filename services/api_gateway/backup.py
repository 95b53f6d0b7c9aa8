"""``/v1/settings/backup`` and ``/v1/settings/restore`` (admin; spec §10.1).

The backup is made here (reads only, services/backup/); the restore is the core's, as
it publishes a new identity to the network (services/core_worker/restore.py), through
the control RPC.
"""

from __future__ import annotations

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.account import control_rpc
from services.api_gateway.envelope import respond
from services.api_gateway.messages import NOT_REGISTERED
from services.api_gateway.operations import operation
from services.api_gateway.schemas.backup import BackupAnswer, BackupBody, BackupData, RestoreBody, parse_secret
from services.api_gateway.schemas.common import json_body
from services.backup import blob_rules, sections
from services.common.clock import utcnow
from services.common.errors import ApiError
from services.common.queues import RESTORE_BACKUP

bp = Blueprint("backup", __name__, url_prefix="/v1/settings")


@bp.post("/backup")
@operation("Back up the settings and the registration", body=BackupBody, answers={200: BackupAnswer},
           errors=(1008, 1009, 1011), tags=("Backup/Restore",),
           description="The application settings, the registration, the keys, the HTTPS certificate and the "
                       "webhook CA and the shard count, encrypted under the password; not messages, callbacks, "
                       "contacts or media. Only while registered (else 1011).")
@auth.require_auth(admin=True)
def backup():
    body = parse_secret(BackupBody, json_body())
    config = state.config()
    installation = sections.Installation(state.db(), state.master_key(), config.shards, utcnow())
    payload = sections.collect(installation)
    if payload is None:
        raise ApiError(1011, NOT_REGISTERED)
    data = blob_rules.seal(body.password, payload)
    return respond(BackupAnswer(settings=BackupData(data=data)).model_dump(mode="json"))


@bp.post("/restore")
@operation("Restore a backup onto this unregistered installation", body=RestoreBody, answers={200: None},
           errors=(1004, 1005, 1008, 1009, 1014), tags=("Backup/Restore",),
           description="The number comes back connected without registering again, with a new identity key "
                       "(contacts see a security-code change). 1009 for a wrong password or altered data, "
                       "1004 when this installation is registered already.")
@auth.require_auth(admin=True)
def restore():
    body = parse_secret(RestoreBody, json_body())
    payload, status = control_rpc(RESTORE_BACKUP, {"password": body.password, "data": body.data})
    return respond(payload, status=status)
