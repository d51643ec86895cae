"""The phone simulator (/sandbox/phone): be a villager or a member of staff, talk to the account
through the real `/wechat` endpoint, and see the replies and every push that person receives."""

from __future__ import annotations

import html
import io
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.parsers.expat import ExpatError

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatException

from bot.menu import STAFF_MENU, VILLAGER_MENU, click_buttons, menu_for
from bot.sandbox import state
from bot.sandbox.fake_api import PERSON_KEY
from bot.sandbox.signing import Keys, message_xml, read_reply, sign
from bot.sandbox.templates import subscribe_templates
from infra.clock import now
from infra.database import database
from models.assets.cards import asset_scene
from models.assets.entities import Asset
from models.people import User
from models.wechat.binding import issue_bind_code, redeem_bind_code
from models.wechat.entities import SandboxCall
from models.wechat.visitors import staff_for_openid

blueprint = Blueprint(
    "sandbox_phone", __name__, url_prefix="/sandbox/phone", template_folder="templates", static_folder="static"
)
log = logging.getLogger("guanhu.sandbox")

VILLAGERS = [("o_villager_1", "村民 韦大伯"), ("o_villager_2", "村民 蓝阿姨"), ("o_villager_3", "村民 覃小妹")]
PHOTO_FORMATS = ["JPEG", "PNG"]
MAX_PHOTO_BYTES = 10 * 1024 * 1024
LINK = re.compile(r"(https?://[^\s<>\"'，。；）]+)")
ANCHOR = re.compile(r"""<a\s+href=["']([^"']*)["']\s*>(.*?)</a>""", re.DOTALL)
MENU_LINK = "weixin://bizmsgmenu"


class BadInput(Exception):
    """What the person filled in cannot be sent; the message is shown on the page."""


def _keys() -> Keys:
    config = current_app.config
    return Keys(config["WECHAT_TOKEN"], config["WECHAT_APPID"], config.get("WECHAT_AES_KEY"))


@blueprint.get("")
def page() -> str:
    openid = browser.get(PERSON_KEY)
    with database().sessionmaker() as session:
        staff = list(session.scalars(select(User).where(User.active).order_by(User.role, User.id)))
        assets = list(session.scalars(select(Asset).order_by(Asset.code).limit(300)))
        items = [_item(call) for call in state.feed(session, openid)] if openid else []
        return render_template(
            "sandbox/phone.html",
            openid=openid,
            person=_person_name(session, openid),
            villagers=VILLAGERS,
            staff=staff,
            assets=assets,
            items=items,
            buttons=click_buttons(menu_for(staff=bool(openid and staff_for_openid(session, openid)))),
            subscriptions=subscribe_templates(),
            notice=request.args.get("notice", ""),
            last_id=max((item["id"] for item in items), default=0),
        )


@blueprint.get("/feed")
def feed() -> str:
    """The items that arrived after `after` (polled by phone.js), as HTML."""
    openid = browser.get(PERSON_KEY)
    after = request.args.get("after", 0, type=int)
    with database().sessionmaker() as session:
        items = [_item(call) for call in state.feed(session, openid, after)] if openid else []
    return render_template("sandbox/feed.html", items=items)


@blueprint.post("/person")
def choose_person() -> Response:
    """Become a villager (a bare openid) or a member of staff (bound to a sandbox openid)."""
    choice = request.form.get("person", "")
    if choice in dict(VILLAGERS):
        browser[PERSON_KEY] = choice
        return redirect(url_for(".page"), 303)
    user_id = int(choice.removeprefix("user:")) if re.fullmatch(r"user:\d+", choice) else None
    with database().sessionmaker.begin() as session:
        user = session.get(User, user_id) if user_id else None
        if user is None or not user.active:
            return redirect(url_for(".page", notice="请选择一个人。"), 303)
        if not user.wechat_openid:
            code = issue_bind_code(session, user, now())
            redeem_bind_code(session, f"o_sandbox_{user.id}", code, now())
        browser[PERSON_KEY] = user.wechat_openid
    return redirect(url_for(".page"), 303)


@blueprint.post("/send")
def send() -> Response:
    """Send what the form says from the chosen person, signed, to the real /wechat endpoint."""
    openid = browser.get(PERSON_KEY)
    build = MESSAGES.get(request.form.get("kind", ""))
    if not openid or build is None:
        return redirect(url_for(".page", notice="请先选择一个人，再发送。"), 303)
    try:
        with database().sessionmaker.begin() as session:
            fields, shown = build(session)
    except BadInput as error:
        return redirect(url_for(".page", notice=str(error)), 303)
    # A transaction of its own that writes first: on SQLite, one that read first is refused at
    # once when a push sent in the background (after the previous reply) wrote meanwhile.
    with database().sessionmaker.begin() as session:
        state.record(session, state.PHONE_SENT, openid, {"shown": shown, "errcode": 0})
        # The reply's place in the chat is taken now: pushes the message sets off (sent while
        # the reply is on its way) come after it, as they do on a phone.
        reply_id = state.record(session, state.PHONE_REPLY, openid, state.AWAITED_REPLY).id
    if fields.get("MsgType") != "event":
        fields["MsgId"] = str(secrets.randbelow(2**63))
    reply = _post_to_account(openid, fields)
    with database().sessionmaker.begin() as session:
        state.answer(session, reply_id, {**reply, "errcode": 0})
    return redirect(url_for(".page"), 303)


@blueprint.get("/media/<media_id>")
def media(media_id: str) -> Response:
    with database().sessionmaker() as session:
        found = state.load_media(session, media_id)
        if found is None:
            abort(404)
        return Response(found.data, mimetype=found.content_type)


def _post_to_account(openid: str, fields: dict[str, Any]) -> dict[str, Any]:
    """POST the signed message to PUBLIC_BASE_URL/wechat; what the phone should show of it."""
    keys = _keys()
    signed = sign(message_xml(openid, fields), openid, keys)
    url = f"{current_app.config['PUBLIC_BASE_URL']}/wechat"
    try:
        response = requests.post(
            url, params=signed.params, data=signed.body.encode(), headers={"Content-Type": "text/xml"}, timeout=5
        )
    except requests.RequestException as error:
        log.warning("sandbox: %s unreachable: %s", url, error.__class__.__name__)
        return {"problem": "公众号接口没有应答（5秒内），微信会提示“该公众号暂时无法提供服务”。"}
    if response.status_code != 200:
        return {"problem": f"公众号接口返回 HTTP {response.status_code}。"}
    try:
        return {"reply": read_reply(response.text, keys)}
    except (ExpatError, KeyError, TypeError, ValueError, WeChatException) as error:
        log.warning("sandbox: unreadable reply: %r", error)
        return {"problem": "回复无法解析，微信会提示“该公众号暂时无法提供服务”。"}


# -- what each kind of message carries ---------------------------------------------------------


def _text(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    content = request.form.get("content", "").strip()
    if not content:
        raise BadInput("请输入要发送的文字。")
    fields = {"MsgType": "text", "Content": content}
    menu_id = request.form.get("menu_id", "")
    if menu_id.isascii() and menu_id.isdigit():  # a tapped menu link: WeChat says which one
        fields["bizmsgmenuid"] = menu_id
    return fields, {"text": content}


def _image(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    upload = request.files.get("photo")
    data = upload.read(MAX_PHOTO_BYTES + 1) if upload else b""
    if not data:
        raise BadInput("请选择一张照片。")
    if len(data) > MAX_PHOTO_BYTES:
        raise BadInput("照片太大（不超过10MB）。")
    try:
        with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as image:
            content_type = Image.MIME[image.format]
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise BadInput("只能发送 JPEG 或 PNG 照片。") from error
    media_id = state.save_media(session, data, content_type)
    pic_url = f"{current_app.config['PUBLIC_BASE_URL']}{url_for('.media', media_id=media_id)}"
    return (
        {"MsgType": "image", "PicUrl": pic_url, "MediaId": media_id},
        {"image": url_for(".media", media_id=media_id)},
    )


def _location(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        latitude = float(request.form.get("latitude", ""))
        longitude = float(request.form.get("longitude", ""))
    except ValueError as error:
        raise BadInput("请填写经纬度（数字）。") from error
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise BadInput("经纬度超出范围。")
    label = request.form.get("label", "").strip()[:60] or "未标注地点"
    return (
        {
            "MsgType": "location",
            "Location_X": f"{latitude:.6f}",
            "Location_Y": f"{longitude:.6f}",
            "Scale": "15",
            "Label": label,
        },
        {"location": label},
    )


def _scan(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    asset = session.get(Asset, request.form.get("asset_id", 0, type=int))
    if asset is None:
        raise BadInput("请选择要扫码的资产。")
    scene = asset_scene(asset.public_token)  # what the asset's parametric QR code carries
    if request.form.get("first_time"):  # not yet a follower: WeChat sends subscribe + qrscene_
        event = {"Event": "subscribe", "EventKey": f"qrscene_{scene}"}
    else:
        event = {"Event": "SCAN", "EventKey": scene}
    return (
        {"MsgType": "event", **event, "Ticket": f"sbx-{asset.public_token}"},
        {"scan": f"{asset.code} {asset.name}"},
    )


def _click(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    buttons = {button["key"]: button["name"] for button in click_buttons(VILLAGER_MENU) + click_buttons(STAFF_MENU)}
    key = request.form.get("key", "")
    if key not in buttons:
        raise BadInput("没有这个菜单。")
    return {"MsgType": "event", "Event": "CLICK", "EventKey": key}, {"click": buttons[key]}


def _follow(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"MsgType": "event", "Event": "subscribe", "EventKey": ""}, {"event": "关注公众号"}


def _unfollow(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"MsgType": "event", "Event": "unsubscribe", "EventKey": ""}, {"event": "取消关注"}


# A person's choice about a 订阅通知 template: the event WeChat sends, its list element, the words shown.
CONSENT_CHOICES = {
    "accept": ("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", "允许"),
    "reject": ("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", "拒绝"),
    "off": ("subscribe_msg_change_event", "SubscribeMsgChangeEvent", "在设置中关闭"),
}


def _consent(session: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answer the subscription popup, or turn a template off later: WeChat keeps the choice
    (the fake then sends the template or answers 43101) and tells the account by an event."""
    templates = subscribe_templates()
    template_id, decision = request.form.get("template_id", ""), request.form.get("decision", "")
    if template_id not in templates or decision not in CONSENT_CHOICES:
        raise BadInput("没有这个订阅通知选项。")
    event, element, words = CONSENT_CHOICES[decision]
    accepted = decision == "accept"
    state.set_consent(session, browser[PERSON_KEY], template_id, accepted)
    item = {"TemplateId": template_id, "SubscribeStatusString": "accept" if accepted else "reject"}
    if element == "SubscribeMsgPopupEvent":
        item["PopupScene"] = "0"
    return (
        {"MsgType": "event", "Event": event, element: {"List": item}},
        {"event": f"订阅通知「{templates[template_id].title}」：{words}"},
    )


MESSAGES: dict[str, Callable[[Session], tuple[dict[str, Any], dict[str, Any]]]] = {
    "text": _text,
    "image": _image,
    "location": _location,
    "scan": _scan,
    "click": _click,
    "follow": _follow,
    "unfollow": _unfollow,
    "consent": _consent,
}


# -- how the phone shows things ----------------------------------------------------------------


def _person_name(session: Session, openid: str | None) -> str:
    if not openid:
        return ""
    if openid in dict(VILLAGERS):
        return dict(VILLAGERS)[openid]
    user = session.scalar(select(User).where(User.wechat_openid == openid))
    return f"{user.name}（{user.role.label}）" if user else openid


def segments(text: str) -> list[tuple[str, str, str, str]]:
    """`text` as WeChat shows it, in (kind, shown, target, menu id) pieces: plain "text", a "link"
    (target: its address; bare addresses become links too), or a "menu" link (target: the text a
    tap sends back, `<a href="weixin://bizmsgmenu?msgmenucontent=…&msgmenuid=…">`)."""
    pieces: list[tuple[str, str, str, str]] = []
    position = 0
    for anchor in ANCHOR.finditer(text or ""):
        pieces += _plain(text[position : anchor.start()])
        pieces.append(_anchor(html.unescape(anchor.group(1)), html.unescape(anchor.group(2))))
        position = anchor.end()
    return pieces + _plain((text or "")[position:])


def _plain(text: str) -> list[tuple[str, str, str, str]]:
    return [
        ("link", piece, piece, "") if index % 2 else ("text", piece, "", "")
        for index, piece in enumerate(LINK.split(text))
        if piece
    ]


def _anchor(href: str, label: str) -> tuple[str, str, str, str]:
    if href.startswith(MENU_LINK):
        query = parse_qs(urlsplit(href).query)
        return "menu", label, query.get("msgmenucontent", [label])[0], query.get("msgmenuid", [""])[0]
    if LINK.fullmatch(href):
        return "link", label, href, ""
    return "text", label, "", ""  # WeChat shows a link it cannot open as its words


def _item(call: SandboxCall) -> dict[str, Any]:
    body = call.body
    if call.path == state.PHONE_SENT:
        return {"id": call.id, "side": "me", **body["shown"]}
    if call.path == state.PHONE_REPLY:
        reply = body.get("reply")
        if body.get("problem"):
            return {"id": call.id, "side": "notice", "text": body["problem"]}
        if reply is None:
            return {"id": call.id, "side": "notice", "text": "（公众号没有回复）"}
        return {"id": call.id, "side": "account", "label": "回复", **_reply_view(reply)}
    sent = body["request"]
    if call.path.endswith(("template/send", "subscribe/bizsend")):
        data = {name: (value or {}).get("value", "") for name, value in sent.get("data", {}).items()}
        label = "模板消息" if call.path.endswith("template/send") else "订阅通知"
        return {
            "id": call.id,
            "side": "account",
            "label": label,
            "template": data,
            "url": sent.get("url") or sent.get("page"),
        }
    return {
        "id": call.id,
        "side": "account",
        "label": "客服消息",
        "segments": list(segments((sent.get("text") or {}).get("content", ""))),
    }


def _reply_view(reply: dict[str, Any]) -> dict[str, Any]:
    kind = reply.get("MsgType")
    if kind == "text":
        return {"segments": segments(reply.get("Content", ""))}
    if kind == "news":
        articles = (reply.get("Articles") or {}).get("item") or []
        articles = articles if isinstance(articles, list) else [articles]
        return {"articles": [{"title": a.get("Title", ""), "url": a.get("Url", "")} for a in articles]}
    return {"segments": [("text", f"（{kind} 消息）", "", "")]}
