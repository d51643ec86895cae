"""The web door: the app factory. `gunicorn 'web:create_app()'` serves production."""

from __future__ import annotations

import os

from flask import Flask

import bot
from infra import background, clock, database, settings, storage
from web import (
    account,
    auth,
    cards,
    complaints,
    deadlines,
    errors,
    evaluations,
    health,
    maintenance,
    maintenance_form,
    page_cache,
    public,
    register,
    register_io,
    security,
    templating,
)
from web.logs import configure_logging


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from defaults, then GUANHU_* from the environment, then `test_config`."""
    app = Flask(__name__, instance_path=os.environ.get("GUANHU_INSTANCE_PATH") or None)
    settings.load(app, test_config)
    configure_logging(app)
    for integration in (clock, database, storage, background, security, errors, auth, templating, page_cache):
        integration.init_app(app)
    for module in (
        health,
        register,
        register_io,
        maintenance,
        maintenance_form,
        account,
        deadlines,
        evaluations,
        complaints,
        cards,
    ):
        app.register_blueprint(module.blueprint)
    for feature in (public, bot):
        feature.init_app(app)
    security.trust_proxy(app)
    return app
