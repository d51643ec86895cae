"""Passive replies: the words every handler shares, and rendering a reply as WeChat's XML."""

from __future__ import annotations

import time
from dataclasses import dataclass

from wechatpy.messages import BaseMessage
from wechatpy.replies import ArticlesReply, TextReply

SYSTEM_BUSY = "系统繁忙，请稍后再发一次。"
UNSUPPORTED_VOICE = "暂时听不了语音，请打字或发照片给我们。"
UNSUPPORTED_VIDEO = "暂时看不了视频，请发照片或打字给我们。"
MENU_EMPTY = "这个菜单还在准备中，请发「帮助」看看能做什么。"
STAFF_ONLY = "这个功能只对工作人员开放。工作人员请先在网页上取得绑定码，再发「绑定 绑定码」。"

# Answering `success` tells WeChat the message is handled and shows the user nothing.
NO_REPLY = "success"
MAX_TEXT_CHARS = 600  # WeChat cuts passive text replies at 2048 bytes


@dataclass(frozen=True)
class Article:
    """A link card (news reply)."""

    title: str
    description: str
    url: str
    image: str = ""


Reply = str | Article | None


def cdata_safe(text: str) -> str:
    """wechatpy puts text into CDATA as it is: `]]>` would end the section and break the XML."""
    return text.replace("]]>", "]] >")


def render(reply: Reply, message: BaseMessage) -> str:
    """The XML answer for `reply` to `message`; `success` when there is nothing to say."""
    if reply is None:
        return NO_REPLY
    common = {
        "source": cdata_safe(message.target or ""),
        "target": cdata_safe(message.source or ""),
        "time": int(time.time()),
    }
    if isinstance(reply, Article):
        card = {
            "title": cdata_safe(reply.title),
            "description": cdata_safe(reply.description),
            "url": cdata_safe(reply.url),
            "image": cdata_safe(reply.image),
        }
        return ArticlesReply(articles=[card], **common).render()
    return TextReply(content=cdata_safe(reply[:MAX_TEXT_CHARS]), **common).render()
