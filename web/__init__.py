"""The web door: the app factory. `gunicorn 'web:create_app()'` serves production."""

from __future__ import annotations

import os

from flask import Flask

import bot
from infra import background, clock, database, settings, shared_state, storage
from web import auth, deadlines, errors, health, metrics, overview, photos, security, templating
from web.assets import cards, care_rating, page_cache, pages, xlsx
from web.assets import public as asset_page
from web.complaints import pages as complaint_pages
from web.complaints import public as complaint_forms
from web.evaluations import pages as evaluation_pages
from web.evaluations import pictures as evaluation_pictures
from web.evaluations import rating as evaluation_rating
from web.evaluations import reports as evaluation_reports
from web.evaluations import results as evaluation_results
from web.evaluations import review as evaluation_review
from web.evaluations import sheets as evaluation_sheets
from web.evaluations import targets as evaluation_targets
from web.logs import configure_logging
from web.maintenance import form as maintenance_form
from web.maintenance import pages as maintenance_pages
from web.notices import pages as notice_pages
from web.notices import public as notice_boards
from web.staff import account
from web.staff import pages as staff_pages
from web.staff import xlsx as staff_xlsx
from web.wechat import binding, visitors
from web.wechat import sign_in as staff_sign_in


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from defaults, then GUANHU_* from the environment, then `test_config`."""
    app = Flask(__name__, instance_path=os.environ.get("GUANHU_INSTANCE_PATH") or None)
    settings.load(app, test_config)
    configure_logging(app)
    metrics.init_app(app)
    for integration in (
        clock,
        database,
        storage,
        background,
        shared_state,
        security,
        errors,
        auth,
        templating,
        page_cache,
    ):
        integration.init_app(app)
    for module in (
        health,
        metrics,
        pages,
        xlsx,
        cards,
        complaint_pages,
        complaint_forms,
        care_rating,
        maintenance_pages,
        maintenance_form,
        notice_pages,
        notice_boards,
        deadlines,
        evaluation_results,
        evaluation_pages,
        evaluation_targets,
        evaluation_sheets,
        evaluation_review,
        evaluation_rating,
        evaluation_reports,
        evaluation_pictures,
        binding,
        visitors,
        photos,
        staff_pages,
        staff_xlsx,
        account,
        staff_sign_in,
        overview,
    ):
        app.register_blueprint(module.blueprint)
    for door in (asset_page, bot):  # WSGI layers in front of the app: the cached public page, /wechat
        door.init_app(app)
    security.trust_proxy(app)
    return app
