"""Places, voice and video sent to the account (photos belong to maintenance records: maintenance.py)."""

from __future__ import annotations

from wechatpy.messages import BaseMessage

from bot.replies import UNSUPPORTED_VIDEO, UNSUPPORTED_VOICE, Reply
from bot.router import Context, router

LOCATION_RECEIVED = "收到您的位置（{label}）。想了解某个资产，请扫资产卡上的二维码。"


@router.message("location")
def location(message: BaseMessage, ctx: Context) -> Reply:
    return LOCATION_RECEIVED.format(label=(message.label or "未标注地点")[:60])


@router.message("voice")
def voice(message: BaseMessage, ctx: Context) -> Reply:
    return UNSUPPORTED_VOICE


@router.message("video", "shortvideo")
def video(message: BaseMessage, ctx: Context) -> Reply:
    return UNSUPPORTED_VIDEO
