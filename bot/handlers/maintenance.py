"""Maintenance records from the chat: scan a card (or 我的资产), choose the kind, send photos and words.

The kind is asked with numbered options; each is also a `weixin://bizmsgmenu` link, which WeChat
shows as a tappable line that sends its text back (one tap), while typing the number or the word
works everywhere (older clients, the sandbox). Photos are fetched, and the record saved, after the
reply (`bot.after_commit.maintenance`).
"""

from __future__ import annotations

import logging

from wechatpy.messages import BaseMessage

from bot.after_commit.maintenance import fetch_photo, save_when_ready
from bot.handlers.complaints import free_text
from bot.replies import STAFF_ONLY, Reply
from bot.router import Context, router
from models.access import VILLAGE_STAFF
from models.assets.entities import Asset
from models.errors import Forbidden
from models.maintenance import field_sessions as fields
from models.maintenance.entities import MaintenanceKind, SessionState

log = logging.getLogger("guanhu.bot")

STARTED = (
    "开始给「{asset}」记管护（30分钟内有效）。\n请选类型，点一下或回复数字：\n{menu}\n"
    "然后发照片（可以多张）和一句说明。"
)
NOT_YOUR_ASSET = "「{asset}」不是您村里的资产，不能给它记管护。查看资产：{url}"
VILLAGE_STAFF_ONLY = "只有村里的管护员和村干部可以记管护。"
PICK_ASSET = "请回复编号，选要记管护的资产：\n{lines}"
MORE_ASSETS = "\n（只列出前{count}个，其他资产请扫资产卡。）"
NO_ASSETS = "您村里还没有登记资产。"
NO_SUCH_NUMBER = "没有这个编号，请回复列表里的数字。"
SHORT_MENU = "1 日常巡查　2 维修　3 保养　4 损毁报告"
KIND_SET = "好的，{kind}。"
NOTED = "记下了。"
ASK_KIND = "请选类型，回复数字：" + SHORT_MENU
ASK_PHOTOS = "请发照片（可以多张）。"
ASK_DAMAGE = "请写一句损毁情况。"
ASK_WORDS = "再写一句说明，或回复「完成」保存。"
SAVING = "好的，正在保存「{asset}」的{kind}记录，好了发消息告诉您。"
BUSY_SAVING = "上一条记录正在保存，请稍等一下。"
PHOTO_RECEIVED = "收到第{number}张照片。"
PHOTO_JOINS = "收到第{number}张照片，会一起保存。"
PHOTO_TOO_LATE = "上一条记录已在保存，这张没有收下。要再记一条，请再扫资产卡。"
NO_SESSION_STAFF = "要记管护，请先扫资产卡上的二维码，或发「我的资产」选一个资产，再发照片。"
VILLAGER_PHOTO = "谢谢您！反映问题请扫资产卡上的二维码，在页面上点「我要反映问题」，可以在那里上传照片。"
ASKS = {"kind": ASK_KIND, "photos": ASK_PHOTOS, "notes": ASK_DAMAGE}


def kind_menu() -> str:
    return "\n".join(
        f'<a href="weixin://bizmsgmenu?msgmenucontent={kind.label}&msgmenuid={number}">{number} {kind.label}</a>'
        for number, kind in enumerate(MaintenanceKind, start=1)
    )


def started(asset: Asset) -> str:
    return STARTED.format(asset=asset.name, menu=kind_menu())


def field_visit(ctx: Context, openid: str, asset: Asset) -> Reply:
    """A scan of `asset`'s card: village staff start recording it; None lets others see its card."""
    staff = ctx.staff()
    if staff is None or staff.role not in VILLAGE_STAFF:
        return None
    try:
        fields.start(ctx.session, staff, asset, openid, ctx.now)
    except Forbidden:
        return NOT_YOUR_ASSET.format(asset=asset.name, url=f"{ctx.public_base_url}/a/{asset.public_token}")
    return started(asset)


@router.command("我的资产")
def my_assets(message: BaseMessage, ctx: Context) -> Reply:
    fields.lock(ctx.session, message.source, ctx.now)
    staff = ctx.staff()
    if staff is None:
        return STAFF_ONLY
    if staff.role not in VILLAGE_STAFF:
        return VILLAGE_STAFF_ONLY
    field = fields.offer_assets(ctx.session, staff, message.source, ctx.now)
    assets = fields.offered_assets(ctx.session, field)
    if not assets:
        fields.end(ctx.session, field.id)
        return NO_ASSETS
    lines = "\n".join(f"{number} {asset.name}" for number, asset in enumerate(assets, start=1))
    more = MORE_ASSETS.format(count=len(assets)) if len(assets) == fields.ASSETS_OFFERED else ""
    return PICK_ASSET.format(lines=lines) + more


@router.message("text")
def field_text(message: BaseMessage, ctx: Context) -> Reply:
    """Words while a field session is open: an asset number, the kind, a note, or 完成."""
    field = fields.open_session(ctx.session, message.source, ctx.now)
    if field is None:
        return free_text(message, ctx)
    if field.state is not SessionState.COLLECTING:
        return BUSY_SAVING
    text = (message.content or "").strip()
    if field.asset is None:
        number = _number(text)
        asset = fields.choose_asset(ctx.session, field, number) if number else None
        return started(asset) if asset else NO_SUCH_NUMBER
    kind = fields.parse_kind(text)
    finish = fields.is_finish_word(text)
    if kind:
        fields.set_kind(ctx.session, field, kind)
    elif not finish:
        fields.add_notes(ctx.session, field, text)
    said = KIND_SET.format(kind=kind.label) if kind else ("" if finish else NOTED)
    missing = field.missing()
    if missing:
        return said + ASKS[missing[0]]
    if not (field.notes or finish):
        return said + ASK_WORDS
    fields.submit(ctx.session, field)
    ctx.after_commit(save_when_ready, field.id)
    return SAVING.format(asset=field.asset.name, kind=field.kind.label)


def _number(text: str) -> int | None:
    digits = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return int(digits) if digits.isdigit() and len(digits) < 4 else None


@router.message("image")
def field_photo(message: BaseMessage, ctx: Context) -> Reply:
    """A photo: noted at once and fetched after the reply (WeChat keeps it 3 days)."""
    field = fields.open_session(ctx.session, message.source, ctx.now)
    if field is None or field.asset is None:
        staff = ctx.staff()
        if staff is None:
            return VILLAGER_PHOTO
        return NO_SESSION_STAFF if staff.role in VILLAGE_STAFF else VILLAGE_STAFF_ONLY
    if field.state is SessionState.SAVING:
        return PHOTO_TOO_LATE
    photo = fields.add_photo(ctx.session, field, message.media_id, ctx.now)
    if photo is None:
        return None  # the same media id again: nothing new
    ctx.after_commit(fetch_photo, field.id, photo.id, photo.number, message.source, message.media_id)
    if field.state is SessionState.SUBMITTED:
        return PHOTO_JOINS.format(number=photo.number)
    missing = [need for need in field.missing() if need != "photos"]
    return PHOTO_RECEIVED.format(number=photo.number) + (ASKS[missing[0]] if missing else ASK_WORDS)
