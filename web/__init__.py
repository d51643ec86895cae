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

    from web import auth, clock, database, errors, health, register, security, templating

    clock.init_app(app)
    database.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    templating.init_app(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(register.blueprint)
    return app
