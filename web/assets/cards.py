"""Asset cards for staff: one card as PNG, A4 print sheets as PDF, and re-issuing a card."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from bot.client import WeChatError, wechat_client
from infra.clock import now
from infra.database import db_session
from models.access import get_visible_asset, require_register_editor, visible_villages
from models.assets.card_render import card_png, sheets_pdf
from models.assets.cards import (
    asset_scene,
    chosen_cards,
    keep_wechat_code,
    reissue_card,
    village_cards,
    wechat_code_url,
)
from models.assets.entities import Asset
from models.errors import DomainError, Invalid, NotFound
from web.auth import staff

blueprint = Blueprint("cards", __name__)
log = logging.getLogger("guanhu.web")
MAX_SELECTED = 2000


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
    return render_template("assets/card.html", asset=asset, errors={})


@blueprint.get("/assets/<int:asset_id>/card.png")
@login_required
def card_image(asset_id: int) -> Response:
    asset = get_visible_asset(db_session(), staff(), asset_id)
    hotline = current_app.config["SUPERVISION_HOTLINE"]
    response = Response(card_png(asset, qr_text(asset), hotline), mimetype="image/png")
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
        return render_template("assets/card.html", asset=asset, errors=error.fields), 422
    flash("已换发新卡：旧卡二维码已作废，请打印新卡张贴。")
    return redirect(url_for("cards.card", asset_id=asset.id), 303)


@blueprint.get("/cards")
@login_required
def sheets() -> str:
    return render_template("assets/card_sheets.html", villages=visible_villages(db_session(), staff()))


@blueprint.get("/cards/sheet.pdf")
@login_required
def sheet() -> Response:
    """Print sheets for a village (?village=<id>) or a selection (?asset=<id>&asset=<id>…)."""
    ids = request.args.getlist("asset", type=int)
    village_id = request.args.get("village", type=int)
    if len(ids) > MAX_SELECTED:
        raise DomainError(f"一次最多打印{MAX_SELECTED}张资产卡，请分批打印。")
    if ids:
        assets = chosen_cards(db_session(), staff(), ids)
    elif village_id:
        assets = village_cards(db_session(), staff(), village_id)
    else:
        raise DomainError("请先在台账中勾选要打印资产卡的资产，或选择一个村。")
    if not assets:
        raise NotFound("没有您可以打印资产卡的在用资产。")
    name = assets[0].village.full_name if village_id and not ids else "所选资产"
    sheets = sheets_pdf(
        ((a, qr_text(a)) for a in assets), current_app.config["SUPERVISION_HOTLINE"], title=f"{name}资产卡"
    )
    return _download(sheets.pdf, "application/pdf", "cards.pdf")
