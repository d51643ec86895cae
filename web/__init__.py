"""The web door: the app factory. `gunicorn 'web:create_app()'` serves production."""

from __future__ import annotations

import os

from flask import Flask

from web.logs import configure_logging


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from defaults, then GUANHU_* from the environment, then `test_config`."""
    app = Flask(__name__, instance_path=os.environ.get("GUANHU_INSTANCE_PATH") or None)
    from web.config import load_config

    load_config(app, test_config)
    configure_logging(app)

    import bot
    from web import (
        account,
        auth,
        cards,
        clock,
        complaints,
        database,
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
        storage,
        templating,
    )

    for integration in (clock, database, storage, security, errors, auth, templating, page_cache):
        integration.init_app(app)
    for module in (health, register, register_io, maintenance, account, deadlines, evaluations):
        app.register_blueprint(module.blueprint)
    for feature in (public, maintenance_form, complaints, cards, bot):
        feature.init_app(app)
    security.trust_proxy(app)
    return app
