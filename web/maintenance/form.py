"""提交管护记录 from the asset page: village staff of the asset add a record with photos on the phone.

Who may: the visitor signed in as staff, or known by the WeChat openid snsapi_base gave us, who is
custodian, clerk or supervisor of the asset's village (the domain's rule). Photos come as files
(a plain file input: camera or album) or, inside WeChat, as JS-SDK `uploadImage` media ids that
are fetched here. Everything goes through `record_maintenance`: all photos are kept, or nothing.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request, url_for

from bot.after_commit.maintenance import push_damage_report
from bot.client import WeChatError, wechat_client
from bot.media_fetch import fetch_media
from infra.clock import now
from infra.database import after_commit, db_session
from infra.storage import media_storage
from models.assets.entities import Asset
from models.errors import Invalid
from models.maintenance.entities import RULES, MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.people import User
from models.photos import PhotoRejected
from models.storage import StorageUnavailable
from web.assets.public import found_asset, recording_staff
from web.errors import error_response
from web.security import CONTENT_SECURITY_POLICY, limiter
from web.uploads import uploaded_photos
from web.wechat.visitors import inside_wechat, learn_openid, visitor_key

blueprint = Blueprint("maintenance_form", __name__)
log = logging.getLogger("guanhu.web")

JSSDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
NOT_STAFF = "只有本村的管护员和村干部可以提交这项资产的管护记录。工作人员请在微信里打开本页，或先登录。"
NOT_FETCHED = "照片没能从微信取回，请重新选择照片后再提交。"
MAX_PHOTOS = RULES.max_photos


@blueprint.get("/a/<token>/maintenance")
def form(token: str) -> Response | tuple:
    found = found_asset(token)
    actor = recording_staff(found)
    if actor is None:
        return learn_openid() or error_response(403, NOT_STAFF)
    return _page(found, actor, {}, {}, 200)


@blueprint.post("/a/<token>/maintenance")
@limiter.limit(lambda: current_app.config["MAINTENANCE_FORM_RATE_LIMIT"], key_func=visitor_key)
def submit(token: str) -> Response | tuple:
    found = found_asset(token)
    actor = recording_staff(found)
    if actor is None:
        return error_response(403, NOT_STAFF)
    form_data = request.form
    errors = {}
    kind = MaintenanceKind.from_label(form_data.get("kind", ""))
    if kind is None:
        errors["kind"] = "请选择记录类型。"
    cost = _cost(form_data.get("cost", ""))
    if cost is False:
        errors["cost"] = "费用请填数字（元），可不填。"
    if errors:
        return _page(found, actor, form_data, errors, 422)
    photos = uploaded_photos(MAX_PHOTOS)
    # One photo more than allowed is enough for the rule to refuse: fetch no more from WeChat.
    media_ids = [media_id for media_id in form_data.getlist("media_ids") if media_id][: MAX_PHOTOS + 1 - len(photos)]
    try:
        photos += [fetch_media(media_id[:128]) for media_id in media_ids]
    except WeChatError as error:
        log.warning("maintenance form: media not fetched: %s", error.message)
        return _page(found, actor, form_data, {"photos": NOT_FETCHED}, 502)
    session = db_session()
    try:
        record = record_maintenance(
            session,
            media_storage(),
            actor,
            found,
            kind=kind,
            photos=photos,
            now=now(),
            timezone=current_app.config["TIMEZONE"],
            notes=form_data.get("notes"),
            cost=cost,
            latitude=_coordinate(form_data.get("latitude"), 90),
            longitude=_coordinate(form_data.get("longitude"), 180),
        )
    except Invalid as error:
        session.rollback()
        return _page(found, actor, form_data, error.fields, 422)
    except (PhotoRejected, StorageUnavailable) as error:
        session.rollback()
        return _page(found, actor, form_data, {"photos": error.message}, error.status)
    if kind is MaintenanceKind.DAMAGE_REPORT:
        after_commit(push_damage_report, record.id)
    return redirect(url_for("asset_page.asset", token=found.public_token, recorded=1), 303)


def _cost(text: str) -> Decimal | None | bool:
    """The cost in yuan; None when left empty; False when it is not a number."""
    text = text.strip().removesuffix("元")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    return value if value.is_finite() else False


def _coordinate(text: str | None, bound: int) -> Decimal | None:
    """A latitude or longitude from the phone, or None (it is optional: a bad one is dropped)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.000001")) if value.is_finite() and abs(value) <= bound else None


def _page(found: Asset, actor: User, form_data, errors: dict[str, str], status: int) -> tuple[Response, int]:
    wx = _jsapi_config()
    html = render_template(
        "maintenance/form.html",
        asset=found,
        actor=actor,
        form=form_data,
        errors=errors,
        kinds=list(MaintenanceKind),
        wx=wx,
        jssdk=JSSDK,
        max_photos=MAX_PHOTOS,
    )
    response = make_response(html, status)
    if wx:  # the JS-SDK is served by WeChat: allow that one script on this page
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "script-src 'self'", "script-src 'self' https://res.wx.qq.com"
        )
    return response, status


def _jsapi_config() -> dict | None:
    """`wx.config()` values for this page inside WeChat; None elsewhere or when WeChat is unreachable."""
    if not inside_wechat():
        return None
    try:
        return wechat_client().jsapi_config(current_app.config["PUBLIC_BASE_URL"] + request.full_path.rstrip("?"))
    except WeChatError as error:
        log.warning("maintenance form: no JS-SDK signature: %s", error.message)
        return None
