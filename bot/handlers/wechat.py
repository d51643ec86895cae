"""The account itself: following and unfollowing it (a follow by scanning an asset card shows that
asset), and 绑定 <code>, with which a staff member links this WeChat to their account."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.handlers.assets import scan_reply
from bot.handlers.help import show_help
from bot.replies import Reply
from bot.router import Context, router
from models.wechat.binding import BindRefused, redeem_bind_code
from models.wechat.visitors import record_subscribe, record_unsubscribe

WELCOME = "欢迎关注资产管护通！\n"
ASK_FOR_CODE = "请在「绑定」后面加上网页上显示的6位绑定码，例如：绑定 123456"
BOUND = "绑定成功！{name}（{role}），以后的提醒会发到这个微信。发「我的任务」看要处理的事。"


@router.command("绑定")
def bind(message: BaseMessage, ctx: Context) -> Reply:
    code = ctx.argument.replace(" ", "")
    if not code:
        return ASK_FOR_CODE
    try:
        user = redeem_bind_code(ctx.session, message.source, code, ctx.now)
    except BindRefused as refused:  # answered, not raised: the door commits the counted failure,
        return refused.message  # which is what rate-limits guessing
    return BOUND.format(name=user.name, role=user.role.label)


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
