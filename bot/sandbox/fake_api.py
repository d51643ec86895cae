"""A fake WeChat API under /sandbox/wechat-api: each path answered by a small handler.

Enough for the app's outbound client: tokens, customer-service and template sends (of the
fake account's own templates, `templates.py`), subscription notifications (to those who accepted
them on the phone), media, QR codes, menus (the default and the staff's personalised one), user
tags, web OAuth and the JS-SDK ticket. Every call is recorded (see state.py); a path with no
handler fails loudly; tests can make the next calls to a path fail (`state.add_fault`).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import qrcode
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from flask import session as browser
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from bot.sandbox import state
from bot.sandbox.templates import TEMPLATES
from infra.database import database
from models.deadlines.reminders import FIELD_LIMITS

blueprint = Blueprint("sandbox_api", __name__, url_prefix="/sandbox/wechat-api")
log = logging.getLogger("guanhu.sandbox")

ASCII_ONLY = {"character_string", "number", "letter", "symbol"}
PERSON_KEY = "sandbox_openid"  # the person chosen on the phone simulator (browser session)
Answer = dict[str, Any] | Response


@dataclass(frozen=True)
class Fake:
    answer: Callable[[Session], Answer]
    needs_token: bool


FAKES: dict[str, Fake] = {}


def fake(path: str, needs_token: bool = True) -> Callable[[Callable[[Session], Answer]], Any]:
    def register(answer: Callable[[Session], Answer]) -> Callable[[Session], Answer]:
        FAKES[path] = Fake(answer, needs_token)
        return answer

    return register


def error(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg}


OK = {"errcode": 0, "errmsg": "ok"}


@blueprint.route("/<path:path>", methods=["GET", "POST"])
def answer(path: str) -> Response | tuple[Response, int]:
    handler = FAKES.get(path)
    if handler is None:
        log.error("sandbox: the fake WeChat API has no handler for /%s", path)
        return jsonify(error(-404, f"sandbox: no fake for /{path}")), 404
    sessions = database().sessionmaker
    with sessions.begin() as session:
        fault = state.take_fault(session, path)
    if fault and fault["delay"]:
        time.sleep(fault["delay"])
    access_token = request.args.get("access_token")
    with sessions.begin() as session:
        if fault and fault["errcode"] is not None:
            result: Answer = error(fault["errcode"], "sandbox: injected fault")
        elif handler.needs_token and not state.token_valid(session, access_token):
            result = error(40001, "invalid credential, access_token is invalid or not latest")
        else:
            result = handler.answer(session)
        errcode = result.get("errcode", 0) if isinstance(result, dict) else 0
        body = _json_body() or request.args.to_dict()
        body.pop("access_token", None)
        body.pop("secret", None)
        state.record(session, path, body.get("touser"), {"request": body, "errcode": errcode})
    return jsonify(result) if isinstance(result, dict) else result


def _json_body() -> dict[str, Any]:
    """The request's JSON object (wechatpy sends JSON without a JSON content type)."""
    try:
        body = json.loads(request.get_data(cache=True, parse_form_data=True) or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _check_app(appid: str | None, secret: str | None) -> dict[str, Any] | None:
    config = current_app.config
    if appid != config["WECHAT_APPID"]:
        return error(40013, "invalid appid")
    if secret != config["WECHAT_SECRET"]:
        return error(40125, "invalid appsecret")
    return None


@fake("cgi-bin/token", needs_token=False)
def token(session: Session) -> Answer:
    refused = _check_app(request.args.get("appid"), request.args.get("secret"))
    if refused:
        return refused
    access_token, expires_in = state.issue_token(session, force=True)
    return {"access_token": access_token, "expires_in": expires_in}


@fake("cgi-bin/stable_token", needs_token=False)
def stable_token(session: Session) -> Answer:
    body = _json_body() or {}
    refused = _check_app(body.get("appid"), body.get("secret"))
    if refused:
        return refused
    access_token, expires_in = state.issue_token(session, force=bool(body.get("force_refresh")))
    return {"access_token": access_token, "expires_in": expires_in}


@fake("cgi-bin/message/custom/send")
def custom_send(session: Session) -> Answer:
    body = _json_body() or {}
    if not body.get("touser") or not body.get("msgtype"):
        return error(44002, "empty post data")
    return OK


@fake("cgi-bin/message/template/send")
def template_send(session: Session) -> Answer:
    body = _json_body()
    if not body.get("touser"):
        return error(40003, "invalid openid")
    return _template_refused(body, subscribe=False) or {**OK, "msgid": secrets.randbelow(10**12)}


@fake("cgi-bin/message/subscribe/bizsend")
def subscribe_send(session: Session) -> Answer:
    """Sent only to a person who accepted the template (on the phone's 订阅通知 popup)."""
    body = _json_body()
    if not body.get("touser"):
        return error(40003, "invalid openid")
    refused = _template_refused(body, subscribe=True)
    if refused:
        return refused
    if not state.accepts(session, body["touser"], body["template_id"]):
        return error(43101, "user refuse to accept the msg")
    return {**OK, "msgid": secrets.randbelow(10**12)}


def _template_refused(body: dict[str, Any], subscribe: bool) -> dict[str, Any] | None:
    """WeChat's answer to a send naming a template the account lacks, or fields it does not take."""
    template = TEMPLATES.get(str(body.get("template_id") or ""))
    if template is None or template.subscribe is not subscribe:
        return error(40037, "invalid template_id")
    for name, field in (body.get("data") or {}).items():
        value = str(field.get("value", "")) if isinstance(field, dict) else ""
        kind = name.rstrip("0123456789")
        limit = FIELD_LIMITS.get(kind)
        if name not in template.fields or (limit and len(value) > limit) or "\n" in value:
            return error(47003, f"argument invalid! data.{name}.value invalid")
        if kind in ASCII_ONLY and not value.isascii():  # WeChat: digits, letters and symbols only
            return error(47003, f"argument invalid! data.{name}.value invalid")
    return None


@fake("cgi-bin/media/upload")
def media_upload(session: Session) -> Answer:
    upload = request.files.get("media")
    if upload is None:
        return error(41005, "media data missing")
    data = upload.read()
    media_id = state.save_media(session, data, _sniff(data) or upload.mimetype)
    return {"type": request.args.get("type", "image"), "media_id": media_id, "created_at": int(time.time())}


def _sniff(data: bytes) -> str | None:
    """The image type of `data`, as WeChat finds it from the content, not the file name."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return Image.MIME.get(image.format or "")
    except (UnidentifiedImageError, Image.DecompressionBombError):
        return None


@fake("cgi-bin/media/get")
def media_get(session: Session) -> Answer:
    media = state.load_media(session, request.args.get("media_id", ""))
    if media is None:
        return error(40007, "invalid media_id")
    return Response(media.data, mimetype=media.content_type)


@fake("cgi-bin/qrcode/create")
def qrcode_create(session: Session) -> Answer:
    body = _json_body() or {}
    scene = (body.get("action_info") or {}).get("scene") or {}
    scene_text = str(scene.get("scene_str") or scene.get("scene_id") or "")
    if not 1 <= len(scene_text) <= 64:
        return error(40053, "invalid action info")
    ticket = base64.urlsafe_b64encode(scene_text.encode()).decode()
    answer_body: dict[str, Any] = {"ticket": ticket, "url": _scan_url(scene_text)}
    if body.get("expire_seconds"):
        answer_body["expire_seconds"] = int(body["expire_seconds"])
    return answer_body


@fake("cgi-bin/showqrcode", needs_token=False)
def showqrcode(session: Session) -> Answer:
    try:
        scene_text = base64.urlsafe_b64decode(request.args.get("ticket", "")).decode()
    except (binascii.Error, UnicodeDecodeError):
        return error(40097, "invalid ticket")
    image = qrcode.make(_scan_url(scene_text))
    out = io.BytesIO()
    image.save(out)
    return Response(out.getvalue(), mimetype="image/png")


def _scan_url(scene_text: str) -> str:
    return f"http://weixin.qq.com/q/sandbox-{scene_text}"


@fake("cgi-bin/menu/create")
def menu_create(session: Session) -> Answer:
    body = _json_body() or {}
    if not body.get("button"):
        return error(40016, "invalid button size")
    return OK


@fake("cgi-bin/menu/delete")
def menu_delete(session: Session) -> Answer:
    return OK


@fake("cgi-bin/menu/addconditional")
def menu_addconditional(session: Session) -> Answer:
    body = _json_body()
    rule = body.get("matchrule") or {}
    if not body.get("button"):
        return error(40016, "invalid button size")
    if not rule or ("tag_id" in rule and not state.tag_exists(session, int(rule["tag_id"]))):
        return error(65303, "there is no selfmenu")
    return {"menuid": str(secrets.randbelow(10**9))}


@fake("cgi-bin/tags/get")
def tags_get(session: Session) -> Answer:
    return {"tags": state.tags(session)}


@fake("cgi-bin/tags/create")
def tags_create(session: Session) -> Answer:
    name = str(((_json_body().get("tag") or {}).get("name")) or "")
    if not 0 < len(name) <= 30:
        return error(45158, "tag name too long")
    tag_id = state.create_tag(session, name)
    if tag_id is None:
        return error(45157, "invalid tag name")
    return {"tag": {"id": tag_id, "name": name}}


def _tagging(session: Session, tagged: bool) -> Answer:
    body = _json_body()
    openids = body.get("openid_list") or []
    if not openids or not isinstance(openids, list):
        return error(40032, "invalid openid list size")
    if len(openids) > 50:
        return error(45059, "openid list size over limit")
    if not state.tag_exists(session, int(body.get("tagid") or 0)):
        return error(45159, "invalid tag id")
    state.set_tagged(session, int(body["tagid"]), [str(openid) for openid in openids], tagged)
    return OK


@fake("cgi-bin/tags/members/batchtagging")
def tags_batchtagging(session: Session) -> Answer:
    return _tagging(session, tagged=True)


@fake("cgi-bin/tags/members/batchuntagging")
def tags_batchuntagging(session: Session) -> Answer:
    return _tagging(session, tagged=False)


@fake("cgi-bin/user/tag/get")
def user_tag_get(session: Session) -> Answer:
    body = _json_body()
    tag_id = int(body.get("tagid") or 0)
    if not state.tag_exists(session, tag_id):
        return error(45159, "invalid tag id")
    members = state.tag_members(session, tag_id)
    return {"count": len(members), "data": {"openid": members}, "next_openid": ""} if members else {"count": 0}


@fake("cgi-bin/ticket/getticket")
def getticket(session: Session) -> Answer:
    return {**OK, "ticket": "sbx_ticket_" + secrets.token_urlsafe(24), "expires_in": 7200}


@fake("sns/oauth2/access_token", needs_token=False)
def oauth_access_token(session: Session) -> Answer:
    refused = _check_app(request.args.get("appid"), request.args.get("secret"))
    if refused:
        return refused
    openid = state.redeem_code(session, request.args.get("code", ""))
    if openid is None:
        return error(40029, "invalid code")
    return {
        "access_token": "sbx_web_" + secrets.token_urlsafe(16),
        "expires_in": 7200,
        "refresh_token": "sbx_refresh_" + secrets.token_urlsafe(16),
        "openid": openid,
        "scope": request.args.get("scope", "snsapi_base"),
    }


@fake("connect/oauth2/authorize", needs_token=False)
def oauth_authorize(session: Session) -> Answer:
    """The page WeChat shows before a web page learns who you are: here it just sends you back."""
    redirect_uri = request.args.get("redirect_uri", "")
    if request.args.get("appid") != current_app.config["WECHAT_APPID"]:
        return error(40013, "invalid appid")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        return error(10003, "redirect_uri invalid")
    openid = browser.get(PERSON_KEY)
    if not openid:
        return Response(render_template("sandbox/choose_first.html"), status=200)
    code = state.issue_code(session, openid)
    query = urlencode({"code": code, "state": request.args.get("state", "")})
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(f"{redirect_uri}{separator}{query}")
