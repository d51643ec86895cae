"""The account itself: following and unfollowing it (a follow by scanning an asset card shows that
asset, and a welcome follows), and 绑定 <code>, with which a staff member links this WeChat to
their account (and gets the staff menu, after the reply)."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.after_commit.wechat import count_bind_failure, sync_staff_tag, tell
from bot.handlers.assets import scan_reply
from bot.handlers.help import show_help
from bot.replies import SYSTEM_BUSY, Article, Reply
from bot.router import Context, router
from infra.shared_state import SharedStateUnavailable, shared_state
from models.wechat import binding
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
    refused = _over_shared_limit(code[:20])
    if refused:
        return refused
    try:
        user = redeem_bind_code(ctx.session, message.source, code, ctx.now)
    except BindRefused as refused:  # answered, not raised: the door commits the counted failure,
        ctx.after_commit(count_bind_failure)  # which is what rate-limits guessing
        return refused.message
    ctx.after_commit(sync_staff_tag, message.source)
    return BOUND.format(name=user.name, role=user.role.label)


def _over_shared_limit(code: str) -> str | None:
    """The refusal when everyone together has guessed wrong too often this hour, or this code
    was tried too often (the attempt is counted where every worker sees it, before this message's
    session writes)."""
    window = binding.BIND_LIMIT_WINDOW
    try:
        if shared_state().count(binding.BIND_FAILURES_KEY, window, amount=0) >= binding.BIND_FAILURES_IN_ALL:
            return binding.BIND_TRIES_SPENT
        if shared_state().count(binding.bind_code_key(code), window) > binding.BIND_TRIES_PER_CODE:
            return binding.BIND_TRIES_OF_CODE_SPENT
    except SharedStateUnavailable:
        return SYSTEM_BUSY
    return None


@router.event("subscribe")
def subscribed(message: BaseMessage, ctx: Context) -> Reply:
    record_subscribe(ctx.session, message.source, ctx.now)
    return WELCOME + show_help(message, ctx)


@router.event("subscribe_scan")
def subscribed_by_scan(message: BaseMessage, ctx: Context) -> Reply:
    """A first scan that follows the account: the asset's link card now, the welcome right after
    (a passive reply is one message; after a follow WeChat allows customer-service messages)."""
    record_subscribe(ctx.session, message.source, ctx.now)
    reply = scan_reply(message, ctx)
    if isinstance(reply, Article):
        welcome = WELCOME + show_help(message, ctx)
        ctx.after_commit(tell, message.source, welcome, f"welcome:{message.source}:{message.time}")
    return reply or WELCOME + show_help(message, ctx)


@router.event("unsubscribe")
def unsubscribed(message: BaseMessage, ctx: Context) -> Reply:
    record_unsubscribe(ctx.session, message.source, ctx.now)
    return None
