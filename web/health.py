"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from infra.database import database

blueprint = Blueprint("health", __name__)
log = logging.getLogger("guanhu.web")


@blueprint.route("/healthz")
def healthz():
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up")
