"""绑定 <code>: a staff member links this WeChat to their account with the code from the web."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import Reply
from bot.router import Context, router
from models.wechat.binding import BindRefused, redeem_bind_code

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
