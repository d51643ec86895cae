"""The asset's public page (/a/<token>), no login: what a card's QR code opens.

Anonymous visitors get the same page, so it is cached (`page_cache`) and answered again in front
of the app (`public_door`); staff, and visitors WeChat told us about, get a fresh one.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask_login import current_user

from infra.clock import now, today
from infra.database import db_session
from models.access import require_can_record_maintenance
from models.assets.entities import Asset, AssetStatus
from models.assets.public_page import asset_by_token, asset_page
from models.errors import Forbidden
from models.people import User
from models.wechat.visitors import record_scan, staff_for_openid
from web.assets.page_cache import cached_page
from web.assets.public_door import PublicPageDoor
from web.security import limiter
from web.wechat.visitors import visitor_openid

blueprint = Blueprint("asset_page", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    cache = app.extensions["public_page_cache"]
    if cache is not None:
        app.wsgi_app = PublicPageDoor(app.wsgi_app, cache)  # type: ignore[method-assign]


def found_asset(token: str) -> Asset:
    """The asset of a card token, or the friendly 404 / "card replaced" page (as an abort)."""
    found = asset_by_token(db_session(), token)
    if found is None:
        abort(Response(render_template("public/not_found.html"), 404))
    if not isinstance(found, Asset):
        abort(Response(render_template("assets/replaced.html", replaced=found), 410))
    return found


@blueprint.get("/a/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def asset(token: str) -> bytes:
    return cached_page(token, lambda: _page(token))


def _page(token: str) -> str:
    found = found_asset(token)
    if visitor_openid():  # the chat can then point them back here (我要反映); their page is never cached
        record_scan(db_session(), visitor_openid(), found, now())
    return render_template(
        "assets/public.html",
        page=asset_page(db_session(), found, today()),
        asset=found,
        disposed=found.status is AssetStatus.DISPOSED,
        hotline=current_app.config["SUPERVISION_HOTLINE"],
        recorder=recording_staff(found),
        recorded=request.args.get("recorded") == "1",
    )


def recording_staff(found: Asset) -> User | None:
    """The visitor, when they are staff who may add maintenance records to `found`: signed in, or
    known by the WeChat openid snsapi_base gave us."""
    candidates = [current_user.user] if current_user.is_authenticated else []
    if visitor_openid():
        candidates.append(staff_for_openid(db_session(), visitor_openid()))
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            require_can_record_maintenance(candidate, found)
        except Forbidden:
            continue
        return candidate
    return None
