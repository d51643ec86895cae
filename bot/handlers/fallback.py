"""Whatever no other handler takes: unknown text, links, menu keys not wired yet."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import MENU_EMPTY, Reply
from bot.router import Context, router

NOT_UNDERSTOOD = "没看懂您的意思。发「帮助」看看在这里能做什么。"


@router.message("*")  # text goes to bot.handlers.maintenance first, which falls back to this
def not_understood(message: BaseMessage, ctx: Context) -> Reply:
    return NOT_UNDERSTOOD


@router.click("*")
def menu_not_ready(message: BaseMessage, ctx: Context) -> Reply:
    return MENU_EMPTY
