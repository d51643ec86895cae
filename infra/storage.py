"""The media storage integration: a local directory (GUANHU_MEDIA_ROOT) behind models.storage."""

from __future__ import annotations

from flask import Flask, current_app

from models.storage import LocalStorage, MediaStorage


def init_app(app: Flask) -> None:
    app.extensions["storage"] = LocalStorage(app.config["MEDIA_ROOT"])


def media_storage(app: Flask | None = None) -> MediaStorage:
    return (app or current_app).extensions["storage"]
