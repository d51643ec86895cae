"""The media storage integration: a local directory (GUANHU_MEDIA_ROOT, the embedded default) or
an S3-compatible bucket (GUANHU_MEDIA_URL=s3://bucket/prefix with GUANHU_S3_*), behind
models.storage. Several hosts must share one bucket: a local directory is one host's alone."""

from __future__ import annotations

from flask import Flask, current_app

from infra.object_storage import BucketSettings, S3Storage
from models.storage import LocalStorage, MediaStorage


def init_app(app: Flask) -> None:
    url = app.config["MEDIA_URL"]
    app.extensions["storage"] = bucket_storage(app, url) if url else LocalStorage(app.config["MEDIA_ROOT"])


def bucket_storage(app: Flask, url: str) -> S3Storage:
    """The bucket `url` (s3://bucket/prefix) reached with the GUANHU_S3_* settings."""
    config = app.config

    def text(name: str) -> str | None:  # GUANHU_* values are parsed as JSON: a numeric key id is a number
        value = config[name]
        return None if value in (None, "") else str(value)

    settings = BucketSettings(
        endpoint_url=text("S3_ENDPOINT_URL"),
        region=text("S3_REGION"),
        access_key_id=text("S3_ACCESS_KEY_ID"),
        secret_access_key=text("S3_SECRET_ACCESS_KEY"),
        addressing_style=config["S3_ADDRESSING_STYLE"],
        signature_version=config["S3_SIGNATURE_VERSION"],
        timeout=config["S3_TIMEOUT"],
    )
    return S3Storage.from_url(url, settings)


def media_storage(app: Flask | None = None) -> MediaStorage:
    return (app or current_app).extensions["storage"]
