"""Following and unfollowing the account; a follow by scanning an asset card shows that asset."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.handlers.help import show_help
from bot.handlers.scan import scan_reply
from bot.replies import Reply
from bot.router import Context, router
from models.wechat.visitors import record_subscribe, record_unsubscribe

WELCOME = "欢迎关注资产管护通！\n"


@router.event("subscribe")
def subscribed(message: BaseMessage, ctx: Context) -> Reply:
    record_subscribe(ctx.session, message.source, ctx.now)
    return WELCOME + show_help(message, ctx)


@router.event("subscribe_scan")
def subscribed_by_scan(message: BaseMessage, ctx: Context) -> Reply:
    record_subscribe(ctx.session, message.source, ctx.now)
    return scan_reply(message, ctx) or WELCOME + show_help(message, ctx)


@router.event("unsubscribe")
def unsubscribed(message: BaseMessage, ctx: Context) -> Reply:
    record_unsubscribe(ctx.session, message.source, ctx.now)
    return None
