"""Asset cards for staff: one card as PNG, A4 print sheets as PDF, and re-issuing a card."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from bot.client import WeChatError, wechat_client
from bot.handlers.scan import asset_scene
from models.access import get_visible_asset, require_register_editor, visible_assets, visible_villages
from models.assets import Asset, AssetStatus
from models.card_render import card_png, sheets_pdf
from models.cards import keep_wechat_code, reissue_card, wechat_code_url
from models.errors import DomainError, Invalid
from web.auth import staff
from web.clock import now
from web.database import db_session

blueprint = Blueprint("cards", __name__)
log = logging.getLogger("guanhu.web")
MAX_SELECTED = 2000


def init_app(app: Flask) -> None:
    # "url": the QR code is PUBLIC_BASE_URL/a/<token> (no account needed, no cap);
    # "wechat": a permanent parametric QR code of the official account (follow, then the bot answers).
    app.config.setdefault("CARD_QR", "url")
    app.register_blueprint(blueprint)


def qr_text(asset: Asset) -> str:
    """What the card's QR code carries."""
    config = current_app.config
    url = f"{config['PUBLIC_BASE_URL']}/a/{asset.public_token}"
    if config["CARD_QR"] != "wechat" or not config.get("WECHAT_APPID"):
        return url
    session = db_session()
    known = wechat_code_url(session, asset.public_token)
    if known:
        return known
    try:
        made = wechat_client().create_permanent_qrcode(asset_scene(asset.public_token))["url"]
    except WeChatError as error:
        log.warning("card %s: no WeChat QR code (%s), printing the page address", asset.code, error.message)
        return url
    keep_wechat_code(session, asset.public_token, made, now())
    return made


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/assets/<int:asset_id>/card")
@login_required
def card(asset_id: int) -> str:
    asset = get_visible_asset(db_session(), staff(), asset_id)
    return render_template("cards/card.html", asset=asset, errors={})


@blueprint.get("/assets/<int:asset_id>/card.png")
@login_required
def card_image(asset_id: int) -> Response:
    asset = get_visible_asset(db_session(), staff(), asset_id)
    response = Response(card_png(asset, qr_text(asset)), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/assets/<int:asset_id>/card/reissue")
@login_required
def reissue(asset_id: int):
    session = db_session()
    asset = get_visible_asset(session, staff(), asset_id)
    require_register_editor(staff())
    try:
        reissue_card(session, staff(), asset, request.form.get("reason", ""), now())
    except Invalid as error:
        return render_template("cards/card.html", asset=asset, errors=error.fields), 422
    flash("已换发新卡：旧卡二维码已作废，请打印新卡张贴。")
    return redirect(url_for("cards.card", asset_id=asset.id), 303)


@blueprint.get("/cards")
@login_required
def sheets() -> str:
    return render_template("cards/sheets.html", villages=visible_villages(db_session(), staff()))


@blueprint.get("/cards/sheet.pdf")
@login_required
def sheet() -> Response:
    """Print sheets for a village (?village=<id>) or a selection (?asset=<id>&asset=<id>…)."""
    query = visible_assets(staff()).order_by(Asset.code)
    ids = request.args.getlist("asset", type=int)
    village_id = request.args.get("village", type=int)
    if len(ids) > MAX_SELECTED:
        raise DomainError(f"一次最多打印{MAX_SELECTED}张资产卡，请分批打印。")
    if ids:
        query = query.where(Asset.id.in_(ids))
    elif village_id:
        query = query.where(Asset.village_id == village_id, Asset.status != AssetStatus.DISPOSED)
    else:
        raise DomainError("请先在台账中勾选要打印资产卡的资产，或选择一个村。")
    assets = list(db_session().scalars(query))
    if not assets:
        abort(404)
    name = assets[0].village.full_name if village_id and not ids else "所选资产"
    return _download(
        sheets_pdf(((a, qr_text(a)) for a in assets), title=f"{name}资产卡"), "application/pdf", "cards.pdf"
    )


def village_assets(village_id: int) -> list[Asset]:
    """Every asset of a village still in use, by code (the CLI's print run: no scope, admin only)."""
    return list(
        db_session().scalars(
            select(Asset)
            .where(Asset.village_id == village_id, Asset.status != AssetStatus.DISPOSED)
            .order_by(Asset.code)
        )
    )
