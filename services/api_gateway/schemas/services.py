"""``PUT /v1/services/{media,message}/gc`` answers (spec §12): the run is under way;
its result comes by callback."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class GcStatus(BaseModel):
    status: Literal["processing"] = "processing"


class GcService(BaseModel):
    gc: GcStatus = GcStatus()


class MediaServices(BaseModel):
    media: GcService = GcService()


class MessageServices(BaseModel):
    message: GcService = GcService()


class MediaGcAnswer(BaseModel):
    services: MediaServices = MediaServices()


class MessageGcAnswer(BaseModel):
    services: MessageServices = MessageServices()
