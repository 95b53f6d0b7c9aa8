"""Per-app shared clients, kept on ``app.extensions`` and reached through accessors.

Nothing here reads the configuration at import time: ``create_app`` builds one
``GatewayState`` per Flask app (per gunicorn worker).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from celery import Celery
from flask import Flask, current_app
from pymongo.database import Database

from services.common.config import Config

EXTENSION = "wa_gateway"


@dataclass
class GatewayState:
    config: Config
    db: Database
    redis: redis.Redis
    celery: Celery


def install(app: Flask, state: GatewayState) -> None:
    app.extensions[EXTENSION] = state


def state() -> GatewayState:
    return current_app.extensions[EXTENSION]


def config() -> Config:
    return state().config


def db() -> Database:
    return state().db


def redis_client() -> redis.Redis:
    return state().redis


def celery() -> Celery:
    return state().celery
